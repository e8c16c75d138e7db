// TRANSFORM: a 4x4 homogeneous transform (OpenIGTLink Documents/Protocol/transform.md). 48 bytes: the upper 3x4 part as
// 12 float32, column by column (R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ).
import type { ContentCodec } from '../codec.js';
import { expectLength } from './content-length.js';
import { checkMatrix } from './encode-checks.js';
import { asMatrix, asObject, matrixToJSON } from './json-fields.js';
import { readMatrix, writeMatrix, type Matrix4 } from './vectors.js';

const CONTENT_SIZE = 48;

/** Content of a TRANSFORM message. */
export interface TransformContent {
  /** Row-major 4x4 (`matrix[row * 4 + col]`); translation in mm at indices 3, 7, 11. */
  readonly matrix: Matrix4;
}

/** Codec of TRANSFORM. */
export const transformCodec: ContentCodec<'TRANSFORM', TransformContent> = {
  type: 'TRANSFORM',
  decode(_bytes, view, offset, length) {
    expectLength('TRANSFORM', length, CONTENT_SIZE);
    return { matrix: readMatrix(view, offset) };
  },
  size(content) {
    checkMatrix('TRANSFORM', 'matrix', content.matrix);
    return CONTENT_SIZE;
  },
  encode(content, _bytes, view, offset) {
    writeMatrix(view, offset, content.matrix);
  },
  toJSON(content) {
    return { matrix: matrixToJSON(content.matrix) };
  },
  fromJSON(json, path) {
    return { matrix: asMatrix(asObject(json, path).matrix, `${path}.matrix`) };
  },
};
