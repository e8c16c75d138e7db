// `igtl-rx record` and a message that arrives but does not decode (here a CRC mismatch). It is
// rightly left out of the recording, but nothing said so: "recorded 2 messages", exit 0, and a
// recording that looked like everything that came. Now each one is a line, and the summary counts them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesOf, faultHooks, rawServer } from '../support/fault-kit.js';
import { runCli, stopAllCli } from './cli-harness.js';

const { defer } = faultHooks();
afterAll(stopAllCli);

describe('igtl-rx record of a peer that sends a message with a bad CRC', () => {
  it('records the good ones, says which one was not recorded, and counts it in the summary', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-bad-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const bad = bytesOf(2).slice();
    bad[bad.length - 1]! ^= 0xff; // the body no longer hashes to the header's CRC
    const { port } = await rawServer((s) => s.end(Buffer.concat([bytesOf(1), bad, bytesOf(3)])), defer);
    const file = path.join(dir, 'session.igtl');
    const r = await runCli(['record', file, `127.0.0.1:${port}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^igtl-rx: not recorded: CRC mismatch in TRANSFORM "T": /m);
    expect(r.stderr).toMatch(/^recorded 2 messages .*; 1 bad message not recorded$/m);
    const decoded = await runCli(['decode', file]);
    expect(decoded.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(decoded.code).toBe(0);
  });
});
