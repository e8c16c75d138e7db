/**
 * Faults, each a test: small raw node:net servers of the test's own on 127.0.0.1 misbehave on
 * purpose, and the connection layer (connectTcp / IgtlConnection, createServer) must report,
 * recover and stay bounded.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Subscription } from 'rxjs';
import {
  connectTcp,
  ConnectionError,
  createMessage,
  createServer,
  crc64,
  CrcMismatchError,
  DesyncError,
  encodeMessage,
  MalformedMessageError,
  PeerClosedError,
  QueueFullError,
  Timestamp,
  TruncatedMessageError,
  type ConnectionOptions,
  type ConnectionState,
  type IgtlConnection,
  type IgtlError,
  type IgtlMessage,
  type IgtlServer,
  type QueueStatus,
  type SendResult,
  type TcpOptions,
} from '../../src/node.js';
import { freePort } from '../support/cpp-peers.js';
import { rawServer, Recorder, sleep, waitForState, waitUntil } from '../support/interop-helpers.js';

const conns: IgtlConnection[] = [];
const subs: Subscription[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const s of subs.splice(0)) s.unsubscribe();
  for (const c of conns.splice(0)) c.close();
  for (const f of cleanups.splice(0).reverse()) await f();
});

/**
 * A client of the raw test servers here. No heartbeat: these peers do not speak igtl-rx, so the
 * GET_STATUS probe would only add bytes they count and an unconfirmed write to every report.
 */
function connect(port: number, options: Partial<ConnectionOptions & TcpOptions> = {}): IgtlConnection {
  const conn = connectTcp({ port, reconnect: false, heartbeat: false, ...options });
  conns.push(conn);
  return conn;
}

async function server(onSocket: (socket: net.Socket, index: number) => void) {
  const s = await rawServer(onSocket);
  cleanups.push(() => s.close());
  return s;
}

/** A TRANSFORM numbered `i`: device `msg-<i>`, and `i` in the matrix translation x. */
function numbered(i: number): IgtlMessage {
  return createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, -i, 0, 0, 1, 0.5, 0, 0, 0, 1] }, { deviceName: `msg-${i}`, timestamp: Timestamp.ZERO });
}
const numberedBytes = (i: number): Uint8Array => encodeMessage(numbered(i));

/**
 * Waits for the message numbered `marker`: the peer writes it after everything else, on the last
 * socket, so once it is here nothing sent before it can still arrive (the quiet period is proven
 * by an event, not by sleeping).
 */
function untilMarker(messages: Recorder<IgtlMessage>, marker: number): Promise<void> {
  return messages.until(() => messages.values.some((m) => m.deviceName === `msg-${marker}`), 5000, `the marker msg-${marker}`);
}

/** Index carried by a message made by `numbered`. */
function indexOf(m: IgtlMessage): number {
  if (m.type !== 'TRANSFORM') throw new Error(`unexpected ${m.type}`);
  expect(m.deviceName).toBe(`msg-${m.content.matrix[3]}`);
  expect(m.content.matrix[7]).toBe(-m.content.matrix[3]!);
  return m.content.matrix[3]!;
}

/** Records state$, errors$ and the messages of a connection. */
function watch(conn: IgtlConnection) {
  const states: ConnectionState[] = [];
  const errors: IgtlError[] = [];
  const events: string[] = [];
  subs.push(conn.state$.subscribe((s) => { states.push(s); events.push(`state:${s.kind}`); }));
  subs.push(conn.errors$.subscribe((e) => { errors.push(e); events.push(`error:${e.name}`); }));
  const messages = new Recorder<IgtlMessage>();
  subs.push(conn.subscribe({
    next: (m) => { events.push(`message:${m.deviceName}`); messages.observer.next(m); },
    error: (e) => messages.observer.error(e),
    complete: () => messages.observer.complete(),
  }));
  return { states, errors, events, messages };
}

