// LBMETA: label meta data, a list of 116-byte elements (OpenIGTLink Documents/Protocol/labelmeta.md).
//
//   Offset  Type        Field
//   0       char[64]    NAME_1
//   64      char[20]    ID_1        device name of the label-map IMAGE
//   84      uint8       LABEL_1     label value in that image
//   85      uint8       -           reserved, written 0
//   86      uint8[4]    RGBA_1
//   90      uint16[3]   SIZE_1
//   96      char[20]    OWNER_1
//   116 ... element 2 ...
import type { ContentCodec } from '../codec.js';
import { fixedString, rgba, u16x3, u8 } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Vec3, Vec4 } from './vectors.js';

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

// Missing text in JSON is empty text, a missing label 0.
const label = record<LabelMetaElement>([
  { name: 'name', kind: fixedString(64), jsonDefault: '' },
  { name: 'deviceName', kind: fixedString(20), jsonDefault: '' },
  { name: 'label', kind: u8, jsonDefault: 0 },
  pad(1),
  { name: 'rgba', kind: rgba },
  { name: 'size', kind: u16x3 },
  { name: 'owner', kind: fixedString(20), jsonDefault: '' },
]);

/** Codec of LBMETA. The content is a whole number of 116-byte elements (none is valid). */
export const labelMetaCodec: ContentCodec<'LBMETA', LabelMetaContent> = recordListCodec('LBMETA', 'labels', label);
