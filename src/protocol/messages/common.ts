// Shared building blocks of the message codecs: matrix layout, scalar types, field checks, text,
// JSON field readers.
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { fromBase64, toBase64 } from '../base64.js';
import { encodeText, fixedStringLength, tryEncodeText } from '../text.js';

/** Three numbers (a position, a size, an index triple). */
export type Vec3 = readonly [number, number, number];
/** Four numbers (a quaternion x, y, z, w; or r, g, b, a). */
export type Vec4 = readonly [number, number, number, number];
/**
 * A 4x4 homogeneous matrix as 16 numbers in row-major order (`m[row * 4 + col]`). OpenIGTLink
 * sends only the upper 3x4 part (column by column); the bottom row is always 0 0 0 1 on receive
 * and is not sent.
 */
export type Matrix4 = readonly number[];
/** The content of messages that have none (GET_*, STP_*, most STT_*). */
export type EmptyContent = Record<string, never>;

/** Scalar type codes shared by IMAGE, IMGMETA, VIDEOMETA and NDARRAY (OpenIGTLink Documents/Protocol/image.md). */
export const ScalarType = {
  INT8: 2,
  UINT8: 3,
  INT16: 4,
  UINT16: 5,
  INT32: 6,
  UINT32: 7,
  FLOAT32: 10,
  FLOAT64: 11,
  /** Two float64 (real, imaginary); NDARRAY only. */
  COMPLEX: 13,
} as const;
/** One of the {@link ScalarType} codes. */
export type ScalarTypeCode = (typeof ScalarType)[keyof typeof ScalarType];

/** Bytes per scalar for each scalar type code (undefined for unknown codes). */
export function scalarSize(code: number): number | undefined {
  switch (code) {
    case 2: case 3: return 1;
    case 4: case 5: return 2;
    case 6: case 7: case 10: return 4;
    case 11: return 8;
    case 13: return 16;
    default: return undefined;
  }
}

/** Byte order codes of IMAGE and VIDEO pixel data. */
export const Endian = { BIG: 1, LITTLE: 2 } as const;
/** Coordinate system codes of IMAGE and VIDEO. */
export const Coordinate = { RAS: 1, LPS: 2 } as const;

/**
 * Reads 12 float32 stored column by column (R11 R21 R31 R12 ... TX TY TZ: TRANSFORM, TDATA,
 * and the IMAGE/VIDEO axis+origin block) into a row-major 4x4 with bottom row 0 0 0 1.
 */
export function readMatrix(view: DataView, offset: number): number[] {
  return [
    view.getFloat32(offset), view.getFloat32(offset + 12), view.getFloat32(offset + 24), view.getFloat32(offset + 36),
    view.getFloat32(offset + 4), view.getFloat32(offset + 16), view.getFloat32(offset + 28), view.getFloat32(offset + 40),
    view.getFloat32(offset + 8), view.getFloat32(offset + 20), view.getFloat32(offset + 32), view.getFloat32(offset + 44),
    0, 0, 0, 1,
  ];
}

/** Writes the upper 3x4 of a row-major 4x4 as 12 float32, column by column (48 bytes). */
export function writeMatrix(view: DataView, offset: number, m: Matrix4): void {
  // Unrolled: twelve stores, no index arithmetic (TRANSFORM and TDATA encode this per message).
  view.setFloat32(offset, m[0]!);
  view.setFloat32(offset + 4, m[4]!);
  view.setFloat32(offset + 8, m[8]!);
  view.setFloat32(offset + 12, m[1]!);
  view.setFloat32(offset + 16, m[5]!);
  view.setFloat32(offset + 20, m[9]!);
  view.setFloat32(offset + 24, m[2]!);
  view.setFloat32(offset + 28, m[6]!);
  view.setFloat32(offset + 32, m[10]!);
  view.setFloat32(offset + 36, m[3]!);
  view.setFloat32(offset + 40, m[7]!);
  view.setFloat32(offset + 44, m[11]!);
}

/** Throws an EncodeError unless `m` has 16 numbers. */
export function checkMatrix(type: string, field: string, m: Matrix4 | undefined): void {
  if (!m || m.length !== 16) throw new EncodeError(type, `${field} must have 16 numbers (row-major 4x4), got ${m?.length}`);
}

/** Throws an EncodeError unless `v` is an array of `n` numbers. */
export function checkTuple(type: string, field: string, v: readonly number[] | undefined, n: number): void {
  if (!v || v.length !== n) throw new EncodeError(type, `${field} must have ${n} numbers, got ${v?.length}`);
}

/** Throws an EncodeError unless `v` is an integer in [min, max]. */
export function checkInt(type: string, field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new EncodeError(type, `${field} must be an integer in ${min}..${max}, got ${v}`);
}

