import { Subscription, take, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ticks } from '../../../src/simulator/clock.js';

/**
 * A scheduler whose actions run when the test says, at the time the test says: a timer that
 * fires late is an action run after its due time.
 */
class ManualScheduler implements SchedulerLike {
  time = 0;
  private queue: { at: number; run: () => void; sub: Subscription }[] = [];

  now(): number {
    return this.time;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const enqueue = (d: number, s: T | undefined): Subscription => {
      const action = new Subscription() as Subscription & SchedulerAction<T>;
      action.schedule = (nextState?: T, nextDelay = 0) => enqueue(nextDelay, nextState);
      const entry = { at: this.time + d, run: () => work.call(action, s), sub: action };
      this.queue.push(entry);
      action.add(() => (this.queue = this.queue.filter((e) => e !== entry)));
      return action;
    };
    return enqueue(delay, state);
  }

  /** When the next action is due. */
  get nextDue(): number {
    return Math.min(...this.queue.map((e) => e.at));
  }

  /** Runs the next action at `time` (its due time, or later for a late timer). */
  runNextAt(time: number): void {
    this.queue.sort((a, b) => a.at - b.at);
    const entry = this.queue.shift()!;
    this.time = time;
    entry.run();
  }
}

describe('ticks', () => {
  it('emits the due time of every tick, at multiples of the period', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ expectObservable }) => {
      expectObservable(ticks(10, { scheduler }).pipe(take(4))).toBe('a 9ms b 9ms c 9ms (d|)', { a: 0, b: 10, c: 20, d: 30 });
    });
  });

  it('aligns a late subscriber to the common origin', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      const got: [number, number][] = [];
      // Subscribed at 25 ms: the first tick is the one due at 30 (not 25), then 40, 50.
      scheduler.schedule(() => {
        ticks(10, { scheduler, origin: 0 }).pipe(take(3)).subscribe((t) => got.push([scheduler.now(), t]));
      }, 25);
      flush();
      expect(got).toEqual([[30, 30], [40, 40], [50, 50]]);
    });
  });

  it('emits the ticks a late timer missed at once, so the long-run rate is exact', () => {
    const s = new ManualScheduler();
    const got: number[] = [];
    const sub = ticks(10, { scheduler: s }).subscribe((t) => got.push(t));
    s.runNextAt(0);
    expect(got).toEqual([0]);
    expect(s.nextDue).toBe(10);
    s.runNextAt(35); // 25 ms late
    expect(got).toEqual([0, 10, 20, 30]);
    expect(s.nextDue).toBe(40);
    s.runNextAt(40);
    expect(got).toEqual([0, 10, 20, 30, 40]);
    sub.unsubscribe();
  });

  it('skips ticks more than maxLagMs late: after a stall it reports now, not the past', () => {
    const s = new ManualScheduler();
    const got: number[] = [];
    ticks(10, { scheduler: s, maxLagMs: 100 }).subscribe((t) => got.push(t));
    s.runNextAt(0);
    s.runNextAt(300); // a 290 ms stall
    expect(got).toEqual([0, 300]);
    expect(s.nextDue).toBe(310);
  });

  it('handles periods that are not whole milliseconds (60 Hz) without drift', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      const got: number[] = [];
      ticks(1000 / 60, { scheduler }).pipe(take(61)).subscribe((t) => got.push(t));
      flush();
      expect(got).toHaveLength(61);
      expect(got[60]).toBeCloseTo(1000, 9);
    });
  });

  it('refuses a period that is not > 0', () => {
    expect(() => ticks(0)).toThrow(RangeError);
  });
});
