// POLYDATA: a polygonal mesh (spec messages.md §15).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** One attribute (point or cell data) of a POLYDATA message. */
export interface PolyDataAttribute {
  /** 0x00 point scalars, 0x01 vectors, 0x02 normals, 0x03 tensors, 0x04 RGBA, 0x05 texture coords; 0x10-0x15 the same for cells. */
  readonly type: number;
  /** Components per tuple, as on the wire (the C library writes 9 for some types; spec §15). */
  readonly ncomponents: number;
  /** Number of tuples. */
  readonly n: number;
  readonly name: string;
  /** ncomponents x n float32, tuple-major. */
  readonly data: Float32Array;
}

/** Content of a POLYDATA message. */
export interface PolyDataContent {
  /** x, y, z of each point, flat (3 x npoints float32). */
  readonly points: Float32Array;
  /** Vertex cells: each an array of point indices. */
  readonly vertices: readonly (readonly number[])[];
  readonly lines: readonly (readonly number[])[];
  readonly polygons: readonly (readonly number[])[];
  readonly triangleStrips: readonly (readonly number[])[];
  readonly attributes: readonly PolyDataAttribute[];
}

/** Codec of POLYDATA. */
export const polyDataCodec: ContentCodec<'POLYDATA', PolyDataContent> = stubCodec('POLYDATA');
