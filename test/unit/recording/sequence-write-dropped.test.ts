// writeSequence (recording -> sequence): a frame holds one pose per tool, the one nearest the
// frame's time, so a tracker faster than the images loses poses. That is the format (PLUS's
// frames: one transform of each name per tracked frame), but it was silent: the count of poses
// not written must be said.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { from, type Observable } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { openSequence, SequenceWriteError, writeSequence } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqdropped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (ms: number) => Timestamp.fromMillis(1_700_000_000_000 + ms);
const pose = (ms: number) => createMessage('TRANSFORM', { matrix: [1, 0, 0, ms, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'ProbeToTracker', timestamp: at(ms) });
const image = (ms: number) => createMessage('IMAGE', {
  numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [2, 2, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
  subvolumeOffset: [0, 0, 0], subvolumeSize: [2, 2, 1], data: new Uint8Array(4),
}, { deviceName: 'Image_Reference', timestamp: at(ms) });

/** Images every `imageMs` and poses every `poseMs` over 400 ms, in time order. */
function session(imageMs: number, poseMs: number): () => Observable<IgtlMessage> {
  const out: { t: number; m: IgtlMessage }[] = [];
  for (let t = 0; t < 400; t += imageMs) out.push({ t, m: image(t) });
  for (let t = 0; t < 400; t += poseMs) out.push({ t, m: pose(t) });
  out.sort((a, b) => a.t - b.t);
  return () => from(out.map((e) => e.m));
}

describe('writeSequence: poses that no frame holds', () => {
  it('images at 10 Hz, poses at 40 Hz: 4 frames, and "12 of 16 TRANSFORMs" reported as a SequenceWriteError', async () => {
    const problems: Error[] = [];
    const file = path.join(dir, 'fast-tracker.igs.mha');
    const result = await writeSequence(session(100, 25), file, { onProblem: (e) => problems.push(e) });
    expect(result.frames).toBe(4);
    const seq = await openSequence(file);
    try {
      const poses = await Promise.all([0, 1, 2, 3].map(async (i) => (await seq.frame(i)).transforms.find((t) => t.name === 'ProbeToTracker')?.matrix[3]));
      expect(poses).toEqual([0, 100, 200, 300]);
    } finally {
      await seq.close();
    }
    expect(problems.map((p) => p.message)).toEqual(['12 of 16 TRANSFORMs of "ProbeToTracker" not written: a frame holds the one nearest its time, within 50 ms']);
    expect(problems[0]).toBeInstanceOf(SequenceWriteError);
  });

  it('one pose per image: nothing to report', async () => {
    const problems: Error[] = [];
    await writeSequence(session(100, 100), path.join(dir, 'matched.igs.mha'), { onProblem: (e) => problems.push(e) });
    expect(problems).toEqual([]);
  });

  it('poses at 5 Hz under images at 10 Hz: each pose in two frames is written, not counted twice', async () => {
    const problems: Error[] = [];
    await writeSequence(session(100, 200), path.join(dir, 'slow-tracker.igs.mha'), { onProblem: (e) => problems.push(e), toleranceMs: 100 });
    expect(problems).toEqual([]);
  });
});
