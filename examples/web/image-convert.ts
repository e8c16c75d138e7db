// IMAGE pixels to RGBA for a canvas or a texture, through a window/level: every scalar type
// (int8 ... float64, either byte order), one component (grey), three (RGB) or four (RGBA).
import { imagePixels, type ImageContent, type ScalarArray } from '../../src/index.js';

/** A window (width of the displayed range) and level (its centre), in pixel values. */
export interface WindowLevel {
  readonly window: number;
  readonly level: number;
}

/** One 2D slice of an IMAGE as RGBA, with what the page needs to show and probe it. */
export interface ImageSlice {
  readonly width: number;
  readonly height: number;
  /** The slice shown (the middle one of a volume). */
  readonly k: number;
  readonly components: number;
  /** The scalars of the whole (sub-)volume in host byte order. */
  readonly scalars: ScalarArray;
  /** Offset of the slice's first scalar in `scalars`. */
  readonly sliceOffset: number;
  /** Smallest and largest scalar of the slice. */
  readonly min: number;
  readonly max: number;
  /** The window/level used. */
  readonly wl: WindowLevel;
  /** RGBA, row j = 0 first; opaque, except for 4-component images whose 4th component is alpha. */
  readonly rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** Scalar type names (IMAGE header code -> name). */
export const SCALAR_NAMES: Readonly<Record<number, string>> = {
  2: 'int8', 3: 'uint8', 4: 'int16', 5: 'uint16', 6: 'int32', 7: 'uint32', 10: 'float32', 11: 'float64',
};

/** The display value (0-255) of a scalar: `(v - (level - window / 2)) * 255 / window`, clamped. */
export function windowed(v: number, wl: WindowLevel): number {
  const lo = wl.level - wl.window / 2;
  const out = ((v - lo) * 255) / (wl.window > 0 ? wl.window : 1);
  return out < 0 ? 0 : out > 255 ? 255 : out;
}

/** Min and max of `n` scalars of `a` from `offset`, `stride` apart (only component 0 for grey). */
function range(a: ScalarArray, offset: number, n: number, stride: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0, at = offset; i < n; i++, at += stride) {
    const v = a[at]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Converts the middle slice of an IMAGE to RGBA. `fixed` is a window/level to use; without one
 * the slice's own range is used (auto). `reuse` is an RGBA buffer of the right size to fill
 * (saves an allocation per frame).
 */
export function convertImage(content: ImageContent, fixed: WindowLevel | undefined, reuse?: Uint8ClampedArray<ArrayBuffer>): ImageSlice {
  const [width, height, depth] = content.subvolumeSize;
  const scalars = imagePixels(content);
  const components = Math.max(1, content.numComponents);
  const k = Math.floor((depth - 1) / 2);
  const pixels = width * height;
  const sliceOffset = k * pixels * components;
  const colour = components === 3 || components === 4;
  // Grey: component 0; colour: the range over all colour components.
  let [min, max] = range(scalars, sliceOffset, colour ? pixels * components : pixels, colour ? 1 : components);
  if (!Number.isFinite(min)) [min, max] = [0, 0];
  const wl = fixed ?? { window: Math.max(max - min, 1e-9), level: (max + min) / 2 };
  const rgba = reuse && reuse.length === pixels * 4 ? reuse : new Uint8ClampedArray(pixels * 4);
  const lo = wl.level - wl.window / 2;
  const scale = 255 / (wl.window > 0 ? wl.window : 1);
  if (!colour) {
    for (let p = 0, at = sliceOffset, o = 0; p < pixels; p++, at += components, o += 4) {
      const g = (scalars[at]! - lo) * scale; // Uint8ClampedArray clamps and rounds
      rgba[o] = g;
      rgba[o + 1] = g;
      rgba[o + 2] = g;
      rgba[o + 3] = 255;
    }
  } else {
    // RGBA: the 4th component is opacity, through the same window/level as the colours (window
    // 255, level 127.5 shows a uint8 RGBA image as sent).
    const alpha = components === 4;
    for (let p = 0, at = sliceOffset, o = 0; p < pixels; p++, at += components, o += 4) {
      rgba[o] = (scalars[at]! - lo) * scale;
      rgba[o + 1] = (scalars[at + 1]! - lo) * scale;
      rgba[o + 2] = (scalars[at + 2]! - lo) * scale;
      rgba[o + 3] = alpha ? (scalars[at + 3]! - lo) * scale : 255;
    }
  }
  return { width, height, k, components, scalars, sliceOffset, min, max, wl, rgba };
}

/** The scalars of pixel (i, j) of a slice (one per component). */
export function pixelAt(s: ImageSlice, i: number, j: number): number[] {
  const at = s.sliceOffset + (j * s.width + i) * s.components;
  return Array.from(s.scalars.subarray(at, at + s.components));
}