describe('peer closes in the middle of a message', () => {
  it('(RST instead of FIN) reports the partial message, then the reset, reconnects and goes on', async () => {
    const { port } = await server((socket, index) => {
      if (index === 0) {
        socket.write(Buffer.concat([numberedBytes(0), numberedBytes(1), numberedBytes(2).subarray(0, 100)]), () => {
          setTimeout(() => socket.resetAndDestroy(), 20);
        });
      } else if (index === 1) {
        socket.write(Buffer.concat([numberedBytes(3), numberedBytes(4), numberedBytes(5)])); // 5: the marker
      }
    });
    const conn = connect(port, { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    const { errors, events, messages } = watch(conn);
    await untilMarker(messages, 5);
    expect(messages.values.map(indexOf)).toEqual([0, 1, 3, 4, 5]);
    expect(errors.map((e) => e.constructor)).toEqual([TruncatedMessageError, ConnectionError]);
    expect(errors[0]!.header?.deviceName).toBe('msg-2');
    expect((errors[0] as TruncatedMessageError).receivedBytes).toBe(100);
    expect(errors[1]!.message).toMatch(/ECONNRESET/);
    expect(events.indexOf('state:reconnecting')).toBeGreaterThan(events.indexOf('error:ConnectionError'));
    expect(messages.completed).toBe(false);
  });

  it('reports the partial message with its header, reconnects, and loses or duplicates nothing after', async () => {
    const N = 5;
    const M = 4;
    const half = numberedBytes(N); // 106 bytes: header + 48
    const cut = 70;
    const { port, sockets } = await server((socket, index) => {
      if (index === 0) {
        // N whole messages and the first 70 bytes of message N, then close.
        socket.end(Buffer.concat([...Array.from({ length: N }, (_, i) => numberedBytes(i)), half.subarray(0, cut)]));
      } else if (index === 1) {
        // The peer starts over after the lost message: N + 1 .. N + M, then the marker N + M + 1.
        socket.write(Buffer.concat(Array.from({ length: M + 1 }, (_, i) => numberedBytes(N + 1 + i))));
      }
    });
    const conn = connect(port, { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    const { states, errors, events, messages } = watch(conn);
    await untilMarker(messages, N + M + 1); // after it, nothing more may arrive
    expect(sockets).toHaveLength(2);

    expect(messages.values.map(indexOf)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(messages.completed).toBe(false);
    expect(messages.error).toBeUndefined();

    // The cut message, then the clean close (a FIN) that cut it: nothing else.
    expect(errors.map((e) => e.constructor)).toEqual([TruncatedMessageError, PeerClosedError]);
    expect(errors[1]!.code).toBe('peer-closed');
    const err = errors[0]!;
    expect(err).toBeInstanceOf(TruncatedMessageError);
    if (!(err instanceof TruncatedMessageError)) return;
    expect(err.code).toBe('truncated');
    expect(err.header?.type).toBe('TRANSFORM');
    expect(err.header?.deviceName).toBe(`msg-${N}`);
    expect(err.header?.bodySize).toBe(48);
    expect(err.expectedBytes).toBe(106);
    expect(err.receivedBytes).toBe(cut);
    expect(Buffer.from(err.frame!).equals(Buffer.from(half.subarray(0, cut)))).toBe(true);

    // Order: the N messages, the truncation report, the reconnection, the M messages.
    const at = (e: string) => events.indexOf(e);
    expect(at('error:TruncatedMessageError')).toBeGreaterThan(at('message:msg-4'));
    expect(at('error:TruncatedMessageError')).toBeLessThan(at('state:reconnecting'));
    expect(at('error:PeerClosedError')).toBeGreaterThan(at('error:TruncatedMessageError'));
    expect(at('error:PeerClosedError')).toBeLessThan(at('state:reconnecting'));
    expect(at('state:reconnecting')).toBeLessThan(at('message:msg-6'));
    expect(states.map((s) => s.kind)).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    // The state says who closed it.
    const retry = states.find((s) => s.kind === 'reconnecting') as Extract<ConnectionState, { kind: 'reconnecting' }>;
    expect(retry.reason).toBeInstanceOf(PeerClosedError);
    expect(retry.reason).toBe(errors[1]);
  });
});

describe('peer not listening', () => {
  it('retries with growing delays, never crashes or leaks a rejection, and ends with a ConnectionError', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    cleanups.push(() => {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    });

    const port = await freePort(); // nothing listens there
    const conn = connect(port, { reconnect: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 5 }, random: () => 0.5 });
    const { states, errors, messages } = watch(conn);
    // Sends while down: one ignored promise, one fire-and-forget, one awaited.
    void conn.send(numbered(1));
    conn.next(numbered(2));
    const awaited = conn.send(numbered(3)).then(
      (r) => ({ ok: r }),
      (e: unknown) => ({ failed: e }),
    );

    await messages.end(10_000);
    expect(messages.error).toBeInstanceOf(ConnectionError);
    expect((messages.error as ConnectionError).code).toBe('connection');
    expect((messages.error as Error).message).toMatch(/gave up after 5 failed connection attempts/);

    const kinds = states.map((s) => s.kind);
    expect(kinds).toEqual(['idle', ...Array.from({ length: 4 }, () => ['connecting', 'reconnecting']).flat(), 'connecting', 'closed']);
    expect(states.filter((s) => s.kind === 'connecting').map((s) => (s as { attempt: number }).attempt)).toEqual([1, 2, 3, 4, 5]);
    const retries = states.filter((s): s is Extract<ConnectionState, { kind: 'reconnecting' }> => s.kind === 'reconnecting');
    expect(retries.map((s) => s.attempt)).toEqual([2, 3, 4, 5]);
    expect(retries.map((s) => s.delayMs)).toEqual([20, 40, 80, 100]); // x2 per attempt, capped at maxDelayMs
    for (const r of retries) expect(r.reason).toBeInstanceOf(Error);
    const last = states.at(-1)!;
    expect(last.kind).toBe('closed');
    expect((last as { reason: Error }).reason).toBeInstanceOf(ConnectionError);

    // Every failed attempt is reported; so are the sends that could never go out.
    const refused = errors.filter((e) => e instanceof ConnectionError && /ECONNREFUSED/.test(`${e.message} ${String((e.cause as Error | undefined)?.message)}`));
    expect(refused).toHaveLength(5);
    const result = await awaited;
    expect('failed' in result && result.failed).toBeInstanceOf(ConnectionError);
    // Every send has settled by now; Node reports an unhandled rejection when the microtask queue
    // drains, before the next macrotask: one setImmediate turn is the event that proves none came.
    await new Promise((r) => setImmediate(r));
    expect(unhandled).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

/** A server that accepts and never reads: the client's writes back up (TCP flow control). */
async function stuckPeer() {
  return server((socket) => socket.pause());
}

/** 1 MiB message (fills the socket buffers quickly). */
const big = (i: number) => createMessage('NDARRAY', { scalarType: 3, size: [1024, 1024], data: new Uint8Array(1 << 20).fill(i & 0xff) }, { deviceName: `big-${i}` });

/** Latest queue$ value. */
function queueOf(conn: IgtlConnection): { readonly now: QueueStatus } {
  const box = { now: { messages: 0, bytes: 0, dropped: 0, replaced: 0 } as QueueStatus };
  subs.push(conn.queue$.subscribe((q) => (box.now = q)));
  return box;
}

/**
 * Sends 1 MiB lossless messages until the channel stops taking them: the queue keeps entries
 * across a pause. Returns the promises of those sends.
 */
async function block(conn: IgtlConnection, queue: { readonly now: QueueStatus }): Promise<Promise<SendResult | Error>[]> {
  const sends: Promise<SendResult | Error>[] = [];
  for (let i = 0; i < 200; i++) {
    sends.push(conn.send(big(i)).catch((e: Error) => e));
    await sleep(5);
    if (queue.now.messages > 0) {
      await sleep(100);
      if (queue.now.messages > 0) return sends;
    }
  }
  throw new Error('the connection never blocked');
}

describe('peer accepts but never reads', () => {
  it("'lossless' queues up to the high-water mark, then fails with QueueFullError; memory stays bounded", async () => {
    const { port } = await stuckPeer();
    const maxBytes = 8 * 1024 * 1024;
    const conn = connect(port, { queue: { maxBytes, maxMessages: 1000 } });
    const { errors } = watch(conn);
    const queue = queueOf(conn);
    await waitForState(conn, 'open');

    const results: (SendResult | Error)[] = [];
    let full: QueueFullError | undefined;
    for (let i = 0; i < 500 && !full; i++) {
      conn.send(big(i)).then(
        (r) => results.push(r),
        (e: Error) => {
          results.push(e);
          if (e instanceof QueueFullError) full ??= e;
        },
      );
      await sleep(2);
    }
    expect(full, 'a lossless send was refused').toBeInstanceOf(QueueFullError);
    const snapshot = queue.now;
    // Some went out (into the kernel's buffers) before the peer's window closed.
    expect(results.filter((r) => r === 'written').length).toBeGreaterThan(0);
    // Bounded: never more than maxBytes queued; the refusal reports the queue as it was.
    expect(snapshot.bytes).toBeLessThanOrEqual(maxBytes);
    expect(snapshot.bytes + (1 << 20) + 58 + 8).toBeGreaterThan(maxBytes);
    expect(full!.queuedBytes).toBeLessThanOrEqual(maxBytes);
    expect(full!.queuedMessages).toBe(snapshot.messages);
    expect(snapshot.messages).toBeGreaterThan(0);
    expect(errors.some((e) => e instanceof QueueFullError)).toBe(true);

    // Closing fails the waiting lossless sends.
    const before = results.length;
    conn.close();
    await waitUntil(() => results.length - before === snapshot.messages, 2000, 'the waiting sends to fail');
    expect(results.slice(before).every((r) => r instanceof ConnectionError)).toBe(true);
    expect(queue.now.messages).toBe(0);
  });

  it("'latest' keeps one entry per (type, device) however many are sent", async () => {
    const { port } = await stuckPeer();
    const conn = connect(port, { queue: { maxMessages: 1000, maxBytes: 64 * 1024 * 1024 } });
    watch(conn);
    const queue = queueOf(conn);
    await waitForState(conn, 'open');
    await block(conn, queue);
    const base = queue.now.messages;
    const replacedBefore = queue.now.replaced;

    const devices = ['A', 'B', 'C'];
    const n = 5000;
    const sends: Promise<SendResult>[] = [];
    for (let i = 0; i < n; i++) {
      sends.push(conn.send(createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: devices[i % 3] }), { policy: 'latest' }));
    }
    // A different type with the same device name is another key.
    sends.push(conn.send(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: 'A' }), { policy: 'latest' }));
    expect(queue.now.messages).toBe(base + 4);
    expect(queue.now.replaced - replacedBefore).toBe(n - 3);
    const settled = await Promise.all(sends.slice(0, n - 3));
    expect(settled.every((r) => r === 'replaced')).toBe(true);
    // The three newest poses and the STATUS still wait (the queue holds them), and they end with
    // the connection: rejected on close, never 'written' before it.
    const waiting = sends.slice(n - 3).map((p) => p.then((r) => r, (e: unknown) => e));
    conn.close();
    const outcomes = await Promise.all(waiting);
    expect(outcomes.map((o) => o instanceof ConnectionError)).toEqual([true, true, true, true]);
    expect(queue.now.messages).toBe(0);
  });

  it("'drop' counts what it drops and never grows the queue over its mark", async () => {
    const { port } = await stuckPeer();
    const maxMessages = 20;
    const conn = connect(port, { queue: { maxMessages, maxBytes: 256 * 1024 * 1024 } });
    watch(conn);
    const queue = queueOf(conn);
    await waitForState(conn, 'open');
    await block(conn, queue);
    // Fill up to the mark with small lossless messages.
    let refused = 0;
    for (let i = 0; i < maxMessages + 5; i++) {
      conn.send(numbered(i)).catch((e: unknown) => {
        if (e instanceof QueueFullError) refused++;
      });
    }
    await new Promise((r) => setImmediate(r)); // the refusals' callbacks (microtasks) have run
    expect(queue.now.messages).toBe(maxMessages);
    expect(refused).toBeGreaterThanOrEqual(5);
    const droppedBefore = queue.now.dropped;
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => conn.send(numbered(1000 + i), { policy: 'drop' })));
    expect(results.every((r) => r === 'dropped')).toBe(true);
    expect(queue.now.dropped - droppedBefore).toBe(1000);
    expect(queue.now.messages).toBe(maxMessages);
  });

  it('process RSS stays bounded while sending 50k messages into a stuck connection', async () => {
    const { port } = await stuckPeer();
    const conn = connect(port, { queue: { maxMessages: 100, maxBytes: 16 * 1024 * 1024 } });
    let errorCount = 0; // counted, not kept: keeping 17k QueueFullErrors would itself cost memory
    subs.push(conn.errors$.subscribe(() => errorCount++));
    conn.connect();
    const queue = queueOf(conn);
    await waitForState(conn, 'open');
    await block(conn, queue);
    const payload = new Uint8Array(8192).fill(7);
    const start = process.memoryUsage().rss;
    let peak = start;
    let dropped = 0;
    let replaced = 0;
    let refused = 0;
    const total = 50_000;
    for (let i = 0; i < total; i += 1000) {
      for (let j = i; j < i + 1000; j++) {
        // 8 KiB each: 400 MB in all, if anything kept them.
        const policy = j % 3 === 0 ? 'latest' : j % 3 === 1 ? 'drop' : 'lossless';
        const msg = createMessage('NDARRAY', { scalarType: 3, size: [8192], data: payload }, { deviceName: `dev-${j % 7}` });
        conn.send(msg, { policy }).then(
          (r) => (r === 'dropped' ? dropped++ : r === 'replaced' ? replaced++ : 0),
          () => refused++,
        );
      }
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, process.memoryUsage().rss);
      expect(queue.now.messages).toBeLessThanOrEqual(100);
      expect(queue.now.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    }
    await new Promise((r) => setImmediate(r)); // the settled sends' callbacks (microtasks) have run
    // Everything but the last few 'latest' entries was dropped, replaced or refused at once.
    expect(dropped + replaced + refused).toBeGreaterThanOrEqual(total - 100);
    expect(errorCount).toBeGreaterThanOrEqual(refused);
    const growthMb = (peak - start) / (1024 * 1024);
    expect(growthMb, `RSS grew by ${growthMb.toFixed(1)} MB`).toBeLessThan(150);
  });
});

describe('closing with data still in flight', () => {
  // ByteChannel.close() is documented as graceful ("pending writes are flushed first") and
  // send() resolves 'written' once the bytes are handed to the channel. But IgtlConnection.stop()
  // calls channel.close() (socket.end()) and then unsubscribes the channel, whose teardown
  // (pipeSocketEvents) destroys the socket at once: whatever Node still buffers is discarded.
  // Measured: of a 32 MiB message, ~4 MB arrive. See the report for the proposed fix.
  it("close() after send() resolved 'written' still delivers the whole message", async () => {
    const size = 16 * 1024 * 1024;
    const expectedBytes = 58 + 2 + 2 * 2 + size; // header + NDARRAY type/dim + 2 sizes + data
    let received = 0;
    let ended = false;
    const { port } = await server((socket) => {
      socket.on('data', (c: Buffer) => (received += c.length));
      socket.on('end', () => (ended = true));
      socket.on('close', () => (ended = true));
    });
    const conn = connect(port);
    conn.connect();
    await waitForState(conn, 'open');
    const result = await conn.send(createMessage('NDARRAY', { scalarType: 3, size: [size / 1024, 1024], data: new Uint8Array(size).fill(1) }));
    expect(result).toBe('written');
    conn.close();
    await waitUntil(() => ended, 5000, 'the peer to see the end of the stream');
    expect(received, `bytes received of ${expectedBytes}`).toBe(expectedBytes);
  });
});

describe('connect/disconnect cycles', () => {
  it('1,000 subscribe/unsubscribe cycles leave no leaked sockets, timers or listeners', async () => {
    const srv: IgtlServer = createServer({ port: 0 });
    cleanups.push(() => srv.close());
    const { port } = await srv.listen();

    const count = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const listeners = () => process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0);
    const cycle = async (conn: IgtlConnection) => {
      const sub = conn.subscribe({ error: () => {} });
      await waitForState(conn, 'open', 5000);
      sub.unsubscribe();
      expect(conn.state.kind).toBe('closed');
    };
    // Warm up (lazy initialisation of the first connection), then take the baseline.
    const shared = connectTcp({ port, reconnect: false });
    await cycle(shared);
    await waitUntil(() => srv.sessions.size === 0, 5000, 'the warm-up session ended');
    // And the warm-up's client socket has closed: under load its handle could still be closing
    // when the baseline was taken (1), so the end's 0 failed the comparison.
    await waitUntil(() => count('TCPSocketWrap') === 0, 5000, 'the warm-up socket to close');
    const baseline = { sockets: count('TCPSocketWrap'), timers: count('Timeout'), listeners: listeners() };

    let maxSessions = 0;
    for (let i = 0; i < 1000; i++) {
      // Alternate: the same lazy connection re-opened, and a new connection object each time.
      await cycle(i % 2 === 0 ? shared : connectTcp({ port, reconnect: false }));
      maxSessions = Math.max(maxSessions, srv.sessions.size);
    }
    expect(maxSessions).toBeGreaterThan(0);
    await waitUntil(() => srv.sessions.size === 0, 10_000, `the server's sessions to end (${srv.sessions.size} left)`);
    await waitUntil(() => count('TCPSocketWrap') <= baseline.sockets, 5000, 'the sockets to close');
    expect(count('TCPSocketWrap')).toBe(baseline.sockets);
    expect(count('Timeout')).toBeLessThanOrEqual(baseline.timers);
    expect(listeners()).toBe(baseline.listeners);
  });
});

