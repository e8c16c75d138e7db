// The simulator's time base: ticks at exact multiples of a period from a common origin, on an
// RxJS scheduler (virtual time in tests, real time by default).
import { Observable, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../connection/scheduler.js';

/** Options of {@link ticks}. */
export interface TickOptions {
  /** Scheduler time of t = 0 (default: the time of subscription). */
  readonly origin?: number;
  /**
   * Ticks later than this are skipped rather than emitted in a burst (default 1000 ms, at least
   * two periods): after a long stall a tracker reports where the tool is now, not a second of
   * the past. Shorter stalls (a GC pause, a busy CPU) are caught up, so rates stay exact.
   */
  readonly maxLagMs?: number;
  /** Default `monotonicScheduler`; tests pass a virtual-time scheduler. */
  readonly scheduler?: SchedulerLike;
}

// A timer may fire a hair early (Node truncates fractional delays); a tick that is due within
// this much is treated as due.
const EARLY_MS = 0.5;

/**
 * Emits the due time of every tick, in ms since `origin`: 0, p, 2p, ... (a subscriber that joins
 * late starts at the next multiple of p). Drift-free: each tick is scheduled against the origin,
 * not against the previous tick, and ticks that a late timer missed are emitted at once (up to
 * `maxLagMs`), so the long-run rate is exact even when timers are coarse (Node's are 1 ms) or
 * the process is held up for a moment.
 *
 * ```
 * period 10:  0--------10--------20--------30-->
 * emits:      0---------10--------20--------30->
 * ```
 * @param periodMs  time between ticks, > 0
 */
export function ticks(periodMs: number, options: TickOptions = {}): Observable<number> {
  if (!(periodMs > 0)) throw new RangeError(`tick period must be > 0 ms, got ${periodMs}`);
  const scheduler = options.scheduler ?? monotonicScheduler;
  const maxLag = Math.max(options.maxLagMs ?? 1000, 2 * periodMs);
  return new Observable<number>((subscriber) => {
    const origin = options.origin ?? scheduler.now();
    let k = Math.max(0, Math.ceil((scheduler.now() - origin - EARLY_MS) / periodMs));
    function step(this: SchedulerAction<undefined>): void {
      const now = scheduler.now();
      // Too far behind: skip to the newest tick that is still due.
      if (now - (origin + k * periodMs) > maxLag) k = Math.max(k, Math.floor((now - origin) / periodMs));
      while (origin + k * periodMs <= now + EARLY_MS && !subscriber.closed) {
        subscriber.next(k * periodMs);
        k++;
      }
      if (!subscriber.closed) this.schedule(undefined, Math.max(0, origin + k * periodMs - scheduler.now()));
    }
    return scheduler.schedule(step, Math.max(0, origin + k * periodMs - scheduler.now()));
  });
}
