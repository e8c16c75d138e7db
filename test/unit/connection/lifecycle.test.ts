// The lifecycle alone, on virtual time: state$ is the only state, and every transition of the
// machine idle -> connecting -> open/stale -> reconnecting -> closed.
import { describe, expect, it } from 'vitest';
import { VirtualAction, VirtualTimeScheduler, throwError } from 'rxjs';
import { Lifecycle, OPEN_PROVEN_AFTER_MS } from '../../../src/connection/lifecycle.js';
import { ConnectionError, PeerClosedError, type ConnectionState } from '../../../src/index.js';
import { fakeFactory } from './fake-channel.js';

function setup(reconnect: { initialDelayMs: number; maxAttempts?: number } | undefined, wanted = true) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 100_000);
  const { factory, attempts } = fakeFactory();
  const events: string[] = [];
  const life = new Lifecycle(
    factory,
    { reconnect: reconnect && { jitter: 0, ...reconnect }, scheduler, random: () => 0.5, wanted: () => wanted, log: () => {}, label: () => 'test' },
    {
      opened: () => events.push('opened'),
      data: (c) => events.push(`data ${c.length}`),
      drain: () => events.push('drain'),
      fault: (err) => events.push(`fault ${err.name}`),
      ended: (err, wasOpen) => events.push(`ended ${err?.name ?? '-'} ${wasOpen}`),
      finished: (reason) => events.push(`finished ${reason?.name ?? '-'}`),
    },
  );
  const states: ConnectionState[] = [];
  life.state$.subscribe((s) => states.push(s));
  return { scheduler, attempts, life, events, states, kinds: () => states.map((s) => s.kind) };
}

