// A compressed sequence file cut off inside its pixel data (a full disk, a killed writer). The
// inflater closes without ending, and the reader passed that on as "Premature close": nothing
// said the file was cut, nor where. Now it is the reader's own "frame N is cut short".
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Timestamp } from '../../../src/index.js';
import { readSequence, SequenceWriter } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqcut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Ten 64x64 frames of noise (so the compressed data is about as long as the pixels). */
async function generate(file: string): Promise<void> {
  const w = new SequenceWriter(file, { compress: true });
  let seed = 1;
  for (let i = 0; i < 10; i++) {
    const data = new Uint8Array(64 * 64).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    await w.add({
      timestamp: new Timestamp(1000 + i, 0),
      transforms: [],
      image: { deviceName: 'Image_Reference', content: { numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [64, 64, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], subvolumeOffset: [0, 0, 0], subvolumeSize: [64, 64, 1], data } },
    });
  }
  await w.close();
}

describe('a compressed sequence cut inside its pixel data', () => {
  for (const name of ['cut.igs.mha', 'cut.seq.nrrd']) {
    it(`${name}: the frames before the cut, then an error naming the frame cut short`, async () => {
      const whole = path.join(dir, `whole-${name}`);
      await generate(whole);
      const bytes = readFileSync(whole);
      const cut = path.join(dir, name);
      writeFileSync(cut, bytes.subarray(0, bytes.length - 20_000)); // about half the pixels
      const got: number[] = [];
      const err = await lastValueFrom(readSequence(cut).pipe(toArray())).then(
        () => undefined,
        (e: Error) => e,
      );
      // (readSequence emits as it reads; collect the frames that came before the error.)
      await new Promise<void>((resolve) => readSequence(cut).subscribe({ next: (m) => void got.push(m.frame), error: () => resolve(), complete: () => resolve() }));
      expect(err?.message).toMatch(/frame \d+ is cut short \(\d+ of 4096 bytes\): the pixel data ends early/);
      expect(got.length).toBeGreaterThan(0);
      expect(Math.max(...got)).toBeLessThan(9);
    });
  }
});
