// QTDATA: quaternion tracking data, a list of 50-byte elements (OpenIGTLink Documents/Protocol/qtrackingdata.md).
//
//   Offset  Type        Field
//   0       char[20]    NAME_1      tool name
//   20      uint8       TYPE_1      as TDATA (TrackingType)
//   21      uint8       -           reserved, written 0
//   22      float32[3]  POSITION_1  x, y, z
//   34      float32[4]  QUATERNION_1  qx, qy, qz, w
//   50 ...  element 2 ...
import type { ContentCodec } from '../codec.js';
import { f32x3, f32x4, fixedString, u8 } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Vec3, Vec4 } from './vectors.js';

/** One tool of a QTDATA message. */
export interface QuaternionTrackingElement {
  readonly name: string;
  /** See `TrackingType`. */
  readonly type: number;
  /** x, y, z in mm. */
  readonly position: Vec3;
  /** qx, qy, qz, w. */
  readonly quaternion: Vec4;
}

/** Content of a QTDATA message. */
export interface QuaternionTrackingDataContent {
  readonly elements: readonly QuaternionTrackingElement[];
}

const element = record<QuaternionTrackingElement>([
  { name: 'name', kind: fixedString(20) },
  { name: 'type', kind: u8 },
  pad(1),
  { name: 'position', kind: f32x3 },
  { name: 'quaternion', kind: f32x4 },
]);

/** Codec of QTDATA. */
export const quaternionTrackingDataCodec: ContentCodec<'QTDATA', QuaternionTrackingDataContent> =
  recordListCodec('QTDATA', 'elements', element);
