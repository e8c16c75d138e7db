// A liveness duration no timer can wait is refused when the connection or server is created, as
// maxBodySize is: NaN turned the stale rule off in silence (the connection stayed `open` for
// ever) behind a 1 ms timer loop, and a delay over 2^31 - 1 ms fired after 1 ms, with a
// TimeoutOverflowWarning every millisecond.
import { describe, expect, it } from 'vitest';
import { IgtlConnection, InvalidOptionError, type ConnectionOptions } from '../../../src/index.js';
import { MAX_TIMER_MS } from '../../../src/connection/scheduler.js';
import { connectTcp, createServer } from '../../../src/node.js';
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
