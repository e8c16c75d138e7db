// IMGMETA: image meta data, a list of 260-byte elements (spec messages.md §10).
import type { ContentCodec } from '../codec.js';
import type { Timestamp } from '../timestamp.js';
import type { Vec3 } from './common.js';
import { stubCodec } from './_stub.js';

/** One image description of an IMGMETA message. */
export interface ImageMetaElement {
  readonly name: string;
  /** Id to use in GET_IMAGE / GET_COLORT; at most 20 bytes. */
  readonly deviceName: string;
  readonly modality: string;
  readonly patientName: string;
  readonly patientId: string;
  /** Scan time. */
  readonly timestamp: Timestamp;
  readonly size: Vec3;
  readonly scalarType: number;
}

/** Content of an IMGMETA message. */
export interface ImageMetaContent {
  readonly images: readonly ImageMetaElement[];
}

/** Codec of IMGMETA. */
export const imageMetaCodec: ContentCodec<'IMGMETA', ImageMetaContent> = stubCodec('IMGMETA');
