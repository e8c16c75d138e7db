// VIDEOMETA (protocol 3.1): a list of 322-byte video stream descriptions (spec messages.md §20).
import type { ContentCodec } from '../codec.js';
import type { Matrix4, Vec3 } from './common.js';
import { stubCodec } from './_stub.js';

/** One stream description of a VIDEOMETA message. */
export interface VideoMetaElement {
  readonly name: string;
  /** Id of the VIDEO stream; at most 64 bytes. */
  readonly deviceName: string;
  readonly patientName: string;
  readonly patientId: string;
  readonly zoomLevel: number;
  /** mm (float64). */
  readonly focalLength: number;
  readonly size: Vec3;
  readonly matrix: Matrix4;
  readonly scalarType: number;
}

/** Content of a VIDEOMETA message. */
export interface VideoMetaContent {
  readonly videos: readonly VideoMetaElement[];
}

/** Codec of VIDEOMETA. */
export const videoMetaCodec: ContentCodec<'VIDEOMETA', VideoMetaContent> = stubCodec('VIDEOMETA');
