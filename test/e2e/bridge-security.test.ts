// The bridge's secure defaults (issue 13): DNS rebinding refused by Host, read-only clients
// told why, no token in any log line, a token required beyond loopback, and the CIDR
// allow-list of the bridge and of the TCP server. Real sockets on 127.0.0.0/8 only.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureDebugLines } from '../support/debug-lines.js';
import { describe, expect, it } from 'vitest';
import { bridgeHooks, bridgeOf as bridgeKitOf, peerServer as peerKitServer, pose, until } from './bridge-kit.js';
import { filter, firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import { InvalidOptionError, Timestamp, connectWebSocket, createMessage, createServer, type IgtlMessage, type IgtlServer } from '../../src/node.js';
import { BridgeTokenRequiredError, createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';
import { MAX_NOTICED_KINDS } from '../../src/bridge/refusal-notices.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const text = (value: string, deviceName = 'Note') => createMessage('STRING', { encoding: 3, value }, { deviceName, timestamp: Timestamp.ZERO });


const { defer } = bridgeHooks();

const peerServer = (options: Parameters<typeof createServer>[0] = {}): Promise<IgtlServer> => peerKitServer(defer, options);

const bridgeOf = (options: BridgeOptions): Promise<IgtlBridge> => bridgeKitOf(defer, options);

/** 101 when the upgrade is accepted, else the HTTP status of the refusal. */
function statusOf(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  defer(() => ws.terminate());
  return new Promise((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
  });
}

function httpStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('Host allow-list (DNS rebinding)', () => {
  it('refuses an upgrade for another name even when Origin matches it (Host evil.example + Origin evil.example)', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const port = bridge.address.port;
    // What a rebound page sends: its own name in both headers.
    expect(await statusOf(bridge.url, { headers: { host: `evil.example:${port}` }, origin: `http://evil.example:${port}` })).toBe(421);
    expect(await statusOf(bridge.url, { headers: { host: `evil.example:${port}` } })).toBe(421);
    // The page (static HTTP) too.
    expect(await httpStatus(port, { host: `evil.example:${port}` })).toBe(421);
    // Loopback names and addresses are the bridge.
    expect(await statusOf(bridge.url, { headers: { host: `localhost:${port}` }, origin: `http://localhost:${port}` })).toBe(101);
    expect(await statusOf(bridge.url, { headers: { host: `127.0.0.1:${port}` }, origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(await statusOf(bridge.url, { headers: { host: `[::1]:${port}` } })).toBe(101);
    expect(await httpStatus(port, { host: `localhost:${port}` })).toBe(426);
  });

  it('accepts a configured name (allowedHosts), and its origin', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, allowedHosts: ['nav.example.org'], origins: ['http://nav.example.org:8080'] });
    expect(await statusOf(bridge.url, { headers: { host: 'nav.example.org:8080' }, origin: 'http://nav.example.org:8080' })).toBe(101);
    expect(await statusOf(bridge.url, { headers: { host: 'evil.example:8080' }, origin: 'http://nav.example.org:8080' })).toBe(421);
  });
});

const MARKER = 'marker';

/**
 * Proves a quiet period at the peer: a STRING sent on the bridge's own upstream connection after
 * the bridge has judged the client's messages arrives after anything it forwarded (TCP keeps
 * order), so once it is there, nothing forwarded is still on its way.
 */
async function markerThrough(bridge: IgtlBridge, got: IgtlMessage[]): Promise<void> {
  await bridge.upstream.send(text(MARKER, MARKER));
  await until('the marker at the peer', () => got.some((m) => m.deviceName === MARKER));
}

describe('client sends', () => {
  it('refuses a read-only (default) client\'s message with a reason the client receives, and sends nothing to the peer', async () => {
    const peer = await peerServer();
    const got: IgtlMessage[] = [];
    peer.messages$.subscribe(({ message }) => got.push(message));
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const conn = connectWebSocket(bridge.url, { WebSocket, reconnect: false });
    defer(() => conn.close());
    const refusal = firstValueFrom(conn.refused$);
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    await conn.send(pose(1, 'FromPage'));
    expect(await refusal).toEqual({ igtlRx: 'refused', v: 1, type: 'TRANSFORM', deviceName: 'FromPage', reason: expect.stringMatching(/read-only.*--allow-client-sends/) });
    await markerThrough(bridge, got);
    expect(got.filter((m) => m.deviceName === 'FromPage')).toEqual([]);
    expect([...bridge.clients][0]!.refused).toBe(1);
  });

  it('sends with clientSends; a type outside clientSendTypes is refused by name', async () => {
    const peer = await peerServer();
    const got: IgtlMessage[] = [];
    peer.messages$.subscribe(({ message }) => got.push(message));
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, clientSends: true, clientSendTypes: ['STRING'] });
    const ws = new WebSocket(bridge.url);
    defer(() => ws.terminate());
    const notices: { igtlRx: string; type?: string; reason?: string }[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) notices.push(JSON.parse(data.toString('utf8')) as { igtlRx: string });
    });
    await new Promise((r) => ws.once('open', r));
    const { encodeMessage } = await import('../../src/node.js');
    ws.send(encodeMessage(text('allowed')));
    ws.send(encodeMessage(pose(2, 'Robot')));
    await until('the STRING at the peer and the refusal at the client', () => got.some((m) => m.type === 'STRING') && notices.some((n) => n.igtlRx === 'refused'));
    expect(notices.find((n) => n.igtlRx === 'refused')).toMatchObject({ type: 'TRANSFORM', deviceName: 'Robot', reason: expect.stringMatching(/type TRANSFORM may not be sent.*allowed: STRING/) });
    await markerThrough(bridge, got);
    expect(got.map((m) => m.type).filter((t) => t !== 'GET_STATUS' && t !== 'STATUS')).toEqual(['STRING', 'STRING']);
    expect(got.filter((m) => m.type === 'STRING').map((m) => m.deviceName)).toEqual(['Note', MARKER]);
  });

  it('limits the rate per client (clientSendRate)', async () => {
    const peer = await peerServer();
    const got: IgtlMessage[] = [];
    peer.messages$.subscribe(({ message }) => message.type === 'STRING' && got.push(message));
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, clientSends: true, clientSendRate: 5 });
    const conn = connectWebSocket(bridge.url, { WebSocket, reconnect: false });
    defer(() => conn.close());
    const refusal = firstValueFrom(conn.refused$);
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    for (let i = 0; i < 20; i++) void conn.send(text(`${i}`), { policy: 'lossless' });
    expect((await refusal).reason).toMatch(/rate limit \(5 messages\/s/);
    // Every one of the 20 was judged (5 passed, 15 refused), then a marker proves the peer has all.
    await until('the bridge to judge all 20', () => [...bridge.clients][0]!.refused === 15);
    await markerThrough(bridge, got);
    expect(got.filter((m) => m.deviceName !== MARKER).length).toBe(5);
  });
});

