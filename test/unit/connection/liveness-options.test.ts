// A liveness duration no timer can wait is refused when the connection or server is created, as
// maxBodySize is: NaN turned the stale rule off in silence (the connection stayed `open` for
// ever) behind a 1 ms timer loop, and a delay over 2^31 - 1 ms fired after 1 ms, with a
// TimeoutOverflowWarning every millisecond.
import { describe, expect, it } from 'vitest';
import { IgtlConnection, InvalidOptionError, type ConnectionOptions } from '../../../src/index.js';
import { MAX_TIMER_MS } from '../../../src/connection/scheduler.js';
import { connectTcp, connectTls, createServer } from '../../../src/node.js';
import { connectWebSocket, type WebSocketConstructor } from '../../../src/transport/websocket.js';
import { MAX_KEEPALIVE_MS } from '../../../src/connection/options.js';
import { fakeFactory } from './fake-channel.js';

const refused: [string, ConnectionOptions][] = [
  ['staleAfterMs', { staleAfterMs: Number.NaN }],
  ['staleAfterMs', { staleAfterMs: 3e9 }],
  ['idleTimeoutMs', { idleTimeoutMs: MAX_TIMER_MS + 1 }],
  ['readTimeoutMs', { readTimeoutMs: Number.NaN }],
  ['writeStallMs', { writeStallMs: 1e10 }],
  ['heartbeat.intervalMs', { heartbeat: { intervalMs: Number.NaN } }],
  ['heartbeat.intervalMs', { heartbeat: { intervalMs: 0 } }],
  ['heartbeat.timeoutMs', { heartbeat: { intervalMs: 2 ** 30 } }], // its default, twice the interval
  ['heartbeat.timeoutMs', { heartbeat: { intervalMs: 1000, timeoutMs: 3e9 } }],
];

const accepted: ConnectionOptions[] = [
  {},
  { staleAfterMs: 0, idleTimeoutMs: -1, readTimeoutMs: 0, writeStallMs: 0 },
  { staleAfterMs: Infinity, idleTimeoutMs: MAX_TIMER_MS },
  { heartbeat: { intervalMs: 5000, timeoutMs: MAX_TIMER_MS } },
  { heartbeat: false },
];

function optionRefused(make: () => unknown): string | undefined {
  try {
    make();
  } catch (err) {
    return err instanceof InvalidOptionError ? err.option : `not an InvalidOptionError: ${String(err)}`;
  }
  return undefined;
}

