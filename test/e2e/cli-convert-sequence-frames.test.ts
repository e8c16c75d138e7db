// `igtl-rx convert IN.igs.mha OUT.igs.nrrd` keeps every frame: count in = count out, with the
// frames whose image is INVALID and the fields that are not transforms (fixture:
// test/support/plus-sequence-fixture.ts, a file as IGSIO writes it).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openSequence } from '../../src/recording/index.js';
import { IMAGE_STATUS, invalidFramesSequence } from '../support/plus-sequence-fixture.js';
import { CLI } from './cli-harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-cliconvframes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = promisify(execFile);

describe('igtl-rx convert from a sequence file to a sequence file', () => {
  it('writes 4 frames of 4: the INVALID-image frames with their poses, and FrameNumber in each', async () => {
    // Was: "wrote 2 frames", no warning; frames 0 and 2 (image INVALID) and their
    // ProbeToTracker poses gone, FrameNumber and UnfilteredTimestamp in no frame.
    const input = invalidFramesSequence(path.join(dir, 'in.igs.mha'));
    const output = path.join(dir, 'out.igs.nrrd');
    const { stderr } = await run(process.execPath, [CLI, 'convert', input, output], { encoding: 'utf8' });
    expect(stderr).toMatch(/wrote 4 frames/);
    const seq = await openSequence(output);
    try {
      expect(seq.frameCount).toBe(4);
      const frames = await Promise.all([0, 1, 2, 3].map((i) => seq.frame(i)));
      expect(frames.map((f) => f.imageStatus)).toEqual(IMAGE_STATUS);
      expect(frames.map((f) => f.transforms.find((t) => t.name === 'ProbeToTracker')?.matrix[3])).toEqual([1, 2, 3, 4]);
      expect(frames.map((f) => f.fields.get('FrameNumber'))).toEqual(['100', '101', '102', '103']);
    } finally {
      await seq.close();
    }
  }, 30_000);
});
