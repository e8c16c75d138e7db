// igtl-rx bridge end to end: real TCP peers (the simulator, raw sockets), real ws clients, the
// library function and the CLI verb.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer as createHttpServer, request, type Server as HttpServer } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bridgeHooks, bridgeOf as bridgeKitOf, pose, sleep, until } from './bridge-kit.js';
import { filter, firstValueFrom } from 'rxjs';
import WebSocket from 'ws';
import {
  InvalidOptionError,
  MessageDecoder,
  QueueFullError,
  Timestamp,
  connectTcp,
  connectWebSocket,
  createMessage,
  createServer,
  decodeAll,
  encodeMessage,
  type IgtlMessage,
} from '../../src/node.js';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { crc64 } from '../../src/protocol/crc64.js';
import { messageVectors, vectorBytes } from '../support/vectors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');


const { defer } = bridgeHooks();

const bridgeOf = (options: BridgeOptions): Promise<IgtlBridge> => bridgeKitOf(defer, options);

async function simulator(options: Parameters<typeof createSimulator>[0] = {}): Promise<Simulator> {
  const sim = createSimulator({ port: 0, ...options });
  await sim.start();
  defer(() => sim.stop());
  return sim;
}

/** A raw TCP peer: the test writes bytes to its client socket and reads what arrives. */
async function rawPeer(): Promise<{ port: number; sockets: Socket[]; received: () => Uint8Array; server: NetServer }> {
  const sockets: Socket[] = [];
  const chunks: Buffer[] = [];
  const server = createNetServer((s) => {
    sockets.push(s);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, sockets, received: () => new Uint8Array(Buffer.concat(chunks)), server };
}

/**
 * What reached a raw peer through the bridge, decoded (errors included), leaving out only the
 * upstream connection's own heartbeat probe (one GET_STATUS named igtl-rx-ping right after open).
 */
function relayed(bytes: Uint8Array): unknown[] {
  return decodeAll(bytes).filter((m) => !(!(m instanceof Error) && m.type === 'GET_STATUS' && m.deviceName === 'igtl-rx-ping'));
}

/** A raw ws client recording bytes and decoded messages (binary frames) and the bridge's notices (text frames). */
class RawClient {
  readonly chunks: Buffer[] = [];
  readonly messages: IgtlMessage[] = [];
  /** The JSON text frames, parsed. */
  readonly notices: { igtlRx: string; [field: string]: unknown }[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;
  readonly ws: WebSocket;
  private readonly decoder = new MessageDecoder({ message: (m) => this.messages.push(m), error: () => {} });

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.notices.push(JSON.parse(data.toString('utf8')) as { igtlRx: string });
        return;
      }
      this.chunks.push(data);
      this.decoder.push(data);
    });
    this.ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
    });
    this.ws.on('error', () => {});
    defer(() => this.ws.terminate());
  }

  /** Resolves 101 once open, or with the HTTP status of a refusal. */
  outcome(): Promise<number> {
    return new Promise((resolve) => {
      this.ws.once('open', () => resolve(101));
      this.ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
    });
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

async function open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const c = new RawClient(url, options);
  const status = await c.outcome();
  if (status !== 101) throw new Error(`refused with ${status}`);
  return c;
}

async function statusOf(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  const c = new RawClient(url, options);
  return c.outcome();
}

/** The HTTP status of an upgrade request for `target`, sent as is. */
function upgradeStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    );
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (text += d));
    s.on('error', reject);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
  });
}

