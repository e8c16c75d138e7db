// Compressed pixel data whose checksum fails, or that ends before its checksum. zlib (MetaIO) and
// gzip (NRRD) check the data only at the end of the stream, and the reader stopped inflating at
// the last pixel of the last frame: measured with the PLUS sample's 4-byte Adler-32 zeroed,
// `igtl-rx replay` played all 20 frames and exited 0; cut in its last 4 bytes, the same. Now the
// stream is read to its end with the last frame, and either is a SequenceFormatError.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Timestamp } from '../../../src/index.js';
import { readSequence, SequenceFormatError, SequenceWriter } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqsum-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PLUS = path.resolve(import.meta.dirname, '../../../../shared/plus-samples/NwirePhantomFreehandCropped.igs.mha');

/** Frames read, and the error the read ended with (undefined when it completed). */
async function readAll(file: string): Promise<{ frames: number[]; error: unknown }> {
  const frames: number[] = [];
  const error = await new Promise<unknown>((resolve) => readSequence(file).subscribe({
    next: (m) => void (m.message.type === 'IMAGE' && frames.push(m.frame)),
    error: resolve,
    complete: () => resolve(undefined),
  }));
  return { frames, error };
}

/** Four 128x128 frames of noise, compressed (zlib in .igs.mha, gzip in .seq.nrrd): more than one 16 KiB inflate chunk. */
async function generate(file: string): Promise<Buffer> {
  const w = new SequenceWriter(file, { compress: true });
  let seed = 7;
  for (let i = 0; i < 4; i++) {
    const data = new Uint8Array(128 * 128).map(() => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    await w.add({
      timestamp: new Timestamp(1000 + i, 0),
      transforms: [],
      image: { deviceName: 'Image_Reference', content: { numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [128, 128, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], subvolumeOffset: [0, 0, 0], subvolumeSize: [128, 128, 1], data } },
    });
  }
  await w.close();
  return readFileSync(file);
}

describe('compressed pixel data checked to its end', () => {
  it('the PLUS sample as it is: all 20 frames, no error', async () => {
    expect(await readAll(PLUS)).toEqual({ frames: Array.from({ length: 20 }, (_, i) => i), error: undefined });
  });

  it('the PLUS sample with its Adler-32 zeroed: a SequenceFormatError saying the checksum fails, not a complete replay', async () => {
    const bytes = Buffer.from(readFileSync(PLUS));
    bytes.fill(0, bytes.length - 4);
    const file = path.join(dir, 'bad-adler.igs.mha');
    writeFileSync(file, bytes);
    const { frames, error } = await readAll(file);
    expect(error).toBeInstanceOf(SequenceFormatError);
    expect((error as Error).message).toMatch(/the compressed pixel data fails its checksum \(incorrect data check, found at frame 19\): it is corrupt somewhere, and frames before 19 may hold wrong pixels/);
    expect(frames).not.toContain(19);
  });

  it('the PLUS sample cut in its last 4 bytes: the data ends before its checksum, said so', async () => {
    const file = path.join(dir, 'no-adler.igs.mha');
    writeFileSync(file, readFileSync(PLUS).subarray(0, -4));
    const { error } = await readAll(file);
    expect(error).toBeInstanceOf(SequenceFormatError);
    expect((error as Error).message).toMatch(/ends before its checksum .*frame 19/);
  });

  for (const name of ['gz.seq.nrrd', 'zlib.igs.mha']) {
    it(`${name}: a flipped checksum byte is a SequenceFormatError; the file as written reads whole`, async () => {
      const whole = path.join(dir, `whole-${name}`);
      const bytes = await generate(whole);
      expect(await readAll(whole)).toEqual({ frames: [0, 1, 2, 3], error: undefined });
      // gzip ends with CRC-32 and ISIZE (8 bytes), zlib with Adler-32 (4 bytes): flip a checksum byte.
      bytes[bytes.length - (name.endsWith('nrrd') ? 8 : 4)]! ^= 0xff;
      const bad = path.join(dir, name);
      writeFileSync(bad, bytes);
      const { error } = await readAll(bad);
      expect(error).toBeInstanceOf(SequenceFormatError);
      expect((error as Error).message).toMatch(/fails its checksum \(incorrect data check, found at frame 3\)/);
    });
  }
});
