// `igtl-rx convert` of a recording whose last message is cut off (a recorder killed mid-write,
// SIGKILL): the whole messages are converted and the cut one is reported, once. It was converted
// without a word ("wrote N frames"), the torn tail gone in silence.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../src/index.js';
import { openSequence, record } from '../../src/recording/index.js';
import { CLI } from './cli-harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-cliconvtorn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = promisify(execFile);

/** Two tracked tools, 6 poses each, interleaved (a tracking-only session). */
function session(): IgtlMessage[] {
  const out: IgtlMessage[] = [];
  for (let i = 0; i < 6; i++) {
    const timestamp = new Timestamp(1_700_000_000 + i, 0);
    for (const deviceName of ['ProbeToTracker', 'StylusToTracker']) {
      out.push(createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName, timestamp }));
    }
  }
  return out;
}

describe('igtl-rx convert of a recording cut inside its last message', () => {
  it('converts the whole messages and warns once that the last one is cut off', async () => {
    const rec = path.join(dir, 'killed.igtl');
    await lastValueFrom(record(from(session()), rec).pipe(toArray()));
    truncateSync(rec, statSync(rec).size - 7); // the last StylusToTracker loses 7 of its bytes
    const out = path.join(dir, 'killed.igs.mha');
    const { stderr } = await run(process.execPath, [CLI, 'convert', rec, out], { encoding: 'utf8' });
    // One warning, though the conversion reads the recording once per device.
    expect(stderr.match(/warning: .*killed\.igtl is cut short: it ends inside message 11 \(offset \d+: 99 of the 106 bytes of TRANSFORM "StylusToTracker"\)/g)).toHaveLength(1);
    expect(stderr).toMatch(/wrote 6 frames/);
    const seq = await openSequence(out);
    try {
      const last = await seq.frame(5);
      // The last frame's stylus had no pose left: written INVALID, as a tool without a partner is.
      expect(last.transforms.map((t) => `${t.name}:${t.status}`)).toEqual(['ProbeToTracker:OK', 'StylusToTracker:INVALID']);
    } finally {
      await seq.close();
    }
  }, 30_000);
});