/** The HTTP status of an upgrade request with an invalid Sec-WebSocket-Key (which ws refuses after the bridge's checks). */
function badHandshake(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n\r\n`),
    );
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (text += d));
    s.on('error', reject);
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
  });
}

function httpGet(url: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    })
      .on('error', reject)
      .end();
  });
}

describe('relaying', () => {
  it('delivers the peer\'s bytes to every client unchanged (all 145 golden vectors, v1 and v3, an unknown type, bytes a re-encode would change)', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port } });
    const a = await open(bridge.url);
    const b = await open(bridge.url);
    await until('the peer link', () => peer.sockets.length === 1);
    const vectors = messageVectors().map((v) => vectorBytes(v.file));
    // A type igtl-rx has no codec for passes through as it is (the TYPE field is not in the CRC).
    const unknown = encodeMessage(pose(3));
    unknown.set(new TextEncoder().encode('XPOSE\0\0\0\0\0\0\0'), 2);
    vectors.push(unknown);
    // A TDATA whose reserved byte is set (CRC to match): a re-encode would write it 0; the bridge forwards the peer's frame.
    const reserved = encodeMessage(createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: pose(4).content.matrix }] }, { deviceName: 'Tracker' }));
    reserved[58 + 21] = 0x5a;
    new DataView(reserved.buffer, reserved.byteOffset).setBigUint64(50, crc64(reserved, 58));
    vectors.push(reserved);
    const all = new Uint8Array(Buffer.concat(vectors));
    // In odd-sized pieces, so messages straddle TCP reads.
    for (let off = 0; off < all.length; off += 7919) peer.sockets[0]!.write(all.subarray(off, off + 7919));
    await until('every vector at both clients', () => a.messages.length === vectors.length && b.messages.length === vectors.length);
    expect(a.messages.at(-2)).toMatchObject({ type: 'UNKNOWN', typeName: 'XPOSE' });
    expect(Buffer.from(a.bytes()).equals(Buffer.from(all))).toBe(true);
    expect(Buffer.from(b.bytes()).equals(Buffer.from(all))).toBe(true);
  });

  it('relays what clients send to the peer when started with clientSends (connectWebSocket in Node)', async () => {
    const peer = createServer({ port: 0 });
    await peer.listen();
    defer(() => peer.close());
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, clientSends: true });
    const got = firstValueFrom(peer.messages$.pipe(filter(({ message }) => message.type === 'TRANSFORM')));
    const conn = connectWebSocket(bridge.url, { WebSocket, reconnect: false });
    defer(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    await conn.send(pose(42, 'FromBrowser'));
    const { message } = await got;
    expect(message).toMatchObject({ type: 'TRANSFORM', deviceName: 'FromBrowser' });
    expect(message.type === 'TRANSFORM' && message.content.matrix[3]).toBe(42);
  });

  it('drops what clients send when read-only', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, readOnly: true });
    const c = await open(bridge.url);
    await until('the peer link', () => peer.sockets.length === 1);
    c.ws.send(encodeMessage(pose(1, 'FromClient')));
    // The refusal proves the bridge has judged the message; a marker the bridge sends on its own
    // upstream connection after that arrives after anything it forwarded (TCP keeps order).
    await until('the refusal at the client', () => c.notices.some((n) => n.igtlRx === 'refused'));
    await bridge.upstream.send(pose(2, 'Marker'));
    await until('the marker at the peer', () => relayed(peer.received()).length > 0);
    expect(relayed(peer.received())).toMatchObject([{ type: 'TRANSFORM', deviceName: 'Marker' }]);
  });

  it('filters and throttles per client from its URL, and leaves the others alone', async () => {
    const sim = await simulator({ trackingRateHz: 200, streams: ['TRANSFORM', 'STATUS'], statusIntervalMs: 200 });
    const bridge = await bridgeOf({ upstream: { port: sim.address.port } });
    const t0 = performance.now();
    const stylus30 = await open(`${bridge.url}?type=TRANSFORM&device=Stylus&rate=30`);
    const twoTools = await open(`${bridge.url}?device=Probe,Ref*&type=TRANSFORM,STATUS`);
    const status = await open(`${bridge.url}?type=STATUS&rate=1`);
    const everything = await open(bridge.url);
    const count = (c: RawClient, d: string) => c.messages.filter((m) => m.deviceName === d).length;
    const devices = (c: RawClient) => [...new Set(c.messages.map((m) => `${m.type}:${m.deviceName}`))].sort();
    // Collects until the clients have what the counts below need (six STATUS at 5 Hz: ~1.2 s).
    await until('six STATUS, and every device at the unfiltered client', () =>
      status.messages.length >= 6 && count(stylus30, 'Stylus') > 10 && count(twoTools, 'Probe') > 0 && count(twoTools, 'Reference') > 0 && devices(everything).length === 4, 10_000);
    const seconds = (performance.now() - t0) / 1000;
    expect(devices(stylus30)).toEqual(['TRANSFORM:Stylus']);
    expect(devices(twoTools)).toEqual(['TRANSFORM:Probe', 'TRANSFORM:Reference']);
    // The rate applies to streamed types only: STATUS is never thinned out.
    expect(devices(status)).toEqual(['STATUS:Simulator']);
    expect(status.messages.length).toBeGreaterThanOrEqual(6);
    expect(devices(everything)).toEqual(['STATUS:Simulator', 'TRANSFORM:Probe', 'TRANSFORM:Reference', 'TRANSFORM:Stylus']);
    // rate=30: at most 30 per second (plus the first sample), while unthrottled clients get ~200/s.
    const stylus = count(stylus30, 'Stylus');
    expect(stylus).toBeLessThanOrEqual(Math.ceil(30 * seconds) + 1);
    expect(stylus).toBeGreaterThan(10);
    expect(count(everything, 'Stylus')).toBeGreaterThan(3 * stylus);
    expect(count(twoTools, 'Probe')).toBeGreaterThan(3 * stylus);
  });

  it('keeps its clients while the peer restarts, and relays again once it is back', async () => {
    const sim1 = createSimulator({ port: 0, trackingRateHz: 50, tools: ['Stylus'], streams: ['TRANSFORM'] });
    const { port } = await sim1.start();
    const bridge = await bridgeOf({ upstream: { port, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } } });
    const c = await open(bridge.url);
    await until('poses', () => c.messages.length > 5);
    await sim1.stop();
    await until('the bridge to notice', () => bridge.upstream.state.kind === 'reconnecting');
    // Two refused attempts later, the client is still there (checked below).
    await until('a second reconnect attempt', () => { const st = bridge.upstream.state; return st.kind === 'reconnecting' && st.attempt >= 3; });
    const during = c.messages.length;
    const sim2 = createSimulator({ port, trackingRateHz: 50, tools: ['Stylus'], streams: ['TRANSFORM'] });
    await sim2.start();
    defer(() => sim2.stop());
    await until('poses from the restarted peer', () => c.messages.length > during + 5);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    expect(bridge.clients.size).toBe(1);
  });

  it('disconnects a client whose lossless queue overflows (it reconnects and starts fresh)', async () => {
    const peer = createServer({ port: 0 });
    await peer.listen();
    defer(() => peer.close());
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, client: { queue: { maxMessages: 5 } } });
    const c = await open(bridge.url);
    c.ws.pause();
    await until('the peer link', () => peer.sessions.size === 1);
    const session = [...peer.sessions][0]!;
    // Lossless STRINGs of 60 kB: the kernel buffers fill, then the client's queue, then it is cut.
    for (let i = 0; i < 400 && bridge.clients.size > 0; i++) {
      await session.send(createMessage('STRING', { encoding: 3, value: `${i}`.padEnd(60_000, '.') }, { deviceName: 'Text', timestamp: Timestamp.ZERO }));
      if (i % 20 === 0) await sleep(5);
    }
    await until('the slow client to be dropped', () => bridge.clients.size === 0, 10_000);
  });

  it.each([
    ['sets only maxMessages', { maxMessages: 100_000 }],
    ['gives maxBytes as undefined', { maxMessages: 100_000, maxBytes: undefined as unknown as number }],
  ])('a client.queue that %s keeps the default byte limit, 8 MiB (it was 16 MiB)', async (_what, queue) => {
    const peer = createServer({ port: 0 });
    await peer.listen();
    defer(() => peer.close());
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, client: { queue } });
    const full: QueueFullError[] = [];
    const sub = bridge.clients$.subscribe((client) => client.errors$.subscribe((e) => { if (e instanceof QueueFullError) full.push(e); }));
    defer(() => sub.unsubscribe());
    const c = await open(bridge.url);
    c.ws.pause();
    await until('the peer link', () => peer.sessions.size === 1);
    const session = [...peer.sessions][0]!;
    for (let i = 0; i < 800 && full.length === 0; i++) {
      await session.send(createMessage('STRING', { encoding: 3, value: `${i}`.padEnd(60_000, '.') }, { deviceName: 'Text', timestamp: Timestamp.ZERO }));
      if (i % 20 === 0) await sleep(5);
    }
    await until('the client queue to overflow', () => full.length > 0, 10_000);
    expect(full[0]!.queuedMessages).toBeLessThan(100_000);
    expect(full[0]!.queuedBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
});

describe('safe defaults and limits', () => {
  it('refuses a maxMessageSize no decoder can take when created, also with an upstream of your own (its first client threw uncaught)', () => {
    const own = connectTcp({ port: 1, reconnect: false });
    defer(() => own.close());
    for (const upstream of [undefined, own]) {
      let err: unknown;
      try {
        createBridge({ port: 0, maxMessageSize: 5e9, ...(upstream ? { upstream } : {}) });
      } catch (e) {
        err = e;
      }
      expect(err, upstream ? 'own upstream' : 'TCP upstream').toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe('maxMessageSize');
    }
  });

  it('binds 127.0.0.1 unless told otherwise', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port } });
    expect(bridge.address.address).toBe('127.0.0.1');
    expect(bridge.url).toBe(`ws://127.0.0.1:${bridge.address.port}/`);
  });

  it('asks for the token: ?token= or Authorization: Bearer, 401 otherwise', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, token: 's3cret-s3cret-s3cret' });
    expect(await statusOf(bridge.url)).toBe(401);
    expect(await statusOf(`${bridge.url}?token=wrong`)).toBe(401);
    expect(await statusOf(`${bridge.url}?token=s3cret-s3cret-s3cret`)).toBe(101);
    expect(await statusOf(bridge.url, { headers: { authorization: 'Bearer s3cret-s3cret-s3cret' } })).toBe(101);
  });

  it('refuses pages from other origins (403); accepts its own origin, loopback origins and an allow-list', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port } });
    const own = `http://127.0.0.1:${bridge.address.port}`;
    expect(await statusOf(bridge.url, { origin: 'https://evil.example' })).toBe(403);
    expect(await statusOf(bridge.url, { origin: own })).toBe(101);
    expect(await statusOf(bridge.url, { origin: 'http://localhost:5173' })).toBe(101);
    expect(await statusOf(bridge.url)).toBe(101); // no Origin: not a browser
    const listed = await bridgeOf({ upstream: { port: peer.port }, origins: ['https://nav.example.org'] });
    expect(await statusOf(listed.url, { origin: 'https://nav.example.org' })).toBe(101);
    expect(await statusOf(listed.url, { origin: 'http://localhost:5173' })).toBe(403);
  });

  it('refuses clients beyond maxClients (503), bad filters (400) and other paths (404)', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, maxClients: 1, path: '/igtl' });
    expect(await statusOf(`${bridge.url}?rate=fast`)).toBe(400);
    // Device patterns whose regexes backtrack for seconds per message (client-filter.ts).
    expect(await statusOf(`${bridge.url}?device=${encodeURIComponent('@(*(*)|*(*))'.repeat(8) + 'Z')}`)).toBe(400);
    expect(await statusOf(`${bridge.url}?device=${encodeURIComponent('*a'.repeat(8) + '*b')}`)).toBe(400);
    expect(await statusOf(`${bridge.url}?device=${Array.from({ length: 33 }, (_, i) => `T${i}*`).join(',')}`)).toBe(400);
    expect(await statusOf(bridge.url.replace('/igtl', '/other'))).toBe(404);
    await open(bridge.url);
    expect(await statusOf(bridge.url)).toBe(503);
  });

  it('admits exactly maxClients of clients arriving together (the rest get 503), and a failed handshake frees its place', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, maxClients: 3 });
    // Handshakes that pass the bridge's checks and then fail (ws answers a bad key with 400) must not keep a place.
    for (let i = 0; i < 4; i++) expect(await badHandshake(bridge.address.port)).toBe(400);
    const together = Array.from({ length: 5 }, () => new RawClient(bridge.url));
    const outcomes = await Promise.all(together.map((c) => c.outcome()));
    expect(outcomes.filter((s) => s === 101)).toHaveLength(3);
    expect(outcomes.filter((s) => s === 503)).toHaveLength(2);
    expect(bridge.clients.size).toBe(3);
  });

  it('when full, a page takes the place of the newest client that never sent anything (it was refused with 503 for as long as they stayed); a page is never evicted', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, maxClients: 2, evictAfterMs: 200 });
    const older = await open(bridge.url);
    const newer = await open(bridge.url);
    // A connectWebSocket page probes at open: it has sent something, so it is never the one to go.
    const page = connectWebSocket(bridge.url, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    defer(() => page.close());
    const states: string[] = [];
    page.state$.subscribe((s) => states.push(s.kind));
    page.connect();
    await until('the page is in', () => page.state.kind === 'open', 10_000);
    await until('the bridge let the newest silent client go', () => newer.closeCode !== undefined);
    expect(older.closeCode).toBeUndefined();
    // Full again (the page and the older silent one): the next client takes the silent one's place, not the page's.
    const third = await open(bridge.url);
    await until('the older silent client goes', () => older.closeCode !== undefined);
    expect(third.closeCode).toBeUndefined();
    expect(states.slice(states.lastIndexOf('open'))).toEqual(['open']);
    expect(bridge.clients.size).toBe(2);
  });

  it('refuses an evictAfterMs that is not a number (NaN never evicted)', () => {
    expect(() => createBridge({ port: 0, evictAfterMs: Number.NaN })).toThrow(InvalidOptionError);
  });

  it('closes a client that sends a frame over the size limit (1009) and skips oversized messages from the peer', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, maxMessageSize: 4096 });
    const c = await open(bridge.url);
    await until('the peer link', () => peer.sockets.length === 1);
    const big = encodeMessage(createMessage('STRING', { encoding: 3, value: 'x'.repeat(5000) }, { deviceName: 'Big', timestamp: Timestamp.ZERO }));
    peer.sockets[0]!.write(big);
    peer.sockets[0]!.write(encodeMessage(pose(5)));
    await until('the pose after the oversized message', () => c.messages.length === 1);
    expect(c.messages[0]!.type).toBe('TRANSFORM');
    c.ws.send(big);
    await until('the close', () => c.closeCode !== undefined);
    expect(c.closeCode).toBe(1009);
    expect(relayed(peer.received())).toEqual([]);
  });

  it('takes from a client a batch of small messages, and a message of the largest allowed size, with a small maxMessageSize (the frame limit closed it with 1009)', async () => {
    const peer = createServer({ port: 0 });
    await peer.listen();
    defer(() => peer.close());
    const limit = 4096;
    const bridge = await bridgeOf({ upstream: { port: peer.address.port }, clientSends: true, maxMessageSize: limit });
    const received: IgtlMessage[] = [];
    peer.messages$.subscribe(({ message }) => received.push(message));
    const conn = connectWebSocket(bridge.url, { WebSocket, reconnect: false });
    defer(() => conn.close());
    const errors: string[] = [];
    conn.errors$.subscribe((e) => errors.push(e.message));
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    // 60 poses of 106 bytes sent together go out joined in one 6,360-byte frame.
    await Promise.all(Array.from({ length: 60 }, (_, n) => conn.send(pose(n, 'Batch'), { policy: 'lossless' })));
    // A STRING whose body is exactly the limit (a frame of 58 bytes more).
    const largest = createMessage('STRING', { encoding: 3, value: 'x'.repeat(limit - 4) }, { deviceName: 'Largest', timestamp: Timestamp.ZERO });
    await conn.send(largest);
    await until('the largest message at the peer', () => received.some((m) => m.deviceName === 'Largest'));
    expect(received.filter((m) => m.deviceName === 'Batch')).toHaveLength(60);
    expect(conn.state.kind).toBe('open');
    expect(errors).toEqual([]);
  });

  it('closes a client whose bytes are not OpenIGTLink with 1007 and the reason (it was 1000, an ordinary end); the others go on', async () => {
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port } });
    const good = await open(bridge.url);
    const bad = await open(bridge.url);
    await until('the peer link', () => peer.sockets.length === 1);
    // A header whose version field is 0xffff: no framer can find the next message after it.
    bad.ws.send(Buffer.alloc(100, 0xff));
    await until('the close', () => bad.closeCode !== undefined);
    expect(bad.closeCode).toBe(1007);
    expect(bad.closeReason).toMatch(/^byte stream lost: header version 65535/);
    await until('the bridge lets go of it', () => bridge.clients.size === 1);
    peer.sockets[0]!.write(encodeMessage(pose(7)));
    await until('a pose to the other client', () => good.messages.length === 1);
    expect(good.closeCode).toBeUndefined();
  });

  it('refuses an upgrade whose request target is not a URL with 400, and goes on (it crashed the process)', async () => {
    const peer = await rawPeer();
    for (const options of [{}, { path: '/igtl' }]) {
      const bridge = await bridgeOf({ upstream: { port: peer.port }, ...options });
      const port = bridge.address.port;
      expect(await upgradeStatus(port, 'http://[')).toBe(400);
      expect(await upgradeStatus(port, 'http://a:99999/')).toBe(400);
      // Still there, and still taking clients.
      expect(await statusOf(`ws://127.0.0.1:${port}${'path' in options ? options.path : '/'}`)).toBe(101);
    }
  });

  it('serves its static directory, and nothing outside it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'igtl-bridge-static-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, 'www'));
    writeFileSync(path.join(dir, 'www', 'index.html'), '<h1>page</h1>');
    writeFileSync(path.join(dir, 'www', 'app.js'), 'export {}');
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'www', 'link.txt'));
    const peer = await rawPeer();
    const bridge = await bridgeOf({ upstream: { port: peer.port }, staticDir: path.join(dir, 'www') });
    const base = `http://127.0.0.1:${bridge.address.port}`;
    expect(await httpGet(`${base}/`)).toMatchObject({ status: 200, body: '<h1>page</h1>', type: 'text/html; charset=utf-8' });
    expect(await httpGet(`${base}/app.js`)).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/link.txt', '/nope']) expect((await httpGet(`${base}${p}`)).status).toBe(404);
    // And the page's own origin may open the WebSocket.
    expect(await statusOf(bridge.url, { origin: base })).toBe(101);
  });

  it('attaches to an HTTP server of the user on a path, leaving its other routes alone', async () => {
    const peer = await rawPeer();
    const server: HttpServer = createHttpServer((_req, res) => res.end('app'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    defer(() => new Promise<void>((r) => server.close(() => r())));
    const bridge = createBridge({ upstream: { port: peer.port }, server, path: '/igtl' });
    defer(() => bridge.close());
    const port = (server.address() as AddressInfo).port;
    const c = await open(`ws://127.0.0.1:${port}/igtl`);
    await until('the peer link', () => peer.sockets.length === 1);
    peer.sockets[0]!.write(encodeMessage(pose(9)));
    await until('a pose', () => c.messages.length === 1);
    expect((await httpGet(`http://127.0.0.1:${port}/`)).body).toBe('app');
  });
});

