// The bridge's token, presented three ways: a `token.<token>` subprotocol (a browser's way that
// keeps it out of the URL: src/transport/bridge-token.ts), `?token=` in the URL (the fallback),
// `Authorization: Bearer` (Node clients); and the per-address limit on wrong tokens, as options,
// also behind a reverse proxy (trustProxy, X-Forwarded-For).
// Real sockets on loopback.
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { captureDebugLines } from '../support/debug-lines.js';
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
    const lines = captureDebugLines('igtl-rx:*', defer);
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

describe('the limit on wrong tokens (authFailureLimits)', () => {
  it('is an option: after `burst` wrong tokens an address waits (429 with Retry-After), also with the right one', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN, authFailureLimits: { burst: 2, refillMs: 60_000 } });
    expect((await handshake(bridge.url, ['igtl-rx', `token.${WRONG}`])).status).toBe(401);
    expect((await handshake(`${bridge.url}?token=${WRONG}`)).status).toBe(401);
    expect((await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`])).status).toBe(429);
    // Another address (127.0.0.2) has its own count.
    expect((await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`], { localAddress: '127.0.0.2' })).status).toBe(101);
  });

  it('the default is still 10 wrong tokens per address', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN });
    for (let i = 0; i < 10; i++) expect((await handshake(bridge.url, ['igtl-rx', `token.${WRONG}`])).status).toBe(401);
    expect((await handshake(bridge.url, ['igtl-rx', `token.${TOKEN}`])).status).toBe(429);
  });

  it('throws an InvalidOptionError for nonsense, naming the field', () => {
    const make = (authFailureLimits: unknown) => () => createBridge({ upstream: { port: 9 }, token: TOKEN, authFailureLimits: authFailureLimits as BridgeOptions['authFailureLimits'] });
    for (const bad of [{ burst: 0 }, { burst: 1.5 }, { burst: Number.NaN }, { refillMs: 0 }, { refillMs: -1 }, { refillMs: Infinity }, { maxAddresses: 0 }, { maxAddresses: Infinity }, { maxAddresses: '9' }]) {
      const field = Object.keys(bad)[0]!;
      expect(make(bad), JSON.stringify(bad)).toThrow(InvalidOptionError);
      expect(make(bad), JSON.stringify(bad)).toThrow(new RegExp(`authFailureLimits\\.${field}`));
    }
    // No limit at all is a choice (behind a proxy that limits itself): burst Infinity.
    expect(() => createBridge({ upstream: { port: 9 }, token: TOKEN, authFailureLimits: { burst: Infinity } }).close()).not.toThrow();
  });
});

describe('behind a reverse proxy (trustProxy)', () => {
  const viaProxy = (url: string, token: string, forwardedFor: string, localAddress = '127.0.0.1') =>
    handshake(url, ['igtl-rx', `token.${token}`], { localAddress, headers: { 'x-forwarded-for': forwardedFor } });

  it('counts the client X-Forwarded-For names on requests from a listed proxy: one guesser no longer locks out the others', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN, authFailureLimits: { burst: 1, refillMs: 60_000 }, trustProxy: ['127.0.0.1'] });
    expect((await viaProxy(bridge.url, WRONG, '10.0.0.66')).status).toBe(401);
    expect((await viaProxy(bridge.url, TOKEN, '10.0.0.66')).status).toBe(429);
    // Another client through the same proxy is let in.
    expect((await viaProxy(bridge.url, TOKEN, '10.0.0.7')).status).toBe(101);
    // A chain: the guesser wrote an address of its own in front; the proxy appended the real one.
    expect((await viaProxy(bridge.url, TOKEN, '10.0.0.8, 10.0.0.66')).status).toBe(429);
    // A request that does not come from a listed proxy: its header is not read (127.0.0.2 is counted).
    expect((await viaProxy(bridge.url, WRONG, '10.0.0.9', '127.0.0.2')).status).toBe(401);
    expect((await viaProxy(bridge.url, TOKEN, '10.0.0.10', '127.0.0.2')).status).toBe(429);
  });

  it('by default reads no X-Forwarded-For: every client of one address shares its count', async () => {
    const peer = await peerKitServer(defer);
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token: TOKEN, authFailureLimits: { burst: 1, refillMs: 60_000 } });
    expect((await viaProxy(bridge.url, WRONG, '10.0.0.66')).status).toBe(401);
    expect((await viaProxy(bridge.url, TOKEN, '10.0.0.7')).status).toBe(429);
  });

  it('an entry that is no address or range, or trustProxy without a token, is an InvalidOptionError naming trustProxy', () => {
    expect(() => createBridge({ upstream: { port: 9 }, token: TOKEN, trustProxy: ['proxy.example'] })).toThrow(InvalidOptionError);
    expect(() => createBridge({ upstream: { port: 9 }, token: TOKEN, trustProxy: ['10.0.0.0/40'] })).toThrow(/trustProxy/);
    // Without a token it would change nothing, silently, on a bridge open to whoever the proxy lets in.
    expect(() => createBridge({ upstream: { port: 9 }, trustProxy: ['127.0.0.1'] })).toThrow(/invalid option trustProxy: .*needs a token/);
  });

  it('the CLI: --wrong-tokens, --wrong-token-refill-ms, --trust-proxy (and exit 2 for nonsense)', async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');
    const peer = await peerKitServer(defer);
    const env = { ...process.env, IGTL_RX_BRIDGE_TOKEN: TOKEN };
    const p = spawn(process.execPath, [cli, 'bridge', '--port', '0', '--quiet', '--static', 'none', '--igtl', `127.0.0.1:${peer.address.port}`, '--wrong-tokens', '1', '--wrong-token-refill-ms', '60000', '--trust-proxy', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    defer(() => p.kill('SIGKILL'));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (ws:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      p.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect((await viaProxy(url, WRONG, '10.0.0.66')).status).toBe(401);
    expect((await viaProxy(url, TOKEN, '10.0.0.66')).status).toBe(429);
    expect((await viaProxy(url, TOKEN, '10.0.0.7')).status).toBe(101);
    for (const bad of [['--wrong-tokens', '0'], ['--wrong-token-refill-ms', '0'], ['--trust-proxy', 'proxy.example']]) {
      const code = await new Promise<number | null>((resolve) => {
        const q = spawn(process.execPath, [cli, 'bridge', '--port', '0', ...bad], { stdio: 'ignore', env });
        q.once('exit', resolve);
      });
      expect(code, bad.join(' ')).toBe(2);
    }
  });
});
