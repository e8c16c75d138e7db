// TDATA: tracking data, a list of 70-byte elements (spec messages.md §8).
import type { ContentCodec } from '../codec.js';
import type { Matrix4 } from './common.js';
import { stubCodec } from './_stub.js';

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

/** Codec of TDATA. */
export const trackingDataCodec: ContentCodec<'TDATA', TrackingDataContent> = stubCodec('TDATA');
