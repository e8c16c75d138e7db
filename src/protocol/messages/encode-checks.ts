// Checks of content fields before encoding: each throws an EncodeError naming the field.
import { EncodeError } from '../errors.js';
import { fixedStringLength } from '../text.js';
import type { Matrix4, Vec3, Vec4 } from './vectors.js';

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
