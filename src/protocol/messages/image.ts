// IMAGE: 72-byte image header + pixel data (spec messages.md §3).
import type { ContentCodec } from '../codec.js';
import type { Matrix4, Vec3 } from './common.js';
import { stubCodec } from './_stub.js';

/** Content of an IMAGE message. */
export interface ImageContent {
  /** Components per voxel (1 = scalar, 3 = RGB or vector, ...). */
  readonly numComponents: number;
  /** Scalar type code (see `ScalarType`): 2 int8 ... 11 float64. */
  readonly scalarType: number;
  /** Byte order of `data` (1 big, 2 little): pixels are never swapped on the wire. */
  readonly endian: number;
  /** 1 = RAS, 2 = LPS. */
  readonly coordinate: number;
  /** Full image size in voxels (i, j, k). */
  readonly size: Vec3;
  /**
   * Row-major 4x4: columns 0-2 are the i, j, k axes scaled by their spacing (TX..TZ, SX..SZ,
   * NX..NZ on the wire), column 3 the position P (PX..PZ), bottom row 0 0 0 1.
   */
  readonly matrix: Matrix4;
  /** Sub-volume start index (0,0,0 for a full image). */
  readonly subvolumeOffset: Vec3;
  /** Sub-volume size (= size for a full image). */
  readonly subvolumeSize: Vec3;
  /** Pixel bytes of the sub-volume exactly as on the wire: a view on the received bytes, not a copy. */
  readonly data: Uint8Array;
}

/** Codec of IMAGE. */
export const imageCodec: ContentCodec<'IMAGE', ImageContent> = stubCodec('IMAGE');
