// POSITION: position with an optional quaternion (spec messages.md §2). 12, 24 or 28 bytes.
import type { ContentCodec } from '../codec.js';
import type { Vec3 } from './common.js';
import { stubCodec } from './_stub.js';

/** Content of a POSITION message. */
export interface PositionContent {
  /** x, y, z in mm. */
  readonly position: Vec3;
  /**
   * Orientation: `[qx, qy, qz, w]` (28-byte form), `[qx, qy, qz]` (24-byte form, w implied), or
   * absent (12-byte form, position only). The form received is the form re-encoded.
   */
  readonly quaternion?: readonly number[];
}

/** Codec of POSITION. */
export const positionCodec: ContentCodec<'POSITION', PositionContent> = stubCodec('POSITION');
