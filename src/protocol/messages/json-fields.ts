// Canonical JSON form of content fields: numbers that JSON cannot hold (NaN, +-Infinity) are
// written as those strings; -0 stays a number and is written as `-0` by the project's serializer
// (json.ts). The readers throw an InvalidJsonMessageError naming the field's path.
import { InvalidJsonMessageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { fromBase64, toBase64 } from '../base64.js';
import type { Matrix4 } from './vectors.js';

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
