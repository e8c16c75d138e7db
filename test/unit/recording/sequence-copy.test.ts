// Sequence -> sequence conversion, frame for frame (input: test/support/plus-sequence-fixture.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSequence, SequenceFormatError } from '../../../src/recording/index.js';
import { copySequence } from '../../../src/recording/sequence/copy.js';
import { IMAGE_STATUS, invalidFramesSequence } from '../../support/plus-sequence-fixture.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqcopy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('copySequence (convert IN.igs.mha OUT.<sequence>)', () => {
  for (const out of ['out.igs.nrrd', 'out.igs.mha']) {
    it(`${out}: 4 frames in, 4 out, the INVALID images stay frames with their poses, status and fields`, async () => {
      // Through messages (readSequence -> writeSequence) this wrote 2 frames: the frames with an
      // INVALID image send no IMAGE, so they and ProbeToTracker at x = 1 and 3 were gone, and
      // FrameNumber / UnfilteredTimestamp were in no frame.
      const problems: Error[] = [];
      const result = await copySequence(invalidFramesSequence(path.join(dir, 'in.igs.mha')), path.join(dir, out), { onProblem: (e) => problems.push(e) });
      expect(result.frames).toBe(4);
      const seq = await openSequence(path.join(dir, out));
      try {
        expect(seq.frameCount).toBe(4);
        const frames = await Promise.all([0, 1, 2, 3].map((i) => seq.frame(i)));
        expect(frames.map((f) => f.imageStatus)).toEqual(IMAGE_STATUS);
        expect(frames.map((f) => Number(f.fields.get('Timestamp')).toFixed(6))).toEqual(['5.000000', '5.100000', '5.200000', '5.300000']);
        expect(frames.map((f) => f.fields.get('FrameNumber'))).toEqual(['100', '101', '102', '103']);
        expect(frames.map((f) => f.fields.get('UnfilteredTimestamp'))).toEqual(['7', '7.1', '7.2', '7.3']);
        const probe = frames.map((f) => f.transforms.find((t) => t.name === 'ProbeToTracker'));
        expect(probe.map((t) => `${t?.matrix[3]}:${t?.status}`)).toEqual(['1:OK', '2:OK', '3:OK', '4:OK']);
        expect(frames.map((f) => f.transforms.find((t) => t.name === 'StylusToTracker')?.status)).toEqual(['OK', 'OK', 'OK', 'MISSING']);
        expect([...((await frames[1]!.pixels()) ?? [])]).toEqual([11, 11, 11, 11, 11, 11]);
        expect([...((await frames[3]!.pixels()) ?? [])]).toEqual([13, 13, 13, 13, 13, 13]);
        // Each field once per frame (the writer's own fields are not copied twice).
        const text = readFileSync(path.join(dir, out)).toString('latin1');
        expect(text.match(/Seq_Frame0002_ProbeToTrackerTransformStatus/g)).toHaveLength(1);
      } finally {
        await seq.close();
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('copySequence of a file cut inside its pixel data', () => {
  // A .igs.mha whose pixel data was cut (a copy that stopped, a full disk): the header still holds
  // every frame's transforms. Copying stopped at the cut frame with an error and wrote nothing,
  // all the poses lost with it; now every frame is written, those without pixels as INVALID
  // images (as IGSIO writes a frame without a valid image), and the loss is reported once.
  it('4 frames in, 4 out: frames 2 and 3 keep their poses and fields, image status INVALID, one problem', async () => {
    const input = path.join(dir, 'cut.igs.mha');
    invalidFramesSequence(input);
    // Every frame's image OK, then the pixels cut inside frame 2 (6 bytes a frame).
    const text = readFileSync(input);
    const at = text.indexOf('ElementDataFile = LOCAL\n') + 'ElementDataFile = LOCAL\n'.length;
    const header = text.subarray(0, at).toString('latin1').replaceAll('ImageStatus = INVALID', 'ImageStatus = OK');
    writeFileSync(input, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.alloc(6, 1), Buffer.alloc(6, 2), Buffer.alloc(3, 3)]));
    const problems: Error[] = [];
    const out = path.join(dir, 'cut-out.igs.nrrd');
    const result = await copySequence(input, out, { onProblem: (e) => problems.push(e) });
    expect(result.frames).toBe(4);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(SequenceFormatError);
    expect(problems[0]!.message).toMatch(/frame 2 is cut short \(3 of 6 bytes\).*: 2 images from frame 2 on not written/);
    const seq = await openSequence(out);
    try {
      const frames = await Promise.all([0, 1, 2, 3].map((i) => seq.frame(i)));
      expect(frames.map((f) => f.imageStatus)).toEqual(['OK', 'OK', 'INVALID', 'INVALID']);
      expect(frames.map((f) => f.transforms.find((t) => t.name === 'ProbeToTracker')?.matrix[3])).toEqual([1, 2, 3, 4]);
      expect(frames.map((f) => f.fields.get('FrameNumber'))).toEqual(['100', '101', '102', '103']);
      expect([...((await frames[1]!.pixels()) ?? [])]).toEqual([2, 2, 2, 2, 2, 2]);
    } finally {
      await seq.close();
    }
  });
});

