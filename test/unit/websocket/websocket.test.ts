// The WebSocket transport against real `ws` servers on loopback (stopped and restarted for the
// reconnection tests), plus scripted sockets for backpressure and flow control.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualAction, VirtualTimeScheduler, filter, firstValueFrom, take, toArray, type Subscription } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import RwsModule from 'reconnecting-websocket';
import {
  ConnectionError,
  HEARTBEAT_DEVICE_NAME,
  IDENTITY,
  InvalidOptionError,
  Timestamp,
  connectWebSocket,
  createMessage,
  decodeAll,
  encodeMessage,
  type ChannelEvent,
  type ConnectionState,
  type IgtlError,
  type IgtlMessage,
  type WebSocketLike,
} from '../../../src/index.js';
import { openWebSocketChannel } from '../../../src/transport/websocket.js';

const pose = (n: number, device = 'Tool') => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: device, timestamp: Timestamp.ZERO });
const status = (text: string) => createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: text }, { deviceName: 'Status', timestamp: Timestamp.ZERO });
const xOf = (m: IgtlMessage) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fast = { initialDelayMs: 30, maxDelayMs: 120, jitter: 0 };

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A ws server acting as a raw OpenIGTLink peer: records the decoded messages it receives, and
 * apart from them the client's heartbeat probes (a peer that does not answer gets one per connection).
 */
class Peer {
  readonly received: IgtlMessage[] = [];
  readonly probes: IgtlMessage[] = [];
  readonly sockets = new Set<WebSocket>();
  readonly urls: string[] = [];
  wss: WebSocketServer | undefined;
  port = 0;
  onConnection: (ws: WebSocket) => void = () => {};

  async start(): Promise<this> {
    const wss = new WebSocketServer({ port: this.port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.wss = wss;
    this.port = (wss.address() as { port: number }).port;
    wss.on('connection', (ws, req) => {
      this.sockets.add(ws);
      this.urls.push(req.url ?? '');
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) return;
        for (const m of decodeAll(new Uint8Array(data))) {
          if (m instanceof Error) continue;
          if (m.type === 'GET_STATUS' && m.deviceName === HEARTBEAT_DEVICE_NAME) this.probes.push(m);
          else this.received.push(m);
        }
      });
      this.onConnection(ws);
    });
    return this;
  }

  /** Stops listening and drops every client abruptly (the peer "crashed"). */
  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    const wss = this.wss;
    this.wss = undefined;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  broadcast(bytes: Uint8Array): void {
    for (const ws of this.sockets) ws.send(bytes);
  }
}

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function peer(): Promise<Peer> {
  const p = await new Peer().start();
  cleanup.push(() => p.stop());
  return p;
}

function statesOf(conn: { state$: import('rxjs').Observable<ConnectionState> }): ConnectionState[] {
  const states: ConnectionState[] = [];
  const sub: Subscription = conn.state$.subscribe((s) => states.push(s));
  cleanup.push(() => sub.unsubscribe());
  return states;
}

