// Stop signals other than Ctrl-C. SIGHUP (a terminal closed, an ssh session lost) killed `record`
// and `monitor` on the spot (Node's default action): no summary, no STP_ for the streams they
// had started, no `--format` conversion. It now stops them cleanly, as SIGINT and SIGTERM do.
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filter, firstValueFrom, map, take } from 'rxjs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY, readRecording, recordingInfo } from '../../src/node.js';
import { startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** An igtl-rx server in this process sending a TDATA-like stream (a TRANSFORM every 20 ms); resolves with it once a client asked STT_TDATA. */
async function tracker(ctx: TestContext) {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  const timer = setInterval(() => server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' })), 20);
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await server.close();
  });
  const queries = server.messages$.pipe(map((m) => m.message.type as string));
  // 'never' when the server closes without it (the test has failed then; no unhandled rejection).
  return { port, asked: (type: string) => firstValueFrom(queries.pipe(filter((t) => t === type), take(1)), { defaultValue: 'never' }) };
}

/** `p`'s value, or 'not within ms' (the STP_ is written before the verb exits: it arrives at once). */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<string>((resolve) => setTimeout(() => resolve(`not within ${ms} ms`), ms))]);

describe('SIGHUP stops a verb cleanly', () => {
  it('record: STP_ sent, summary printed, exit 0, file and index hold the same messages', { timeout: 20_000 }, async (ctx) => {
    const { port, asked } = await tracker(ctx);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-sighup-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 's.igtl');
    const stt = asked('STT_TDATA');
    const stp = asked('STP_TDATA');
    const rec = startCli(['record', file, `127.0.0.1:${port}`, '--stream', 'TDATA']);
    await stt;
    // Messages have been recorded once the file has some.
    await expect.poll(async () => (await recordingInfo(file).catch(() => ({ count: 0 }))).count, { timeout: 5000 }).toBeGreaterThan(5);
    rec.child.kill('SIGHUP');
    expect(await rec.exited).toEqual({ code: 0, signal: null });
    expect(await within(stp, 3000)).toBe('STP_TDATA');
    const summary = /recorded (\d+) messages/.exec(rec.stderr);
    expect(summary).not.toBeNull();
    const info = await recordingInfo(file);
    expect(info.indexed).toBe(true);
    let read = 0;
    for await (const _ of readRecording(file)) read++;
    expect(read).toBe(Number(summary![1]));
    expect(info.count).toBe(read);
  });

  it('monitor: STP_ sent, then exit 129 (128 + SIGHUP)', { timeout: 20_000 }, async (ctx) => {
    const { port, asked } = await tracker(ctx);
    const stt = asked('STT_TDATA');
    const stp = asked('STP_TDATA');
    const mon = startCli(['monitor', `127.0.0.1:${port}`, '--json', '--stream', 'TDATA']);
    await stt;
    await mon.waitFor(/"kind":"message"/);
    mon.child.kill('SIGHUP');
    expect(await mon.exited).toEqual({ code: 129, signal: null });
    expect(await within(stp, 3000)).toBe('STP_TDATA');
  });
});