describe('igtl-rx bridge (CLI)', () => {
  const cli = path.join(root, 'dist', 'src', 'cli', 'main.js');

  function assertBuilt(): void {
    const sources = ['src/cli/bridge.ts', 'src/bridge/bridge.ts', 'src/bridge/client-filter.ts', 'src/transport/websocket.ts'];
    const built = ['dist/src/cli/bridge.js', 'dist/src/bridge/bridge.js', 'dist/src/bridge/client-filter.js', 'dist/src/transport/websocket.js'];
    sources.forEach((s, i) => {
      const out = path.join(root, built[i]!);
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(path.join(root, s)).mtimeMs) {
        throw new Error(`${built[i]} is missing or older than ${s}: build first (npx tsc -p tsconfig.json, or npm test)`);
      }
    });
  }

  it('relays the simulator to a WebSocket client, logs through debug (igtl-rx:bridge), and stops on SIGTERM', async () => {
    assertBuilt();
    const sim = await simulator({ trackingRateHz: 50, tools: ['Stylus'], streams: ['TRANSFORM'] });
    const child: ChildProcess = spawn(process.execPath, [cli, 'bridge', '--port', '0', '--igtl', `127.0.0.1:${sim.address.port}`, '--token', 'tkn-tkn-tkn-tkn-tkn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    defer(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('the listening line', () => /listening on (ws:\S+)/.test(stdout), 10_000);
    const url = /listening on (ws:\S+)/.exec(stdout)![1]!;
    expect(stdout).toMatch(new RegExp(`listening on ws://127\\.0\\.0\\.1:\\d+/ \\(peer 127\\.0\\.0\\.1:${sim.address.port}\\)`));
    expect(await statusOf(url)).toBe(401);
    const c = await open(`${url}?token=tkn-tkn-tkn-tkn-tkn&type=TRANSFORM`);
    await until('poses through the CLI bridge', () => c.messages.length >= 10);
    c.ws.close();
    await until('the log lines', () => /client #1 .* left/.test(stderr));
    expect(stderr).toMatch(/igtl-rx:bridge peer 127\.0\.0\.1:\d+: open/);
    expect(stderr).toMatch(/refused 127\.0\.0\.1:\d+: missing or wrong token/);
    expect(stderr).toMatch(/client #1 127\.0\.0\.1:\d+ connected \(type=TRANSFORM; 1 clients\)/);
    expect(stderr).not.toContain('tkn');
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
  });

  it('prints its usage with --help and refuses bad options with exit status 2', async () => {
    assertBuilt();
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [cli, 'bridge', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.once('exit', (code) => resolve({ code, out, err }));
      });
    const [help, bad] = await Promise.all([run(['--help']), run(['--port', 'x'])]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: igtl-rx bridge/);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--port must be a whole number/);
  });
});