/** Throws an EncodeError unless `text` fits a `char[size]` field (UTF-8 bytes; a full field needs no NUL). */
export function checkFixedString(type: string, field: string, text: string, size: number): void {
  const n = fixedStringLength(text);
  if (n > size) throw new EncodeError(type, `${field} "${text}" is ${n} bytes, the field holds ${size}`);
}

function checkInts(type: string, field: string, v: readonly number[], n: number, max: number): void {
  checkTuple(type, field, v, n);
  for (let i = 0; i < n; i++) checkInt(type, `${field}[${i}]`, v[i]!, 0, max);
}

/** Throws an EncodeError unless `v` is three integers in 0..65535 (a size or index triple). */
export function checkU16x3(type: string, field: string, v: Vec3): void {
  checkInts(type, field, v, 3, 0xffff);
}

/** Throws an EncodeError unless `v` is four integers in 0..255 (a colour r, g, b, a). */
export function checkRgba(type: string, field: string, v: Vec4): void {
  checkInts(type, field, v, 4, 255);
}

/** Throws a MalformedMessageError unless `length` is exactly `expected`. */
export function expectLength(type: string, length: number, expected: number): void {
  if (length !== expected) throw new MalformedMessageError(type, `content is ${length} bytes, expected ${expected}`);
}

/** Throws a MalformedMessageError unless `length` is a whole number of `element`-byte elements. */
export function expectElements(type: string, length: number, element: number): number {
  if (length % element !== 0) throw new MalformedMessageError(type, `content is ${length} bytes, not a multiple of the ${element}-byte element`);
  return length / element;
}

/** Reads three uint16. */
export function readU16x3(view: DataView, offset: number): [number, number, number] {
  return [view.getUint16(offset), view.getUint16(offset + 2), view.getUint16(offset + 4)];
}

/** Writes three uint16. */
export function writeU16x3(view: DataView, offset: number, v: Vec3): void {
  view.setUint16(offset, v[0]);
  view.setUint16(offset + 2, v[1]);
  view.setUint16(offset + 4, v[2]);
}

/** Reads three float32 (a position or a direction). */
export function readVec3(view: DataView, offset: number): [number, number, number] {
  return [view.getFloat32(offset), view.getFloat32(offset + 4), view.getFloat32(offset + 8)];
}

/** Writes three float32. */
export function writeVec3(view: DataView, offset: number, v: Vec3): void {
  view.setFloat32(offset, v[0]);
  view.setFloat32(offset + 4, v[1]);
  view.setFloat32(offset + 8, v[2]);
}

/** Reads `n` float32. */
export function readF32s(view: DataView, offset: number, n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + i * 4);
  return out;
}

/** Writes float32 values. */
export function writeF32s(view: DataView, offset: number, v: readonly number[]): void {
  for (let i = 0; i < v.length; i++) view.setFloat32(offset + i * 4, v[i]!);
}

// ---------------------------------------------------------------------------------------------
// Variable-length text (STATUS, STRING, COMMAND). ASCII text in US-ASCII (3), ISO-8859-1 (4) or
// UTF-8 (106), the common case, is counted from the string and written straight into the output:
// those encodings all write a character below U+0080 as the one byte of its code. Other text is
// encoded to a byte array first (`encodeText`), as is `raw` text, which is written as it is.

// Texts longer than this are scanned and copied by TextEncoder, which is several times faster
// per character than a loop (and ten times faster than a regular expression) but costs more to call.
const SHORT_TEXT = 32;
const asciiEncoder = new TextEncoder();
// Where asciiLength() encodes a long text to measure it (the bytes are never read); 64 KiB holds
// any STRING. Longer texts are checked with a regular expression.
const SCRATCH_SIZE = 0x10000;
let scratch: Uint8Array | undefined;
const NON_ASCII = /[^\x00-\x7f]/;

function asciiCompatible(encoding: number, raw: Uint8Array | undefined): boolean {
  return !raw && (encoding === 3 || encoding === 4 || encoding === 106);
}

/** The length of `text` when every character is below U+0080, otherwise -1. */
function asciiLength(text: string): number {
  const n = text.length;
  if (n <= SHORT_TEXT) {
    for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return -1;
    return n;
  }
  if (n > SCRATCH_SIZE) return NON_ASCII.test(text) ? -1 : n;
  scratch ??= new Uint8Array(SCRATCH_SIZE);
  // Each character below U+0080 is one UTF-8 byte and any other more than one.
  const { read, written } = asciiEncoder.encodeInto(text, scratch);
  return read === n && written === n ? n : -1;
}