describe('a bad message in the middle of a stream', () => {
  it('is reported on errors$ with its header; the stream goes on with the next message', async () => {
    const good = (i: number) => Buffer.from(encodeMessage(createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, -i, 0, 0, 1, 0.5, 0, 0, 0, 1] }, { deviceName: `msg-${i}`, timestamp: Timestamp.ZERO })));
    // CRC flipped.
    const badCrc = Buffer.from(encodeMessage(createMessage('TRANSFORM', { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'bad-crc' })));
    const crcInHeader = badCrc.readBigUInt64BE(50);
    badCrc[55] ^= 0xff;
    // Malformed body with a valid CRC: a STRING whose LENGTH says 99 bytes but carries 5.
    const malformed = Buffer.from(encodeMessage(createMessage('STRING', { encoding: 3, value: 'hello' }, { deviceName: 'malformed' })));
    malformed.writeUInt16BE(99, 58 + 2);
    malformed.writeBigUInt64BE(crc64(malformed, 58, malformed.length), 50);

    let second: net.Socket | undefined;
    const { port, sockets } = await server((socket) => {
      second = socket;
      socket.write(Buffer.concat([good(0), badCrc, good(1), malformed, good(2), good(3)]));
    });
    const conn = connect(port);
    const { states, errors, messages } = watch(conn);
    await messages.count(4, 5000);
    second!.write(good(4)); // later, after the bad ones: the marker, nothing more may arrive
    await messages.count(5, 5000);

    expect(messages.values.map(indexOf)).toEqual([0, 1, 2, 3, 4]);
    expect(messages.completed).toBe(false);
    expect(messages.error).toBeUndefined();
    expect(states.map((s) => s.kind)).toEqual(['idle', 'connecting', 'open']);
    expect(sockets).toHaveLength(1);

    expect(errors.map((e) => e.constructor)).toEqual([CrcMismatchError, MalformedMessageError]);
    const [crc, body] = errors as [CrcMismatchError, MalformedMessageError];
    expect(crc.code).toBe('crc-mismatch');
    expect(crc.header?.deviceName).toBe('bad-crc');
    expect(crc.header?.type).toBe('TRANSFORM');
    expect(crc.expected).toBe(crcInHeader ^ 0xff0000n); // byte 55 = bits 23..16 of the big-endian CRC field
    expect(crc.actual).toBe(crcInHeader);
    expect(crc.frame?.length).toBe(106);
    expect(body.code).toBe('malformed');
    expect(body.header?.deviceName).toBe('malformed');
    expect(body.header?.type).toBe('STRING');
    expect(body.message).toMatch(/LENGTH 99/);
  });

  it('a header version other than 1 and 2 is a lost stream: DesyncError, nothing more from that connection, reconnect', async () => {
    const good = (i: number) => Buffer.from(encodeMessage(createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, -i, 0, 0, 1, 0.5, 0, 0, 0, 1] }, { deviceName: `msg-${i}`, timestamp: Timestamp.ZERO })));
    // Unsupported header version: on a network stream, the byte stream is taken as lost (a
    // file would skip it by BODY_SIZE). Whatever follows it on that connection is not decoded.
    const badVersion = good(100);
    badVersion.writeUInt16BE(9, 0);
    badVersion.write('bad-version\0\0\0\0\0\0\0\0\0', 14, 20, 'latin1');

    const { port, sockets } = await server((socket, index) => {
      if (index === 0) socket.write(Buffer.concat([good(0), good(1), badVersion, good(99)]));
      else socket.write(Buffer.concat([good(2), good(3), good(4)])); // 4: the marker
    });
    const conn = connect(port, { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    const { states, errors, events, messages } = watch(conn);
    await untilMarker(messages, 4); // after it, nothing more may arrive

    expect(messages.values.map(indexOf)).toEqual([0, 1, 2, 3, 4]); // never msg-99
    expect(messages.completed).toBe(false);
    expect(messages.error).toBeUndefined();
    expect(sockets).toHaveLength(2);
    expect(states.map((s) => s.kind)).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);

    const desyncs = errors.filter((e): e is DesyncError => e instanceof DesyncError);
    // One loss, one DesyncError (errors$ currently carries that same object twice: once as the
    // decoder's report, once as the reason the channel ended).
    expect(desyncs.length).toBeGreaterThanOrEqual(1);
    expect(new Set(desyncs).size).toBe(1);
    expect(errors.filter((e) => !(e instanceof DesyncError))).toEqual([]);
    const desync = desyncs[0]!;
    expect(desync.code).toBe('desync');
    expect(desync.reason).toMatch(/header version 9/);
    expect(Buffer.from(desync.bytes.subarray(0, 58)).equals(badVersion.subarray(0, 58))).toBe(true);
    const retry = states.find((s) => s.kind === 'reconnecting') as Extract<ConnectionState, { kind: 'reconnecting' }>;
    expect(retry.reason).toBeInstanceOf(DesyncError);
    expect(events.indexOf('error:DesyncError')).toBeGreaterThan(events.indexOf('message:msg-1'));
    expect(events.indexOf('error:DesyncError')).toBeLessThan(events.indexOf('state:reconnecting'));
  });
});

