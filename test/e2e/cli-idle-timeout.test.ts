// `--idle-timeout MS` on monitor, record, demo --connect and bridge. A server that accepted the
// connection and then sent nothing (stopped before it accepted: the kernel completes the
// handshake; a hung process) left them `stale` for ever: no heartbeat answer (it never answered
// one), TCP keep-alive answered by its kernel. Measured before: `monitor` and `record` of such a
// server were still running when `timeout 8` killed them (exit 124); so were `demo --connect`
// and `record --listen` that no client sent to, and `bridge` kept its pages on a `stale` peer.
// Now the operator can say how long silence may last.
import net, { type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY } from '../../src/node.js';
import { jsonLines, runCli, startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** A TCP server that accepts, reads and discards, and never sends a byte. */
async function silentServer(ctx: TestContext): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => {});
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.onTestFinished(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

describe('--idle-timeout', () => {
  it('monitor: a server that never sends ends the monitor as a lost connection (exit 4), naming the rule', { timeout: 20_000 }, async (ctx) => {
    const port = await silentServer(ctx);
    const started = performance.now();
    const r = await runCli(['monitor', `127.0.0.1:${port}`, '--json', '--idle-timeout', '1000'], { timeoutMs: 10_000 });
    expect(r.code).toBe(4);
    expect(performance.now() - started).toBeLessThan(6000);
    expect(r.stderr).toMatch(/^igtl-rx: 127\.0\.0\.1:\d+: connection lost: .*nothing received for 1000 ms\n$/);
    const closed = jsonLines(r.stdout).filter((l) => l.kind === 'state' && l.state === 'closed');
    expect(closed).toMatchObject([{ reason: 'dead-peer', rule: 'idle' }]);
  });

  it('record: the recording ends complete (file and index) and exits 1 saying why', { timeout: 20_000 }, async (ctx) => {
    const port = await silentServer(ctx);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-idle-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 's.igtl');
    const r = await runCli(['record', file, `127.0.0.1:${port}`, '--idle-timeout', '1000'], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/recorded 0 messages .* to .*s\.igtl/);
    expect(r.stderr).toMatch(/igtl-rx: connection lost: .*nothing received for 1000 ms\n$/);
    expect(statSync(file).size).toBe(0);
    expect(existsSync(`${file}.idx`)).toBe(true);
  });

  it('a peer that keeps sending is not cut: record runs to --duration (exit 0) with every message', { timeout: 20_000 }, async (ctx) => {
    const server = createServer({ port: 0 });
    const { port } = (await server.listen()) as AddressInfo;
    ctx.onTestFinished(() => server.close());
    const timer = setInterval(() => server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' })), 50);
    ctx.onTestFinished(() => clearInterval(timer));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-idle-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const r = await runCli(['record', path.join(dir, 's.igtl'), `127.0.0.1:${port}`, '--idle-timeout', '500', '--duration', '2'], { timeoutMs: 10_000 });
    expect(r.stderr).not.toMatch(/nothing received/);
    expect(r.code).toBe(0);
    expect(Number(/recorded (\d+) messages/.exec(r.stderr)?.[1])).toBeGreaterThan(20);
  });

  it('demo --connect: a server that never sends ends the demo as a lost connection (exit 4)', { timeout: 20_000 }, async (ctx) => {
    const port = await silentServer(ctx);
    const r = await runCli(['demo', '--connect', `127.0.0.1:${port}`, '--idle-timeout', '1000'], { timeoutMs: 10_000 });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^igtl-rx: 127\.0\.0\.1:\d+: connection lost: .*nothing received for 1000 ms\n$/);
    expect(r.stdout).toMatch(/^state: closed: dead peer \(idle\)/m);
  });

  it('record --listen: no client sends for MS ends the recording, complete, exit 1', { timeout: 20_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-idle-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'l.igtl');
    const r = await runCli(['record', file, '--listen', '0', '--idle-timeout', '1000'], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/recorded 0 messages .* to .*l\.igtl/);
    expect(r.stderr).toMatch(/\nigtl-rx: nothing received from any client of 127\.0\.0\.1:\d+ for 1000 ms\n$/);
    expect(existsSync(`${file}.idx`)).toBe(true);
  });

  it('bridge: a peer that never sends is given up on and the link reconnects', { timeout: 20_000 }, async (ctx) => {
    const port = await silentServer(ctx);
    const bridge = startCli(['bridge', '--igtl', `127.0.0.1:${port}`, '--port', '0', '--static', 'none', '--idle-timeout', '1000']);
    ctx.onTestFinished(async () => {
      await bridge.stop();
    });
    await bridge.waitFor(/peer: .*nothing received for 1000 ms; retrying in/, 10_000, 'stderr');
  });

  it('is a usage error when not a number of ms, or where there is no peer to watch', async () => {
    for (const args of [['monitor', '1', '--idle-timeout', 'soon'], ['demo', '--idle-timeout', '1000'], ['bridge', '--idle-timeout', '-'], ['record', 'x.igtl', '1', '--idle-timeout', '3e9']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^igtl-rx: .*idle-timeout/);
    }
  });
});
