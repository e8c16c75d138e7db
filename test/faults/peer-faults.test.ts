// A misbehaving peer of the test's own (raw node:net on loopback) against an igtl-rx client, and
// misbehaving clients against an igtl-rx server. In every case: no crash, no unhandled rejection,
// no leaked socket/timer/listener, and state$ tells the truth.
import { describe, expect, it } from 'vitest';
import { bytesOf, faultHooks, rawServer as rawPeer, xOf } from '../support/fault-kit.js';
import { createConnection, type Socket } from 'node:net';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import {
  BodyTooLargeError,
  ConnectionError,
  DeadPeerError,
  Timestamp,
  TruncatedMessageError,
  connectTcp,
  createMessage,
  createServer,
  encodeMessage,
  type IgtlError,
} from '../../src/node.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { defer } = faultHooks();
const rawServer = (onSocket: (s: Socket, index: number) => void) => rawPeer(onSocket, defer);

function client(port: number, options: Parameters<typeof connectTcp>[0] = {}) {
  const conn = connectTcp({ port, reconnect: { initialDelayMs: 20, maxDelayMs: 50 }, ...options });
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  defer(() => conn.close());
  return { conn, errors };
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('a misbehaving server', () => {
  it('closes mid-header: the partial header is reported and the next connection carries on', async () => {
    const { port } = await rawServer((s, i) => {
      if (i === 0) s.end(Buffer.concat([bytesOf(1), bytesOf(2).subarray(0, 30)]));
      else s.write(bytesOf(3));
    });
    const { conn, errors } = client(port);
    const got = await firstValueFrom(conn.pipe(take(2), toArray()));
    expect(got.map(xOf)).toEqual([1, 3]);
    const t = errors.find((e) => e instanceof TruncatedMessageError) as TruncatedMessageError;
    expect(t.expectedBytes).toBe(58);
    expect(t.receivedBytes).toBe(30);
  });

  it('closes mid-body: the partial message is reported with its header', async () => {
    const { port } = await rawServer((s, i) => {
      if (i === 0) s.end(Buffer.concat([bytesOf(1), bytesOf(2).subarray(0, 80)]));
      else s.write(bytesOf(3));
    });
    const { conn, errors } = client(port);
    const got = await firstValueFrom(conn.pipe(take(2), toArray()));
    expect(got.map(xOf)).toEqual([1, 3]);
    const t = errors.find((e) => e instanceof TruncatedMessageError) as TruncatedMessageError;
    expect(t.header?.type).toBe('TRANSFORM');
    expect(t.receivedBytes).toBe(80);
  });

  it('sends a gigantic BODY_SIZE then nothing: refused from the header, no allocation, idle timeout recovers', async () => {
    const lie = bytesOf(1).subarray(0, 58);
    new DataView(lie.buffer, lie.byteOffset).setBigUint64(42, 0xffffffffffffffffn);
    const { port } = await rawServer((s, i) => {
      if (i === 0) s.write(lie);
      else s.write(bytesOf(2));
    });
    const heapBefore = process.memoryUsage().arrayBuffers;
    const { conn, errors } = client(port, { idleTimeoutMs: 200 });
    const got = await firstValueFrom(conn);
    expect(xOf(got)).toBe(2);
    const tooLarge = errors.find((e) => e instanceof BodyTooLargeError) as BodyTooLargeError;
    expect(tooLarge.bodySize).toBe(0xffffffffffffffffn);
    // Nothing after the header: the idle rule finds the peer dead (it was skipping, not receiving).
    const idle = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(idle?.rule).toBe('idle');
    expect(idle?.code).toBe('dead-peer');
    expect(idle?.message).toMatch(/nothing received for 200 ms/);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('trickles one byte at a time (slowloris): the read timeout drops it', async () => {
    const msg = bytesOf(1);
    const { port } = await rawServer((s) => {
      let i = 0;
      const t = setInterval(() => (i < msg.length && !s.destroyed ? s.write(msg.subarray(i, ++i)) : clearInterval(t)), 20);
      s.on('close', () => clearInterval(t));
    });
    const { conn, errors } = client(port, { readTimeoutMs: 300, reconnect: false });
    const outcome = await new Promise<string>((resolve) => conn.subscribe({ next: () => resolve('message'), error: (e: Error) => resolve(e.constructor.name), complete: () => resolve('complete') }));
    expect(outcome).toBe('DeadPeerError');
    expect(errors.some((e) => e instanceof DeadPeerError && e.rule === 'read-timeout' && /arriving for over 300 ms/.test(e.message))).toBe(true);
    expect(conn.state.kind).toBe('closed');
  });

  it('resets the connection (ECONNRESET): reported, state says reconnecting, then recovers', async () => {
    const { port } = await rawServer((s, i) => {
      if (i === 0) setTimeout(() => s.resetAndDestroy(), 20);
      else s.write(bytesOf(5));
    });
    const { conn, errors } = client(port);
    const kinds: string[] = [];
    conn.state$.subscribe((st) => kinds.push(st.kind));
    const got = await firstValueFrom(conn);
    expect(xOf(got)).toBe(5);
    expect(errors.some((e) => e instanceof ConnectionError && /ECONNRESET/.test(String(e.message)))).toBe(true);
    expect(kinds).toContain('reconnecting');
  });

  it('goes silent while keeping the socket open (half-open): heartbeat + idle timeout detect it', async () => {
    // What each peer received, as (type, device name) of 58-byte header-only frames.
    const received: string[][] = [];
    const { port } = await rawServer((s, i) => {
      const seen: string[] = [];
      received[i] = seen;
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 58) {
          const size = Number(buf.readBigUInt64BE(42));
          if (buf.length < 58 + size) break;
          const name = (at: number, len: number) => buf.subarray(at, at + len).toString('latin1').replace(/\0.*$/s, '');
          const type = name(2, 12);
          const device = name(14, 20);
          seen.push(`${type}:${device}`);
          buf = buf.subarray(58 + size);
          // Peer 0 answers the probe (as an igtl-rx server would: a STATUS echoing the device
          // name), then goes silent for good while keeping the socket open. Peer 1 never
          // answers anything. Peer 2 answers with a pose.
          if (i === 0 && seen.length === 1) s.write(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: device, timestamp: Timestamp.ZERO })));
          if (i === 2) s.write(bytesOf(9));
        }
      });
    });
    const { conn, errors } = client(port, { heartbeat: { intervalMs: 50, timeoutMs: 150 }, idleTimeoutMs: 600 });
    const got = await firstValueFrom(conn);
    expect(xOf(got)).toBe(9);
    const dead = errors.filter((e): e is DeadPeerError => e instanceof DeadPeerError);
    // Peer 0 answered the probe, so it was pinged when silent, and the unanswered ping found it
    // dead (well before the idle rule could).
    expect(dead[0]?.rule).toBe('heartbeat');
    expect(received[0]![0]).toBe('GET_STATUS:igtl-rx-ping');
    expect(received[0]!.length).toBeGreaterThanOrEqual(2);
    expect(received[0]!.every((f) => f === 'GET_STATUS:igtl-rx-ping')).toBe(true);
    // Peer 1 never answered the probe: never pinged again (that would defeat TCP keep-alive);
    // the idle rule found it dead.
    expect(dead[1]?.rule).toBe('idle');
    expect(dead[1]?.message).toMatch(/nothing received for 600 ms/);
    expect(received[1]).toEqual(['GET_STATUS:igtl-rx-ping']);
    expect(dead).toHaveLength(2);
    // Peer 2 got the probe too, and its answer was the message.
    expect(received[2]![0]).toBe('GET_STATUS:igtl-rx-ping');
  });
});

