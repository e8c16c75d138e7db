// The bridge's token, presented three ways: a `token.<token>` subprotocol (a browser's way that
// keeps it out of the URL: src/transport/bridge-token.ts), `?token=` in the URL (the fallback),
// `Authorization: Bearer` (Node clients).
// Real sockets on loopback.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { format } from 'node:util';
import createDebug from 'debug';
import { describe, expect, it } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import WebSocket from 'ws';
import { ConnectionError, InvalidOptionError, connectWebSocket } from '../../src/node.js';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';
import { bridgeHooks, bridgeOf as bridgeKitOf, peerServer as peerKitServer, pose } from './bridge-kit.js';

const { defer } = bridgeHooks();
const TOKEN = 'f3a9c2d1e8b7a6f5c4d3e2f1a0b9c8d7';
const WRONG = 'a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0';

const bridgeOf = (options: BridgeOptions): Promise<IgtlBridge> => bridgeKitOf(defer, options);

/** The handshake's outcome: 101 with the subprotocol the bridge answered, or the refusal's status. */
function handshake(url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<{ status: number; protocol?: string; header?: string | undefined }> {
  const ws = new WebSocket(url, protocols, options);
  ws.on('error', () => {});
  defer(() => ws.terminate());
  return new Promise((resolve) => {
    let header: string | undefined;
    ws.once('upgrade', (res: IncomingMessage) => (header = res.headers['sec-websocket-protocol'] as string | undefined));
    ws.once('open', () => resolve({ status: 101, protocol: ws.protocol, header }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
  });
}

describe('the token as a subprotocol (kept out of the URL)', () => {
  it('accepts the right token offered as token.<token> beside igtl-rx, and answers igtl-rx alone', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN });
    // Either order: the answer is igtl-rx, never the token entry (ws chose the first offered one).
    expect(await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`])).toEqual({ status: 101, protocol: 'igtl-rx', header: 'igtl-rx' });
    expect(await handshake(bridge.url, [`token.${TOKEN}`, 'igtl-rx'])).toEqual({ status: 101, protocol: 'igtl-rx', header: 'igtl-rx' });
    // The fallback and the Node way still work; a client's own subprotocol is still answered.
    expect((await handshake(`${bridge.url}?token=${TOKEN}`)).status).toBe(101);
    expect((await handshake(bridge.url, [], { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(101);
    expect(await handshake(`${bridge.url}?token=${TOKEN}`, ['chat'])).toEqual({ status: 101, protocol: 'chat', header: 'chat' });
  });

  it('refuses a wrong token in the header (401), none (401), and a token entry without igtl-rx or twice (400)', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN });
    expect((await handshake(bridge.url, ['igtl-rx', `token.${WRONG}`])).status).toBe(401);
    expect((await handshake(bridge.url, ['igtl-rx'])).status).toBe(401);
    // The right token in the URL does not rescue a wrong one in the header: the header is read first.
    expect((await handshake(`${bridge.url}?token=${TOKEN}`, ['igtl-rx', `token.${WRONG}`])).status).toBe(401);
    expect((await handshake(bridge.url, [`token.${TOKEN}`])).status).toBe(400);
    expect((await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`, `token.${WRONG}`])).status).toBe(400);
  });

  it('connectWebSocket({ token }) sends it as a subprotocol: the request URL holds no token, and the page gets data', async () => {
    const peer = await peerKitServer(defer);
    // The bridge on a server of the test's own, which sees each upgrade request as it arrives.
    const http = createHttpServer();
    const seen: { url: string; protocols: string[] | undefined }[] = [];
    http.prependListener('upgrade', (req: IncomingMessage) => seen.push({ url: req.url ?? '', protocols: req.headers['sec-websocket-protocol']?.split(',').map((p) => p.trim()) }));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    defer(() => new Promise((r) => http.close(r)));
    const bridge = createBridge({ server: http, upstream: { port: peer.address.port }, token: TOKEN });
    defer(() => bridge.close());
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/?type=TRANSFORM`;
    const page = connectWebSocket(url, { WebSocket, token: TOKEN, reconnect: false });
    defer(() => page.close());
    page.connect();
    await firstValueFrom(page.peerState$.pipe(filter((s) => s.kind === 'open'), timeout(5000)));
    const got = firstValueFrom(page.pipe(filter((m) => m.type === 'TRANSFORM'), timeout(5000)));
    peer.broadcast(pose(4));
    expect((await got).deviceName).toBe('Tool');
    expect(seen).toEqual([{ url: '/?type=TRANSFORM', protocols: ['igtl-rx', `token.${TOKEN}`] }]);
  });

  it('connectWebSocket with a wrong token fails its attempt with a ConnectionError naming 401', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN });
    const page = connectWebSocket(bridge.url, { WebSocket, token: WRONG, reconnect: false });
    defer(() => page.close());
    const closed = firstValueFrom(page.state$.pipe(filter((s) => s.kind === 'closed'), timeout(5000)));
    page.connect();
    const state = await closed;
    expect(state.kind === 'closed' && state.reason).toBeInstanceOf(ConnectionError);
    expect(state.kind === 'closed' && state.reason?.message).toMatch(/401/);
  });

  it('connectWebSocket throws an InvalidOptionError for a token no subprotocol can hold', () => {
    expect(() => connectWebSocket('ws://127.0.0.1:9/', { WebSocket, token: 'c2VjcmV0/dG9rZW4=' })).toThrow(InvalidOptionError);
    expect(() => connectWebSocket('ws://127.0.0.1:9/', { WebSocket, token: 'c2VjcmV0/dG9rZW4=' })).toThrow(/"\/".*\?token=/);
  });

  it('never logs a token offered as a subprotocol, right or wrong', async () => {
    const lines: string[] = [];
    const savedLog = createDebug.log;
    const savedNamespaces = createDebug.disable();
    createDebug.log = (...args: unknown[]) => lines.push(format(...args));
    createDebug.enable('igtl-rx:*');
    defer(() => {
      createDebug.log = savedLog;
      createDebug.disable();
      if (savedNamespaces) createDebug.enable(savedNamespaces);
    });
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN });
    expect((await handshake(bridge.url, ['igtl-rx', `token.${WRONG}`])).status).toBe(401);
    expect((await handshake(bridge.url, [`token.${WRONG}`])).status).toBe(400);
    expect((await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`])).status).toBe(101);
    expect(lines.join('\n')).toMatch(/refused 127\.0\.0\.1:\d+: missing or wrong token/);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(WRONG);
    }
  });
});
