// Every liveness transition of state$ on virtual time: the stale rule, the dead-peer rules, and
// what follows them (closed, or reconnecting then connecting).
import { describe, expect, it } from 'vitest';
import { asyncScheduler, map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DeadPeerError, HEARTBEAT_DEVICE_NAME, IDENTITY, IgtlConnection, Timestamp, createMessage, encodeMessage, type ConnectionOptions, type ConnectionState, type IgtlError } from '../../../src/index.js';
import { fakeFactory } from './fake-channel.js';

const pose = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.ZERO }));
const echo = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO }));
const keepAlive = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: '', timestamp: Timestamp.ZERO }));
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
      // No data from the start (an answer is not data): stale at 1000; silent from 10: pinged
      // at 1510, dead 2000 ms later at 3510.
      'o 999ms s 2509ms r 499ms n',
    );
    expect(errors.map((e) => (e instanceof DeadPeerError ? e.rule : e.code))).toEqual(['heartbeat']);
  });

  it('a tracker that stops streaming but answers every ping stays stale: an answer is not data', () => {
    // Before, any bytes made it open again: open for 3 s after every ping, while nothing came.
    // (Pinged at 3020 and 4530, 1500 ms after the last bytes; never declared dead in the window.)
    scenario({ staleAfterMs: 1000, heartbeat: { intervalMs: 1500, timeoutMs: 2000 } }, (at, data) => {
      at(10, () => data(pose));
      for (const t of [1520, 3030, 4540]) at(t, () => data(echo)); // the probe's answer, then one 10 ms after each ping
    }, 'o 1009ms s');
  });

  it("PLUS's keep-alives (unnamed legacy STATUS) keep a peer from being taken for dead, not the data live", () => {
    scenario({ staleAfterMs: 1000, idleTimeoutMs: 2000 }, (at, data) => {
      at(10, () => data(pose));
      for (let t = 500; t < 6000; t += 500) at(t, () => data(keepAlive));
    }, 'o 1009ms s');
  });

  it('a message that is still arriving is not data yet: stale while a large one is in flight, open when it completes', () => {
    const big = encodeMessage(createMessage('STRING', { encoding: 3, value: 'x'.repeat(60_000) }, { deviceName: 'Log', timestamp: Timestamp.ZERO }));
    scenario({ staleAfterMs: 1000 }, (at, data) => {
      at(10, () => data(pose));
      // 60 kB in 1 kB pieces every 50 ms: in flight for 3 s, complete with the 61st piece at 3100.
      for (let i = 0; i * 1000 < big.length; i++) at(100 + i * 50, () => data(big.subarray(i * 1000, (i + 1) * 1000)));
    }, 'o 1009ms s 2089ms o', '^ 4000ms !');
  });
});
