// NDARRAY: an N-dimensional array (spec messages.md §14).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of an NDARRAY message. */
export interface NdArrayContent {
  /** Scalar type code (IMAGE codes plus 13 = complex). */
  readonly scalarType: number;
  /** Size of each dimension (DIM = size.length). */
  readonly size: readonly number[];
  /** Elements in C order, big-endian, exactly as on the wire (a view). See `ndarrayValues`. */
  readonly data: Uint8Array;
}

/** Codec of NDARRAY. */
export const ndArrayCodec: ContentCodec<'NDARRAY', NdArrayContent> = stubCodec('NDARRAY');
