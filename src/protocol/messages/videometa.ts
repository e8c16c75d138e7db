// VIDEOMETA (protocol 3.1): a list of 322-byte video stream descriptions (OpenIGTLink Documents/Protocol/videometa.md).
import type { ContentCodec } from '../codec.js';
import { EncodeError } from '../errors.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asInt, asMatrix, asNumber, asObject, asString, asU16x3, checkFixedString, checkInt, checkMatrix, checkU16x3,
  expectElements, matrixToJSON, num, readMatrix, readU16x3, writeMatrix, writeU16x3,
  type Matrix4, type Vec3,
} from './common.js';

// Offsets inside one element (OpenIGTLink Documents/Protocol/videometa.md table).
const OFFSET_NAME = 0;
const NAME_SIZE = 64;
const OFFSET_DEVICE_NAME = 64;
const DEVICE_NAME_SIZE = 64; // 64 here, though header device names are 20
const OFFSET_PATIENT_NAME = 128;
const PATIENT_NAME_SIZE = 64;
const OFFSET_PATIENT_ID = 192;
const PATIENT_ID_SIZE = 64;
const OFFSET_ZOOM_LEVEL = 256; // int16
const OFFSET_FOCAL_LENGTH = 258; // float64
const OFFSET_SIZE = 266; // uint16[3]
const OFFSET_MATRIX = 272; // float32[12], IMAGE layout
const OFFSET_SCALAR_TYPE = 320; // uint8
const OFFSET_RESERVED = 321; // uint8, written 0
const ELEMENT_SIZE = 322;

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

const TEXT_FIELDS = [
  ['name', OFFSET_NAME, NAME_SIZE],
  ['deviceName', OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE],
  ['patientName', OFFSET_PATIENT_NAME, PATIENT_NAME_SIZE],
  ['patientId', OFFSET_PATIENT_ID, PATIENT_ID_SIZE],
] as const;

function checkElement(e: VideoMetaElement, i: number): void {
  const at = `videos[${i}]`;
  for (const [field, , size] of TEXT_FIELDS) checkFixedString('VIDEOMETA', `${at}.${field}`, e[field], size);
  checkInt('VIDEOMETA', `${at}.zoomLevel`, e.zoomLevel, -0x8000, 0x7fff);
  if (typeof e.focalLength !== 'number') throw new EncodeError('VIDEOMETA', `${at}.focalLength must be a number`);
  checkU16x3('VIDEOMETA', `${at}.size`, e.size);
  checkMatrix('VIDEOMETA', `${at}.matrix`, e.matrix);
  checkInt('VIDEOMETA', `${at}.scalarType`, e.scalarType, 0, 255);
}

/** Codec of VIDEOMETA. The content is a whole number of 322-byte elements (none is valid). */
export const videoMetaCodec: ContentCodec<'VIDEOMETA', VideoMetaContent> = {
  type: 'VIDEOMETA',
  decode(bytes, view, offset, length) {
    const n = expectElements('VIDEOMETA', length, ELEMENT_SIZE);
    const videos = new Array<VideoMetaElement>(n);
    for (let i = 0; i < n; i++) {
      const at = offset + i * ELEMENT_SIZE;
      videos[i] = {
        name: readFixedString(bytes, at + OFFSET_NAME, NAME_SIZE),
        deviceName: readFixedString(bytes, at + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE),
        patientName: readFixedString(bytes, at + OFFSET_PATIENT_NAME, PATIENT_NAME_SIZE),
        patientId: readFixedString(bytes, at + OFFSET_PATIENT_ID, PATIENT_ID_SIZE),
        zoomLevel: view.getInt16(at + OFFSET_ZOOM_LEVEL),
        focalLength: view.getFloat64(at + OFFSET_FOCAL_LENGTH),
        size: readU16x3(view, at + OFFSET_SIZE),
        matrix: readMatrix(view, at + OFFSET_MATRIX),
        scalarType: view.getUint8(at + OFFSET_SCALAR_TYPE),
      };
    }
    return { videos };
  },
  size(c) {
    c.videos.forEach(checkElement);
    return c.videos.length * ELEMENT_SIZE;
  },
  encode(c, bytes, view, offset) {
    c.videos.forEach((e, i) => {
      const at = offset + i * ELEMENT_SIZE;
      for (const [field, fieldOffset, size] of TEXT_FIELDS) {
        writeFixedString(bytes, at + fieldOffset, size, e[field], 'VIDEOMETA', `videos[${i}].${field}`);
      }
      view.setInt16(at + OFFSET_ZOOM_LEVEL, e.zoomLevel);
      view.setFloat64(at + OFFSET_FOCAL_LENGTH, e.focalLength);
      writeU16x3(view, at + OFFSET_SIZE, e.size);
      writeMatrix(view, at + OFFSET_MATRIX, e.matrix);
      view.setUint8(at + OFFSET_SCALAR_TYPE, e.scalarType);
      view.setUint8(at + OFFSET_RESERVED, 0);
    });
  },
  toJSON(c) {
    return {
      videos: c.videos.map((e) => ({
        name: e.name,
        deviceName: e.deviceName,
        patientName: e.patientName,
        patientId: e.patientId,
        zoomLevel: e.zoomLevel,
        focalLength: num(e.focalLength),
        size: [...e.size],
        matrix: matrixToJSON(e.matrix),
        scalarType: e.scalarType,
      })),
    };
  },
  fromJSON(json, path) {
    const list = asArray(asObject(json, path).videos, `${path}.videos`);
    return {
      videos: list.map((item, i): VideoMetaElement => {
        const p = `${path}.videos[${i}]`;
        const o = asObject(item, p);
        return {
          name: asString(o.name ?? '', `${p}.name`),
          deviceName: asString(o.deviceName ?? '', `${p}.deviceName`),
          patientName: asString(o.patientName ?? '', `${p}.patientName`),
          patientId: asString(o.patientId ?? '', `${p}.patientId`),
          zoomLevel: asInt(o.zoomLevel ?? 0, `${p}.zoomLevel`, -0x8000, 0x7fff),
          focalLength: asNumber(o.focalLength ?? 0, `${p}.focalLength`),
          size: asU16x3(o.size, `${p}.size`),
          matrix: asMatrix(o.matrix, `${p}.matrix`),
          scalarType: asInt(o.scalarType, `${p}.scalarType`, 0, 255),
        };
      }),
    };
  },
};