/** Resolves on 'drain' or 'close', removing both listeners (events.once would leave one behind). */
function drainOrClose(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

describe('pull consumer', () => {
  it('a slow `for await` consumer gets all 20k messages in order while the socket is paused', async () => {
    const total = 20_000;
    const filler = 'y'.repeat(2000);
    const progress = { written: 0, drainWaits: 0, blockedMs: 0, done: false };
    const { port } = await server((socket) => {
      void (async () => {
        // The client says "ready" once both of its subscribers exist (an event, not a guess).
        await new Promise((resolve) => socket.once('data', resolve));
        for (let i = 0; i < total; i++) {
          const ok = socket.write(encodeMessage(createMessage('STRING', { encoding: 3, value: `${i}:${filler}` }, { deviceName: 'seq', timestamp: Timestamp.ZERO })));
          progress.written = i + 1;
          if (!ok) {
            progress.drainWaits++;
            const t0 = Date.now();
            await drainOrClose(socket);
            progress.blockedMs += Date.now() - t0;
            if (socket.destroyed) return;
          }
        }
        progress.done = true;
        socket.end();
      })();
    });
    const conn = connect(port);
    const pause = vi.spyOn(conn, 'pauseReading');
    const resume = vi.spyOn(conn, 'resumeReading');
    // A second subscriber counts arrivals, to measure how far the consumer lags. (The server
    // sends only after the client's "ready", written once both subscribers exist, so both see
    // every message.)
    let arrived = 0;
    subs.push(conn.subscribe(() => arrived++));
    let consumed = 0;
    let maxLag = 0;
    let writtenWhenAt2000 = -1;
    const highWaterMark = 100;

    let expected = 0;
    // The pull iterator subscribes when it is created: after that, "ready" may go.
    const iterator = conn.messages({ highWaterMark })[Symbol.asyncIterator]();
    await conn.send(createMessage('STRING', { encoding: 3, value: 'ready' }, { deviceName: 'ready', timestamp: Timestamp.ZERO }));
    for await (const m of { [Symbol.asyncIterator]: () => iterator }) {
      if (m.type !== 'STRING') throw new Error(`unexpected ${m.type}`);
      const n = Number(m.content.value.slice(0, m.content.value.indexOf(':')));
      if (n !== expected) expect.fail(`message ${expected} expected, got ${n}`);
      expected++;
      consumed++;
      maxLag = Math.max(maxLag, arrived - consumed);
      if (consumed === 2000) writtenWhenAt2000 = progress.written;
      if (consumed % 50 === 0) await sleep(1);
    }
    expect(expected).toBe(total);
    expect(progress.done).toBe(true);
    // The pull buffer paused the socket (and resumed it) ...
    expect(pause).toHaveBeenCalled();
    expect(resume).toHaveBeenCalled();
    // ... so TCP flow control held the sender back: when the consumer had 2000 messages, the
    // sender was far from done, and it spent time blocked on 'drain'.
    expect(writtenWhenAt2000).toBeGreaterThan(0);
    expect(writtenWhenAt2000).toBeLessThan(total);
    expect(progress.drainWaits).toBeGreaterThan(0);
    expect(progress.blockedMs).toBeGreaterThan(100);
    // Bounded: the consumer never fell more than the high-water mark plus about one socket
    // read (64 KiB, ~32 messages) behind.
    expect(maxLag).toBeLessThanOrEqual(highWaterMark + 64);
  });
});