describe('connectWebSocket without a WebSocket implementation', () => {
  it('throws an InvalidOptionError naming the WebSocket option (it was a bare TypeError)', () => {
    vi.stubGlobal('WebSocket', undefined);
    try {
      let err: unknown;
      try {
        connectWebSocket('ws://127.0.0.1:1/');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as InvalidOptionError).option).toBe('WebSocket');
      expect((err as Error).message).toMatch(/pass \{ WebSocket \} from the "ws" package/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('WebSocket transport with a real ws server', () => {
  it('carries messages both ways (Node 20 with WebSocket: ws)', async () => {
    const p = await peer();
    p.onConnection = (ws) => ws.send(encodeMessage(pose(7)));
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: false });
    cleanup.push(() => conn.close());
    const first = firstValueFrom(conn);
    conn.connect(); // stays open after firstValueFrom leaves
    expect(xOf(await first)).toBe(7);
    await conn.send(status('hello'));
    await until('the server to receive the STATUS', () => p.received.length === 1);
    expect(p.received[0]).toMatchObject({ type: 'STATUS', content: { statusMessage: 'hello' } });
    expect(conn.state).toEqual({ kind: 'open', remote: p.url });
    // The client's heartbeat asked once, at open, whether this peer takes part (one that does not answer is not pinged again: liveness.test.ts).
    expect(p.probes.map((m) => [m.type, m.deviceName])).toEqual([['GET_STATUS', HEARTBEAT_DEVICE_NAME]]);
  });

  it('reassembles messages whatever the frame boundaries (several per frame, one split over frames)', async () => {
    const p = await peer();
    const bytes = [1, 2, 3, 4].map((n) => encodeMessage(pose(n)));
    const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of bytes) {
      all.set(b, off);
      off += b.length;
    }
    p.onConnection = (ws) => {
      // 2.5 messages, then the rest of the third, then the fourth one byte per frame.
      const cut = bytes[0]!.length * 2 + 30;
      ws.send(all.subarray(0, cut));
      ws.send(all.subarray(cut, bytes[0]!.length * 3));
      for (let i = bytes[0]!.length * 3; i < all.length; i++) ws.send(all.subarray(i, i + 1));
    };
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: false });
    cleanup.push(() => conn.close());
    expect((await firstValueFrom(conn.pipe(take(4), toArray()))).map(xOf)).toEqual([1, 2, 3, 4]);
  });

  it('ignores text frames', async () => {
    const p = await peer();
    p.onConnection = (ws) => {
      ws.send('not OpenIGTLink');
      ws.send(encodeMessage(pose(3)));
    };
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: false });
    cleanup.push(() => conn.close());
    const errors: Error[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    expect(xOf(await firstValueFrom(conn))).toBe(3);
    expect(errors).toEqual([]);
  });

  it('reconnects with backoff when the server stops and restarts, and state$ tells the story', async () => {
    const p = await peer();
    let n = 0;
    p.onConnection = (ws) => ws.send(encodeMessage(pose(++n)));
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: fast });
    cleanup.push(() => conn.close());
    const states = statesOf(conn);
    const got: number[] = [];
    conn.subscribe((m) => got.push(xOf(m)));
    await until('the first message', () => got.length === 1);

    await p.stop();
    await until('a few failed attempts', () => states.filter((s) => s.kind === 'reconnecting').length >= 3);
    expect(conn.state.kind).not.toBe('open');
    await p.start();
    await until('the message of the second connection', () => got.length === 2);
    expect(got).toEqual([1, 2]);

    const kinds = states.map((s) => s.kind);
    expect(kinds.slice(0, 3)).toEqual(['idle', 'connecting', 'open']);
    expect(kinds.at(-1)).toBe('open');
    // The drop is reported with the close code; each failed attempt counts up, with backoff.
    const firstDrop = states.find((s) => s.kind === 'reconnecting');
    expect(firstDrop).toMatchObject({ kind: 'reconnecting', attempt: 1 });
    expect(String((firstDrop as { reason?: Error }).reason?.message)).toMatch(/closed with code 1006/);
    const retries = states.filter((s): s is Extract<ConnectionState, { kind: 'reconnecting' }> => s.kind === 'reconnecting');
    expect(retries.map((s) => s.attempt).slice(0, 3)).toEqual([1, 2, 3]);
    expect(retries[2]!.delayMs).toBeGreaterThan(retries[1]!.delayMs);
    expect(String(retries[1]!.reason?.message)).toMatch(/ECONNREFUSED/);
  });

  it('sends what waited during the outage by its policy, and the transport replays nothing stale', async () => {
    const p = await peer();
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: fast, sendPolicy: (m) => (m.type === 'TRANSFORM' ? 'latest' : 'lossless') });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    await p.stop();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'reconnecting')));
    const results = [conn.send(status('a')), conn.send(pose(1)), conn.send(pose(2)), conn.send(status('b')), conn.send(pose(3))];
    // The sends wait through at least one more failed attempt while the peer is down.
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'reconnecting' && s.attempt >= 2)));
    await p.start();
    expect(await Promise.all(results)).toEqual(['written', 'replaced', 'replaced', 'written', 'written']);
    // A marker sent after the survivors: once the peer has it, anything stale the transport
    // replayed would have arrived before it.
    expect(await conn.send(status('marker'))).toBe('written');
    await until('the marker', () => p.received.some((m) => m.type === 'STATUS' && m.content.statusMessage === 'marker'));
    expect(p.received.map((m) => (m.type === 'STATUS' ? m.content.statusMessage : xOf(m)))).toEqual(['a', 3, 'b', 'marker']);
  });

  it('reports a refused connection on errors$ and gives up after maxAttempts', async () => {
    const p = await peer();
    await p.stop();
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: { ...fast, maxAttempts: 2 } });
    const errors: Error[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    const err = await firstValueFrom(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/gave up after 2 failed connection attempts/);
    expect(errors.length).toBe(2);
    expect(errors[0]!.message).toMatch(new RegExp(`ws://127.0.0.1:${p.port}/: connect ECONNREFUSED`));
    expect(conn.state.kind).toBe('closed');
  });

  it('times out an attempt whose handshake never completes, without crashing the process', async () => {
    // A TCP server that accepts and never answers the HTTP upgrade.
    const sockets = new Set<Socket>();
    const blackhole: NetServer = createNetServer((s) => sockets.add(s));
    await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => blackhole.close(() => r()));
    });
    const port = (blackhole.address() as { port: number }).port;
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    cleanup.push(() => process.off('uncaughtException', onUncaught));
    const conn = connectWebSocket(`ws://127.0.0.1:${port}/`, { WebSocket, connectTimeoutMs: 150, reconnect: false });
    const t0 = Date.now();
    const err = await firstValueFrom(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/connect timed out after 150 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    // ws reports the aborted handshake with process.nextTick from inside the abort; Node runs
    // that tick before the promise jobs that resumed this test, and an uncaught exception is
    // raised before the next macrotask: one setImmediate turn is the event after which none can come.
    await new Promise((r) => setImmediate(r));
    expect(uncaught).toEqual([]);
  });

  it('calls the URL function before every attempt (a fresh token each time)', async () => {
    const p = await peer();
    p.onConnection = (ws) => ws.close(1000);
    let calls = 0;
    const conn = connectWebSocket(async () => `${p.url}?token=t${++calls}`, { WebSocket, reconnect: fast });
    cleanup.push(() => conn.close());
    conn.connect();
    await until('three connections', () => p.urls.length >= 3);
    expect(p.urls.slice(0, 3)).toEqual(['/?token=t1', '/?token=t2', '/?token=t3']);
  });

  it('fails the attempt when the URL function throws', async () => {
    const conn = connectWebSocket(() => {
      throw new Error('no token');
    }, { WebSocket, reconnect: false });
    const err = await firstValueFrom(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe('websocket: the URL function failed: no token');
  });

  it('fails the attempt when the URL function does not answer within connectTimeoutMs (it was `connecting` for ever)', async () => {
    // A token server that hangs: RWS starts its own time-out only once it has the URL.
    const conn = connectWebSocket(() => new Promise<string>(() => {}), { WebSocket, reconnect: false, connectTimeoutMs: 200 });
    const states: string[] = [];
    conn.state$.subscribe((s) => states.push(s.kind));
    const err = await firstValueFrom(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe('websocket: the URL function did not answer within 200 ms');
    expect(states).toEqual(['idle', 'connecting', 'closed']);
  });

  it('fails the attempt when the WebSocket cannot even be made (a bad URL, a ws:// URL from an https page): it was `connecting` for ever, with an unhandled rejection', async () => {
    // A page served over https may not open ws:// (mixed content): the constructor throws.
    class MixedContentRefused extends WebSocket {
      constructor(url: string | URL | null) {
        if (String(url).startsWith('ws:')) throw Object.assign(new Error("Failed to construct 'WebSocket': An insecure WebSocket connection may not be initiated from a page loaded over HTTPS."), { name: 'SecurityError' });
        super(url ?? '');
      }
    }
    const cases: [Parameters<typeof connectWebSocket>[0], typeof WebSocket, RegExp][] = [
      ['not a url', WebSocket, /^not a url: cannot open a WebSocket: Invalid URL/],
      [() => 'ftp://127.0.0.1:1/', WebSocket, /^websocket: cannot open a WebSocket: The URL's protocol must be one of/],
      ['ws://127.0.0.1:1/', MixedContentRefused, /^ws:\/\/127.0.0.1:1\/: cannot open a WebSocket: .*insecure WebSocket/],
    ];
    for (const [url, impl, message] of cases) {
      const conn = connectWebSocket(url, { WebSocket: impl, reconnect: { ...fast, maxAttempts: 2 } });
      const errors: string[] = [];
      conn.errors$.subscribe((e) => errors.push(e.message));
      const states: string[] = [];
      conn.state$.subscribe((s) => states.push(s.kind));
      const err = await firstValueFrom(conn).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(e).toMatch(message);
      expect(states).toEqual(['idle', 'connecting', 'reconnecting', 'connecting', 'closed']);
    }
  });

  it('ends an attempt without an error when the server closes cleanly', async () => {
    const p = await peer();
    p.onConnection = (ws) => ws.close(1000, 'bye');
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: false });
    const outcome = await new Promise<string>((resolve) => conn.subscribe({ complete: () => resolve('complete'), error: (e: Error) => resolve(e.message) }));
    expect(outcome).toBe('complete');
  });

  it('reports a server that closes with an error code (a handshake, so wasClean) as a ConnectionError naming the code and reason', async () => {
    const cases = [
      [1008, 'not allowed', 'ConnectionError: closed with code 1008 (not allowed) [ConnectionError]'],
      [1011, 'tracker lost', 'ConnectionError: closed with code 1011 (tracker lost) [ConnectionError]'],
      [4001, 'token expired', 'ConnectionError: closed with code 4001 (token expired) [ConnectionError]'],
      [1001, 'going away', 'complete [PeerClosedError]'],
    ] as const;
    for (const [code, reason, expected] of cases) {
      const p = await peer();
      p.onConnection = (ws) => ws.close(code, reason);
      const conn = connectWebSocket(p.url, { WebSocket, reconnect: false });
      const errors: string[] = [];
      conn.errors$.subscribe((e) => errors.push(e.name));
      const outcome = await new Promise<string>((resolve) => conn.subscribe({ complete: () => resolve('complete'), error: (e: Error) => resolve(`${e.name}: ${e.message}`) }));
      expect(`${outcome.replace(`${p.url}: `, '')} [${errors.join()}]`).toBe(expected);
      expect(conn.state.kind).toBe('closed');
    }
  });

  it('ends the channel with a ConnectionError when onText throws (no uncaught exception, never open and deaf), and reconnects', async () => {
    const p = await peer();
    p.onConnection = (ws) => {
      ws.send('{"note":"a text frame"}');
      ws.send(encodeMessage(pose(1)));
    };
    const mistake = new Error('the page could not read it');
    let calls = 0;
    const conn = connectWebSocket(p.url, {
      WebSocket,
      reconnect: { maxAttempts: 1, initialDelayMs: 10 },
      onText: () => {
        if (++calls === 1) throw mistake;
      },
    });
    cleanup.push(() => conn.close());
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    // The second connection reads the text frame without a throw, then its pose arrives.
    expect(xOf(await firstValueFrom(conn))).toBe(1);
    expect(calls).toBe(2);
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]!.message).toBe(`${p.url}: onText threw: the page could not read it`);
    expect(errors[0]!.cause).toBe(mistake);
  });

  it('keeps a slow server bounded with the latest policy, then delivers the newest pose', async () => {
    const p = await peer();
    const conn = connectWebSocket(p.url, { WebSocket, reconnect: false, highWaterMark: 16 * 1024, sendPolicy: 'latest' });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    await until('the server socket', () => p.sockets.size === 1);
    const server = [...p.sockets][0]!;
    server.pause();
    // Fill the kernel buffers until the channel reports full (the queue then holds poses).
    let statusNow = { messages: 0, bytes: 0, dropped: 0, replaced: 0 };
    const qs = conn.queue$.subscribe((q) => (statusNow = q));
    cleanup.push(() => qs.unsubscribe());
    const big = (n: number) => createMessage('STRING', { encoding: 3, value: `${n}`.padEnd(60_000, '.') }, { deviceName: `Fill${n}`, timestamp: Timestamp.ZERO });
    let i = 0;
    while (statusNow.messages === 0 && i < 2000) {
      void conn.send(big(i++), { policy: 'lossless' }).catch(() => {});
      await sleep(1);
    }
    expect(statusNow.messages).toBeGreaterThan(0);
    for (let n = 1; n <= 500; n++) void conn.send(pose(n));
    // One pose waits however many were sent; the others were replaced (at once, in send()).
    expect(statusNow.replaced).toBeGreaterThanOrEqual(499);
    // A marker queued behind the pose: once the server has it, every pose that was going to be
    // written is there.
    const marker = conn.send(status('marker'), { policy: 'lossless' });
    server.resume();
    expect(await marker).toBe('written');
    await until('the marker', () => p.received.some((m) => m.type === 'STATUS' && m.content.statusMessage === 'marker'), 10_000);
    expect(p.received.filter((m) => m.type === 'TRANSFORM').map(xOf)).toEqual([500]);
  });
});

