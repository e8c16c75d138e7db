// Streaming reads: a sequence of a few hundred MB is read frame by frame with bounded memory
// (process RSS growth), uncompressed (positioned reads) and compressed (one inflating stream).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Timestamp } from '../../../src/index.js';
import { readSequence, SequenceWriter } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqbig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 640;
const H = 480;

async function generate(file: string, frames: number, compress: boolean): Promise<void> {
  const w = new SequenceWriter(file, { compress });
  const data = new Uint8Array(W * H);
  for (let i = 0; i < frames; i++) {
    data.fill(i & 0xff);
    data[0] = 255 - (i & 0xff);
    await w.add({
      timestamp: new Timestamp(1000 + i, 0),
      transforms: [{ name: 'ProbeToTracker', matrix: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }],
      image: { deviceName: 'Image_Reference', content: { numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [W, H, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], subvolumeOffset: [0, 0, 0], subvolumeSize: [W, H, 1], data } },
    });
  }
  await w.close();
}

/** Reads every frame, checking each image's bytes, and returns the largest RSS growth seen (bytes). */
async function readAll(file: string, frames: number): Promise<number> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = 0;
  const count = await lastValueFrom(readSequence(file).pipe(reduce((n, m) => {
    if (m.message.type === 'IMAGE') {
      const d = m.message.content.data;
      if (d[1] !== (m.frame & 0xff) || d[0] !== 255 - (m.frame & 0xff)) throw new Error(`frame ${m.frame}: wrong bytes`);
      if (m.frame % 25 === 0) peak = Math.max(peak, process.memoryUsage().rss - base);
      return n + 1;
    }
    return n;
  }, 0)));
  expect(count).toBe(frames);
  return peak;
}

describe('large sequences stream', () => {
  it('an uncompressed 300 MB .mha is read with RSS growth under 120 MB', async () => {
    const file = path.join(dir, 'big.mha');
    await generate(file, 1000, false);
    expect(statSync(file).size).toBeGreaterThan(300 * 1e6);
    expect(await readAll(file, 1000)).toBeLessThan(120 * 1024 * 1024);
  }, 120_000);

  it('a compressed .igs.mha of 300 MB of pixels is inflated as a stream, RSS growth under 120 MB', async () => {
    const file = path.join(dir, 'big.igs.mha');
    await generate(file, 1000, true);
    expect(await readAll(file, 1000)).toBeLessThan(120 * 1024 * 1024);
  }, 120_000);
});
