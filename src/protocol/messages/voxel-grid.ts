// The voxel grid block IMAGE (content offset 6) and VIDEO (offset 10) share, 66 bytes: size
// uint16[3], the axis+origin matrix (12 float32), sub-volume offset and size uint16[3]
// (OpenIGTLink Documents/Protocol/image.md, video.md).
import type { JsonObject } from '../json-types.js';
import { checkMatrix, checkU16x3 } from './encode-checks.js';
import { asMatrix, asU16x3, matrixToJSON } from './json-fields.js';
import { readMatrix, readU16x3, writeMatrix, writeU16x3, type Matrix4, type Vec3 } from './vectors.js';

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
