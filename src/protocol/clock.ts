// The two clocks of the library, one rule each.
//
// - Durations (is the peer silent, is this tool stale, when is the next tick due) are measured
//   on a monotonic clock: a step of the system clock (NTP correcting a large offset at boot, an
//   administrator setting the time, a virtual machine resumed) would otherwise hide a silent
//   peer for as long as the clock stepped back, or declare a live one dead. `Date.now()`, the
//   clock of RxJS's asyncScheduler, steps; `performance.now()` does not.
// - Times that go on the wire or into a file (OpenIGTLink timestamps, receive times) are wall
//   clock: a peer compares them with its own. They follow a step of the system clock, and keep
//   the sub-millisecond resolution of the monotonic clock in between.

interface Performance {
  readonly timeOrigin: number;
  now(): number;
}

/**
 * Milliseconds on a clock that never steps: the wall-clock time at start-up (the platform's
 * `performance.timeOrigin`) advanced by the monotonic `performance.now()` since. It reads like
 * `Date.now()` (ms since 1970) and stays within a millisecond of it until the system clock is
 * stepped; after a step it keeps counting evenly instead of jumping. For durations, deadlines
 * and ages; `Date.now()` where `performance` is missing.
 */
export function monotonicNow(): number {
  // Looked up at each call, not kept: fake timers in tests replace the global. Its timeOrigin is
  // a getter that costs as much as now() itself, so it is read once per performance object.
  const perf = (globalThis as { performance?: Performance }).performance;
  if (perf === undefined) return Date.now();
  if (perf !== originOf) {
    originOf = perf;
    origin = perf.timeOrigin;
  }
  return origin + perf.now();
}

let originOf: Performance | undefined;
let origin = 0;

/** Beyond this, the system clock was stepped (Date.now() has 1 ms steps, so the two differ by up to 1 ms otherwise). */
const STEP_MS = 5;
/** How often the system clock is read again to notice a step (reading it at every call would cost a second clock read). */
const RECHECK_MS = 100;
/** wallClockMs() - monotonicNow(): 0 until the system clock is stepped. */
let wallOffset = 0;
/** monotonicNow() when the system clock was last read. */
let checkedAt = -Infinity;

/**
 * Wall-clock milliseconds since 1970 with sub-millisecond resolution: {@link monotonicNow} plus
 * the offset of the system clock, which is read again every 100 ms and taken anew when it has
 * been stepped (more than 5 ms off), so timestamps follow a step as `Date.now()` does (and as
 * the peer's clock does) within a tenth of a second. The clock of `Timestamp.now()` (so of
 * `createMessage` without a timestamp) and of receive times.
 */
export function wallClockMs(): number {
  const mono = monotonicNow();
  // (A monotonic clock that went back is a new one: fake timers in tests swap clocks.)
  if (mono >= checkedAt && mono - checkedAt < RECHECK_MS) return mono + wallOffset;
  checkedAt = mono;
  const wall = Date.now();
  const t = mono + wallOffset;
  if (t - wall > STEP_MS || wall - t > STEP_MS) {
    wallOffset = wall - mono;
    return wall;
  }
  return t;
}
