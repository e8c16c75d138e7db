import { interval, map, take, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage } from '../src/index.js';
import { splitElements, watchFreshness, type FreshnessChange } from '../operators/index.js';
import { captureUnhandledErrors } from './support/unhandled-errors.js';

const stamp = Timestamp.fromMillis(1_700_000_000_000);
const pose = (deviceName: string, x = 0) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? x : v)) }, { deviceName, timestamp: stamp });
const values: Record<string, IgtlMessage> = {
  a: pose('Stylus'),
  A: pose('Stylus', 1),
  b: pose('Probe'),
  T: createMessage('TDATA', { elements: ['Stylus', 'Probe'].map((name) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY })) }, { deviceName: 'Tracker', timestamp: stamp }),
};
const STYLUS = 'TRANSFORM\u0000Stylus';
const PROBE = 'TRANSFORM\u0000Probe';
const change = (key: string, stale: boolean, at: number, lastSeen: number, message: IgtlMessage): FreshnessChange<IgtlMessage> => ({ key, stale, at, lastSeen, message });

describe('watchFreshness', () => {
  let scheduler: TestScheduler;
  // What RxJS reports as unhandled (a callback's throw that no result took): must stay empty.
  const unhandled = captureUnhandledErrors();
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  afterEach(() => {
    expect(unhandled).toEqual([]);
  });

  // Without a scheduler option the default (monotonicScheduler) follows run()'s virtual time, as asyncScheduler does.
  it.each([['the test scheduler', true], ['no scheduler option', false]])('emits a key live at its first message and stale exactly staleAfterMs after its newest, per key (%s)', (_, pass) => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-b-A-----------a-|', values);
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, ...(pass ? { scheduler } : {}) }))).toBe('-x-y----z-w------v-(s|)', {
        x: change(STYLUS, false, 1, 1, values.a!),
        y: change(PROBE, false, 3, 3, values.b!),
        z: change(PROBE, true, 8, 3, values.b!),
        // The newest message before the silence: what a display still shows, now marked stale.
        w: change(STYLUS, true, 10, 5, values.A!),
        v: change(STYLUS, false, 17, 17, values.a!),
        // The stream ends: nothing more will come, the Stylus is not live any more.
        s: change(STYLUS, true, 19, 17, values.a!),
      });
    });
  });

  it("does not let a device whose name holds a NUL keep another device's tool live", () => {
    const element = (name: string) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY });
    const tool: Record<string, IgtlMessage> = {
      // After splitElements: element Stylus of device Tracker.
      s: createMessage('TDATA', { elements: [element('Stylus')] }, { deviceName: 'Tracker', timestamp: stamp }),
      // Another device, named in metadata (not a NUL-terminated field) "Tracker\0Stylus".
      n: createMessage('TDATA', { elements: [element('Probe'), element('Ref')] }, { deviceName: 'Tracker', timestamp: stamp, metadata: { IGTL_DEVICE_NAME: 'Tracker\u0000Stylus' } }),
    };
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-sn-n-n-n-n-', tool);
      const keys = source.pipe(watchFreshness({ staleAfterMs: 3, scheduler }), map((c) => `${c.stale ? 'stale' : 'live'} ${c.message === tool.s ? 'Stylus' : 'other'}`));
      // The other device goes stale after its last message (10), in its own time.
      expectObservable(keys).toBe('-ab-c--------d', { a: 'live Stylus', b: 'live other', c: 'stale Stylus', d: 'stale other' });
    });
  });

  it('emits nothing for the messages of a live key (one emission per change)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-aAaAaAaAaAa---', values);
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 3, scheduler }))).toBe('-x------------y', {
        x: change(STYLUS, false, 1, 1, values.a!),
        y: change(STYLUS, true, 14, 11, values.a!),
      });
    });
  });

  it('a message at or before the deadline keeps the key live; the next one after a silence makes it live again', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // staleAfterMs 4: a at 1 (deadline 5), A at 5, exactly at it (deadline 9), a at 10.
      const source = hot('-a---A----a-', values);
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 4, scheduler })), '^-----------!').toBe('-x-------yz-', {
        x: change(STYLUS, false, 1, 1, values.a!),
        y: change(STYLUS, true, 9, 5, values.A!),
        z: change(STYLUS, false, 10, 10, values.a!),
      });
    });
  });

  it('watches each tool of a split TDATA stream on its own', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-T-T-------', values);
      const result = source.pipe(splitElements(), watchFreshness({ staleAfterMs: 4, scheduler }));
      expectObservable(result, '^----------!').toBe('-(xy)--(zw)', {
        x: expect.objectContaining({ key: 'TDATA\u0000Tracker\u0000Stylus', stale: false, at: 1 }),
        y: expect.objectContaining({ key: 'TDATA\u0000Tracker\u0000Probe', stale: false, at: 1 }),
        z: expect.objectContaining({ key: 'TDATA\u0000Tracker\u0000Stylus', stale: true, at: 7, lastSeen: 3 }),
        w: expect.objectContaining({ key: 'TDATA\u0000Tracker\u0000Probe', stale: true, at: 7, lastSeen: 3 }),
      });
    });
  });

  it('groups by a key of one\'s own', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-b-', values);
      // One key for everything: the second device keeps "the tracker" live.
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 3, key: () => 'tracker', scheduler }))).toBe('-x----y', {
        x: change('tracker', false, 1, 1, values.a!),
        y: change('tracker', true, 6, 3, values.b!),
      });
    });
  });

  it('when the source ends, every key still live goes stale at that moment, then the end passes; the timer stops', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const live = change(STYLUS, false, 1, 1, values.a!);
      const ended = change(STYLUS, true, 3, 1, values.a!);
      expectObservable(hot('-a-|', values).pipe(watchFreshness({ staleAfterMs: 5, scheduler }))).toBe('-x-(s|)', { x: live, s: ended });
      expectObservable(hot('-a-#', values, new Error('boom')).pipe(watchFreshness({ staleAfterMs: 5, scheduler }))).toBe('-x-(s#)', { x: live, s: ended }, new Error('boom'));
      // A key already stale is not said again; one live, one stale: only the live one.
      expectObservable(hot('-a-b---|', values).pipe(watchFreshness({ staleAfterMs: 5, scheduler }))).toBe('-x-y--z(w|)', {
        x: live,
        y: change(PROBE, false, 3, 3, values.b!),
        z: change(STYLUS, true, 6, 1, values.a!),
        w: change(PROBE, true, 7, 3, values.b!),
      });
    });
  });

  describe('ignoreRepeats', () => {
    // Poses of the Stylus stamped at t1, t2 (a newer sample), t0 (an older one) and without a timestamp.
    const stamped = (ms: number) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.fromMillis(1_700_000_000_000 + ms) });
    const r: Record<string, IgtlMessage> = {
      p: stamped(1),
      q: stamped(2),
      o: stamped(0),
      z: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.ZERO }),
    };

    it('a sender repeating its last sample (same timestamp) goes stale while its messages keep coming; a new sample is live again', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot('-p-p-p-p-p-p-q-q-|', r);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 4, ignoreRepeats: true, scheduler }))).toBe('-x---y-------w---(s|)', {
          x: change(STYLUS, false, 1, 1, r.p!),
          // The newest message (a repeat) is what is on screen; its sample is from frame 1.
          y: change(STYLUS, true, 5, 1, r.p!),
          w: change(STYLUS, false, 13, 13, r.q!),
          // The repeat at 15 did not refresh it: its sample is from 13.
          s: change(STYLUS, true, 17, 13, r.q!),
        });
      });
    });

    it('without it, the same repeats keep the key live (arrival is all that counts)', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot('-p-p-p-p-p-p-q-q-|', r);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 4, scheduler }))).toBe('-x---------------(s|)', {
          x: change(STYLUS, false, 1, 1, r.p!),
          s: change(STYLUS, true, 17, 15, r.q!),
        });
      });
    });

    it('an older timestamp counts as new (a sender whose clock stepped back is not frozen), and so does every message without one', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot('-p-o-p-z-z-z-z-|', r);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 4, ignoreRepeats: true, scheduler }))).toBe('-x-------------(s|)', {
          x: change(STYLUS, false, 1, 1, r.p!),
          s: change(STYLUS, true, 15, 13, r.z!),
        });
      });
    });
  });

  describe('byTimestamp', () => {
    // The sender's clock: an hour ahead of the scheduler's (whose run() starts at 0), as any other
    // machine's clock may be; only differences of delays count.
    const SENDER = 1_700_000_000_000 + 3_600_000;
    const at = (ms: number, x = 0) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? x : v)) }, { deviceName: 'Stylus', timestamp: Timestamp.fromMillis(SENDER + ms) });
    // Sampled at 1 and 3 and received at once; sampled at 4, 10, 17 and 18 and received together
    // at 20 (a page whose main thread was blocked works through what was buffered meanwhile).
    const t: Record<string, IgtlMessage> = { a: at(1), b: at(3), c: at(4), d: at(10), e: at(17), f: at(18), z: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.ZERO }) };
    const backlog = `-a-b${'-'.repeat(16)}(cdef)`;
    /** A scheduler whose timers run `lateMs` after they are due: a main thread blocked meanwhile. */
    const late = (lateMs: number): SchedulerLike => ({
      now: () => scheduler.now(),
      schedule: <S>(work: (this: SchedulerAction<S>, state?: S) => void, delay = 0, state?: S) => scheduler.schedule(work, delay + lateMs, state),
    });

    it('poses of a backlog older than staleAfterMs do not make the key live; the first younger one does, counted from its sample', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot(backlog, t);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, byTimestamp: true, scheduler })), `^${'-'.repeat(29)}!`).toBe('-x------y-----------z--w', {
          x: change(STYLUS, false, 1, 1, t.a!),
          y: change(STYLUS, true, 8, 3, t.b!),
          // c (16 late) and d (10 late) are older than 5 as they arrive; e (3 late) is not: it counts as seen at 17.
          z: change(STYLUS, false, 20, 17, t.e!),
          // f counts as seen at 18: stale 5 after that, not 5 after its arrival.
          w: change(STYLUS, true, 23, 18, t.f!),
        });
      });
    });

    it('without it, the backlog makes the key live at its oldest pose (arrival is all that counts)', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot(backlog, t);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, scheduler })), `^${'-'.repeat(29)}!`).toBe('-x------y-----------z----w', {
          x: change(STYLUS, false, 1, 1, t.a!),
          y: change(STYLUS, true, 8, 3, t.b!),
          z: change(STYLUS, false, 20, 20, t.c!),
          w: change(STYLUS, true, 25, 20, t.f!),
        });
      });
    });

    it('a timer that runs late (the main thread was blocked) does not let the backlog keep the key live: stale at the first late pose, live at the first young one', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot(`-a${'-'.repeat(18)}(cdef)`, t);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, byTimestamp: true, scheduler: late(100) })), `^${'-'.repeat(29)}!`).toBe(`-x${'-'.repeat(18)}(yz)`, {
          x: change(STYLUS, false, 1, 1, t.a!),
          // Its deadline (6) passed long ago; c is the pose on screen now, and it is old.
          y: change(STYLUS, true, 20, 1, t.c!),
          z: change(STYLUS, false, 20, 17, t.e!),
        });
      });
    });

    it('without it, a late timer still says the silence before the next message makes the key live', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot(`-a${'-'.repeat(18)}(cdef)`, t);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, scheduler: late(100) })), `^${'-'.repeat(29)}!`).toBe(`-x${'-'.repeat(18)}(yz)`, {
          x: change(STYLUS, false, 1, 1, t.a!),
          y: change(STYLUS, true, 20, 1, t.c!),
          z: change(STYLUS, false, 20, 20, t.c!),
        });
      });
    });

    it('a message without a timestamp counts at its arrival', () => {
      scheduler.run(({ hot, expectObservable }) => {
        const source = hot(`-a-b${'-'.repeat(16)}(cz)`, t);
        expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, byTimestamp: true, scheduler })), `^${'-'.repeat(29)}!`).toBe('-x------y-----------z----w', {
          x: change(STYLUS, false, 1, 1, t.a!),
          y: change(STYLUS, true, 8, 3, t.b!),
          // c is late; z's age is unknown: it counts as new.
          z: change(STYLUS, false, 20, 20, t.z!),
          w: change(STYLUS, true, 25, 20, t.z!),
        });
      });
    });

    it('a sender whose clock steps back by more than staleAfterMs (a replay looping to its start) stays live: the offset is learned again at once', () => {
      scheduler.run(({ expectObservable }) => {
        // Ten poses a second, sampled as sent; from 10 s on, the sender's clock reads 1 s less.
        const source = interval(100, scheduler).pipe(map((i) => at(100 * (i + 1) - (i >= 99 ? 1000 : 0))));
        const changes = source.pipe(watchFreshness({ staleAfterMs: 500, byTimestamp: true, scheduler }), map((c) => `${c.stale ? 'stale' : 'live'} ${c.lastSeen}`));
        // Before, the poses from 10 s on were 1 s late until the delays of before the step left
        // the floor: stale from 10.4 s to 60.1 s.
        expectObservable(changes, '^ 69999ms !').toBe('100ms x', { x: 'live 100' });
      });
    });

    it('one pose stamped far ahead (a clock glitch) does not make the poses after it late', () => {
      scheduler.run(({ expectObservable }) => {
        // The fifth pose is stamped an hour ahead: its delay, an hour short, would be the floor.
        const source = interval(100, scheduler).pipe(map((i) => at(100 * (i + 1) + (i === 4 ? 3_600_000 : 0))));
        const changes = source.pipe(watchFreshness({ staleAfterMs: 500, byTimestamp: true, scheduler }), map((c) => `${c.stale ? 'stale' : 'live'} ${c.lastSeen}`));
        expectObservable(changes, '^ 9999ms !').toBe('100ms x', { x: 'live 100' });
      });
    });

    it('a replay slower than real time falls behind: its key is late, stale, within staleAfterMs / (1 - speed)', () => {
      scheduler.run(({ expectObservable }) => {
        // Half speed: a pose every 100 ms, stamps 50 ms apart; each one 50 ms later than the last.
        const source = interval(100, scheduler).pipe(map((i) => at(50 * (i + 1))));
        const changes = source.pipe(watchFreshness({ staleAfterMs: 500, byTimestamp: true, scheduler }), take(2), map((c) => `${c.stale ? 'stale' : 'live'} ${c.lastSeen}`));
        // The pose of 1 s is 450 ms behind the first; from 1.1 s on, 500 ms or more: late. The key
        // goes stale 500 ms after the arrival the pose of 1 s counts as (550 ms).
        expectObservable(changes, '^ 9999ms !').toBe('100ms x 949ms (y|)', { x: 'live 100', y: 'stale 550' });
      });
    });
  });

  it('stops its timer on unsubscribe: nothing comes after', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a------------', values);
      // Unsubscribed at 3, before the deadline at 6: the virtual clock runs on to 14 and nothing is emitted.
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 5, scheduler })), '^--!').toBe('-x', { x: change(STYLUS, false, 1, 1, values.a!) });
    });
    expect(scheduler.actions).toEqual([]);
  });

  it('sends a throw of `key` to the result and unsubscribes the source', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-b-a-', values);
      const key = (m: IgtlMessage) => {
        if (m.deviceName === 'Probe') throw new Error('bad key');
        return m.deviceName;
      };
      expectObservable(source.pipe(watchFreshness({ staleAfterMs: 10, key, scheduler }))).toBe('-x-#', { x: change('Stylus', false, 1, 1, values.a!) }, new Error('bad key'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('refuses a staleAfterMs that is not a number > 0 a timer can wait (a longer timer runs out after 1 ms)', () => {
    for (const staleAfterMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5' as unknown as number, undefined as unknown as number]) {
      expect(() => watchFreshness({ staleAfterMs })).toThrow(RangeError);
    }
    expect(() => watchFreshness({ staleAfterMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