describe('misbehaving clients of an igtl-rx server', () => {
  it('survives 1,000 clients that connect and leave abruptly, and leaks nothing', async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    defer(() => server.close());
    const before = resourceCounts();
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => new Promise<void>((resolve) => {
        const s = createConnection(server.address.port, '127.0.0.1', () => {
          s.write(bytesOf(1).subarray(0, 40));
          s.resetAndDestroy();
        });
        s.on('error', () => {});
        s.on('close', () => resolve());
      })));
    }
    for (let i = 0; i < 100 && server.sessions.size > 0; i++) await sleep(10);
    expect(server.sessions.size).toBe(0);
    // The server still serves.
    const conn = connectTcp({ port: server.address.port, reconnect: false });
    defer(() => conn.close());
    const reply = firstValueFrom(conn);
    await conn.send(createMessage('GET_STATUS', {}));
    expect((await reply).type).toBe('STATUS');
    conn.close();
    // The sockets close asynchronously: poll (with a deadline) until the counts are back within
    // bounds. A leaked socket or timer keeps them over, and the expectations below fail.
    const settled = (c: Record<string, number>) =>
      (c.TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0) + 1 && (c.Timeout ?? 0) <= (before.Timeout ?? 0) + 2;
    for (const t0 = Date.now(); !settled(resourceCounts()) && Date.now() - t0 < 2000; ) await sleep(10);
    const after = resourceCounts();
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual((before.TCPSocketWrap ?? 0) + 1);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual((before.Timeout ?? 0) + 2);
  });

  it('drops a client sending garbage without affecting the others', async () => {
    const server = createServer({ port: 0, maxBodySize: 1 << 20 });
    await server.listen();
    defer(() => server.close());
    const good = connectTcp({ port: server.address.port, reconnect: false });
    defer(() => good.close());
    good.connect();
    await firstValueFrom(server.sessions$);
    const garbage = createConnection(server.address.port, '127.0.0.1');
    garbage.on('error', () => {});
    // Read what the server sends (its session's heartbeat probe): a socket whose received bytes
    // are never consumed never sees the server's FIN, so it would never close.
    garbage.resume();
    const garbageClosed = new Promise<void>((r) => garbage.on('close', () => r()));
    // Random bytes: their "BODY_SIZE" is almost surely huge, which a server session refuses and closes on.
    garbage.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)));
    await garbageClosed;
    const replies = firstValueFrom(good.pipe(filter((m) => m.type === 'STATUS'), take(3), toArray()));
    for (let i = 0; i < 3; i++) await good.send(createMessage('GET_STATUS', {}));
    expect(await replies).toHaveLength(3);
    expect(server.sessions.size).toBe(1);
  });
});
