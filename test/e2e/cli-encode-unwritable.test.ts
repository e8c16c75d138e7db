// `igtl-rx encode -o OUT` when OUT cannot be written. Its stream had no 'error' listener: a
// missing directory or a full disk killed the process with Node's "Unhandled 'error' event" and
// a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.js';

describe('igtl-rx encode -o into a missing directory', () => {
  it('exits 1 with one line naming OUT, no stack trace', async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-encode-unwritable-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(input, `${JSON.stringify({ type: 'GET_STATUS', headerVersion: 1, deviceName: '', content: {} })}\n`);
    const out = path.join(dir, 'missing', 'out.igtl');
    const r = await runCli(['encode', input, '-o', out]);
    expect(r.stderr).toBe(`igtl-rx: cannot write ${out}: ENOENT: no such file or directory, open '${out}'\n`);
    expect(r.code).toBe(1);
  });
});
