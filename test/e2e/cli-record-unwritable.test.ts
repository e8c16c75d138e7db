// `igtl-rx record` to a file it cannot write: the error, and no summary. It printed "recorded 3
// messages (318 B) from ... to /missing/dir/session.igtl" before the error: a recording that
// does not exist, reported as made.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, simulateFor, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

describe('igtl-rx record to a file it cannot write', () => {
  it('exits 1 with one line: the write error and how much was kept, no "recorded" summary', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-unwritable-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { port } = await simulateFor(ctx, ['--quiet']);
    const file = path.join(dir, 'missing', 'session.igtl');
    const r = await runCli(['record', file, `127.0.0.1:${port}`, '--duration', '2']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^igtl-rx: cannot write .*session\.igtl: ENOENT.* \(\d+ messages? received; nothing kept\)$/);
    expect(r.stderr).not.toMatch(/recorded/);
    expect(r.code).toBe(1);
  });

  it('FILE is a directory: "nothing kept", not the directory\'s own size as the recording kept', { timeout: 30_000 }, async (ctx) => {
    // It said "(3 messages received; /tmp/adir holds the first 4.1 kB)": 4.1 kB was the
    // directory entry's size, not a recording.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-unwritable-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { port } = await simulateFor(ctx, ['--quiet']);
    const r = await runCli(['record', dir, `127.0.0.1:${port}`, '--duration', '2']);
    expect(r.stderr).toMatch(/^igtl-rx: cannot write .*: EISDIR.* \(\d+ messages? received; nothing kept\)\n$/);
    expect(r.code).toBe(1);
  });
});
