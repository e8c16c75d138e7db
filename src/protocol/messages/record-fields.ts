// The field kinds of fixed-size records (the elements of POINT, TRAJ, TDATA, QTDATA, IMGMETA,
// LBMETA, VIDEOMETA and the entries of CAPABILITY): for each, its size on the wire, how it is
// read, checked and written, and its canonical JSON form. A record is a table of these
// (record-list.ts); the tables live next to the spec layout in each type's file.
import { EncodeError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { readFixedString, writeFixedString } from '../text.js';
import { checkFixedString, checkInt, checkMatrix, checkRgba, checkTuple, checkU16x3 } from './encode-checks.js';
import { asInt, asMatrix, asNumber, asRgba, asString, asU16x3, asVec3, asVec4, matrixToJSON, num, nums } from './json-fields.js';
import { readMatrix, readU16x3, readVec3, writeMatrix, writeU16x3, writeVec3, type Matrix4, type Vec3, type Vec4 } from './vectors.js';

/** One kind of field of a fixed-size record. */
export interface FieldKind<V> {
  /** Bytes on the wire. */
  readonly size: number;
  /** Reads the field at `at` (bounds are the record reader's business). */
  read(bytes: Uint8Array, view: DataView, at: number): V;
  /** Throws an EncodeError naming `path` unless `v` can be written. */
  check(type: string, path: string, v: V): void;
  /** Writes the field at `at`; `type` and `field` name it in an EncodeError. */
  write(bytes: Uint8Array, view: DataView, at: number, v: V, type: string, field: string): void;
  /** The canonical JSON form. */
  toJSON(v: V): JsonValue;
  /** From the canonical JSON form; throws an InvalidJsonMessageError naming `path`. */
  fromJSON(v: JsonValue | undefined, path: string): V;
  /** For a field held under several JSON keys (IMGMETA's timestamp): writes them into the record's object. */
  writeJSON?(out: JsonObject, key: string, v: V): void;
  /** With {@link writeJSON}: reads the field from the record's object. */
  readJSON?(o: JsonObject, key: string, path: string): V;
}

/** `char[size]`: text, NUL-padded, no NUL when full (see readFixedString). */
export function fixedString(size: number): FieldKind<string> {
  return {
    size,
    read: (bytes, _view, at) => readFixedString(bytes, at, size),
    check: (type, path, v) => checkFixedString(type, path, v, size),
    write: (bytes, _view, at, v, type, field) => writeFixedString(bytes, at, size, v, type, field),
    toJSON: (v) => v,
    fromJSON: asString,
  };
}

function integer(size: number, min: number, max: number, read: FieldKind<number>['read'], write: FieldKind<number>['write']): FieldKind<number> {
  return {
    size,
    read,
    check: (type, path, v) => checkInt(type, path, v, min, max),
    write,
    toJSON: (v) => v,
    fromJSON: (v, path) => asInt(v, path, min, max),
  };
}

/** uint8. */
export const u8 = integer(1, 0, 0xff, (bytes, _view, at) => bytes[at]!, (bytes, _view, at, v) => { bytes[at] = v; });
/** int8. */
export const i8 = integer(1, -0x80, 0x7f, (_bytes, view, at) => view.getInt8(at), (_bytes, view, at, v) => view.setInt8(at, v));
/** int16. */
export const i16 = integer(2, -0x8000, 0x7fff, (_bytes, view, at) => view.getInt16(at), (_bytes, view, at, v) => view.setInt16(at, v));

function checkNumber(type: string, path: string, v: number): void {
  if (typeof v !== 'number') throw new EncodeError(type, `${path} must be a number`);
}

function float(size: number, read: FieldKind<number>['read'], write: FieldKind<number>['write']): FieldKind<number> {
  return { size, read, check: checkNumber, write, toJSON: num, fromJSON: asNumber };
}

/** float32. */
export const f32 = float(4, (_bytes, view, at) => view.getFloat32(at), (_bytes, view, at, v) => view.setFloat32(at, v));
/** float64. */
export const f64 = float(8, (_bytes, view, at) => view.getFloat64(at), (_bytes, view, at, v) => view.setFloat64(at, v));

/** float32[3]: a position or a direction. */
export const f32x3: FieldKind<Vec3> = {
  size: 12,
  read: (_bytes, view, at) => readVec3(view, at),
  check: (type, path, v) => checkTuple(type, path, v, 3),
  write: (_bytes, view, at, v) => writeVec3(view, at, v),
  toJSON: nums,
  fromJSON: asVec3,
};

/** float32[4]: a quaternion qx, qy, qz, w. */
export const f32x4: FieldKind<Vec4> = {
  size: 16,
  read: (_bytes, view, at) => [view.getFloat32(at), view.getFloat32(at + 4), view.getFloat32(at + 8), view.getFloat32(at + 12)],
  check: (type, path, v) => checkTuple(type, path, v, 4),
  write(_bytes, view, at, v) {
    view.setFloat32(at, v[0]);
    view.setFloat32(at + 4, v[1]);
    view.setFloat32(at + 8, v[2]);
    view.setFloat32(at + 12, v[3]);
  },
  toJSON: nums,
  fromJSON: asVec4,
};

/** uint16[3]: a size or an index triple. */
export const u16x3: FieldKind<Vec3> = {
  size: 6,
  read: (_bytes, view, at) => readU16x3(view, at),
  check: checkU16x3,
  write: (_bytes, view, at, v) => writeU16x3(view, at, v),
  toJSON: (v) => [v[0], v[1], v[2]],
  fromJSON: asU16x3,
};

/** uint8[4]: a colour r, g, b, a. */
export const rgba: FieldKind<Vec4> = {
  size: 4,
  read: (bytes, _view, at) => [bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!],
  check: checkRgba,
  write(bytes, _view, at, v) {
    bytes[at] = v[0];
    bytes[at + 1] = v[1];
    bytes[at + 2] = v[2];
    bytes[at + 3] = v[3];
  },
  toJSON: (v) => [v[0], v[1], v[2], v[3]],
  fromJSON: asRgba,
};

/** float32[12]: the upper 3x4 of a row-major 4x4, column by column (TRANSFORM order); JSON: four rows. */
export const matrix: FieldKind<Matrix4> = {
  size: 48,
  read: (_bytes, view, at) => readMatrix(view, at),
  check: checkMatrix,
  write: (_bytes, view, at, v) => writeMatrix(view, at, v),
  toJSON: matrixToJSON,
  fromJSON: asMatrix,
};
