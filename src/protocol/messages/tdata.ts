// TDATA: tracking data, a list of 70-byte elements (OpenIGTLink Documents/Protocol/trackingdata.md).
import type { ContentCodec } from '../codec.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asInt, asMatrix, asObject, asString, checkFixedString, checkInt, checkMatrix, expectElements, matrixToJSON, readMatrix,
  writeMatrix, type Matrix4,
} from './common.js';

const ELEMENT_SIZE = 70;
const NAME = 0; // char[20]
const NAME_SIZE = 20;
const TYPE = 20; // uint8
const RESERVED = 21; // uint8, written 0
const MATRIX = 22; // float32[12], TRANSFORM order

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
export const trackingDataCodec: ContentCodec<'TDATA', TrackingDataContent> = {
  type: 'TDATA',
  decode(bytes, view, offset, length) {
    const n = expectElements('TDATA', length, ELEMENT_SIZE);
    const elements = new Array<TrackingElement>(n);
    for (let i = 0; i < n; i++) {
      const o = offset + i * ELEMENT_SIZE;
      elements[i] = { name: readFixedString(bytes, o + NAME, NAME_SIZE), type: bytes[o + TYPE]!, matrix: readMatrix(view, o + MATRIX) };
    }
    return { elements };
  },
  size(content) {
    content.elements.forEach((e, i) => {
      const at = `elements[${i}]`;
      checkFixedString('TDATA', `${at}.name`, e.name, NAME_SIZE);
      checkInt('TDATA', `${at}.type`, e.type, 0, 255);
      checkMatrix('TDATA', `${at}.matrix`, e.matrix);
    });
    return content.elements.length * ELEMENT_SIZE;
  },
  encode(content, bytes, view, offset) {
    content.elements.forEach((e, i) => {
      const o = offset + i * ELEMENT_SIZE;
      writeFixedString(bytes, o + NAME, NAME_SIZE, e.name, 'TDATA', 'name');
      bytes[o + TYPE] = e.type;
      bytes[o + RESERVED] = 0;
      writeMatrix(view, o + MATRIX, e.matrix);
    });
  },
  toJSON(content) {
    return { elements: content.elements.map((e) => ({ name: e.name, type: e.type, matrix: matrixToJSON(e.matrix) })) };
  },
  fromJSON(json, path) {
    const elements = asArray(asObject(json, path).elements, `${path}.elements`).map((v, i): TrackingElement => {
      const at = `${path}.elements[${i}]`;
      const e = asObject(v, at);
      return { name: asString(e.name, `${at}.name`), type: asInt(e.type, `${at}.type`, 0, 255), matrix: asMatrix(e.matrix, `${at}.matrix`) };
    });
    return { elements };
  },
};
