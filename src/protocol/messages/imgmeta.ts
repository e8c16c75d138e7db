// IMGMETA: image meta data, a list of 260-byte elements (OpenIGTLink Documents/Protocol/imagemeta.md).
//
//   Offset  Type        Field
//   0       char[64]    NAME_1          description
//   64      char[20]    ID_1            device name to use in GET_IMAGE / GET_COLORT
//   84      char[32]    MODALITY_1
//   116     char[64]    PATIENT_NAME_1
//   180     char[64]    PATIENT_ID_1
//   244     uint64      TIMESTAMP_1     scan time: seconds (uint32) then fraction (uint32)
//   252     uint16[3]   SIZE_1
//   258     uint8       SCALAR_TYPE_1
//   259     uint8       -               reserved, written 0
//   260 ... element 2 ...
import type { ContentCodec } from '../codec.js';
import { EncodeError, InvalidJsonMessageError } from '../errors.js';
import { Timestamp } from '../timestamp.js';
import { checkInt } from './encode-checks.js';
import { asBigInt } from './json-fields.js';
import { fixedString, u16x3, u8, type FieldKind } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Vec3 } from './vectors.js';

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

const MAX_U64 = (1n << 64n) - 1n;

/**
 * The scan time: a Timestamp; in JSON `<key>Raw` (the uint64 as a decimal string, 0 when
 * missing) and, derived from it and ignored on the way back, `<key>Seconds` and `<key>Fraction`.
 */
const scanTime: FieldKind<Timestamp> = {
  size: 8,
  read: (_bytes, view, at) => new Timestamp(view.getUint32(at), view.getUint32(at + 4)),
  check(type, path, v) {
    if (!(v instanceof Timestamp)) throw new EncodeError(type, `${path} must be a Timestamp`);
    checkInt(type, `${path}.seconds`, v.seconds, 0, 0xffffffff);
    checkInt(type, `${path}.fraction`, v.fraction, 0, 0xffffffff);
  },
  write(_bytes, view, at, v) {
    view.setUint32(at, v.seconds);
    view.setUint32(at + 4, v.fraction);
  },
  toJSON: (v) => v.toRaw().toString(),
  fromJSON(v, path) {
    const raw = asBigInt(v ?? '0', path);
    if (raw < 0n || raw > MAX_U64) throw new InvalidJsonMessageError(path, `${raw} is not a uint64`);
    return Timestamp.fromRaw(raw);
  },
  writeJSON(out, key, v) {
    out[`${key}Raw`] = scanTime.toJSON(v);
    out[`${key}Seconds`] = v.seconds;
    out[`${key}Fraction`] = v.fraction;
  },
  readJSON: (o, key, path) => scanTime.fromJSON(o[`${key}Raw`], `${path}.${key}Raw`),
};

// Missing text in JSON is empty text.
const image = record<ImageMetaElement>([
  { name: 'name', kind: fixedString(64), jsonDefault: '' },
  { name: 'deviceName', kind: fixedString(20), jsonDefault: '' },
  { name: 'modality', kind: fixedString(32), jsonDefault: '' },
  { name: 'patientName', kind: fixedString(64), jsonDefault: '' },
  { name: 'patientId', kind: fixedString(64), jsonDefault: '' },
  { name: 'timestamp', kind: scanTime },
  { name: 'size', kind: u16x3 },
  { name: 'scalarType', kind: u8 },
  pad(1),
]);

/**
 * Codec of IMGMETA. The content is a whole number of 260-byte elements (none is valid). The
 * C++ receiver counts elements from BODY_SIZE in v3 framing (imagemeta.md); we count from the
 * content, so large metadata never produces a bogus extra element here.
 */
export const imageMetaCodec: ContentCodec<'IMGMETA', ImageMetaContent> = recordListCodec('IMGMETA', 'images', image);
