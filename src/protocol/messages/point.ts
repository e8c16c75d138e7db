// POINT: a list of 136-byte points (OpenIGTLink Documents/Protocol/point.md).
//
//   Offset  Type        Field
//   0       char[64]    NAME_1
//   64      char[32]    GROUP_1     "Labeled Point", "Landmark", "Fiducial", ...
//   96      uint8[4]    RGBA_1
//   100     float32[3]  XYZ_1
//   112     float32     DIAMETER_1  (read as a radius, see PointElement.radius)
//   116     char[20]    OWNER_1     device name of the owner image
//   136 ... point 2 ...
import type { ContentCodec } from '../codec.js';
import { f32, f32x3, fixedString, rgba } from './record-fields.js';
import { record, recordListCodec } from './record-list.js';
import type { Vec3, Vec4 } from './vectors.js';

/** One point of a POINT message. */
export interface PointElement {
  /** At most 64 bytes (63 for C++ receivers). */
  readonly name: string;
  /** "Labeled Point", "Landmark", "Fiducial", ...; at most 32 bytes. */
  readonly group: string;
  /** Colour, 0-255 each. */
  readonly rgba: Vec4;
  /** x, y, z in mm. */
  readonly position: Vec3;
  /** Radius in mm (the spec calls it DIAMETER; the library and Slicer treat it as a radius). */
  readonly radius: number;
  /** Device name of the owner image; at most 20 bytes. */
  readonly owner: string;
}

/** Content of a POINT message. */
export interface PointContent {
  readonly points: readonly PointElement[];
}

const point = record<PointElement>([
  { name: 'name', kind: fixedString(64) },
  { name: 'group', kind: fixedString(32) },
  { name: 'rgba', kind: rgba },
  { name: 'position', kind: f32x3 },
  { name: 'radius', kind: f32 },
  { name: 'owner', kind: fixedString(20) },
]);

/** Codec of POINT. */
export const pointCodec: ContentCodec<'POINT', PointContent> = recordListCodec('POINT', 'points', point);
