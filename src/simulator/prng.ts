// A small seeded PRNG, so the simulator produces the same trajectories and images on every run.
// mulberry32: 32-bit state, fast, good enough statistically for speckle and parameter picks
// (not for cryptography).

/** A source of uniform numbers in [0, 1) that is the same for the same seed. */
export type Random = () => number;

/**
 * A seeded PRNG (mulberry32).
 *
 * @example
 * const rand = seededRandom(42);
 * rand(); // 0.6011037519201636, on every run
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes a seed with a text (a tool name) and numbers (a frame index) into a new 32-bit seed, so
 * each tool and each frame has its own stream: adding a tool does not change the others.
 */
export function deriveSeed(seed: number, ...parts: readonly (string | number)[]): number {
  // FNV-1a over the seed and the parts, then a final avalanche (murmur3 fmix32).
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const mix = (byte: number) => {
    h ^= byte & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      const v = part >>> 0;
      mix(v);
      mix(v >>> 8);
      mix(v >>> 16);
      mix(v >>> 24);
    } else {
      for (let i = 0; i < part.length; i++) {
        const c = part.charCodeAt(i);
        mix(c);
        mix(c >>> 8);
      }
    }
    mix(0xff);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
