// QTDATA: quaternion tracking data, a list of 50-byte elements (spec messages.md §9).
import type { ContentCodec } from '../codec.js';
import type { Vec3, Vec4 } from './common.js';
import { stubCodec } from './_stub.js';

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

/** Codec of QTDATA. */
export const quaternionTrackingDataCodec: ContentCodec<'QTDATA', QuaternionTrackingDataContent> = stubCodec('QTDATA');
