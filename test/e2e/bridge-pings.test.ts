// WebSocket pings from the bridge (src/bridge/client-pings.ts): a client silent for keepAliveMs
// is pinged; one that answers nothing within as long again is disconnected. A plain WebSocket
// client takes no part in the OpenIGTLink heartbeat, and TCP keep-alive does not probe while
// data waits to be acknowledged (test/faults/bridge-dead-client.test.ts has the real vanishing,
// in a network namespace). Here the client is a `ws` client told not to answer pings
// (autoPong: false), which is what a vanished client looks like to the bridge, and one that
// answers (as browsers and ws do by themselves).
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bridgeHooks, bridgeOf, peerServer, until } from './bridge-kit.js';

const { defer } = bridgeHooks();
const KEEPALIVE_MS = 400;

async function setUp() {
  const peer = await peerServer(defer);
  const bridge = await bridgeOf(defer, { upstream: { port: peer.address.port }, keepAliveMs: KEEPALIVE_MS });
  const { port } = bridge.address;
  const closed: number[] = [];
  bridge.clients$.subscribe((c) => c.state$.subscribe((s) => s.kind === 'closed' && closed.push(c.id)));
  return { url: `ws://127.0.0.1:${port}/`, closed };
}

function plainClient(url: string, autoPong: boolean) {
  const ws = new WebSocket(url, { autoPong });
  defer(() => ws.terminate());
  let pings = 0;
  ws.on('ping', () => pings++);
  ws.on('error', () => {});
  return { ws, pings: () => pings };
}

describe('bridge: WebSocket pings to silent clients', () => {
  it('a client that answers no ping is disconnected after about twice keepAliveMs', async () => {
    const { url, closed } = await setUp();
    const { ws, pings } = plainClient(url, false);
    await once(ws, 'open');
    const t0 = performance.now();
    await once(ws, 'close');
    const after = performance.now() - t0;
    expect(pings()).toBeGreaterThanOrEqual(1);
    expect(after).toBeGreaterThanOrEqual(2 * KEEPALIVE_MS - 50);
    expect(after).toBeLessThan(10 * KEEPALIVE_MS);
    await until('the bridge to close its client', () => closed.length === 1);
  });

  it('a client that answers pings (as browsers do by themselves) stays, silent as it is', async () => {
    const { url, closed } = await setUp();
    const { ws, pings } = plainClient(url, true);
    await once(ws, 'open');
    // Three pings: the third comes at least 3 x keepAliveMs after the client last sent anything
    // of its own (it never does), past the 2 x keepAliveMs after which a silent one is cut.
    await until('three pings', () => pings() >= 3, 20 * KEEPALIVE_MS);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(closed).toEqual([]);
  });
});