describe('refusals of a page that names every message anew', () => {
  it('tells and logs a bounded number of them (the bridge remembers at most MAX_NOTICED_KINDS kinds), and still counts all', async () => {
    const lines = captureDebugLines('igtl-rx:bridge', defer);
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    await until('the peer link open', () => bridge.upstream.state.kind === 'open');
    const ws = new WebSocket(bridge.url);
    defer(() => ws.terminate());
    const notices: { igtlRx: string; state?: { kind: string } }[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) notices.push(JSON.parse(data.toString('utf8')) as { igtlRx: string });
    });
    await new Promise((r) => ws.once('open', r));
    const { encodeMessage } = await import('../../src/node.js');
    const N = 2000;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) ws.send(encodeMessage(pose(i, `T${i}`)));
    await until(`the bridge to judge all ${N}`, () => [...bridge.clients][0]?.refused === N, 20_000);
    // A kind not refused for a second makes room (refusal-notices.ts): on a loaded machine the
    // bridge may take longer than a second to judge them all, and each second may then tell a
    // new table's worth. Judged within a second (a quiet machine), that is exactly one table.
    const tables = Math.floor((performance.now() - t0) / 1000) + 1;
    // The peer leaving changes the peer state, which every client hears of after what the bridge
    // sent it before (one socket, in order): once that notice is here, every refusal notice is.
    await peer.close();
    await until('the peer-state notice of the peer leaving', () => notices.some((n) => n.igtlRx === 'peer-state' && n.state?.kind !== 'open'));
    const told = notices.filter((n) => n.igtlRx === 'refused').length;
    const logged = lines.filter((l) => /sends TRANSFORM "T\d+": refused/.test(l)).length;
    // Was one notice and one log line per message (and 217 bytes of heap each, for ever).
    expect(told).toBeGreaterThanOrEqual(MAX_NOTICED_KINDS);
    expect(told).toBeLessThanOrEqual(MAX_NOTICED_KINDS * tables);
    expect(logged).toBeGreaterThanOrEqual(MAX_NOTICED_KINDS);
    expect(logged).toBeLessThanOrEqual(MAX_NOTICED_KINDS * tables);
    // Bounded far below one per message (the fault was 2,000 of each).
    expect(tables).toBeLessThan(N / MAX_NOTICED_KINDS / 2);
    expect(lines.filter((l) => /refusals of more than \d+ kinds/.test(l))).toHaveLength(1);
  });
});

