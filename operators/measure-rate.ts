import { NEVER, Observable, interval, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { MAX_TIMER_MS, isTimerDelay, monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage } from '../src/index.js';
import { trackingKey } from './internal/elements.js';
import { subscribeOperator } from './internal/operator-subscriber.js';

/** The observed rate of one key. */
export interface RateSample {
  /** Messages per second over the window (over the time since subscription while that is shorter). */
  readonly hz: number;
  /** Messages in the window. */
  readonly count: number;
  /** Scheduler time of the key's last message (ms). */
  readonly lastSeen: number;
}

/** One report of {@link measureRate}. */
export interface RateReport {
  /** Scheduler time of the report (ms). */
  readonly at: number;
  /** Rate per key, keys in the order they were first seen. */
  readonly rates: ReadonlyMap<string, RateSample>;
}

/** Options of {@link measureRate}. */
export interface MeasureRateOptions<T extends IgtlMessage> {
  /** Length of the sliding window, ms (default 1000). */
  readonly windowMs?: number;
  /**
   * Time between reports, ms (default 1000): at most 2^31 - 1, the longest timer, or Infinity
   * for no report but the last one, when the source completes.
   */
  readonly intervalMs?: number;
  /** What is measured separately (default `trackingKey`: type + device name [+ element name]). */
  readonly key?: (msg: T) => string;
  /** A key that has been quiet this long leaves the report, ms (default 10 × windowMs). */
  readonly forgetAfterMs?: number;
  /** Scheduler of the reports and the clock (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/** Arrival times of one key within the window (a queue with a moving head). */
interface KeyTimes {
  times: number[];
  head: number;
  lastSeen: number;
}

/**
 * Emits the observed message rate per key every `intervalMs`: for dashboards ("Stylus 59.8 Hz")
 * and for tests that check a rate.
 *
 * ```
 * source:         -a-a-a-a-b-a-a-a-a-b-|
 * measureRate():  ----------r---------r(r|)    r: { at, rates: Map { a => { hz, count, lastSeen }, b => ... } }
 * ```
 *
 * Each report counts the messages of each key that arrived within the last `windowMs` (by the
 * scheduler's clock), and gives `hz = count / window`; until a whole window has passed since
 * subscription the window is the time since subscription. A key stays in the reports with
 * `hz: 0` once it goes quiet, so a dashboard shows it stop, and leaves them after
 * `forgetAfterMs` (it is dropped then between reports too, so memory stays bounded with a long
 * or no report interval). Reports are emitted even when nothing arrived.
 *
 * When the source completes, one last report is emitted at once, then the result completes.
 * Errors pass through at once. A `key` that throws errors the result with what it threw and
 * unsubscribes the source. The timer stops on completion, error and unsubscribe.
 *
 * @example
 * conn.pipe(ofType('TDATA'), splitElements(), measureRate()).subscribe(({ rates }) => {
 *   for (const [key, r] of rates) console.log(key.replaceAll('\u0000', ' '), r.hz.toFixed(1), 'Hz');
 * });
 *
 * @param options  window (default 1000 ms), report interval (default 1000 ms), key, scheduler
 */
export function measureRate<T extends IgtlMessage>(options: MeasureRateOptions<T> = {}): OperatorFunction<T, RateReport> {
  const windowMs = options.windowMs ?? 1000;
  const intervalMs = options.intervalMs ?? 1000;
  if (!(windowMs > 0) || !(intervalMs > 0)) throw new RangeError(`measureRate: windowMs and intervalMs must be > 0, got ${windowMs} and ${intervalMs}`);
  // A timer cannot wait longer than MAX_TIMER_MS (a longer interval would report every 1 ms):
  // refused, except Infinity, which means no periodic report at all.
  if (!isTimerDelay(intervalMs) && intervalMs !== Infinity) throw new RangeError(`measureRate: intervalMs must be at most ${MAX_TIMER_MS}, or Infinity, got ${intervalMs}`);
  const forgetAfterMs = options.forgetAfterMs ?? 10 * windowMs;
  const keyOf = options.key ?? trackingKey;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return (source) =>
    new Observable<RateReport>((subscriber) => {
      const start = scheduler.now();
      const keys = new Map<string, KeyTimes>();
      // Drops times that left the window (compacting now and then, so the array stays small).
      const prune = (k: KeyTimes, now: number): void => {
        while (k.head < k.times.length && k.times[k.head]! <= now - windowMs) k.head++;
        if (k.head > 64 && k.head * 2 > k.times.length) {
          k.times = k.times.slice(k.head);
          k.head = 0;
        }
      };
      const forgotten = (k: KeyTimes, now: number): boolean => now - k.lastSeen > forgetAfterMs;
      // Keys also go between reports, when their number has doubled since the last sweep: with
      // no periodic report (intervalMs Infinity) or a long one, keys that came and went (a peer
      // naming each tool once) piled up until the next report (measured: 300,000 keys, 94 MB).
      // Amortized O(1) per message; they would leave the next report all the same.
      let sweepAt = 64;
      const sweep = (now: number): void => {
        for (const [key, k] of keys) if (forgotten(k, now)) keys.delete(key);
        sweepAt = Math.max(64, 2 * keys.size);
      };
      const report = (): RateReport => {
        const now = scheduler.now();
        const span = Math.min(windowMs, now - start);
        const rates = new Map<string, RateSample>();
        for (const [key, k] of keys) {
          prune(k, now);
          if (forgotten(k, now)) {
            keys.delete(key);
            continue;
          }
          const count = k.times.length - k.head;
          rates.set(key, { hz: span > 0 ? (count * 1000) / span : 0, count, lastSeen: k.lastSeen });
        }
        return { at: now, rates };
      };
      const ticks = subscribeOperator(intervalMs === Infinity ? NEVER : interval(intervalMs, scheduler), subscriber, { next: () => subscriber.next(report()) });
      // Through subscribeOperator, so a `key` that throws errors the result and unsubscribes the source.
      const subscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          const now = scheduler.now();
          const key = keyOf(msg);
          let k = keys.get(key);
          if (!k) {
            if (keys.size >= sweepAt) sweep(now);
            k = { times: [], head: 0, lastSeen: now };
            keys.set(key, k);
          }
          k.times.push(now);
          k.lastSeen = now;
          prune(k, now);
        },
        error: (err: unknown) => {
          ticks.unsubscribe();
          subscriber.error(err);
        },
        complete: () => {
          ticks.unsubscribe();
          subscriber.next(report());
          subscriber.complete();
        },
      });
      return () => {
        ticks.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
