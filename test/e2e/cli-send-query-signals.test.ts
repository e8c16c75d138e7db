// Stop signals during `send` and `query`. They had no handling: Node's defaults killed them on
// the spot (measured: `query STT_TDATA --count 1000000`, SIGTERM: the shell's 143 was a death by
// signal, no STP_, no word; `send --interval 1000` of 5 messages, SIGHUP after 2: killed,
// nothing said of the 3 not sent). They now stop cleanly, as monitor and record do: the
// connection closed (after an STP_ of a stream they started), one line on stderr, 128 + the
// signal's number.
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { filter, firstValueFrom, map, take } from 'rxjs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY } from '../../src/node.js';
import { startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** An igtl-rx server in this process: a TRANSFORM every 20 ms; `received(n)` resolves once clients have sent n messages, `asked(type)` once one sent that type. */
async function server(ctx: TestContext, stream = true) {
  const srv = createServer({ port: 0 });
  const { port } = (await srv.listen()) as AddressInfo;
  const timer = stream ? setInterval(() => srv.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' })), 20) : undefined;
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await srv.close();
  });
  let count = 0;
  const counted = srv.messages$.pipe(map(() => ++count));
  return {
    port,
    count: () => count,
    received: (n: number) => firstValueFrom(counted.pipe(filter((c) => c >= n), take(1)), { defaultValue: -1 }),
    asked: (type: string) => firstValueFrom(srv.messages$.pipe(map((m) => m.message.type as string), filter((t) => t === type), take(1)), { defaultValue: 'never' }),
  };
}

/** A TCP server that accepts and reads, and never answers; resolves `heard` once bytes came. */
async function silentServer(ctx: TestContext) {
  const sockets = new Set<net.Socket>();
  let heard: () => void = () => {};
  const bytes = new Promise<void>((resolve) => (heard = resolve));
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => heard());
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  ctx.onTestFinished(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  return { port: (srv.address() as AddressInfo).port, heard: bytes };
}

/** Exits within `ms` or is killed (so the old behaviour fails the test instead of hanging it). */
async function exitOf(cli: ReturnType<typeof startCli>, ms = 10_000) {
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), ms);
  const exit = await cli.exited;
  clearTimeout(timer);
  return exit;
}

/** `query STT_TRANS --count 1000000`, once its STT_ is in and a TRANSFORM printed; `stp`: its STP_ at the server. */
async function streamingQuery(ctx: TestContext) {
  const { port, asked } = await server(ctx);
  const stt = asked('STT_TRANS');
  const stp = asked('STP_TRANS');
  const q = startCli(['query', `127.0.0.1:${port}`, 'STT_TRANS', '--count', '1000000', '--timeout', '60000']);
  await stt;
  await q.waitFor(/TRANSFORM/);
  return { q, stp };
}

describe('query stops cleanly on a signal', () => {
  it('STT_ --count: SIGTERM sends STP_, says how many came, exits 143', { timeout: 20_000 }, async (ctx) => {
    const { q, stp } = await streamingQuery(ctx);
    q.child.kill('SIGTERM');
    expect(await exitOf(q)).toEqual({ code: 143, signal: null });
    expect(await stp).toBe('STP_TRANS');
    expect(q.stderr).toMatch(/^igtl-rx: STT_TRANS: stopped by SIGTERM after \d+ of 1000000 streamed messages\n$/);
  });

  it('GET_ waiting for an answer that does not come: Ctrl-C exits 130 with one line', { timeout: 20_000 }, async (ctx) => {
    const { port, heard } = await silentServer(ctx);
    const q = startCli(['query', `127.0.0.1:${port}`, 'GET_STATUS', '--timeout', '60000']);
    await heard;
    q.child.kill('SIGINT');
    expect(await exitOf(q)).toEqual({ code: 130, signal: null });
    expect(q.stderr).toBe('igtl-rx: GET_STATUS: stopped by SIGINT before the answer\n');
  });

  it('COMMAND waiting for its reply: SIGHUP exits 129', { timeout: 20_000 }, async (ctx) => {
    const { port, heard } = await silentServer(ctx);
    const q = startCli(['query', `127.0.0.1:${port}`, '--command', 'Version', '--timeout', '60000']);
    await heard;
    q.child.kill('SIGHUP');
    expect(await exitOf(q)).toEqual({ code: 129, signal: null });
    expect(q.stderr).toBe('igtl-rx: COMMAND Version: stopped by SIGHUP before the answer\n');
  });
});

describe('send stops cleanly on a signal', () => {
  it('between messages: SIGHUP exits 129 and says how many were not sent', { timeout: 20_000 }, async (ctx) => {
    const { port, received, count } = await server(ctx, false);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-send-signal-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'five.json');
    const line = JSON.stringify({ type: 'STRING', headerVersion: 1, deviceName: 'S', content: { encoding: 3, value: 'x' } });
    writeFileSync(file, `${Array(5).fill(line).join('\n')}\n`);
    const s = startCli(['send', `127.0.0.1:${port}`, file, '--interval', '1000']);
    // Two have arrived; the third is due a second after the second.
    expect(await received(2)).toBe(2);
    s.child.kill('SIGHUP');
    expect(await exitOf(s)).toEqual({ code: 129, signal: null });
    const m = /^igtl-rx: send to 127\.0\.0\.1:\d+: stopped by SIGHUP \((\d) of 5 messages not sent\)\n$/.exec(s.stderr);
    expect(m, s.stderr).not.toBeNull();
    expect(Number(m![1])).toBe(5 - count());
  });

  it('waiting for --replies: SIGTERM exits 143, every message sent', { timeout: 20_000 }, async (ctx) => {
    const { port, received } = await server(ctx);
    const s = startCli(['send', `127.0.0.1:${port}`, '--replies', '60000'], {
      input: `${JSON.stringify({ type: 'STRING', headerVersion: 1, deviceName: 'S', content: { encoding: 3, value: 'x' } })}\n`,
    });
    expect(await received(1)).toBe(1);
    await s.waitFor(/TRANSFORM/);
    s.child.kill('SIGTERM');
    expect(await exitOf(s)).toEqual({ code: 143, signal: null });
    expect(s.stderr).toMatch(/^igtl-rx: send to 127\.0\.0\.1:\d+: stopped by SIGTERM \(all 1 sent\)\n$/);
  });
});

describe('query --count whose reader goes (query ... | head)', () => {
  it('sends STP_ and exits 0 (the EPIPE exited at once, without STP_)', { timeout: 20_000 }, async (ctx) => {
    const { q, stp } = await streamingQuery(ctx);
    q.child.stdout!.destroy();
    expect(await exitOf(q)).toEqual({ code: 0, signal: null });
    expect(await Promise.race([stp, new Promise((r) => setTimeout(() => r('not within 3000 ms'), 3000))])).toBe('STP_TRANS');
    expect(q.stderr).toBe('igtl-rx: stdout was closed by its reader: stopping\n');
  });
});