/** Writes `text` one byte per character and returns its length, or returns -1 (some bytes written) if it is not ASCII. */
function writeAscii(bytes: Uint8Array, offset: number, text: string): number {
  const n = text.length;
  if (n > SHORT_TEXT) {
    // A destination of exactly n bytes is full before the end of the text as soon as one
    // character takes more than one UTF-8 byte, so then `read < n`.
    return asciiEncoder.encodeInto(text, bytes.subarray(offset, offset + n)).read === n ? n : -1;
  }
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    bytes[offset + i] = c;
  }
  return n;
}

/** Bytes `text` takes in `encoding` (or `raw`'s length), without encoding ASCII text; EncodeError as `encodeText`. */
export function encodedTextLength(text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string): number {
  const n = asciiCompatible(encoding, raw) ? asciiLength(text) : -1;
  return n >= 0 ? n : encodeText(text, encoding, raw, type, field).length;
}

/** Writes `text` in `encoding` (or `raw`) at `offset` and returns the bytes written; EncodeError as `encodeText`. */
export function writeEncodedText(
  bytes: Uint8Array, offset: number, text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string,
): number {
  const n = asciiCompatible(encoding, raw) ? writeAscii(bytes, offset, text) : -1;
  if (n >= 0) return n;
  const encoded = encodeText(text, encoding, raw, type, field);
  bytes.set(encoded, offset);
  return encoded.length;
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON helpers. Numbers that JSON cannot hold (NaN, +-Infinity) are written as those
// strings; -0 stays a number and is written as `-0` by the project's serializer (json.ts).

/** A number for the canonical JSON form. */
export function num(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

/** Numbers for the canonical JSON form. */
export function nums(v: ArrayLike<number>): (number | string)[] {
  const out = new Array<number | string>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = num(v[i]!);
  return out;
}

/** A row-major 4x4 as four rows (the manifest's "4x4"). */
export function matrixToJSON(m: Matrix4): (number | string)[][] {
  return [nums(m.slice(0, 4)), nums(m.slice(4, 8)), nums(m.slice(8, 12)), nums(m.slice(12, 16))];
}

function fail(path: string, detail: string): never {
  throw new InvalidJsonMessageError(path, detail);
}

/** `json` as an object, or an InvalidJsonMessageError. */
export function asObject(json: JsonValue | undefined, path: string): JsonObject {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(path, 'expected an object');
  return json;
}

/** A JSON number (or "NaN"/"Infinity"/"-Infinity") as a number. */
export function asNumber(v: JsonValue | undefined, path: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return fail(path, `expected a number, got ${JSON.stringify(v)}`);
}

/** An integer field in [min, max]. */
export function asInt(v: JsonValue | undefined, path: string, min = 0, max = 0xffffffff): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A string field. */
export function asString(v: JsonValue | undefined, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** An array field. */
export function asArray(v: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

/** An array of `n` numbers (any length when `n` is undefined). */
export function asNumbers(v: JsonValue | undefined, path: string, n?: number): number[] {
  const a = asArray(v, path);
  if (n !== undefined && a.length !== n) fail(path, `expected ${n} numbers, got ${a.length}`);
  return a.map((x, i) => asNumber(x, `${path}[${i}]`));
}

/** Three numbers. */
export function asVec3(v: JsonValue | undefined, path: string): [number, number, number] {
  return asNumbers(v, path, 3) as [number, number, number];
}

/** Four numbers. */
export function asVec4(v: JsonValue | undefined, path: string): [number, number, number, number] {
  return asNumbers(v, path, 4) as [number, number, number, number];
}

/** Three integers in 0..65535 (a size or index triple). */
export function asU16x3(v: JsonValue | undefined, path: string): [number, number, number] {
  const a = asArray(v, path);
  if (a.length !== 3) fail(path, `expected 3 integers, got ${a.length}`);
  return [asInt(a[0], `${path}[0]`, 0, 0xffff), asInt(a[1], `${path}[1]`, 0, 0xffff), asInt(a[2], `${path}[2]`, 0, 0xffff)];
}

/** Four integers in 0..255 (a colour r, g, b, a). */
export function asRgba(v: JsonValue | undefined, path: string): [number, number, number, number] {
  const a = asArray(v, path);
  if (a.length !== 4) fail(path, `expected 4 integers (r, g, b, a), got ${a.length}`);
  return [asInt(a[0], `${path}[0]`, 0, 255), asInt(a[1], `${path}[1]`, 0, 255), asInt(a[2], `${path}[2]`, 0, 255), asInt(a[3], `${path}[3]`, 0, 255)];
}

/** A 64-bit integer given as a decimal string (or a safe integer number). */
export function asBigInt(v: JsonValue | undefined, path: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return fail(path, `expected a decimal integer string, got ${JSON.stringify(v)}`);
}

/** A 4x4 given as four rows of four numbers, as a row-major flat matrix. */
export function asMatrix(v: JsonValue | undefined, path: string): number[] {
  const rows = asArray(v, path);
  if (rows.length !== 4) fail(path, `expected 4 rows, got ${rows.length}`);
  const m: number[] = [];
  rows.forEach((row, r) => m.push(...asNumbers(row, `${path}[${r}]`, 4)));
  return m;
}

/** Bytes given as `<name>Base64`. */
export function asBytes(json: JsonObject, name: string, path: string): Uint8Array {
  const key = `${name}Base64`;
  const bytes = fromBase64(asString(json[key], `${path}.${key}`));
  if (!bytes) fail(`${path}.${key}`, 'not valid base64');
  return bytes;
}

/** Bytes as base64 text for the canonical JSON form. */
export function bytesToJSON(bytes: Uint8Array): string {
  return toBase64(bytes);
}

// ---------------------------------------------------------------------------------------------
// The voxel grid block IMAGE (content offset 6) and VIDEO (offset 10) share, 66 bytes: size
// uint16[3], the axis+origin matrix (12 float32), sub-volume offset and size uint16[3]
// (OpenIGTLink Documents/Protocol/image.md, video.md).

/** The voxel grid fields of IMAGE and VIDEO. */
export interface VoxelGrid {
  readonly size: Vec3;
  readonly matrix: Matrix4;
  readonly subvolumeOffset: Vec3;
  readonly subvolumeSize: Vec3;
}

const GRID_MATRIX = 6;
const GRID_SUBVOLUME_OFFSET = 54;
const GRID_SUBVOLUME_SIZE = 60;

/** Reads the voxel grid block at `at`. */
export function readGrid(view: DataView, at: number): VoxelGrid {
  return {
    size: readU16x3(view, at),
    matrix: readMatrix(view, at + GRID_MATRIX),
    subvolumeOffset: readU16x3(view, at + GRID_SUBVOLUME_OFFSET),
    subvolumeSize: readU16x3(view, at + GRID_SUBVOLUME_SIZE),
  };
}

/** Writes the voxel grid block at `at`. */
export function writeGrid(view: DataView, at: number, g: VoxelGrid): void {
  writeU16x3(view, at, g.size);
  writeMatrix(view, at + GRID_MATRIX, g.matrix);
  writeU16x3(view, at + GRID_SUBVOLUME_OFFSET, g.subvolumeOffset);
  writeU16x3(view, at + GRID_SUBVOLUME_SIZE, g.subvolumeSize);
}

/** Throws an EncodeError unless the grid fields can be written. */
export function checkGrid(type: string, g: VoxelGrid): void {
  checkU16x3(type, 'size', g.size);
  checkMatrix(type, 'matrix', g.matrix);
  checkU16x3(type, 'subvolumeOffset', g.subvolumeOffset);
  checkU16x3(type, 'subvolumeSize', g.subvolumeSize);
}

/** The grid fields in the canonical JSON form. */
export function gridToJSON(g: VoxelGrid): JsonObject {
  return { size: [...g.size], matrix: matrixToJSON(g.matrix), subvolumeOffset: [...g.subvolumeOffset], subvolumeSize: [...g.subvolumeSize] };
}

/** The grid fields from JSON; the sub-volume defaults to the whole grid. */
export function gridFromJSON(o: JsonObject, path: string): VoxelGrid {
  const size = asU16x3(o.size, `${path}.size`);
  return {
    size,
    matrix: asMatrix(o.matrix, `${path}.matrix`),
    subvolumeOffset: o.subvolumeOffset === undefined ? [0, 0, 0] : asU16x3(o.subvolumeOffset, `${path}.subvolumeOffset`),
    subvolumeSize: o.subvolumeSize === undefined ? size : asU16x3(o.subvolumeSize, `${path}.subvolumeSize`),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoded text in the canonical JSON form (STRING `value`, COMMAND `command`): the derived byte
// `length`, the text, and `<field>Base64` when the received bytes are kept because the text would
// not re-encode to them (see decodeText).

/** `length` (bytes on the wire; left out when the text cannot be written at all), the text, and `<field>Base64` for kept bytes. */
export function textToJSON(field: string, text: string, encoding: number, raw: Uint8Array | undefined): JsonObject {
  const json: JsonObject = {};
  const length = raw?.length ?? tryEncodeText(text, encoding)?.length;
  if (length !== undefined) json.length = length;
  json[field] = text;
  if (raw) json[`${field}Base64`] = bytesToJSON(raw);
  return json;
}

/** The kept bytes of encoded text (`<field>Base64`), or undefined when there are none. */
export function rawTextFromJSON(json: JsonObject, field: string, path: string): Uint8Array | undefined {
  return json[`${field}Base64`] === undefined ? undefined : asBytes(json, field, path);
}