/** A scripted WebSocket: the test sets bufferedAmount and fires events. */
class ScriptedSocket implements WebSocketLike {
  bufferedAmount = 0;
  readonly sent: Uint8Array[] = [];
  closed: number | undefined;
  paused = 0;
  private readonly listeners = new Map<string, Set<(ev: never) => void>>();
  send(data: Uint8Array<ArrayBuffer>): void {
    this.sent.push(data);
    this.bufferedAmount += data.length;
  }
  close(code?: number): void {
    this.closed = code;
  }
  addEventListener(type: string, listener: (ev: never) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (ev: never) => void): void {
    this.listeners.get(type)?.delete(listener);
  }
  fire(type: string, ev: unknown): void {
    for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(ev);
  }
}

function openScripted(socket: ScriptedSocket, options: Parameters<typeof openWebSocketChannel>[2] = {}) {
  const events: ChannelEvent[] = [];
  let ended = '';
  const sub = openWebSocketChannel(socket, 'scripted', options).subscribe({
    next: (e) => events.push(e),
    complete: () => (ended = 'complete'),
    error: (e: Error) => (ended = e.message),
  });
  cleanup.push(() => sub.unsubscribe());
  const first = events[0];
  if (first?.type !== 'open') throw new Error('no open event');
  return { channel: first.channel, events, ended: () => ended, sub };
}

