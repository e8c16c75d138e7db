// IMGMETA: image meta data, a list of 260-byte elements (OpenIGTLink Documents/Protocol/imagemeta.md).
import type { ContentCodec } from '../codec.js';
import { EncodeError, InvalidJsonMessageError } from '../errors.js';
import { readFixedString, writeFixedString } from '../text.js';
import { Timestamp } from '../timestamp.js';
import {
  asArray, asBigInt, asInt, asObject, asString, asU16x3, checkFixedString, checkInt, checkU16x3, expectElements, readU16x3,
  writeU16x3, type Vec3,
} from './common.js';

// Offsets inside one element (OpenIGTLink Documents/Protocol/imagemeta.md table).
const OFFSET_NAME = 0;
const NAME_SIZE = 64;
const OFFSET_DEVICE_NAME = 64;
const DEVICE_NAME_SIZE = 20;
const OFFSET_MODALITY = 84;
const MODALITY_SIZE = 32;
const OFFSET_PATIENT_NAME = 116;
const PATIENT_NAME_SIZE = 64;
const OFFSET_PATIENT_ID = 180;
const PATIENT_ID_SIZE = 64;
const OFFSET_TIMESTAMP = 244; // uint64: seconds (uint32) then fraction (uint32)
const OFFSET_SIZE = 252; // uint16[3]
const OFFSET_SCALAR_TYPE = 258; // uint8
const OFFSET_RESERVED = 259; // uint8, written 0
const ELEMENT_SIZE = 260;

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

const TEXT_FIELDS = [
  ['name', OFFSET_NAME, NAME_SIZE],
  ['deviceName', OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE],
  ['modality', OFFSET_MODALITY, MODALITY_SIZE],
  ['patientName', OFFSET_PATIENT_NAME, PATIENT_NAME_SIZE],
  ['patientId', OFFSET_PATIENT_ID, PATIENT_ID_SIZE],
] as const;

const MAX_U64 = (1n << 64n) - 1n;

function checkElement(e: ImageMetaElement, i: number): void {
  const at = `images[${i}]`;
  for (const [field, , size] of TEXT_FIELDS) checkFixedString('IMGMETA', `${at}.${field}`, e[field], size);
  if (!(e.timestamp instanceof Timestamp)) throw new EncodeError('IMGMETA', `${at}.timestamp must be a Timestamp`);
  checkInt('IMGMETA', `${at}.timestamp.seconds`, e.timestamp.seconds, 0, 0xffffffff);
  checkInt('IMGMETA', `${at}.timestamp.fraction`, e.timestamp.fraction, 0, 0xffffffff);
  checkU16x3('IMGMETA', `${at}.size`, e.size);
  checkInt('IMGMETA', `${at}.scalarType`, e.scalarType, 0, 255);
}

/**
 * Codec of IMGMETA. The content is a whole number of 260-byte elements (none is valid). The
 * C++ receiver counts elements from BODY_SIZE in v3 framing (imagemeta.md); we count from the
 * content, so large metadata never produces a bogus extra element here.
 */
export const imageMetaCodec: ContentCodec<'IMGMETA', ImageMetaContent> = {
  type: 'IMGMETA',
  decode(bytes, view, offset, length) {
    const n = expectElements('IMGMETA', length, ELEMENT_SIZE);
    const images = new Array<ImageMetaElement>(n);
    for (let i = 0; i < n; i++) {
      const at = offset + i * ELEMENT_SIZE;
      images[i] = {
        name: readFixedString(bytes, at + OFFSET_NAME, NAME_SIZE),
        deviceName: readFixedString(bytes, at + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE),
        modality: readFixedString(bytes, at + OFFSET_MODALITY, MODALITY_SIZE),
        patientName: readFixedString(bytes, at + OFFSET_PATIENT_NAME, PATIENT_NAME_SIZE),
        patientId: readFixedString(bytes, at + OFFSET_PATIENT_ID, PATIENT_ID_SIZE),
        timestamp: new Timestamp(view.getUint32(at + OFFSET_TIMESTAMP), view.getUint32(at + OFFSET_TIMESTAMP + 4)),
        size: readU16x3(view, at + OFFSET_SIZE),
        scalarType: view.getUint8(at + OFFSET_SCALAR_TYPE),
      };
    }
    return { images };
  },
  size(c) {
    c.images.forEach(checkElement);
    return c.images.length * ELEMENT_SIZE;
  },
  encode(c, bytes, view, offset) {
    c.images.forEach((e, i) => {
      const at = offset + i * ELEMENT_SIZE;
      for (const [field, fieldOffset, size] of TEXT_FIELDS) {
        writeFixedString(bytes, at + fieldOffset, size, e[field], 'IMGMETA', `images[${i}].${field}`);
      }
      view.setUint32(at + OFFSET_TIMESTAMP, e.timestamp.seconds);
      view.setUint32(at + OFFSET_TIMESTAMP + 4, e.timestamp.fraction);
      writeU16x3(view, at + OFFSET_SIZE, e.size);
      view.setUint8(at + OFFSET_SCALAR_TYPE, e.scalarType);
      view.setUint8(at + OFFSET_RESERVED, 0);
    });
  },
  toJSON(c) {
    return {
      images: c.images.map((e) => ({
        name: e.name,
        deviceName: e.deviceName,
        modality: e.modality,
        patientName: e.patientName,
        patientId: e.patientId,
        timestampRaw: e.timestamp.toRaw().toString(),
        timestampSeconds: e.timestamp.seconds,
        timestampFraction: e.timestamp.fraction,
        size: [...e.size],
        scalarType: e.scalarType,
      })),
    };
  },
  fromJSON(json, path) {
    const list = asArray(asObject(json, path).images, `${path}.images`);
    return {
      images: list.map((item, i): ImageMetaElement => {
        const p = `${path}.images[${i}]`;
        const o = asObject(item, p);
        // timestampSeconds / timestampFraction are derived from timestampRaw and ignored.
        const raw = asBigInt(o.timestampRaw ?? '0', `${p}.timestampRaw`);
        if (raw < 0n || raw > MAX_U64) throw new InvalidJsonMessageError(`${p}.timestampRaw`, `${raw} is not a uint64`);
        return {
          name: asString(o.name ?? '', `${p}.name`),
          deviceName: asString(o.deviceName ?? '', `${p}.deviceName`),
          modality: asString(o.modality ?? '', `${p}.modality`),
          patientName: asString(o.patientName ?? '', `${p}.patientName`),
          patientId: asString(o.patientId ?? '', `${p}.patientId`),
          timestamp: Timestamp.fromRaw(raw),
          size: asU16x3(o.size, `${p}.size`),
          scalarType: asInt(o.scalarType, `${p}.scalarType`, 0, 255),
        };
      }),
    };
  },
};