describe('Lifecycle', () => {
  it('idle -> connecting -> open, then stale and back, without touching the channel', () => {
    const { life, attempts, kinds, events } = setup({ initialDelayMs: 100 });
    life.start();
    attempts[0]!.open();
    life.setStale(3000);
    life.setStale(3000); // already stale: no repeat
    life.setStale(undefined);
    expect(kinds()).toEqual(['idle', 'connecting', 'open', 'stale', 'open']);
    expect(events).toEqual(['opened']);
    expect(life.running).toBe(true);
  });

  it('a clean close by the peer: reconnecting with a PeerClosedError, then a new attempt after the delay', () => {
    const { life, attempts, states, scheduler, events } = setup({ initialDelayMs: 100 });
    life.start();
    attempts[0]!.open();
    attempts[0]!.data(new Uint8Array(58));
    attempts[0]!.end();
    const s = states.at(-1)!;
    expect(s.kind).toBe('reconnecting');
    expect(s.kind === 'reconnecting' && s.reason).toBeInstanceOf(PeerClosedError);
    expect(s.kind === 'reconnecting' && s.delayMs).toBe(100);
    scheduler.flush();
    expect(states.at(-1)).toEqual({ kind: 'connecting', attempt: 1 });
    expect(attempts).toHaveLength(2);
    expect(events).toEqual(['opened', 'data 58', 'ended PeerClosedError true']);
  });

  it('a peer that opens and hangs up at once without a word is a failed attempt: the delays grow and maxAttempts ends it', () => {
    // A TLS 1.3 server refusing our client certificate, a full server: open for a few ms.
    const { life, attempts, states, scheduler } = setup({ initialDelayMs: 100, maxAttempts: 3 });
    life.start();
    for (let i = 0; i < 3; i++) {
      attempts[i]!.open();
      if (i === 1) attempts[i]!.fail(new ConnectionError('tlsv13 alert certificate required'));
      else attempts[i]!.end();
      scheduler.flush();
    }
    expect(states.filter((s) => s.kind === 'reconnecting').map((s) => s.kind === 'reconnecting' && [s.attempt, s.delayMs])).toEqual([[2, 100], [3, 200]]);
    const last = states.at(-1)!;
    expect(last.kind).toBe('closed');
    expect(last.kind === 'closed' && last.reason?.message).toBe('gave up after 3 failed connection attempts');
    expect(attempts).toHaveLength(3);
  });

  it('a channel the peer sent something on, or that stayed open OPEN_PROVEN_AFTER_MS, worked: the count starts again', () => {
    const { life, attempts, states, scheduler } = setup({ initialDelayMs: 100 });
    life.start();
    attempts[0]!.open();
    attempts[0]!.end(); // silent and at once: attempt 2 next
    scheduler.flush();
    attempts[1]!.open();
    attempts[1]!.data(new Uint8Array(1));
    attempts[1]!.end(); // heard from: attempt 1 again
    scheduler.flush();
    attempts[2]!.open();
    scheduler.schedule(() => attempts[2]!.end(), OPEN_PROVEN_AFTER_MS); // silent, but open long enough
    scheduler.flush();
    attempts[3]!.open();
    scheduler.schedule(() => life.fail(new ConnectionError('idle')), OPEN_PROVEN_AFTER_MS - 1); // silent, short: a failure
    scheduler.flush();
    expect(states.filter((s) => s.kind === 'reconnecting' || s.kind === 'closed').map((s) => (s.kind === 'reconnecting' ? s.attempt : s.kind))).toEqual([2, 1, 1, 2]);
  });

  it('failed attempts count up with backoff and give up after maxAttempts: closed, finished', () => {
    const { life, attempts, states, scheduler, events } = setup({ initialDelayMs: 100, maxAttempts: 2 });
    life.start();
    attempts[0]!.fail(new Error('ECONNREFUSED'));
    scheduler.flush();
    attempts[1]!.fail(new Error('ECONNREFUSED'));
    scheduler.flush();
    expect(states.filter((s) => s.kind === 'reconnecting').map((s) => s.kind === 'reconnecting' && s.delayMs)).toEqual([100]);
    const last = states.at(-1)!;
    expect(last.kind).toBe('closed');
    expect(last.kind === 'closed' && last.reason).toBeInstanceOf(ConnectionError);
    expect(events.at(-1)).toBe('finished ConnectionError');
  });

  it('fail() drops the open channel (unsubscribing it) with the reason in the state', () => {
    const { life, attempts, states } = setup({ initialDelayMs: 50 });
    life.start();
    attempts[0]!.open();
    life.fail(new ConnectionError('dead'));
    expect(attempts[0]!.torn).toBe(true);
    const s = states.at(-1)!;
    expect(s.kind === 'reconnecting' && s.reason?.message).toBe('dead');
  });

  it('stop() from reconnecting cancels the retry: closed, and nothing starts later', () => {
    const { life, attempts, kinds, scheduler } = setup({ initialDelayMs: 100 });
    life.start();
    attempts[0]!.fail(new Error('reset'));
    life.stop();
    scheduler.flush();
    expect(kinds()).toEqual(['idle', 'connecting', 'reconnecting', 'closed']);
    expect(attempts).toHaveLength(1);
  });

  it('without reconnect, or when nobody wants it any more, a lost channel closes for good', () => {
    const off = setup(undefined);
    off.life.start();
    off.attempts[0]!.open();
    off.attempts[0]!.end();
    expect(off.kinds().at(-1)).toBe('closed');
    const unwanted = setup({ initialDelayMs: 10 }, false);
    unwanted.life.start();
    unwanted.attempts[0]!.open();
    unwanted.attempts[0]!.fail(new Error('reset'));
    expect(unwanted.kinds().at(-1)).toBe('closed');
  });

  it('a factory that fails synchronously moves straight to reconnecting', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 1000);
    const states: string[] = [];
    let n = 0;
    const life = new Lifecycle(
      () => {
        n++;
        return throwError(() => new Error('sync'));
      },
      { reconnect: { initialDelayMs: 100, jitter: 0, maxAttempts: 1 }, scheduler, random: () => 0.5, wanted: () => true, log: () => {}, label: () => 't' },
      { opened() {}, data() {}, drain() {}, fault() {}, ended() {}, finished() {} },
    );
    life.state$.subscribe((s) => states.push(s.kind));
    life.start();
    scheduler.flush();
    expect(states).toEqual(['idle', 'connecting', 'closed']);
    expect(n).toBe(1);
  });
});
