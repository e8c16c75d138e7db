import { describe, expect, it } from 'vitest';
import { createImageSource } from '../../../src/simulator/index.js';

const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe('createImageSource', () => {
  it('makes width x height uint8 frames, the same for the same seed and time', () => {
    const a = createImageSource({ width: 64, height: 48, seed: 3 });
    const b = createImageSource({ width: 64, height: 48, seed: 3 });
    const f = a.frameAt(1.25);
    expect(f).toBeInstanceOf(Uint8Array);
    expect(f).toHaveLength(64 * 48);
    expect(b.frameAt(1.25)).toEqual(f);
    expect(createImageSource({ width: 64, height: 48, seed: 4 }).frameAt(1.25)).not.toEqual(f);
  });

  it('returns a fresh buffer every frame, also for the same time', () => {
    const src = createImageSource({ width: 16, height: 16 });
    const f1 = src.frameAt(0);
    const f2 = src.frameAt(0);
    expect(f2).toEqual(f1);
    expect(f2.buffer).not.toBe(f1.buffer);
    f1.fill(0);
    expect(src.frameAt(0)).toEqual(f2);
  });

  it('changes over time, and looks like B-mode: bright skin line, darker with depth, a dark vessel', () => {
    const w = 128;
    const h = 128;
    const src = createImageSource({ width: w, height: h, seed: 1 });
    const f = src.frameAt(0);
    expect(src.frameAt(0.5)).not.toEqual(f);
    const row = (y0: number, y1: number) => f.subarray(y0 * w, y1 * w);
    expect(mean(row(0, 2))).toBeGreaterThan(mean(row(20, 30)));
    expect(mean(row(10, 30))).toBeGreaterThan(mean(row(100, 128)));
    // At t = 0 the vessel is centred at (w/2, 0.55 h): its lumen is nearly black.
    const cx = w / 2;
    const cy = Math.round(h * 0.55);
    const lumen: number[] = [];
    for (let y = cy - 3; y <= cy + 3; y++) for (let x = cx - 3; x <= cx + 3; x++) lumen.push(f[y * w + x]!);
    expect(lumen.reduce((s, v) => s + v, 0) / lumen.length).toBeLessThan(mean(row(cy - 20, cy - 14)) / 2);
  });

  it('refuses sizes that are not 1..4096', () => {
    expect(() => createImageSource({ width: 0 })).toThrow(RangeError);
    expect(() => createImageSource({ height: 5000 })).toThrow(/height/);
  });
});
