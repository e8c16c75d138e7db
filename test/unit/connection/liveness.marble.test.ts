// Every liveness transition of state$ on virtual time: the stale rule, the dead-peer rules, and
// what follows them (closed, or reconnecting then connecting).
import { describe, expect, it } from 'vitest';
import { asyncScheduler, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadPeerError, HEARTBEAT_DEVICE_NAME, IDENTITY, IgtlConnection, Timestamp, createMessage, encodeMessage, type ConnectionOptions, type ConnectionState, type IgtlError } from '../../../src/index.js';
import { fakeFactory } from './fake-channel.js';

const pose = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.ZERO }));
const echo = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO }));
const kinds = { o: 'open', s: 'stale', c: 'closed', r: 'reconnecting', n: 'connecting' } as const;
const kind = (s: ConnectionState) => s.kind;

function scenario(options: ConnectionOptions, script: (at: (frame: number, fn: () => void) => void, data: (bytes: Uint8Array) => void) => void, expected: string, window = '^ 6000ms !') {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const errors: IgtlError[] = [];
  scheduler.run(({ expectObservable }) => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { random: () => 0.5, ...options });
    conn.errors$.subscribe((e) => errors.push(e));
    conn.subscribe({ error: () => {} });
    attempts[0]!.open();
    const at = (frame: number, fn: () => void) => void asyncScheduler.schedule(fn, frame);
    script(at, (bytes) => attempts.at(-1)!.data(bytes));
    expectObservable(conn.state$.pipe(map(kind)), window).toBe(expected, kinds);
  });
  return errors;
}

describe('liveness transitions (marble)', () => {
  it('open -> stale -> open: stale after staleAfterMs of silence, live again on the next bytes', () => {
    const errors = scenario({ staleAfterMs: 1000 }, (at, data) => {
      at(500, () => data(pose));
      at(2000, () => data(pose));
    }, 'o 1499ms s 499ms o 999ms s', '^ 3500ms !');
    expect(errors).toEqual([]);
  });

  it('a peer that keeps sending never goes stale', () => {
    scenario({ staleAfterMs: 1000 }, (at, data) => {
      for (let t = 900; t < 5000; t += 900) at(t, () => data(pose));
    }, 'o', '^ 5000ms !');
  });

  it('open -> stale -> closed: the idle rule closes a silent peer when reconnect is off', () => {
    const errors = scenario({ staleAfterMs: 1000, idleTimeoutMs: 2000, reconnect: false }, () => {}, 'o 999ms s 999ms c');
    expect(errors.map((e) => (e instanceof DeadPeerError ? e.rule : e.code))).toEqual(['idle']);
  });

  it('open -> stale -> reconnecting -> connecting: the idle rule with reconnect on', () => {
    scenario({ staleAfterMs: 1000, idleTimeoutMs: 2000, reconnect: { initialDelayMs: 500, jitter: 0 } }, () => {}, 'o 999ms s 999ms r 499ms n');
  });

  it('open -> stale -> reconnecting: a peer that answered the probe and then stops answering pings', () => {
    const errors = scenario(
      { staleAfterMs: 1000, heartbeat: { intervalMs: 1500, timeoutMs: 2000 }, reconnect: { initialDelayMs: 500, jitter: 0 } },
      (at, data) => at(10, () => data(echo)),
      // Silent from 10: stale at 1010, pinged at 1510, dead 2000 ms later at 3510.
      'o 1009ms s 2499ms r 499ms n',
    );
    expect(errors.map((e) => (e instanceof DeadPeerError ? e.rule : e.code))).toEqual(['heartbeat']);
  });
});
