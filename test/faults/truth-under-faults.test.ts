// Truth under faults, end to end on loopback: one lying header never crashes or deafens a
// connection, memory follows bytes received, silent sockets cannot lock a server, a send never
// lies, and every loss is reported. Each case failed on the first release.
import { describe, expect, it } from 'vitest';
import { bytesOf, faultHooks, pose, rawServer as rawPeer, xOf } from '../support/fault-kit.js';
import { createConnection, type Socket } from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import {
  BodyTooLargeError,
  ConnectionError,
  DeadPeerError,
  DesyncError,
  InvalidOptionError,
  connectTcp,
  connectUdp,
  createMessage,
  createServer,
  type IgtlError,
} from '../../src/node.js';


/** A TRANSFORM header (plausible names) declaring `bodySize` bytes. */
function lyingHeader(bodySize: bigint): Uint8Array {
  const h = bytesOf(0).slice(0, 58);
  new DataView(h.buffer).setBigUint64(42, bodySize);
  return h;
}

const { defer } = faultHooks({ uncaught: true });
const rawServer = (onSocket: (s: Socket, index: number) => void) => rawPeer(onSocket, defer);

async function igtlServer(options: Parameters<typeof createServer>[0] = {}) {
  const server = createServer({ port: 0, ...options });
  const { port } = await server.listen();
  defer(() => server.close());
  return { server, port };
}

function rawClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
    defer(() => s.destroy());
  });
}

