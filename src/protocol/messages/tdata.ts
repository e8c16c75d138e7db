// TDATA: tracking data, a list of 70-byte elements (OpenIGTLink Documents/Protocol/trackingdata.md).
//
//   Offset  Type        Field
//   0       char[20]    NAME_1      tool name
//   20      uint8       TYPE_1      1 tracker, 2 6D, 3 3D, 4 5D instrument
//   21      uint8       -           reserved, written 0
//   22      float32[12] MATRIX_1    upper 3x4, TRANSFORM order
//   70 ...  element 2 ...
import type { ContentCodec } from '../codec.js';
import { fixedString, matrix, u8 } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Matrix4 } from './vectors.js';

/** Tracking element types of TDATA and QTDATA. */
export const TrackingType = { TRACKER: 1, INSTRUMENT_6D: 2, INSTRUMENT_3D: 3, INSTRUMENT_5D: 4 } as const;

/** One tool of a TDATA message. */
export interface TrackingElement {
  /** Tool name, at most 20 bytes. */
  readonly name: string;
  /** See {@link TrackingType}. */
  readonly type: number;
  /** Row-major 4x4, as in TRANSFORM. */
  readonly matrix: Matrix4;
}

/** Content of a TDATA message. */
export interface TrackingDataContent {
  readonly elements: readonly TrackingElement[];
}

const element = record<TrackingElement>([
  { name: 'name', kind: fixedString(20) },
  { name: 'type', kind: u8 },
  pad(1),
  { name: 'matrix', kind: matrix },
]);

/** Codec of TDATA. */
export const trackingDataCodec: ContentCodec<'TDATA', TrackingDataContent> = recordListCodec('TDATA', 'elements', element);
