// Vectors and matrices: their types and their big-endian wire layouts (float32 triples, uint16
// triples, the 3x4 matrix of TRANSFORM, TDATA and the IMAGE/VIDEO axis+origin block).

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