describe('one lying header', () => {
  it('refuses a maxBodySize no typed array can hold when the server is created, not when a client connects', () => {
    expect(() => createServer({ port: 0, maxBodySize: 6e9 })).toThrow(InvalidOptionError);
    expect(() => connectTcp({ port: 1, maxBodySize: -1 })).toThrow(InvalidOptionError);
  });

  it('a header declaring 5 GB: the server stays up, reports a typed error, drops that client and serves the next', async () => {
    const { server, port } = await igtlServer();
    const errors: IgtlError[] = [];
    server.sessions$.subscribe((s) => s.errors$.subscribe((e) => errors.push(e)));
    const bad = await rawClient(port);
    const closed = new Promise<void>((r) => bad.on('close', () => r()));
    bad.write(lyingHeader(5_000_000_000n));
    bad.write(new Uint8Array(1000));
    await closed; // the session is dropped (oversize 'close' on sessions)
    expect(errors[0]).toBeInstanceOf(BodyTooLargeError);
    const good = connectTcp({ port, reconnect: false });
    defer(() => good.close());
    good.connect();
    await good.send(pose(1));
    const got = await firstValueFrom(server.messages$.pipe(filter(({ message }) => message.type === 'TRANSFORM'), take(1)));
    expect(xOf(got.message)).toBe(1);
  });

  it('16 connections that each send only a header declaring 200 MiB raise memory by less than 64 MiB', async () => {
    const { server, port } = await igtlServer();
    const before = process.memoryUsage().arrayBuffers;
    const sockets = await Promise.all(Array.from({ length: 16 }, () => rawClient(port)));
    for (const s of sockets) {
      s.write(lyingHeader(200n * 1024n * 1024n));
      s.write(new Uint8Array(4096));
    }
    // Measured once every session holds what arrived of its message: 16 sessions, each with the
    // 58-byte header and its 4 096 body bytes buffered (the event that proves all of it arrived).
    await new Promise<void>((resolve) => {
      const held = () => [...server.sessions].filter((s) => s.inbound.buffered === 58 + 4096).length;
      const check = () => (server.sessions.size === 16 && held() === 16 ? resolve() : setTimeout(check, 10));
      check();
    });
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(server.sessions.size).toBe(16);
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('a header with BODY_SIZE 2^64-1 is visible, bounded by the read timeout, and ends in a reconnect that works', async () => {
    const { port } = await rawServer((s, i) => {
      if (i === 0) {
        s.write(lyingHeader(0xffffffffffffffffn));
        // The peer keeps talking (so the client is not idle), but that body will never end.
        const t = setInterval(() => s.write(bytesOf(99)), 50);
        s.on('close', () => clearInterval(t));
      } else s.write(new Uint8Array([...bytesOf(1), ...bytesOf(2)]));
    });
    const conn = connectTcp({ port, readTimeoutMs: 1500, reconnect: { initialDelayMs: 20 } });
    defer(() => conn.close());
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    const started = Date.now();
    const got = await firstValueFrom(conn.pipe(take(2), toArray()));
    expect(got.map(xOf)).toEqual([1, 2]);
    expect(Date.now() - started).toBeLessThan(1500 + 2000);
    expect(errors[0]).toBeInstanceOf(BodyTooLargeError);
    expect(errors.find((e) => e instanceof DeadPeerError && e.rule === 'skip-timeout')).toBeDefined();
  });

  it('a peer that is not OpenIGTLink at all: desync, close, reconnect at once', async () => {
    const { port } = await rawServer((s, i) => {
      if (i === 0) s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nServer: not-openigtlink\r\n\r\n'.repeat(4));
      else s.write(bytesOf(5));
    });
    const conn = connectTcp({ port, reconnect: { initialDelayMs: 20 } });
    defer(() => conn.close());
    const errors: IgtlError[] = [];
    const states: string[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.state$.subscribe((s) => states.push(s.kind));
    const first = await firstValueFrom(conn);
    expect(xOf(first)).toBe(5);
    expect(errors[0]).toBeInstanceOf(DesyncError);
    expect((errors[0] as DesyncError).bytes.length).toBeGreaterThan(0);
    expect(states).toContain('reconnecting');
  });
});

describe('server lock-out', () => {
  it('63 silent sockets and a slowloris cannot keep a client out; a receive-only reader is never evicted', async () => {
    const { server, port } = await igtlServer(); // the defaults: evictAfterMs 5000
    // A live receive-only client (as pyigtl's and the C++ examples' clients are): it never sends.
    const reader = connectTcp({ port, heartbeat: false, reconnect: false });
    defer(() => reader.close());
    const seen: number[] = [];
    reader.subscribe((m) => seen.push(xOf(m)));
    await firstValueFrom(server.sessions$);
    let n = 0;
    const ticker = setInterval(() => server.broadcast(pose(++n)), 20);
    defer(() => clearInterval(ticker));
    await new Promise<void>((r) => {
      const check = () => (seen.length > 0 ? r() : setTimeout(check, 10));
      check();
    });
    // 62 silent sockets and one slowloris fill the server (64).
    const silent = await Promise.all(Array.from({ length: 62 }, () => rawClient(port)));
    const loris = await rawClient(port);
    const msg = bytesOf(7);
    let i = 0;
    const drip = setInterval(() => i < msg.length && loris.write(msg.subarray(i, ++i)), 100);
    defer(() => clearInterval(drip));
    await new Promise<void>((r) => {
      const check = () => (server.sessions.size === 64 ? r() : setTimeout(check, 10));
      check();
    });
    // A legitimate client comes in (it retries as any igtl-rx client does), within 30 s.
    const started = Date.now();
    const legit = connectTcp({ port, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });
    defer(() => legit.close());
    legit.connect();
    // Until it is admitted, what it writes dies with the refused socket (and is reported as
    // unconfirmed): it says hello every 200 ms, as an application would retry.
    const hello$ = firstValueFrom(server.messages$.pipe(filter(({ message }) => message.deviceName === 'legit'), take(1)));
    const retry = setInterval(() => legit.next(createMessage('STRING', { encoding: 3, value: 'hello' }, { deviceName: 'legit' })), 200);
    defer(() => clearInterval(retry));
    const hello = await hello$;
    clearInterval(retry);
    expect(hello.message.type).toBe('STRING');
    expect(Date.now() - started).toBeLessThan(30_000);
    // The reader is still there and still receiving.
    const count = seen.length;
    await new Promise<void>((r) => {
      const check = () => (seen.length > count + 5 ? r() : setTimeout(check, 10));
      check();
    });
    expect(reader.state.kind === 'open' || reader.state.kind === 'stale').toBe(true);
    // One silent socket made room; the server is still full, with the reader and the client in it.
    expect(server.sessions.size).toBe(64);
    expect(silent).toHaveLength(62);
  }, 40_000);
});

describe('sending that does not lie', () => {
  it('a send on a receive-only UDP connection rejects with a typed error; nothing is thrown later', async () => {
    const conn = connectUdp({ localPort: 0 });
    defer(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    await expect(conn.send(pose(1))).rejects.toBeInstanceOf(ConnectionError);
    conn.next(pose(2));
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(2);
    expect(errors[0]!.message).toMatch(/receive-only/);
  });
});