describe('tokens never reach a log line', () => {
  it('redacts the token of refused, accepted and leaving clients, on every igtl-rx namespace', async () => {
    const token = 'S3cr3t-T0ken-4242-S3cr3t';
    const wrong = 'Wr0ng-Guess-777';
    const lines = captureDebugLines('igtl-rx:*', defer);
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, token, path: '/igtl' });
    const base = bridge.url;
    const port = bridge.address.port;
    expect(await statusOf(`${base}?token=${wrong}`)).toBe(401);
    expect(await statusOf(base, { headers: { authorization: `Bearer ${wrong}` } })).toBe(401);
    expect(await statusOf(`ws://127.0.0.1:${port}/other?token=${token}`)).toBe(404);
    expect(await statusOf(`${base}?token=${token}`, { headers: { host: `evil.example:${port}` } })).toBe(421);
    expect(await statusOf(`${base}?token=${token}&rate=fast`)).toBe(400);
    expect(await statusOf(`${base}?token=${token}`, { origin: 'https://evil.example' })).toBe(403);
    // Accepted (query and header), connect and leave lines; a connectWebSocket client logs too.
    const conn = connectWebSocket(`${base}?token=${token}&type=TRANSFORM`, { WebSocket, reconnect: false });
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    await conn.send(pose(3));
    expect(await statusOf(base, { headers: { authorization: `Bearer ${token}` } })).toBe(101);
    conn.close();
    await until('the leave lines', () => lines.filter((l) => / left after /.test(l)).length >= 1);
    await bridge.close();
    await until('the closed line', () => lines.some((l) => /igtl-rx:bridge closed/.test(l)));
    const joined = lines.join('\n');
    expect(joined).toMatch(/refused 127\.0\.0\.1:\d+: missing or wrong token/);
    expect(joined).toMatch(/refused 127\.0\.0\.1(:\d+)?: no WebSocket endpoint at \/other/);
    expect(joined).toMatch(/client #1 127\.0\.0\.1:\d+ connected/);
    expect(joined).toMatch(/refused \(the bridge is read-only/);
    for (const line of lines) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(wrong);
    }
  });
});

describe('a token is required beyond loopback', () => {
  it('createBridge throws BridgeTokenRequiredError for 0.0.0.0 without a token, and listens with one', async () => {
    expect(() => createBridge({ host: '0.0.0.0', port: 0, upstream: { port: 9 } })).toThrow(BridgeTokenRequiredError);
    expect(() => createBridge({ host: '::', port: 0, upstream: { port: 9 } })).toThrow(/token is required/);
    expect(() => createBridge({ host: '127.0.0.1', port: 0, token: '', upstream: { port: 9 } })).toThrow(InvalidOptionError);
    const peer = await peerServer();
    const bridge = await bridgeOf({ host: '0.0.0.0', upstream: { port: peer.address.port }, token: 'tttttttttttttttt' });
    expect(bridge.address.address).toBe('0.0.0.0');
    // The Host a client on this machine uses for an interface address is accepted.
    expect(await statusOf(`ws://127.0.0.1:${bridge.address.port}/?token=tttttttttttttttt`)).toBe(101);
  });

  it('the CLI exits 2 with a clear message', async () => {
    const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');
    const env = { ...process.env };
    delete env.IGTL_RX_BRIDGE_TOKEN;
    const run = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, 'bridge', '--host', '0.0.0.0', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.once('exit', (code) => resolve({ code, err }));
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/listens on 0\.0\.0\.0, beyond loopback: a token is required/);
  });
});

/** Connects from `localAddress`; resolves true if the server keeps the socket, false if it cuts it. */
function tcpKept(port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = netConnect({ host: '127.0.0.1', port, localAddress });
    defer(() => s.destroy());
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
    s.on('connect', () => setTimeout(() => resolve(!s.destroyed && s.readyState === 'open'), 300));
  });
}

