// The bridge tells its WebSocket clients the state of its OpenIGTLink peer (issue 13): on
// joining, when the peer dies (within 3 s), when it is back, when it goes silent (stale), and a
// client whose WebSocket is down says `unknown` (bridge down, not tracker down).
import { describe, expect, it } from 'vitest';
import { bridgeHooks, bridgeOf as bridgeKitOf, peerServer as peerKitServer, pose, sleep } from './bridge-kit.js';
import { filter, firstValueFrom, timeout } from 'rxjs';
import WebSocket from 'ws';
import { connectWebSocket, type IgtlServer, type PeerState, type WebSocketConnection } from '../../src/node.js';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';

const { defer } = bridgeHooks();

const peerServer = (port = 0): Promise<IgtlServer> => peerKitServer(defer, { port });

const bridgeOf = (options: BridgeOptions): Promise<IgtlBridge> => bridgeKitOf(defer, options);

function client(url: string): WebSocketConnection {
  const conn = connectWebSocket(url, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  defer(() => conn.close());
  conn.connect();
  return conn;
}

/** The first peer state matching `test`, within `ms`. */
function nextState(conn: WebSocketConnection, test: (s: PeerState) => boolean, ms: number): Promise<PeerState> {
  return firstValueFrom(conn.peerState$.pipe(filter(test), timeout(ms)));
}

const fastReconnect = { initialDelayMs: 100, maxDelayMs: 300, maxAttempts: Infinity };

describe('peer state through the bridge', () => {
  it('a joining client gets the current state; clients hear the peer die within 3 s (closed by the peer) and come back', async () => {
    const peer = await peerServer();
    const port = peer.address.port;
    const bridge = await bridgeOf({ upstream: { port, reconnect: fastReconnect } });
    await firstValueFrom(bridge.upstream.state$.pipe(filter((s) => s.kind === 'open')));
    // Joins while the peer is up: told at once (before any OpenIGTLink message).
    const a = client(bridge.url);
    expect(await nextState(a, (s) => s.kind === 'open', 2000)).toEqual({ kind: 'open', remote: `127.0.0.1:${port}` });
    const b = client(bridge.url);
    await nextState(b, (s) => s.kind === 'open', 2000);

    const down = Date.now();
    const heardA = nextState(a, (s) => s.kind === 'reconnecting' || s.kind === 'closed', 3000);
    const heardB = nextState(b, (s) => s.kind === 'reconnecting' || s.kind === 'closed', 3000);
    await peer.close();
    const stateA = await heardA;
    await heardB;
    expect(Date.now() - down).toBeLessThan(3000);
    expect(stateA).toMatchObject({ kind: 'reconnecting', attempt: 1, reason: { code: 'peer-closed', message: expect.stringMatching(/closed by the peer/) } });
    // Meanwhile the WebSocket itself is fine: the page can tell tracker down from bridge down.
    expect(a.state.kind === 'open' || a.state.kind === 'stale').toBe(true);
    // A client joining now is told the peer is down.
    const late = client(bridge.url);
    expect((await nextState(late, (s) => s.kind !== 'unknown', 2000)).kind).toMatch(/reconnecting|connecting/);

    const backA = nextState(a, (s) => s.kind === 'open', 10_000);
    const backLate = nextState(late, (s) => s.kind === 'open', 10_000);
    const again = await peerServer(port);
    expect(await backA).toEqual({ kind: 'open', remote: `127.0.0.1:${port}` });
    await backLate;
    // And data flows again.
    while (again.sessions.size === 0) await sleep(10);
    const got = firstValueFrom(a.pipe(filter((m) => m.type === 'TRANSFORM'), timeout(5000)));
    again.broadcast(pose(7));
    expect((await got).deviceName).toBe('Tool');
  });

  it('stale when the peer goes silent (staleAfterMs), open again when it speaks', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port, staleAfterMs: 300, heartbeat: false } });
    const a = client(bridge.url);
    await nextState(a, (s) => s.kind === 'open', 2000);
    const stale = await nextState(a, (s) => s.kind === 'stale', 2000);
    // On the wall clock the timer fires at staleAfterMs or a little later: silentMs is the silence measured.
    expect(stale.kind === 'stale' && stale.silentMs).toBeGreaterThanOrEqual(300);
    expect(stale.kind === 'stale' && stale.silentMs).toBeLessThan(1000);
    const live = nextState(a, (s) => s.kind === 'open', 2000);
    peer.broadcast(pose(1));
    await live;
  });

  it('closed, with its reason, when the bridge gives up on the peer', async () => {
    const peer = await peerServer();
    const port = peer.address.port;
    const bridge = await bridgeOf({ upstream: { port, reconnect: { initialDelayMs: 50, maxDelayMs: 50, maxAttempts: 1 } } });
    const a = client(bridge.url);
    await nextState(a, (s) => s.kind === 'open', 2000);
    const closed = nextState(a, (s) => s.kind === 'closed', 5000);
    await peer.close();
    expect(await closed).toMatchObject({ kind: 'closed', reason: { code: expect.any(String), message: expect.any(String) } });
  });

  it('unknown while the bridge itself is down', async () => {
    const peer = await peerServer();
    const bridge = createBridge({ port: 0, upstream: { port: peer.address.port } });
    await bridge.listen();
    const a = client(bridge.url);
    await nextState(a, (s) => s.kind === 'open', 2000);
    const unknown = nextState(a, (s) => s.kind === 'unknown', 3000);
    await bridge.close();
    await unknown;
    expect(a.peerState).toEqual({ kind: 'unknown' });
  });
});
