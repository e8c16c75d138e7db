// A page's WebSocket to an igtl-rx bridge, when the bridge itself stops (a process hung, a
// machine gone, a cable pulled: no FIN, no RST) while the tracker behind it is fine. The page's
// connection only fell silent: `stale`, the bridge's last peer state still `open`, so the
// workbench said "stale: the tracker sends nothing" for as long as TCP kept the socket, the
// wrong cause. connectWebSocket now has the clients' heartbeat by default: the bridge answers
// it itself (it never reaches the tracker, and a read-only bridge does not count it as a client
// send), so a bridge that stops is declared dead within 15 s (rule `heartbeat`), the page goes
// `reconnecting` (bridge down) and the peer state `unknown`. The other way round, the bridge
// pings a page that took part and has been silent (a read-only page always is), so a page whose
// machine or network vanished is let go within 15 s. Bridge, simulator and page run in their
// own processes where a test stops them (SIGSTOP).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import WebSocket from 'ws';
import { connectWebSocket, DeadPeerError, type IgtlError, type SendRefusal, type WebSocketConnection } from '../../src/node.js';
import { createBridge } from '../../src/bridge/index.js';
import { simulateFor, startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

async function trackerBehindBridge(ctx: TestContext) {
  const { sim, port } = await simulateFor(ctx, ['--rate', '50', '--streams', 'TRANSFORM', '--tools', 'Stylus']);
  const bridge = startCli(['bridge', '--igtl', `127.0.0.1:${port}`, '--port', '0']);
  ctx.onTestFinished(async () => {
    bridge.child.kill('SIGCONT');
    await bridge.stop();
  });
  const url = (await bridge.waitFor(/(ws:\/\/[\d.]+:\d+\/?)/, 15_000))[1]!;
  return { sim, bridge, url };
}

function page(ctx: TestContext, url: string, options: Parameters<typeof connectWebSocket>[1] = {}) {
  const conn = connectWebSocket(url, { WebSocket, reconnect: { initialDelayMs: 100, maxDelayMs: 300 }, ...options });
  ctx.onTestFinished(() => conn.close());
  const errors: { error: IgtlError; at: number }[] = [];
  const refused: SendRefusal[] = [];
  conn.errors$.subscribe((error) => errors.push({ error, at: performance.now() }));
  conn.refused$.subscribe((r) => refused.push(r));
  conn.connect();
  return { conn, errors, refused };
}

/**
 * Resolves once half a second of the stream (25 TRANSFORMs at 50 Hz) has come through the
 * bridge: relayed after the bridge answered the heartbeat's probe at open (it answers on receipt,
 * in order on the same WebSocket), so the page knows the bridge takes part in heartbeats.
 */
const streaming = (conn: WebSocketConnection) => firstValueFrom(conn.pipe(filter((m) => m.type === 'TRANSFORM'), take(25), toArray()));

describe('a page whose bridge stops', () => {
  it('finds the bridge dead within the default heartbeat (15 s): reconnecting, peer state unknown', { timeout: 40_000 }, async (ctx) => {
    const { bridge, url } = await trackerBehindBridge(ctx);
    const { conn, errors, refused } = page(ctx, url);
    await streaming(conn);
    expect(conn.peerState.kind).toBe('open');
    const reconnecting = firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'reconnecting'), timeout({ first: 20_000 })));
    bridge.child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    const state = await reconnecting;
    const dead = errors.find((e) => e.error instanceof DeadPeerError);
    expect((dead?.error as DeadPeerError | undefined)?.rule).toBe('heartbeat');
    // Silent from the stop: pinged after 5 s, declared dead 10 s later (plus the turns of the loop).
    expect(dead!.at - stoppedAt).toBeGreaterThanOrEqual(14_000);
    expect(dead!.at - stoppedAt).toBeLessThan(17_000);
    expect(state.kind).toBe('reconnecting');
    expect(conn.peerState.kind).toBe('unknown');
    // The probe and pings were answered by the bridge, never refused as a client send.
    expect(refused).toEqual([]);
  });

  it('a live bridge in front of a tracker that stopped is not taken for dead: it answers the pings itself', { timeout: 30_000 }, async (ctx) => {
    const { sim, url } = await trackerBehindBridge(ctx);
    // A heartbeat quicker than the bridge's own stale rule (3 s): pinged after 0.5 s of silence,
    // dead 1 s after that, long before the bridge says its tracker went stale.
    const { conn, errors, refused } = page(ctx, url, { heartbeat: { intervalMs: 500, timeoutMs: 1000 } });
    await streaming(conn);
    const trackerStale = firstValueFrom(conn.peerState$.pipe(filter((s) => s.kind === 'stale')));
    sim.child.kill('SIGSTOP');
    ctx.onTestFinished(() => {
      sim.child.kill('SIGCONT');
    });
    // The event that ends the quiet period: the bridge reports the tracker stale (3 s of
    // silence), by which time an unanswered ping would have closed the page's connection twice over.
    await trackerStale;
    expect(errors.map((e) => e.error.code)).toEqual([]);
    expect(conn.state.kind === 'open' || conn.state.kind === 'stale').toBe(true);
    expect(refused).toEqual([]);
  });

  it('a bridge lets go of a page whose process stopped within 15 s (it pings a silent page that took part)', { timeout: 40_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--rate', '50', '--streams', 'TRANSFORM', '--tools', 'Stylus']);
    const bridge = createBridge({ port: 0, upstream: { port } });
    ctx.onTestFinished(() => bridge.close());
    await bridge.listen();
    const pageScript = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'ws-page.mjs');
    const child = spawn(process.execPath, [pageScript, bridge.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    ctx.onTestFinished(() => {
      child.kill('SIGKILL');
    });
    // Half a second of the stream at the page (its probe answered long before).
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => String(d).includes('"got"') && resolve()));
    expect(bridge.clients.size).toBe(1);
    const client = [...bridge.clients][0]!;
    const errors: IgtlError[] = [];
    client.errors$.subscribe((e) => errors.push(e));
    const closed = firstValueFrom(client.state$.pipe(filter((s) => s.kind === 'closed'), timeout({ first: 25_000 })));
    child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await closed;
    const after = performance.now() - stoppedAt;
    expect((errors.find((e) => e instanceof DeadPeerError) as DeadPeerError | undefined)?.rule).toBe('heartbeat');
    // Pinged at most 5 s after it stopped answering, let go 10 s after that ping.
    expect(after).toBeGreaterThanOrEqual(10_000);
    expect(after).toBeLessThan(16_000);
    expect(bridge.clients.size).toBe(0);
  });
});