describe('CIDR allow-list', () => {
  it('bridge: refuses an address outside the list (403), accepts one inside', async () => {
    const peer = await peerServer();
    const only2 = await bridgeOf({ upstream: { port: peer.address.port }, allow: ['127.0.0.2/32'] });
    expect(await statusOf(only2.url, { localAddress: '127.0.0.1' })).toBe(403);
    expect(await statusOf(only2.url, { localAddress: '127.0.0.2' })).toBe(101);
    expect(await httpStatus(only2.address.port, {})).toBe(403);
    const all = await bridgeOf({ upstream: { port: peer.address.port }, allow: ['127.0.0.0/8'] });
    expect(await statusOf(all.url, { localAddress: '127.0.0.1' })).toBe(101);
    // An IPv4-mapped range is its IPv4 range.
    const mapped = await bridgeOf({ upstream: { port: peer.address.port }, allow: ['::ffff:127.0.0.0/104'] });
    expect(await statusOf(mapped.url, { localAddress: '127.0.0.9' })).toBe(101);
    expect(() => createBridge({ upstream: { port: 9 }, allow: ['10.0.0.0/33'] })).toThrow(InvalidOptionError);
  });

  it('TCP server: the same list (ranges, plain addresses)', async () => {
    const only2 = await peerServer({ allow: ['127.0.0.2/32'] });
    expect(await tcpKept(only2.address.port, '127.0.0.1')).toBe(false);
    expect(await tcpKept(only2.address.port, '127.0.0.2')).toBe(true);
    const all = await peerServer({ allow: ['127.0.0.0/8'] });
    expect(await tcpKept(all.address.port, '127.0.0.1')).toBe(true);
    const plain = await peerServer({ allow: ['10.9.9.9', '127.0.0.3'] });
    expect(await tcpKept(plain.address.port, '127.0.0.3')).toBe(true);
    expect(await tcpKept(plain.address.port, '127.0.0.1')).toBe(false);
    expect(() => createServer({ allow: ['not-an-address'] })).toThrow(InvalidOptionError);
  });
});

/** Opens a socket, writes `bytes`, and resolves when the server closes it: what it answered, and after how long. */
function closedBy(port: number, bytes: string): Promise<{ answer: string; afterMs: number }> {
  return new Promise((resolve) => {
    const start = performance.now();
    const s: Socket = netConnect({ host: '127.0.0.1', port }, () => s.write(bytes));
    defer(() => s.destroy());
    let answer = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (answer += d));
    s.on('error', () => {});
    s.on('close', () => resolve({ answer, afterMs: performance.now() - start }));
  });
}

describe('requests that never finish (slow headers before an upgrade)', () => {
  it('closes a socket that sends nothing, or half a request, with 408 within about 10 s (held for 130 s and more)', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const port = bridge.address.port;
    const runs = await Promise.all([
      closedBy(port, ''),
      closedBy(port, 'GET / HTTP/1.1\r\nHost: localhost\r\n'),
      closedBy(port, `GET /?token=x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`),
    ]);
    for (const { answer, afterMs } of runs) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeGreaterThanOrEqual(9_000);
      expect(afterMs).toBeLessThan(12_500);
    }
  }, 20_000);
});

