// `igtl-rx convert` (and `record --format mha|nrrd`, which writes the same way) to a sequence
// file it cannot write. The pixel file's stream had no 'error' listener: a missing directory or a
// full disk killed the process with Node's "Unhandled 'error' event" and a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { createImageContent, createMessage, encodeMessage, IDENTITY, Timestamp } from '../../src/node.js';
import { runCli } from './cli-harness.js';

/** A recording (no index: header timestamps) of three tracked 16x16 images. */
function recording(ctx: TestContext): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-convert-unwritable-'));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const frames = [0, 1, 2].flatMap((i) => {
    const timestamp = Timestamp.fromMillis(1_700_000_000_000 + i * 100);
    return [
      encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'ProbeToTracker', timestamp })),
      encodeMessage(createMessage('IMAGE', createImageContent({ data: new Uint8Array(256).fill(i), size: [16, 16, 1] }), { deviceName: 'Image', timestamp })),
    ];
  });
  const file = path.join(dir, 'session.igtl');
  writeFileSync(file, Buffer.concat(frames));
  return { dir, file };
}

describe('igtl-rx convert to a sequence file in a missing directory', () => {
  for (const out of ['session.igs.mha', 'session.mhd', 'session.seq.nrrd']) {
    it(`${out}: exits 1 with one line naming the file it could not write, no stack trace`, async (ctx) => {
      const { dir, file } = recording(ctx);
      const r = await runCli(['convert', file, path.join(dir, 'missing', out), '--quiet']);
      expect(r.stderr).toMatch(/^igtl-rx: cannot convert .*session\.igtl to .*: cannot write .*missing.*: ENOENT[^\n]*\n$/);
      expect(r.code).toBe(1);
    });
  }
});
