// The library's default RxJS scheduler: asyncScheduler's timers on a clock that never steps.
import { asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { monotonicNow } from '../protocol/clock.js';
import { createAgeClock } from './age-clock.js';

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

/**
 * How long a wait on {@link freshnessScheduler} (and the stale rule's timer on it) lasts at
 * most, ms: a timer does not count the time the machine was suspended, so a verdict due during
 * the sleep comes at most this long after waking.
 */
export const WAKE_CHECK_MS = 1000;

const systemAgeClock = createAgeClock(() => Date.now());

/**
 * Milliseconds on the clock of ages (age-clock.ts): {@link monotonicNow} that also counts the
 * time the machine was suspended, never going back when the system clock steps back (a step
 * forward counts, the safe side for an age). Measure how old received data is on it: a
 * connection's `stale` rule does, and so does `watchFreshness` given {@link freshnessScheduler}.
 * Virtual inside `TestScheduler.run()`, as {@link monotonicScheduler}.
 */
export function freshnessNow(): number {
  return freshnessFrom(monotonicScheduler.now());
}

/**
 * @internal The clock of ages at the monotonic reading `monotonic` (of {@link monotonicScheduler}):
 * the same reading in virtual time, where no machine sleeps.
 */
export function freshnessFrom(monotonic: number): number {
  return monotonic < VIRTUAL_BEFORE_MS ? monotonic : systemAgeClock(monotonic);
}

/**
 * A scheduler for ages: `now()` is {@link freshnessNow}, and its timers (asyncScheduler's) wait
 * at most {@link WAKE_CHECK_MS} at a time in real time, so work that checks an age on them finds
 * a sleep within a second of waking. For work that re-checks when woken early, as
 * `watchFreshness` does: `watchFreshness({ staleAfterMs, scheduler: freshnessScheduler })` makes a
 * tool stale within a second of waking when the machine slept longer than `staleAfterMs` (its
 * `at` and `lastSeen` are then on {@link freshnessNow}). Virtual inside `TestScheduler.run()`.
 */
export const freshnessScheduler: SchedulerLike = {
  now: freshnessNow,
  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const capped = asyncScheduler.now() < VIRTUAL_BEFORE_MS ? delay : Math.min(delay, WAKE_CHECK_MS);
    return asyncScheduler.schedule(work, capped, state);
  },
};

/** @internal How the stale rule reads ages (see {@link freshnessNow}). */
export interface AgeSource {
  /** The age clock at a reading of the scheduler's clock. */
  of(now: number): number;
  /** Longest wait between checks while something could go stale, ms (undefined: none). */
  recheckMs(): number | undefined;
}

/** @internal Ages on the scheduler's own clock: a virtual or a user's scheduler, where nothing sleeps. */
export const SCHEDULER_AGES: AgeSource = { of: (now) => now, recheckMs: () => undefined };

/** @internal Ages on the system's clocks, counting a suspended machine's sleep (the default scheduler's). */
export const SYSTEM_AGES: AgeSource = {
  of: freshnessFrom,
  recheckMs: () => (asyncScheduler.now() < VIRTUAL_BEFORE_MS ? undefined : WAKE_CHECK_MS),
};
