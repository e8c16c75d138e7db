// Every standard message codec, registered in the default registry.
import { CodecRegistry } from '../registry.js';
import { bindCodec, getBindCodec, startBindCodec } from './bind.js';
import { capabilityCodec } from './capability.js';
import { colorTableCodec, legacyColorTableCodec } from './colort.js';
import { commandCodec, rtsCommandCodec } from './command.js';
import { imageCodec } from './image.js';
import { imageMetaCodec } from './imgmeta.js';
import { labelMetaCodec } from './lbmeta.js';
import { ndArrayCodec } from './ndarray.js';
import { pointCodec } from './point.js';
import { polyDataCodec } from './polydata.js';
import { positionCodec } from './position.js';
import { quaternionTrackingDataCodec } from './qtdata.js';
import { queryCodecs } from './query.js';
import { sensorCodec } from './sensor.js';
import { statusCodec } from './status.js';
import { stringCodec } from './string.js';
import { trackingDataCodec } from './tdata.js';
import { trajectoryCodec } from './traj.js';
import { transformCodec } from './transform.js';
import { videoCodec } from './video.js';
import { videoMetaCodec } from './videometa.js';

/** The codecs of every standard type, data messages first. */
export const standardCodecs = [
  transformCodec,
  positionCodec,
  imageCodec,
  statusCodec,
  stringCodec,
  pointCodec,
  trajectoryCodec,
  trackingDataCodec,
  quaternionTrackingDataCodec,
  imageMetaCodec,
  labelMetaCodec,
  colorTableCodec,
  legacyColorTableCodec,
  sensorCodec,
  ndArrayCodec,
  polyDataCodec,
  bindCodec,
  getBindCodec,
  startBindCodec,
  capabilityCodec,
  commandCodec,
  rtsCommandCodec,
  videoCodec,
  videoMetaCodec,
  ...queryCodecs,
] as const;

/** The registry used when none is given: every standard type, plus whatever `registerCodec` adds. */
export const defaultRegistry = new CodecRegistry(standardCodecs);
