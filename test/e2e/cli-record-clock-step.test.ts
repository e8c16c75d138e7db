// `igtl-rx record` across a step of the system clock, in a real process: libfaketime moves its
// Date.now() an hour forward mid-recording (monotonic clock untouched, as an NTP step does; see
// cli-clock-step.test.ts). The index held receive times on the wall clock, so the recording got
// an hour-long gap that every replay of it waited out, silent, as if hung.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY, Timestamp } from '../../src/node.js';
import { recordingInfo } from '../../src/recording/format.js';
import { startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** libfaketime's multi-threaded build (Node has threads), wherever the architecture puts it. */
function libfaketime(): string {
  for (const dir of ['/usr/lib', ...readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d))]) {
    const lib = path.join(dir, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error("libfaketime is not installed (Debian package 'faketime'; scripts/setup-cpp-peers.sh installs it)");
}

/** An igtl-rx server in this process (on the real clock), sending a TRANSFORM every 20 ms. */
async function tracker(ctx: TestContext): Promise<number> {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  const timer = setInterval(() => server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.now() })), 20);
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await server.close();
  });
  return port;
}

/** Resolves once `file` is larger than `bytes` (checked every 50 ms; rejects after `timeoutMs`). */
async function grownPast(file: string, bytes: number, timeoutMs = 10_000): Promise<number> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size > bytes) return size;
    if (performance.now() > until) throw new Error(`${file} did not grow past ${bytes} bytes in ${timeoutMs} ms (${size})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('record when the system clock steps forward an hour', () => {
  it('keeps the receive times of the index seconds apart, so a replay does not wait an hour', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-step-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const offset = path.join(dir, 'offset');
    writeFileSync(offset, '+0\n');
    const port = await tracker(ctx);
    const file = path.join(dir, 'session.igtl');
    const rec = startCli(['record', file, `127.0.0.1:${port}`, '--quiet'], {
      env: { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: offset, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    });
    ctx.onTestFinished(async () => {
      await rec.stop();
    });
    // Some messages before the step (a TRANSFORM is 106 bytes), then the step, then some more:
    // 30 messages are 0.6 s at 50 Hz, several of the recorder's 100 ms re-reads of the system clock.
    const before = await grownPast(file, 20 * 106);
    writeFileSync(offset, '+1h\n');
    await grownPast(file, before + 30 * 106);
    const { code } = await rec.stop();
    expect(code).toBe(0);

    const info = await recordingInfo(file);
    expect(info.count).toBeGreaterThanOrEqual(50);
    // What replay paces by: the span of the receive times. About a second; an hour before.
    expect(info.durationMs).toBeLessThan(30_000);
  });
});
