// Deterministic ultrasound-like frames (pure: no I/O, no time source). A B-mode look: a speckle
// texture that slides with the probe, a bright skin line, a wavy fascia layer, a pulsating
// anechoic vessel with a bright wall, depth attenuation and a little per-frame noise. Every
// frame is a fresh buffer (a sent frame may still sit in a send queue), and the frame for a
// given time is the same on every run with the same seed.
import { deriveSeed, seededRandom } from './prng.js';

/** Options of {@link createImageSource}. */
export interface ImageSourceOptions {
  /** Width in pixels (lateral, default 256). */
  readonly width?: number;
  /** Height in pixels (depth, default 256). */
  readonly height?: number;
  /** Seed of the speckle and noise (default 1). */
  readonly seed?: number;
}

/** A source of uint8 grey-level frames, width x height, row by row (x fastest). */
export interface ImageSource {
  readonly width: number;
  readonly height: number;
  /** The frame at `t` seconds after the simulation started: a new buffer every call. */
  frameAt(t: number): Uint8Array;
}

const TWO_PI = 2 * Math.PI;

/**
 * Creates a source of ultrasound-like frames.
 *
 * @example
 * const us = createImageSource({ width: 128, height: 96, seed: 7 });
 * const pixels = us.frameAt(0.5); // Uint8Array(128 * 96), identical on every run
 */
export function createImageSource(options: ImageSourceOptions = {}): ImageSource {
  const width = options.width ?? 256;
  const height = options.height ?? 256;
  const seed = options.seed ?? 1;
  if (!(Number.isInteger(width) && width >= 1 && width <= 4096)) throw new RangeError(`image width must be 1..4096, got ${width}`);
  if (!(Number.isInteger(height) && height >= 1 && height <= 4096)) throw new RangeError(`image height must be 1..4096, got ${height}`);

  // Speckle: Rayleigh-distributed echo amplitudes of a fixed tissue, twice as wide as the view so
  // that it can slide sideways with the probe (wrapping around).
  const fieldWidth = width * 2;
  const speckle = new Float32Array(fieldWidth * height);
  const rand = seededRandom(deriveSeed(seed, 'speckle'));
  for (let i = 0; i < speckle.length; i++) speckle[i] = Math.sqrt(-2 * Math.log(1 - rand())) * 0.6;
  // Time-gain-compensated attenuation: echoes fade with depth, less than they would uncompensated.
  const attenuation = new Float32Array(height);
  for (let y = 0; y < height; y++) attenuation[y] = Math.exp((-1.6 * y) / height);

  return {
    width,
    height,
    frameAt(t) {
      const out = new Uint8Array(width * height);
      const noise = seededRandom(deriveSeed(seed, 'frame', Math.round(t * 1000)));
      const slide = Math.round((Math.sin(TWO_PI * 0.07 * t) * 0.5 + 0.5) * width);
      const skin = Math.max(1, Math.round(height * 0.03));
      // The vessel drifts sideways and pulses at ~72 beats per minute.
      const vx = width * (0.5 + 0.25 * Math.sin(TWO_PI * 0.11 * t));
      const vy = height * 0.55;
      const radius = Math.min(width, height) * (0.1 + 0.015 * Math.sin(TWO_PI * 1.2 * t));
      const wall = Math.max(1.5, radius * 0.15);
      for (let y = 0; y < height; y++) {
        const fascia = height * (0.3 + 0.03 * Math.sin(TWO_PI * 0.2 * t));
        const gain = attenuation[y]!;
        const row = y * fieldWidth;
        for (let x = 0; x < width; x++) {
          let echo = speckle[row + ((x + slide) % fieldWidth)]!;
          // Layers: a bright skin line and a fascia line that undulates across the view.
          const fy = fascia + height * 0.02 * Math.sin((TWO_PI * x) / width + t * 0.5);
          if (y < skin) echo *= 3;
          else if (Math.abs(y - fy) < height * 0.012) echo *= 2.5;
          // The vessel: anechoic lumen, bright wall.
          const d = Math.hypot(x - vx, (y - vy) * 1.1);
          if (d < radius - wall) echo *= 0.08;
          else if (d < radius + wall) echo *= 2.2;
          const v = echo * gain * 110 + noise() * 12;
          out[y * width + x] = v > 255 ? 255 : v;
        }
      }
      return out;
    },
  };
}
