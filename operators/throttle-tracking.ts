import { Observable, type MonoTypeOperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage } from '../src/index.js';
import { trackingKey } from './internal/elements.js';
import { subscribeOperator } from './internal/operator-subscriber.js';

/** Options of {@link throttleTracking}. */
export interface ThrottleTrackingOptions<T extends IgtlMessage> {
  /**
   * What is throttled separately (default `trackingKey`: wire type + device name, plus the
   * element name of a one-element TDATA/QTDATA/POINT, as `splitElements` makes them).
   */
  readonly key?: (msg: T) => string;
  /** Scheduler of the windows (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

interface KeyState<T> {
  /** The newest sample that arrived during the open window, waiting for its end. */
  waiting: T | undefined;
  /** Arrival order of `waiting` (to flush several keys in the order they arrived). */
  seq: number;
  /** The window's timer. */
  timer: Subscription;
}

/**
 * Emits at most `hz` messages per second for each key, always the newest sample, and the last
 * one of a burst too: the throttle for tracking data on its way to a display or a slow link.
 *
 * ```
 * source:  a-bc-------d-|    a, b, c, d: poses of one tool; 1000 / hz = 5 frames
 * result:  a----c-----d-|    a leads, c (newest of the burst) ends the window, d leads again
 *
 * source:  apbqcr----------|  a, b, c: Stylus; p, q, r: Probe
 * result:  ap---cr---------|  each device has its own windows
 * ```
 *
 * For each key (default: type + device name, and the element name of a split TDATA/QTDATA/POINT):
 * the first sample of an idle key is emitted at once and opens a window of `1000 / hz` ms;
 * samples arriving in the window replace each other; when it ends, the newest waiting sample
 * is emitted and opens the next window, or, if none came, the key goes idle. So a stale sample
 * is never sent after a newer one, the end of a movement always arrives, a quiet key does not
 * delay the others, and emissions per key are at least `1000 / hz` ms apart.
 *
 * When the source completes, waiting samples are emitted at once (in the order they arrived)
 * and the result completes. Errors pass through at once (waiting samples are dropped). A `key`
 * that throws errors the result with what it threw and unsubscribes the source. No timer is
 * left behind after completion, error or unsubscribe.
 *
 * @example
 * conn.pipe(ofType('TDATA'), splitElements(), throttleTracking(30)).subscribe((m) => draw(m));
 *
 * @param hz  most emissions per second per key (> 0)
 * @param options  key selector, scheduler for tests
 */
export function throttleTracking<T extends IgtlMessage>(hz: number, options: ThrottleTrackingOptions<T> = {}): MonoTypeOperatorFunction<T> {
  if (!(hz > 0)) throw new RangeError(`throttleTracking: hz must be > 0, got ${hz}`);
  const windowMs = 1000 / hz;
  const keyOf = options.key ?? trackingKey;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      const keys = new Map<string, KeyState<T>>();
      let seq = 0;
      const stopTimers = (): void => {
        for (const state of keys.values()) state.timer.unsubscribe();
        keys.clear();
      };
      // Window end: send the newest waiting sample and open the next window, or let the key go idle.
      function windowEnd(this: SchedulerAction<string>, key?: string): void {
        const state = keys.get(key!);
        if (!state) return;
        const sample = state.waiting;
        if (sample === undefined) {
          keys.delete(key!);
          return;
        }
        state.waiting = undefined;
        this.schedule(key, windowMs);
        subscriber.next(sample);
      }
      // Through subscribeOperator, so a `key` that throws errors the result and unsubscribes the source.
      const subscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          const key = keyOf(msg);
          const state = keys.get(key);
          if (state) {
            state.waiting = msg;
            state.seq = seq++;
            return;
          }
          keys.set(key, { waiting: undefined, seq: 0, timer: scheduler.schedule(windowEnd, windowMs, key) });
          subscriber.next(msg);
        },
        error: (err: unknown) => {
          stopTimers();
          subscriber.error(err);
        },
        complete: () => {
          const waiting = [...keys.values()].filter((s) => s.waiting !== undefined).sort((a, b) => a.seq - b.seq);
          stopTimers();
          for (const state of waiting) subscriber.next(state.waiting!);
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        stopTimers();
      };
    });
}
