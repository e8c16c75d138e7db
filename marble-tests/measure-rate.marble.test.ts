import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage } from '../src/index.js';
import { measureRate, splitElements, trackingKey, type RateReport, type RateSample } from '../operators/index.js';
import { captureUnhandledErrors } from './support/unhandled-errors.js';

const at = Timestamp.fromMillis(1_700_000_000_000);
const pose = (deviceName: string) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName, timestamp: at });
const values: Record<string, IgtlMessage> = {
  a: pose('Stylus'),
  b: pose('Probe'),
  T: createMessage('TDATA', { elements: ['Stylus', 'Probe'].map((name) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY })) }, { deviceName: 'Tracker', timestamp: at }),
};
const STYLUS = 'TRANSFORM\u0000Stylus';
const PROBE = 'TRANSFORM\u0000Probe';

const report = (time: number, rates: [string, RateSample][]): RateReport => ({ at: time, rates: new Map(rates) });

describe('measureRate', () => {
  let scheduler: TestScheduler;
  // What RxJS reports as unhandled (a callback's throw that no result took): must stay empty.
  const unhandled = captureUnhandledErrors();
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  // Frames are ms: a window of 10 frames, reports every 10 frames.
  const options = { windowMs: 10, intervalMs: 10 };

  it('reports the rate of each key every interval, over a sliding window', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-a-a-a-a-a-b-a-b-a-b', values);
      const expected = '  ----------x---------y-';
      expectObservable(source.pipe(measureRate({ ...options, scheduler })), '^--------------------!').toBe(expected, {
        x: report(10, [[STYLUS, { hz: 500, count: 5, lastSeen: 9 }]]),
        y: report(20, [
          [STYLUS, { hz: 300, count: 3, lastSeen: 19 }],
          [PROBE, { hz: 200, count: 2, lastSeen: 17 }],
        ]),
      });
    });
  });

  it('measures each tool of a split TDATA stream on its own', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-T-T-T-T-T-', values);
      expectObservable(source.pipe(splitElements(), measureRate({ ...options, scheduler })), '^----------!').toBe('----------x', {
        x: report(10, [
          ['TDATA\u0000Tracker\u0000Stylus', { hz: 500, count: 5, lastSeen: 9 }],
          ['TDATA\u0000Tracker\u0000Probe', { hz: 500, count: 5, lastSeen: 9 }],
        ]),
      });
    });
  });

  it('uses the time since subscription while a whole window has not passed', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-a-a-a-', values);
      expectObservable(source.pipe(measureRate({ windowMs: 100, intervalMs: 4, scheduler })), '^--------!').toBe('----x---y', {
        x: report(4, [[STYLUS, { hz: 500, count: 2, lastSeen: 3 }]]),
        y: report(8, [[STYLUS, { hz: 500, count: 4, lastSeen: 7 }]]),
      });
    });
  });

  it('reports a quiet key at 0 Hz, then forgets it', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-a-------------------------', values);
      expectObservable(source.pipe(measureRate({ ...options, forgetAfterMs: 15, scheduler })), '^-------------------------!').toBe(
        '----------x---------y-----',
        {
          x: report(10, [[STYLUS, { hz: 100, count: 1, lastSeen: 1 }]]),
          y: report(20, []),
        },
      );
    });
  });

  it('emits reports even when nothing arrives', () => {
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(hot<IgtlMessage>('---').pipe(measureRate({ ...options, scheduler })), '^--------------------!').toBe('----------x---------x', {
        x: expect.objectContaining({ rates: new Map() }),
      });
    });
  });

  it('emits a last report at once when the source completes, then completes', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-a-a-a-a-a-a|', values).pipe(measureRate({ ...options, scheduler }))).toBe('----------x---(y|)', {
        x: report(10, [[STYLUS, { hz: 500, count: 5, lastSeen: 9 }]]),
        y: report(14, [[STYLUS, { hz: 500, count: 5, lastSeen: 13 }]]),
      });
    });
  });

  it('passes errors through at once and stops reporting', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-a-#', values).pipe(measureRate({ ...options, scheduler }))).toBe('-----#');
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 6);
    });
  });

  it('stops its timer and unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-a-a-a-a-a-a-a-a-a-a-a-a-|', values);
      expectObservable(source.pipe(measureRate({ ...options, scheduler })), '^-----------!').toBe('----------x-', {
        x: report(10, [[STYLUS, { hz: 500, count: 5, lastSeen: 9 }]]),
      });
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 13);
    });
  });

  it('errors with what the key selector throws, at that frame, unsubscribes the source and stops reporting', () => {
    const boom = new Error('key failed');
    const key = (m: IgtlMessage): string => {
      if (m.deviceName === 'Probe') throw boom;
      return trackingKey(m);
    };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-a-a-a-a-a-b-a-a-a-a-a|', values);
      expectObservable(source.pipe(measureRate({ ...options, key, scheduler }))).toBe('----------x--#', { x: report(10, [[STYLUS, { hz: 500, count: 5, lastSeen: 9 }]]) }, boom);
      expectSubscriptions(source.subscriptions).toBe('^------------!');
      // The report due at 20 is cancelled with the error.
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 14);
    });
    expect(unhandled).toEqual([]);
  });

  it('refuses a window or interval that is not positive, and an interval no timer keeps', () => {
    expect(() => measureRate({ windowMs: 0 })).toThrow(RangeError);
    expect(() => measureRate({ intervalMs: -1 })).toThrow(RangeError);
    // Node's setInterval makes a delay over 2^31 - 1 ms 1 ms: a report every millisecond.
    expect(() => measureRate({ intervalMs: 2 ** 31 })).toThrow(RangeError);
    expect(() => measureRate({ intervalMs: 2 ** 31 - 1 })).not.toThrow();
  });

  it('with intervalMs Infinity, reports only when the source completes (on Node timers too)', () => {
    // A scheduler that keeps delays as Node's timers (asyncScheduler's) do: one they cannot
    // keep (over 2^31 - 1 ms, Infinity) is 1 ms. The TestScheduler alone never fires Infinity.
    const nodeTimers: SchedulerLike = {
      now: () => scheduler.now(),
      schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T): Subscription {
        return scheduler.schedule(work, delay !== undefined && delay > 2 ** 31 - 1 ? 1 : delay, state);
      },
    };
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-a-a-a-a-a-a|', values).pipe(measureRate({ windowMs: 10, intervalMs: Infinity, scheduler: nodeTimers }))).toBe('--------------(y|)', {
        y: report(14, [[STYLUS, { hz: 500, count: 5, lastSeen: 13 }]]),
      });
    });
  });
});
