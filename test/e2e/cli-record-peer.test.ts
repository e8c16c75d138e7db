// `igtl-rx record` says what its peer does. A recording whose peer fell silent or dropped looked
// like a recorder that hung: its counts stopped, and nothing said why. Now it says (a line on
// stderr when that is not a terminal; the progress line's last field when it is): the peer
// stale, live again, reconnecting.
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY } from '../../src/node.js';
import { HAS_SCRIPT, startCli, stopAllCli, type StartOptions } from './cli-harness.js';

afterAll(stopAllCli);

/** A tracker (this process) streaming a TRANSFORM every 20 ms while `sending`, and `igtl-rx record` of it. */
async function recording(ctx: TestContext, options: StartOptions = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-peer-'));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  ctx.onTestFinished(() => server.close());
  const tracker = { sending: true };
  const timer = setInterval(() => {
    if (tracker.sending) server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' }));
  }, 20);
  ctx.onTestFinished(() => clearInterval(timer));
  const rec = startCli(['record', path.join(dir, 'session.igtl'), `127.0.0.1:${port}`], options);
  ctx.onTestFinished(async () => {
    await rec.stop();
  });
  await new Promise<void>((resolve) => server.sessions$.subscribe(() => setTimeout(resolve, 300)));
  return { rec, tracker };
}

describe('igtl-rx record and its peer', () => {
  it('says when the peer falls silent and when it is live again', { timeout: 30_000 }, async (ctx) => {
    const { rec, tracker } = await recording(ctx);
    // The tracker stops sending (its socket stays open): stale after staleAfterMs (3 s).
    tracker.sending = false;
    const silentFrom = performance.now();
    const stale = await rec.waitFor(/igtl-rx: peer stale: no data for ([\d.]+) s from 127\.0\.0\.1:\d+/, 6000, 'stderr');
    expect(performance.now() - silentFrom).toBeLessThan(5000);
    expect(Number(stale[1])).toBeGreaterThanOrEqual(3);
    const from = rec.stderr.length;
    tracker.sending = true;
    await rec.waitFor(/igtl-rx: peer live again \(127\.0\.0\.1:\d+\)/, 3000, 'stderr', from);
  });

  it('with --reconnect, says when the peer drops and when it is live again after reconnecting', { timeout: 30_000 }, async (ctx) => {
    // Without a terminal these lines are all a reader sees: the last must not stay "reconnecting"
    // once data flows again (it did: only a stale peer's return was said).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-record-peer-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    let server = createServer({ port: 0 });
    const { port } = (await server.listen()) as AddressInfo;
    ctx.onTestFinished(() => server.close());
    const timer = setInterval(() => server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' })), 20);
    ctx.onTestFinished(() => clearInterval(timer));
    const rec = startCli(['record', path.join(dir, 'session.igtl'), `127.0.0.1:${port}`, '--reconnect'], {});
    ctx.onTestFinished(async () => {
      await rec.stop();
    });
    await new Promise<void>((resolve) => server.sessions$.subscribe(() => setTimeout(resolve, 300)));
    await server.close();
    await rec.waitFor(/igtl-rx: peer reconnecting/, 5000, 'stderr');
    const from = rec.stderr.length;
    server = createServer({ port });
    await server.listen();
    await rec.waitFor(/igtl-rx: peer live again \(127\.0\.0\.1:\d+\)/, 10_000, 'stderr', from);
  });

  it.runIf(HAS_SCRIPT)('in a terminal, the progress line says it, and goes on counting the silence', { timeout: 30_000 }, async (ctx) => {
    const { rec, tracker } = await recording(ctx, { terminal: { rows: 10, columns: 200 } });
    await rec.waitFor(/\| live/, 5000);
    tracker.sending = false;
    await rec.waitFor(/stale: no data for 3\.\d s/, 6000);
    // Refreshed while nothing arrives: the silence grows on the line.
    await rec.waitFor(/stale: no data for 4\.\d s/, 3000);
  });
});
