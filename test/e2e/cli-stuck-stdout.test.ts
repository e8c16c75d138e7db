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

/**
 * The verb's reader stops reading; the pipe (64 KiB) fills within a fraction of a second, which
 * the stderr line proves. SIGTERM then ends the verb within seconds with `code`, saying what it
 * left unwritten (SIGKILL after 10 s, so the old behaviour fails the test instead of hanging it).
 */
async function expectStopWhileStuck(cli: ReturnType<typeof startCli>, code: number): Promise<void> {
  cli.child.stdout!.pause();
  await new Promise((r) => setTimeout(r, 1500));
  const killedAt = performance.now();
  cli.child.kill('SIGTERM');
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), 10_000);
  const exit = await cli.exited;
  clearTimeout(timer);
  expect(exit).toEqual({ code, signal: null });
  expect(performance.now() - killedAt).toBeLessThan(5000);
  expect(cli.stderr).toMatch(/^igtl-rx: stdout took nothing for 1000 ms after the end: the last lines are not written$/m);
}

describe('a stuck reader of stdout at the end', () => {
  it('monitor --json: SIGTERM exits 143 within seconds, saying the last lines are not written', { timeout: 30_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--quiet', '--rate', '1000', '--streams', 'TRANSFORM,TDATA,IMAGE', '--image-rate', '30']);
    const mon = startCli(['monitor', `127.0.0.1:${port}`, '--json', '--content-limit', '100000']);
    ctx.onTestFinished(async () => {
      mon.child.stdout!.resume();
      await mon.stop(500);
    });
    await mon.waitFor(/"kind":"message"/);
    // Images as JSON at 30 Hz and 3 kHz of poses fill the pipe at once.
    await expectStopWhileStuck(mon, 143);
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
    await expectStopWhileStuck(rep, 0);
  });
});