describe('WebSocket channel flow control', () => {
  it('returns false above the high-water mark and emits drain once bufferedAmount falls to the low-water mark', async () => {
    const socket = new ScriptedSocket();
    // Virtual time: the drain poll runs only when the test advances the clock.
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const advance = (ms: number) => {
      scheduler.maxFrames = scheduler.now() + ms;
      scheduler.schedule(() => {}, ms); // the clock reaches now + ms even when nothing else is due
      scheduler.flush();
    };
    const { channel, events } = openScripted(socket, { highWaterMark: 1000, lowWaterMark: 200, drainPollMs: 5, scheduler });
    const drains = () => events.filter((e) => e.type === 'drain').length;
    expect(channel.write(new Uint8Array(600))).toBe(true);
    expect(channel.write(new Uint8Array(600))).toBe(false);
    expect(scheduler.actions.length).toBeGreaterThan(0); // the poll is armed
    socket.bufferedAmount = 500;
    advance(1000); // 200 polls above the low-water mark
    expect(drains()).toBe(0);
    socket.bufferedAmount = 200;
    advance(5);
    expect(drains()).toBe(1);
    advance(1000);
    expect(drains()).toBe(1);
    expect(scheduler.actions).toEqual([]); // polling stopped
  });

  it('merges the small writes of one batch into one frame and sends a big one on its own', () => {
    const socket = new ScriptedSocket();
    const { channel } = openScripted(socket, { maxBatchBytes: 100 });
    channel.batch!(() => {
      channel.write(new Uint8Array(30).fill(1));
      channel.write(new Uint8Array(30).fill(2));
      channel.write(new Uint8Array(500).fill(3));
      channel.write(new Uint8Array(30).fill(4));
    });
    expect(socket.sent.map((f) => [f.length, f[0], f.at(-1)])).toEqual([
      [60, 1, 2],
      [500, 3, 3],
      [30, 4, 4],
    ]);
  });

  it('holds received frames while paused and delivers them in order on resume', () => {
    const socket = new ScriptedSocket();
    const { channel, events } = openScripted(socket);
    const data = () => events.filter((e): e is Extract<ChannelEvent, { type: 'data' }> => e.type === 'data').map((e) => e.chunk[0]);
    socket.fire('message', { data: new Uint8Array([1]).buffer });
    channel.pause();
    socket.fire('message', { data: new Uint8Array([2]).buffer });
    socket.fire('message', { data: new Uint8Array([3]).buffer });
    expect(data()).toEqual([1]);
    channel.resume();
    expect(data()).toEqual([1, 2, 3]);
  });

  it('delivers the frames it held while paused when the socket closes, before it ends (a browser cannot stop reading; they were dropped unreported)', async () => {
    for (const [code, ending] of [
      [1000, 'complete'],
      [1006, 'scripted: closed with code 1006'],
    ] as const) {
      const socket = new ScriptedSocket();
      const { channel, events, ended } = openScripted(socket);
      const seen: string[] = [];
      const data = () => events.filter((e): e is Extract<ChannelEvent, { type: 'data' }> => e.type === 'data').map((e) => e.chunk[0]);
      channel.pause();
      socket.fire('message', { data: new Uint8Array([2]).buffer });
      socket.fire('message', { data: new Uint8Array([3]).buffer });
      socket.fire('close', { code, reason: '', wasClean: code === 1000 });
      await Promise.resolve();
      seen.push(`${data().join(',')} ${ended()}`);
      expect(seen).toEqual([`2,3 ${ending}`]);
    }
  });

  it('resumes after 300,000 held frames (5 minutes of 1 kHz tracking in a paused page) at once: it took 39 s of the main thread', () => {
    const socket = new ScriptedSocket();
    const { channel, events } = openScripted(socket);
    channel.pause();
    const n = 300_000;
    for (let i = 0; i < n; i++) socket.fire('message', { data: new Uint8Array([i & 0xff]).buffer });
    const t0 = performance.now();
    channel.resume();
    const took = performance.now() - t0;
    const data = events.filter((e): e is Extract<ChannelEvent, { type: 'data' }> => e.type === 'data');
    expect(data).toHaveLength(n);
    expect(data[n - 1]!.chunk[0]).toBe((n - 1) & 0xff);
    // Linear: a few ms here (100x margin for a loaded machine); one shift() per frame is quadratic.
    expect(took).toBeLessThan(2000);
  });

  it('ends the channel with a ConnectionError once more than maxHeldBytes wait while paused (it held without bound, until a tab runs out of memory)', () => {
    const socket = new ScriptedSocket();
    const { channel, ended } = openScripted(socket, { maxHeldBytes: 1000 });
    channel.pause();
    for (let i = 0; i < 10; i++) socket.fire('message', { data: new ArrayBuffer(100) });
    expect(ended()).toBe(''); // 1000 bytes: at the limit, not over it
    socket.fire('message', { data: new ArrayBuffer(100) });
    expect(ended()).toBe('scripted: 1100 bytes received while reading was paused, over maxHeldBytes (1000): the reader is too far behind; they are dropped');
    // What was delivered before counts no more: resumed and emptied, the limit applies afresh.
    const again = new ScriptedSocket();
    const r = openScripted(again, { maxHeldBytes: 1000 });
    r.channel.pause();
    for (let i = 0; i < 10; i++) again.fire('message', { data: new ArrayBuffer(100) });
    r.channel.resume();
    r.channel.pause();
    for (let i = 0; i < 10; i++) again.fire('message', { data: new ArrayBuffer(100) });
    expect(r.ended()).toBe('');
  });

  it('calls the native pause/resume when the socket has them (ws: TCP flow control)', () => {
    class PausableSocket extends ScriptedSocket {
      pause(): void {
        this.paused++;
      }
      resume(): void {
        this.paused--;
      }
    }
    const socket = new PausableSocket();
    const { channel } = openScripted(socket);
    channel.pause();
    expect(socket.paused).toBe(1);
    channel.resume();
    expect(socket.paused).toBe(0);
  });

  it('completes on a clean close, errors with the code on an abrupt one, and closes the socket when unsubscribed', async () => {
    const a = new ScriptedSocket();
    const ra = openScripted(a);
    a.fire('close', { code: 1000, reason: '', wasClean: true });
    await Promise.resolve();
    expect(ra.ended()).toBe('complete');

    const b = new ScriptedSocket();
    const rb = openScripted(b);
    b.fire('close', { code: 1006, reason: '', wasClean: false });
    await Promise.resolve();
    expect(rb.ended()).toBe('scripted: closed with code 1006');

    const c = new ScriptedSocket();
    openScripted(c).sub.unsubscribe();
    expect(c.closed).toBe(1000);
  });

  it('reports an error event that comes after the close event (reconnecting-websocket order)', async () => {
    const s = new ScriptedSocket();
    const r = openScripted(s);
    s.fire('close', { code: 1000, reason: '', wasClean: true });
    s.fire('error', { message: 'read ECONNRESET' });
    await Promise.resolve();
    expect(r.ended()).toBe('scripted: read ECONNRESET');
  });
});