/** The status of a request sent byte for byte (`head` without its final blank line). */
function rawStatus(port: number, head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s: Socket = netConnect({ host: '127.0.0.1', port }, () => s.write(`${head}\r\n`));
    defer(() => s.destroy());
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      if (status) resolve(Number(status[1]));
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed without a status: ${JSON.stringify(text)}`)));
  });
}

describe('Host headers that are not one name[:port]', () => {
  const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

  it('refuses two Host lines, and a Host with user info or a path, with 400, for a page request and an upgrade (they got through: 426, 101)', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const port = bridge.address.port;
    const own = `127.0.0.1:${port}`;
    const hosts = [
      `Host: ${own}\r\nHost: evil.example\r\n`,
      `Host: evil.example\r\nHost: ${own}\r\n`,
      `Host: evil.example@${own}\r\n`,
      `Host: ${own}/x.evil.example\r\n`,
      `Host: ${own}\\x.evil.example\r\n`,
    ];
    for (const host of hosts) {
      expect(await rawStatus(port, `GET / HTTP/1.1\r\n${host}Connection: close\r\n`), host).toBe(400);
      expect(await rawStatus(port, `GET / HTTP/1.1\r\n${host}${upgrade}`), host).toBe(400);
    }
    // The same requests with one plain Host get through (426: no page here, connect with a WebSocket).
    expect(await rawStatus(port, `GET / HTTP/1.1\r\nHost: ${own}\r\nConnection: close\r\n`)).toBe(426);
    expect(await rawStatus(port, `GET / HTTP/1.1\r\nHost: ${own}\r\n${upgrade}`)).toBe(101);
    expect(await rawStatus(port, `GET / HTTP/1.1\r\nHost: [::ffff:127.0.0.1]:${port}\r\n${upgrade}`)).toBe(101);
    // Two Host lines also when every Host is allowed (`*`, behind a proxy: the proxy may read the other one).
    const any = await bridgeOf({ upstream: { port: peer.address.port }, allowedHosts: ['*'] });
    expect(await rawStatus(any.address.port, `GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n${upgrade}`)).toBe(400);
    expect(await rawStatus(any.address.port, `GET / HTTP/1.1\r\nHost: a.example\r\n${upgrade}`)).toBe(101);
  });
});

describe('Origin of a draft-version handshake (Sec-WebSocket-Version 8)', () => {
  const handshake = (port: number, version: number, origin: string) =>
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: ${version}\r\n${origin}`;

  it('refuses version 8 whatever its Sec-WebSocket-Origin (426: only 13; another origin was let in: 101), and checks Sec-WebSocket-Origin beside Origin', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const port = bridge.address.port;
    expect(await rawStatus(port, handshake(port, 8, 'Sec-WebSocket-Origin: http://evil.example\r\n'))).toBe(426);
    expect(await rawStatus(port, handshake(port, 8, `Sec-WebSocket-Origin: http://127.0.0.1:${port}\r\n`))).toBe(426);
    expect(await rawStatus(port, handshake(port, 13, `Origin: http://127.0.0.1:${port}\r\nSec-WebSocket-Origin: http://evil.example\r\n`))).toBe(403);
    expect(await rawStatus(port, handshake(port, 13, `Origin: http://127.0.0.1:${port}\r\nSec-WebSocket-Origin: http://127.0.0.1:${port}\r\n`))).toBe(101);
    // With an allow-list too.
    const listed = await bridgeOf({ upstream: { port: peer.address.port }, origins: ['https://nav.example.org'] });
    expect(await rawStatus(listed.address.port, handshake(listed.address.port, 8, 'Sec-WebSocket-Origin: https://nav.example.org\r\n'))).toBe(426);
    expect(await rawStatus(listed.address.port, handshake(listed.address.port, 13, 'Sec-WebSocket-Origin: http://evil.example\r\n'))).toBe(403);
    expect(await rawStatus(listed.address.port, handshake(listed.address.port, 13, 'Sec-WebSocket-Origin: https://nav.example.org\r\n'))).toBe(101);
  });

  it('refuses Origin: null (sandboxed frames, file:// pages) by default and with an allow-list, in either header', async () => {
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port } });
    const listed = await bridgeOf({ upstream: { port: peer.address.port }, origins: ['https://nav.example.org'] });
    for (const port of [bridge.address.port, listed.address.port]) {
      expect(await rawStatus(port, handshake(port, 13, 'Origin: null\r\n'))).toBe(403);
      expect(await rawStatus(port, handshake(port, 13, 'Sec-WebSocket-Origin: null\r\n'))).toBe(403);
    }
  });
});

describe('a client that never reads the page it asked for', () => {
  it('is cut after 15 s without progress, and every file opened for it closes (they stayed open for 40 s and more)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'igtl-bridge-stall-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    // 64 MiB (sparse): far more than loopback's socket buffers take in, so the answer stalls.
    writeFileSync(path.join(dir, 'big.js'), '');
    truncateSync(path.join(dir, 'big.js'), 64 * 1024 * 1024);
    const peer = await peerServer();
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, staticDir: dir });
    const openFiles = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path.join(dir, 'big.js');
      } catch {
        return false;
      }
    }).length;
    const start = performance.now();
    let received = 0;
    const reader: Socket = netConnect({ host: '127.0.0.1', port: bridge.address.port }, () => reader.write('GET /big.js HTTP/1.1\r\nHost: localhost\r\n\r\n'.repeat(4)));
    defer(() => reader.destroy());
    reader.on('error', () => {});
    // Four requests at once (pipelined: the answers after the first wait in a queue, each with its
    // file open); reads the start of the first answer, then nothing more.
    let paused = false;
    reader.on('data', (d: Buffer) => {
      received += d.length;
      if (received > 64 * 1024 && !paused) {
        paused = true;
        reader.pause();
      }
    });
    await until('the start of the answer', () => received > 64 * 1024);
    expect(openFiles()).toBeGreaterThanOrEqual(1);
    await until('the files closed', () => openFiles() === 0, 20_000);
    const afterMs = performance.now() - start;
    expect(afterMs).toBeGreaterThanOrEqual(14_000);
    expect(afterMs).toBeLessThan(20_000);
    // And the socket: the reader, reading again, finds it closed well before the 64 MiB arrived.
    reader.resume();
    await new Promise((resolve) => reader.once('close', resolve));
    expect(received).toBeLessThan(64 * 1024 * 1024);
  }, 28_000);
});
