// LBMETA: label meta data, a list of 116-byte elements (spec messages.md §11).
import type { ContentCodec } from '../codec.js';
import type { Vec3, Vec4 } from './common.js';
import { stubCodec } from './_stub.js';

/** One label description of an LBMETA message. */
export interface LabelMetaElement {
  readonly name: string;
  /** Id of the label-map IMAGE; at most 20 bytes. */
  readonly deviceName: string;
  /** Label value in that image. */
  readonly label: number;
  readonly rgba: Vec4;
  readonly size: Vec3;
  readonly owner: string;
}

/** Content of an LBMETA message. */
export interface LabelMetaContent {
  readonly labels: readonly LabelMetaElement[];
}

/** Codec of LBMETA. */
export const labelMetaCodec: ContentCodec<'LBMETA', LabelMetaContent> = stubCodec('LBMETA');
