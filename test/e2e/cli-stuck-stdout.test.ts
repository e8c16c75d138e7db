// A reader of stdout that has stopped reading (a hung consumer, a pager left paused) when a live
// verb is told to stop. Measured before: `monitor --json > fifo` whose reader slept, SIGTERM at
// 21:23:51, exit at 21:24:03, when the reader died (exit 0, from the EPIPE): the final flush
// waited for the reader for as long as it stayed stuck. Now the verb gives the reader 1 s without
// progress, says what it left unwritten, and exits with its own status.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, simulateFor, startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

describe('a stuck reader of stdout at the end', () => {
  it('monitor --json: SIGTERM exits 143 within seconds, saying the last lines are not written', { timeout: 30_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--quiet', '--rate', '1000', '--streams', 'TRANSFORM,TDATA,IMAGE', '--image-rate', '30']);
    const mon = startCli(['monitor', `127.0.0.1:${port}`, '--json', '--content-limit', '100000']);
    ctx.onTestFinished(async () => {
      mon.child.stdout!.resume();
      await mon.stop(500);
    });
    await mon.waitFor(/"kind":"message"/);
    // The reader stops reading: the pipe (64 KiB) fills within a fraction of a second (images as
    // JSON at 30 Hz and 3 kHz of poses); the stderr line below proves it was full.
    mon.child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = performance.now();
    mon.child.kill('SIGTERM');
    const timer = setTimeout(() => mon.child.kill('SIGKILL'), 10_000);
    const exit = await mon.exited;
    clearTimeout(timer);
    expect(exit).toEqual({ code: 143, signal: null });
    expect(performance.now() - killedAt).toBeLessThan(5000);
    expect(mon.stderr).toMatch(/^igtl-rx: stdout took nothing for 1000 ms after the end: the last lines are not written$/m);
  });

  it('replay --json to stdout: SIGTERM exits within seconds too (it waited for the reader: 6 s, until it died)', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-stuck-stdout-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { port } = await simulateFor(ctx, ['--quiet', '--streams', 'TRANSFORM,IMAGE', '--image-rate', '30']);
    const file = path.join(dir, 's.igtl');
    expect((await runCli(['record', file, `127.0.0.1:${port}`, '--duration', '2', '--quiet'])).code).toBe(0);
    const rep = startCli(['replay', file, '--json']);
    ctx.onTestFinished(async () => {
      rep.child.stdout!.resume();
      await rep.stop(500);
    });
    await rep.waitFor(/"type"/);
    rep.child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = performance.now();
    rep.child.kill('SIGTERM');
    const timer = setTimeout(() => rep.child.kill('SIGKILL'), 10_000);
    const exit = await rep.exited;
    clearTimeout(timer);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - killedAt).toBeLessThan(5000);
    expect(rep.stderr).toMatch(/^igtl-rx: stdout took nothing for 1000 ms after the end: the last lines are not written$/m);
  });
});
