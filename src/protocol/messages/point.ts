// POINT: a list of 136-byte points (spec messages.md §6).
import type { ContentCodec } from '../codec.js';
import type { Vec3, Vec4 } from './common.js';
import { stubCodec } from './_stub.js';

/** One point of a POINT message. */
export interface PointElement {
  /** At most 64 bytes (63 for C++ receivers). */
  readonly name: string;
  /** "Labeled Point", "Landmark", "Fiducial", ...; at most 32 bytes. */
  readonly group: string;
  /** Colour, 0-255 each. */
  readonly rgba: Vec4;
  /** x, y, z in mm. */
  readonly position: Vec3;
  /** Radius in mm (the spec calls it DIAMETER; the library and Slicer treat it as a radius). */
  readonly radius: number;
  /** Device name of the owner image; at most 20 bytes. */
  readonly owner: string;
}

/** Content of a POINT message. */
export interface PointContent {
  readonly points: readonly PointElement[];
}

/** Codec of POINT. */
export const pointCodec: ContentCodec<'POINT', PointContent> = stubCodec('POINT');
