// Shared pieces of the bridge tests: a cleanup list run after each test, a polling wait for a
// condition the test can name, an igtl-rx peer and a bridge that close themselves.
import { afterEach } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import WebSocket from 'ws';
import { IDENTITY, Timestamp, connectWebSocket, createMessage, type WebSocketConnection } from '../../src/node.js';
import { listeningServer } from '../support/fault-kit.js';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';

/** Registers the after-each cleanup in the calling test file; returns `defer(fn)`. */
export function bridgeHooks(): { defer: (fn: () => unknown) => void } {
  let cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });
  return { defer: (fn) => void cleanup.push(fn) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TRANSFORM of `device` whose x translation carries `n`. */
export const pose = (n: number, device = 'Tool') =>
  createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: device, timestamp: Timestamp.ZERO });

/** Resolves once `cond()` holds (polled every 5 ms); fails naming `what` after `timeoutMs`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** An igtl-rx server on loopback (a free port unless given), closed by `defer`. */
export const peerServer = listeningServer;

/** A bridge on a free port, closed by `defer`. */
export async function bridgeOf(defer: (fn: () => unknown) => void, options: BridgeOptions): Promise<IgtlBridge> {
  const b = createBridge({ port: 0, ...options });
  defer(() => b.close());
  await b.listen();
  return b;
}

/** A page (connectWebSocket with `ws`) on the bridge at `url`, once the bridge says its peer is open; closed by `defer`. */
export async function openPage(defer: (fn: () => unknown) => void, url: string): Promise<WebSocketConnection> {
  const page = connectWebSocket(url, { WebSocket });
  defer(() => page.close());
  page.connect();
  await firstValueFrom(page.peerState$.pipe(filter((s) => s.kind === 'open'), timeout(5000)));
  return page;
}
