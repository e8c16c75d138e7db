// Benchmark 9: sequence decode speed. Writes a synthetic PLUS-style sequence (500 frames of
// 640x480 uint8 + 3 transforms), compressed and not, then times readSequence over it (frames/s:
// header parse, pixel reads or inflate, TRANSFORM and IMAGE messages as PlusServer names them).
// Prints one JSON line: { raw: frames/s, compressed: frames/s, frames, mbRaw, mbCompressed }.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, reduce } from 'rxjs';
import { SequenceWriter, readSequence, Timestamp } from '../../dist/src/node.js';

const FRAMES = Number(process.argv[2] ?? 500);
const W = 640;
const H = 480;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqbench-'));

async function generate(file, compress) {
  const w = new SequenceWriter(file, { compress });
  const data = new Uint8Array(W * H);
  for (let i = 0; i < FRAMES; i++) {
    // Speckle-like content so compression has some work (not all zeros).
    for (let p = 0; p < data.length; p += 7) data[p] = (p * 31 + i * 17) & 0xff;
    const m = (x) => [1, 0, 0, x, 0, 1, 0, i * 0.1, 0, 0, 1, 100, 0, 0, 0, 1];
    await w.add({
      timestamp: new Timestamp(1000 + Math.floor(i / 30), ((i % 30) * 143165576) >>> 0),
      transforms: [{ name: 'ProbeToTracker', matrix: m(i) }, { name: 'ReferenceToTracker', matrix: m(-i) }, { name: 'StylusToTracker', matrix: m(2 * i) }],
      image: { deviceName: 'Image_Reference', content: { numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [W, H, 1], matrix: [0.2, 0, 0, 0, 0, 0.2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], subvolumeOffset: [0, 0, 0], subvolumeSize: [W, H, 1], data } },
    });
  }
  await w.close();
}

async function time(file) {
  const t0 = process.hrtime.bigint();
  const frames = await lastValueFrom(readSequence(file).pipe(reduce((n, m) => n + (m.message.type === 'IMAGE' ? 1 : 0), 0)));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (frames !== FRAMES) throw new Error(`${file}: ${frames} frames, expected ${FRAMES}`);
  return FRAMES / s;
}

try {
  const raw = path.join(dir, 'bench.mha');
  const zipped = path.join(dir, 'bench.igs.mha');
  await generate(raw, false);
  await generate(zipped, true);
  await time(raw); // warm-up: JIT and page cache
  const best = async (file) => Math.max(await time(file), await time(file));
  const result = { raw: await best(raw), compressed: await best(zipped), frames: FRAMES, mbRaw: fs.statSync(raw).size / 1e6, mbCompressed: fs.statSync(zipped).size / 1e6 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
