// Deadlines wait for one turn of I/O (src/connection/io-turn.ts), in virtual time: what arrives
// in the frame a deadline falls due, after its timer ran, still counts; when nothing arrives the
// verdict comes in that same frame. The real-process cases (a blocked event loop) are in
// test/faults/event-loop-block.test.ts.
import { Observable, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { deadline } from '../../../src/connection/io-turn.js';
import { DeadPeerError, IDENTITY, IgtlConnection, Timestamp, createMessage, encodeMessage, type IgtlError } from '../../../src/index.js';
import { fakeFactory } from './fake-channel.js';

const expired = () => new Error('expired');

describe('deadline()', () => {
  const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('errors at the deadline, in that frame, when nothing came', () => {
    const s = testScheduler();
    s.run(({ cold, expectObservable }) => {
      expectObservable(cold('------a|').pipe(deadline(3, s, expired))).toBe('---#', undefined, new Error('expired'));
    });
  });

  it('passes the source on when it sends before the deadline: a value, an error or a completion', () => {
    const s = testScheduler();
    s.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b|').pipe(deadline(3, s, expired))).toBe('-a-b|');
      expectObservable(cold('-#').pipe(deadline(3, s, expired))).toBe('-#');
      expectObservable(cold('--|').pipe(deadline(3, s, expired))).toBe('--|');
    });
  });

  it('a reply in the frame of the deadline, after the deadline timer ran, wins', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 100);
    const got: string[] = [];
    let reply: ((v: string) => void) | undefined;
    const source = new Observable<string>((subscriber) => {
      reply = (v) => subscriber.next(v);
    });
    // The deadline's timer is scheduled at subscription, the reply for the same frame after it:
    // the order in which Node runs due timers before it reads a socket.
    source.pipe(deadline(10, scheduler, expired)).subscribe({ next: (v) => got.push(v), error: (e: Error) => got.push(e.message) });
    scheduler.schedule(() => reply!('reply'), 10);
    scheduler.flush();
    expect(got).toEqual(['reply']);
  });
});

describe("the connection's liveness verdicts", () => {
  const bytes = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'T', timestamp: Timestamp.ZERO }));

  function open(options: { staleAfterMs: number; idleTimeoutMs: number }) {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 5000);
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, reconnect: false, heartbeat: false, ...options });
    const errors: IgtlError[] = [];
    /** Each state from `open` on, with its virtual time. */
    const states: string[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.state$.subscribe((s) => {
      if (s.kind === 'open' || states.length > 0) states.push(`${s.kind}@${scheduler.now()}`);
    });
    conn.subscribe({ error: () => {} });
    attempts[0]!.open();
    // Scheduled after the connection armed its timer: in a frame both are due, the bytes come second.
    const at = (ms: number, fn: () => void) => scheduler.schedule(fn, ms);
    return { scheduler, attempts, errors, states, at };
  }

  it('bytes read in the frame the stale and idle deadlines fall due keep the peer open', () => {
    const { scheduler, attempts, errors, states, at } = open({ staleAfterMs: 1000, idleTimeoutMs: 1000 });
    at(1000, () => attempts[0]!.data(bytes));
    at(1500, () => attempts[0]!.data(bytes));
    scheduler.flush();
    // Silent from 1500: dead at 2500 (the idle rule is checked before the stale one), no earlier.
    expect(states).toEqual(['open@0', 'closed@2500']);
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('idle');
    expect(dead?.elapsedMs).toBe(1000);
  });

  it('a peer silent from the start is stale and dead in the frames its deadlines fall due', () => {
    const { scheduler, errors, states } = open({ staleAfterMs: 300, idleTimeoutMs: 1000 });
    scheduler.flush();
    expect(states).toEqual(['open@0', 'stale@300', 'closed@1000']);
    expect((errors.find((e) => e instanceof DeadPeerError) as DeadPeerError).elapsedMs).toBe(1000);
  });
});
