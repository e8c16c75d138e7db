// The reader of a verb's stderr goes away (`igtl-rx record ... 2>&1 | logger`, and the logger
// dies). Measured before: `record --duration 8` of a simulator stopped (SIGSTOP) for 4 s died at
// 4.4 s with exit 1, when it wrote "peer stale" to the closed pipe (an unhandled EPIPE): the
// recording ended mid-session. Now progress and diagnostics are lost, the recording is not.
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMessage, createServer, IDENTITY, readRecording } from '../../src/node.js';
import { CLI } from './cli-harness.js';
import { REPO_ROOT } from '../support/cpp-peers.js';

describe('igtl-rx record whose stderr reader has gone', () => {
  it('records on through a stale peer (its stderr line fails) to --duration, exit 0', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-stderr-gone-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const server = createServer({ port: 0 });
    const { port } = (await server.listen()) as AddressInfo;
    let sending = true;
    let sent = 0;
    let sentAfterSilence = 0;
    const timer = setInterval(() => {
      if (!sending) return;
      server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' }));
      sent++;
    }, 20);
    ctx.onTestFinished(async () => {
      clearInterval(timer);
      await server.close();
    });
    const file = path.join(dir, 's.igtl');
    const child = spawn(process.execPath, [CLI, 'record', file, `127.0.0.1:${port}`, '--duration', '7'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    ctx.onTestFinished(() => void child.kill('SIGKILL'));
    await new Promise<void>((resolve) => server.sessions$.subscribe(() => resolve()));
    child.stderr!.destroy(); // the reader of stderr is gone
    await new Promise((r) => setTimeout(r, 500));
    // Silence past staleAfterMs (3 s): the recorder writes "peer stale" to its stderr.
    sending = false;
    await new Promise((r) => setTimeout(r, 3800));
    const before = sent;
    sending = true;
    expect(await exited).toEqual({ code: 0, signal: null });
    sentAfterSilence = sent - before;
    let recorded = 0;
    for await (const _ of readRecording(file)) recorded++;
    // What came after the silence is in the recording (it ended at the silence).
    expect(sentAfterSilence).toBeGreaterThan(20);
    expect(recorded).toBeGreaterThan(before + 20);
  });
});
