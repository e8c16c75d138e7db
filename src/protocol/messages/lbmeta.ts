// LBMETA: label meta data, a list of 116-byte elements (OpenIGTLink Documents/Protocol/labelmeta.md).
import type { ContentCodec } from '../codec.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asInt, asObject, asRgba, asString, asU16x3, checkFixedString, checkInt, checkRgba, checkU16x3, expectElements,
  readU16x3, writeU16x3, type Vec3, type Vec4,
} from './common.js';

// Offsets inside one element (OpenIGTLink Documents/Protocol/labelmeta.md table).
const OFFSET_NAME = 0;
const NAME_SIZE = 64;
const OFFSET_DEVICE_NAME = 64;
const DEVICE_NAME_SIZE = 20;
const OFFSET_LABEL = 84; // uint8
const OFFSET_RESERVED = 85; // uint8, written 0
const OFFSET_RGBA = 86; // uint8[4]
const OFFSET_SIZE = 90; // uint16[3]
const OFFSET_OWNER = 96;
const OWNER_SIZE = 20;
const ELEMENT_SIZE = 116;

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

const TEXT_FIELDS = [
  ['name', OFFSET_NAME, NAME_SIZE],
  ['deviceName', OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE],
  ['owner', OFFSET_OWNER, OWNER_SIZE],
] as const;

function checkElement(e: LabelMetaElement, i: number): void {
  const at = `labels[${i}]`;
  for (const [field, , size] of TEXT_FIELDS) checkFixedString('LBMETA', `${at}.${field}`, e[field], size);
  checkInt('LBMETA', `${at}.label`, e.label, 0, 255);
  checkRgba('LBMETA', `${at}.rgba`, e.rgba);
  checkU16x3('LBMETA', `${at}.size`, e.size);
}

/** Codec of LBMETA. The content is a whole number of 116-byte elements (none is valid). */
export const labelMetaCodec: ContentCodec<'LBMETA', LabelMetaContent> = {
  type: 'LBMETA',
  decode(bytes, view, offset, length) {
    const n = expectElements('LBMETA', length, ELEMENT_SIZE);
    const labels = new Array<LabelMetaElement>(n);
    for (let i = 0; i < n; i++) {
      const at = offset + i * ELEMENT_SIZE;
      labels[i] = {
        name: readFixedString(bytes, at + OFFSET_NAME, NAME_SIZE),
        deviceName: readFixedString(bytes, at + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE),
        label: bytes[at + OFFSET_LABEL]!,
        rgba: [bytes[at + OFFSET_RGBA]!, bytes[at + OFFSET_RGBA + 1]!, bytes[at + OFFSET_RGBA + 2]!, bytes[at + OFFSET_RGBA + 3]!],
        size: readU16x3(view, at + OFFSET_SIZE),
        owner: readFixedString(bytes, at + OFFSET_OWNER, OWNER_SIZE),
      };
    }
    return { labels };
  },
  size(c) {
    c.labels.forEach(checkElement);
    return c.labels.length * ELEMENT_SIZE;
  },
  encode(c, bytes, view, offset) {
    c.labels.forEach((e, i) => {
      const at = offset + i * ELEMENT_SIZE;
      for (const [field, fieldOffset, size] of TEXT_FIELDS) {
        writeFixedString(bytes, at + fieldOffset, size, e[field], 'LBMETA', `labels[${i}].${field}`);
      }
      bytes[at + OFFSET_LABEL] = e.label;
      bytes[at + OFFSET_RESERVED] = 0;
      for (let k = 0; k < 4; k++) bytes[at + OFFSET_RGBA + k] = e.rgba[k]!;
      writeU16x3(view, at + OFFSET_SIZE, e.size);
    });
  },
  toJSON(c) {
    return {
      labels: c.labels.map((e) => ({
        name: e.name,
        deviceName: e.deviceName,
        label: e.label,
        rgba: [...e.rgba],
        size: [...e.size],
        owner: e.owner,
      })),
    };
  },
  fromJSON(json, path) {
    const list = asArray(asObject(json, path).labels, `${path}.labels`);
    return {
      labels: list.map((item, i): LabelMetaElement => {
        const p = `${path}.labels[${i}]`;
        const o = asObject(item, p);
        const rgba = asRgba(o.rgba, `${p}.rgba`);
        const size = asU16x3(o.size, `${p}.size`);
        return {
          name: asString(o.name ?? '', `${p}.name`),
          deviceName: asString(o.deviceName ?? '', `${p}.deviceName`),
          label: asInt(o.label ?? 0, `${p}.label`, 0, 255),
          rgba,
          size,
          owner: asString(o.owner ?? '', `${p}.owner`),
        };
      }),
    };
  },
};
