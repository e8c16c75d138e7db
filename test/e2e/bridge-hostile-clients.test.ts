// The bridge against hostile or broken clients, beyond the checks of bridge-security.test.ts:
// floods of idle HTTP connections, weak and guessed tokens, draft-version handshakes, text
// frames. Real sockets on loopback; every "still open" is checked after an event that proves
// the bridge has handled what came before it, never after a sleep.
import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { InvalidOptionError } from '../../src/node.js';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';
import { bridgeHooks, bridgeOf as bridgeKitOf, peerServer, until } from './bridge-kit.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { defer } = bridgeHooks();
const TOKEN = '0123456789abcdef0123';

async function bridgeOf(options: BridgeOptions = {}): Promise<IgtlBridge> {
  const peer = await peerServer(defer);
  return bridgeKitOf(defer, { upstream: { port: peer.address.port }, ...options });
}

/** A TCP socket to the bridge that sends nothing; resolves once connected. */
function idleSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
    defer(() => s.destroy());
  });
}

/** The status line and headers of the answer to a request sent byte for byte (`head` without its final blank line). */
function rawAnswer(port: number, head: string): Promise<{ status: number; headers: string }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => s.write(`${head}\r\n`));
    defer(() => s.destroy());
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      const end = text.indexOf('\r\n\r\n');
      if (end >= 0) resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]), headers: text.slice(0, end) });
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed without an answer: ${JSON.stringify(text)}`)));
  });
}

const upgrade = (port: number, version: string, extra = '') =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${version === '' ? '' : `Sec-WebSocket-Version: ${version}\r\n`}${extra}`;

/** A `ws` client, open. */
async function openClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  defer(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

describe('HTTP connections that are not WebSocket clients (maxPendingConnections)', () => {
  it('holds at most maxPendingConnections idle sockets: a new one cuts the oldest (all 10 were held), and a page still gets in', async () => {
    const bridge = await bridgeOf({ maxPendingConnections: 4 });
    const port = bridge.address.port;
    const sockets: Socket[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await idleSocket(port));
    const isClosed = (s: Socket) => s.closed || s.readyState === 'closed';
    await until('the 6 oldest idle sockets cut', () => sockets.slice(0, 6).every(isClosed));
    // A WebSocket client arrives while 4 idle sockets fill the bound: it cuts the oldest of them.
    const ws = await openClient(`ws://127.0.0.1:${port}/`);
    await until('the 7th idle socket cut', () => isClosed(sockets[6]!));
    expect(sockets.slice(7).some(isClosed)).toBe(false);
    // A client does not count: with it connected, one more idle socket fits beside the 3 left,
    // and the next connection cuts the oldest again.
    sockets.push(await idleSocket(port));
    const probe = await openClient(`ws://127.0.0.1:${port}/`); // its connection cuts the oldest again
    await until('the 8th idle socket cut', () => isClosed(sockets[7]!));
    expect(sockets.slice(8).some(isClosed)).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(probe.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a maxPendingConnections that is not a whole number >= 1 (InvalidOptionError)', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createBridge({ port: 0, upstream: { port: 9 }, maxPendingConnections: bad }), String(bad)).toThrow(InvalidOptionError);
    }
  });
});

describe('tokens', () => {
  it('refuses a token shorter than 16 characters unless allowWeakToken (InvalidOptionError, option token)', async () => {
    let thrown: unknown;
    try {
      createBridge({ port: 0, upstream: { port: 9 }, token: 'surgery2026' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidOptionError);
    expect((thrown as InvalidOptionError).option).toBe('token');
    expect((thrown as Error).message).toMatch(/11 characters, fewer than 16/);
    const weak = await bridgeOf({ token: 'surgery2026', allowWeakToken: true });
    expect((await rawAnswer(weak.address.port, upgrade(weak.address.port, '13', 'Authorization: Bearer surgery2026\r\n'))).status).toBe(101);
  });

  it('the CLI exits 2 naming the length and --allow-weak-token', async () => {
    const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');
    const run = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, 'bridge', '--port', '0', '--token', 'short', '--duration', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.once('exit', (code) => resolve({ code, err }));
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/token has 5 characters, fewer than 16.*--allow-weak-token/);
  });

  it('answers 429 with Retry-After once an address has failed 10 times, also to the right token (it got 401 for ever)', async () => {
    const bridge = await bridgeOf({ token: TOKEN });
    const port = bridge.address.port;
    for (let i = 0; i < 10; i++) {
      expect((await rawAnswer(port, upgrade(port, '13', `Authorization: Bearer wrong-token-${i}-xxxxxxxx\r\n`))).status, `attempt ${i + 1}`).toBe(401);
    }
    const limited = await rawAnswer(port, upgrade(port, '13', 'Authorization: Bearer wrong-again-xxxxxxxxxx\r\n'));
    expect(limited.status).toBe(429);
    const retryAfter = Number(/\r\nRetry-After: (\d+)/i.exec(limited.headers)?.[1]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(6);
    expect((await rawAnswer(port, upgrade(port, '13', `Authorization: Bearer ${TOKEN}\r\n`))).status).toBe(429);
    // Another bridge (another table) still lets the right token in from the same address.
    const other = await bridgeOf({ token: TOKEN });
    expect((await rawAnswer(other.address.port, upgrade(other.address.port, '13', `Authorization: Bearer ${TOKEN}\r\n`))).status).toBe(101);
  });
});

describe('WebSocket protocol versions', () => {
  it('refuses version 8 (and none, and 12) with 426 and Sec-WebSocket-Version: 13 (version 8 was accepted: 101)', async () => {
    const bridge = await bridgeOf();
    const port = bridge.address.port;
    for (const version of ['8', '12', '']) {
      const answer = await rawAnswer(port, upgrade(port, version));
      expect(answer.status, version).toBe(426);
      expect(answer.headers, version).toMatch(/\r\nSec-WebSocket-Version: 13(\r\n|$)/i);
    }
    expect((await rawAnswer(port, upgrade(port, '13'))).status).toBe(101);
  });
});

describe('text frames from a client', () => {
  it('close the client with 1003 and a reason (it was left open, told nothing); other clients go on', async () => {
    const bridge = await bridgeOf();
    const url = `ws://127.0.0.1:${bridge.address.port}/`;
    const other = await openClient(url);
    const ws = await openClient(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.send('{"hello":"bridge"}');
    expect(await closed).toEqual({ code: 1003, reason: 'text frames are not accepted: OpenIGTLink travels in binary frames' });
    await until('the bridge to drop the client', () => bridge.clients.size === 1);
    expect(other.readyState).toBe(WebSocket.OPEN);
  });
});