describe('liveness options', () => {
  it('a duration no timer can wait is an InvalidOptionError naming the option: connection, TCP client, server', () => {
    for (const [option, options] of refused) {
      const what = JSON.stringify(options, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
      expect(optionRefused(() => new IgtlConnection(fakeFactory().factory, options)), what).toBe(option);
      expect(optionRefused(() => connectTcp({ port: 1, ...options })), what).toBe(option);
      expect(optionRefused(() => createServer({ port: 0, ...options })), what).toBe(option);
    }
  });

  it('0 or less (off), Infinity (never) and durations up to 2^31 - 1 ms are accepted', () => {
    for (const options of accepted) {
      const conn = new IgtlConnection(fakeFactory().factory, options);
      conn.close();
      expect(optionRefused(() => createServer({ port: 0, ...options })), JSON.stringify(options)).toBeUndefined();
    }
  });
});

describe('server admission options', () => {
  it('an evictAfterMs that is not a number (NaN never evicted: the lock-out it is for) and a maxClients that is not a whole number >= 0 are refused', () => {
    expect(optionRefused(() => createServer({ port: 0, evictAfterMs: Number.NaN }))).toBe('evictAfterMs');
    expect(optionRefused(() => createServer({ port: 0, maxClients: Number.NaN }))).toBe('maxClients');
    expect(optionRefused(() => createServer({ port: 0, evictAfterMs: -1, maxClients: 1 }))).toBeUndefined();
  });

  it('a tls.handshakeTimeout that is not a time-out is refused: Node took 0 and NaN for 120 s, and -1 for none (a silent socket held for ever)', () => {
    for (const handshakeTimeout of [-1, 0, Number.NaN, 1e12]) {
      expect(optionRefused(() => createServer({ port: 0, tls: { handshakeTimeout } })), String(handshakeTimeout)).toBe('tls.handshakeTimeout');
    }
    expect(optionRefused(() => createServer({ port: 0, tls: { handshakeTimeout: 500 } }))).toBeUndefined();
    expect(optionRefused(() => createServer({ port: 0, tls: {} }))).toBeUndefined();
  });
});

describe('reconnect options', () => {
  // Each of these made every retry wait 1 ms (about 680 attempts a second on a refusing peer),
  // or (maxAttempts NaN) never gave up.
  const refusedReconnect: [string, ConnectionOptions['reconnect']][] = [
    ['reconnect.initialDelayMs', { initialDelayMs: Number.NaN }],
    ['reconnect.initialDelayMs', { initialDelayMs: -100 }],
    ['reconnect.maxDelayMs', { maxDelayMs: Number.NaN }],
    ['reconnect.maxDelayMs', { maxDelayMs: MAX_TIMER_MS + 1 }],
    ['reconnect.factor', { factor: Number.NaN }],
    ['reconnect.factor', { factor: 0.5 }],
    ['reconnect.jitter', { jitter: 5 }],
    ['reconnect.jitter', { jitter: -0.1 }],
    ['reconnect.maxAttempts', { maxAttempts: Number.NaN }],
    ['reconnect.maxAttempts', { maxAttempts: 2.5 }],
  ];

  it('a delay no timer can wait, a factor below 1, a jitter outside 0..1 or a maxAttempts that is not a count is an InvalidOptionError naming it', () => {
    for (const [option, reconnect] of refusedReconnect) {
      const what = JSON.stringify(reconnect, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
      expect(optionRefused(() => new IgtlConnection(fakeFactory().factory, { reconnect })), what).toBe(option);
      expect(optionRefused(() => connectTcp({ port: 1, reconnect })), what).toBe(option);
    }
  });

  it('the defaults, 0 delays, factor 1, jitter 0 and 1, maxAttempts 0 and Infinity are accepted', () => {
    for (const reconnect of [true, false, {}, { initialDelayMs: 0, maxDelayMs: MAX_TIMER_MS, factor: 1, jitter: 0, maxAttempts: 0 }, { jitter: 1, maxAttempts: Infinity }]) {
      expect(optionRefused(() => new IgtlConnection(fakeFactory().factory, { reconnect }).close()), JSON.stringify(reconnect)).toBeUndefined();
    }
  });
});

describe('socket timings', () => {
  // connectTimeoutMs -1 or Infinity: every attempt failed with a RangeError thrown after its
  // socket had connected, and the socket stayed connected to the peer for good (also after
  // close()). keepAliveMs NaN: keep-alive off, without a word.
  const noWebSocket = class {} as unknown as WebSocketConstructor;
  it('a connectTimeoutMs that is not a time-out above 0, or a keepAliveMs the kernel cannot take, is an InvalidOptionError naming it', () => {
    for (const connectTimeoutMs of [Number.NaN, -1, 0, Infinity, MAX_TIMER_MS + 1]) {
      expect(optionRefused(() => connectTcp({ port: 1, connectTimeoutMs })), String(connectTimeoutMs)).toBe('connectTimeoutMs');
      expect(optionRefused(() => connectTls({ port: 1, connectTimeoutMs })), String(connectTimeoutMs)).toBe('connectTimeoutMs');
      expect(optionRefused(() => connectWebSocket('ws://127.0.0.1:1/', { WebSocket: noWebSocket, connectTimeoutMs })), String(connectTimeoutMs)).toBe('connectTimeoutMs');
    }
    for (const keepAliveMs of [Number.NaN, MAX_KEEPALIVE_MS + 1]) {
      expect(optionRefused(() => connectTcp({ port: 1, keepAliveMs })), String(keepAliveMs)).toBe('keepAliveMs');
      expect(optionRefused(() => connectTls({ port: 1, keepAliveMs })), String(keepAliveMs)).toBe('keepAliveMs');
      expect(optionRefused(() => createServer({ port: 0, keepAliveMs })), String(keepAliveMs)).toBe('keepAliveMs');
      expect(optionRefused(() => connectWebSocket('ws://127.0.0.1:1/', { WebSocket: noWebSocket, keepAliveMs })), String(keepAliveMs)).toBe('keepAliveMs');
    }
  });

  it('time-outs from 1 ms to 2^31 - 1 ms and keep-alive off (0 or less) or up to 32 767 s are accepted', () => {
    for (const options of [{ connectTimeoutMs: 1, keepAliveMs: 0 }, { connectTimeoutMs: MAX_TIMER_MS, keepAliveMs: -1 }, { keepAliveMs: MAX_KEEPALIVE_MS }]) {
      expect(optionRefused(() => connectTcp({ port: 1, ...options }).close()), JSON.stringify(options)).toBeUndefined();
      expect(optionRefused(() => connectTls({ port: 1, ...options }).close()), JSON.stringify(options)).toBeUndefined();
      expect(optionRefused(() => createServer({ port: 0, keepAliveMs: options.keepAliveMs })), JSON.stringify(options)).toBeUndefined();
    }
    expect(optionRefused(() => connectWebSocket('ws://127.0.0.1:1/', { WebSocket: noWebSocket, connectTimeoutMs: 1 }).close())).toBeUndefined();
  });
});