describe('reconnecting-websocket 4.4.0 quirks this transport relies on', () => {
  type RwsClass = typeof RwsModule.default;
  const Rws: RwsClass = (RwsModule as unknown as { default?: RwsClass }).default ?? (RwsModule as unknown as RwsClass);

  it('reports a failed connect as a clean close FOLLOWED by the error event', async () => {
    const p = await peer();
    await p.stop();
    const seen: string[] = [];
    const rws = new Rws(p.url, undefined, { WebSocket, maxRetries: 0 });
    rws.addEventListener('close', (e) => {
      seen.push(`close ${e.code} ${e.wasClean}`);
    });
    rws.addEventListener('error', () => {
      seen.push('error');
    });
    cleanup.push(() => rws.close());
    await until('both events', () => seen.length >= 2);
    expect(seen).toEqual(['close 1000 true', 'error']);
  });

  it('sets binaryType only on the instance (not a constructor option) and forwards it to each socket', async () => {
    const p = await peer();
    p.onConnection = (ws) => ws.send(new Uint8Array([1, 2]));
    const rws = new Rws(p.url, undefined, { WebSocket, maxRetries: 0 });
    rws.binaryType = 'arraybuffer';
    cleanup.push(() => rws.close());
    const data = await new Promise<unknown>((resolve) => rws.addEventListener('message', (e) => resolve(e.data)));
    expect(data).toBeInstanceOf(ArrayBuffer);
  });
});
