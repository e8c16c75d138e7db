// The library's default RxJS scheduler: asyncScheduler's timers on a clock that never steps.
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { monotonicNow } from '../protocol/clock.js';

/**
 * asyncScheduler reads the system clock, except while RxJS's `TestScheduler.run()` gives it a
 * virtual one, which counts frames from 0: a reading before this (2001-09-09) is virtual time.
 * One comparison, where checking against Date.now() would cost a second clock read per call
 * (the connection reads this clock once per received chunk). A machine without a real-time
 * clock that boots in 1970 reads the system clock until it is set, then goes on evenly from
 * there: its monotonic clock started in 1970 too (test/unit/connection/clock-steps.test.ts).
 */
const VIRTUAL_BEFORE_MS = 1e12;

/**
 * The longest delay a timer keeps, ms (about 24.8 days): Node's setTimeout and setInterval, and
 * so asyncScheduler, make any longer delay (Infinity too) 1 ms, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Whether `ms` is a delay a timer keeps: a number from 0 to {@link MAX_TIMER_MS}. NaN, a negative
 * or a longer delay runs out after 1 ms. The one rule every option that becomes a timer is
 * checked against (each adds whether 0 or Infinity means something of its own).
 */
export function isTimerDelay(ms: unknown): ms is number {
  return typeof ms === 'number' && ms >= 0 && ms <= MAX_TIMER_MS;
}

/**
 * The default scheduler of everything in igtl-rx that measures time: a connection's liveness
 * (stale, dead peer, heartbeats), `watchFreshness`, `measureRate`, the simulator's ticks and
 * playback. Its timers are asyncScheduler's (setTimeout/setInterval, which run on a monotonic
 * clock already); its `now()` is {@link monotonicNow} instead of `Date.now()`, so that a step of
 * the system clock neither delays a stale or dead verdict by the length of the step (a step
 * back) nor invents one (a step forward). Times it reports (`at`, `lastSeen`) read like
 * `Date.now()` until the system clock is stepped; compare them with `monotonicScheduler.now()`.
 *
 * Marble tests keep working as they do for RxJS's own operators: inside `TestScheduler.run()`,
 * which makes asyncScheduler virtual, this scheduler is virtual too (its clock follows
 * asyncScheduler's whenever that reads virtual time). Tests may also pass a scheduler.
 */
export const monotonicScheduler: SchedulerLike = {
  now: () => {
    const rx = asyncScheduler.now();
    return rx < VIRTUAL_BEFORE_MS ? rx : monotonicNow();
  },
  schedule: asyncScheduler.schedule.bind(asyncScheduler),
};
