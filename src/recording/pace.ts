// Playing recorded items at their recorded pace: one clock for replayRecording and readSequence.
import type { SchedulerLike, Subscription } from 'rxjs';
import { MAX_TIMER_MS } from '../connection/scheduler.js';

// A wait shorter than this is not worth a timer (Node's have 1 ms resolution).
const MIN_WAIT_MS = 0.5;
// Waits longer than MAX_TIMER_MS are taken in steps: one timer of it would fire after 1 ms and
// play a recording's item due in 25 days or more at once.

/** The clock of a playback; see {@link createPace}. */
export interface Pace {
  /**
   * A promise that resolves when the item recorded `offsetMs` after the first one is due, or
   * `undefined` when there is nothing to wait for: before the first item is out ({@link Pace.out}),
   * at speed `Infinity`, or when the item is due or late (playback then catches up). No promise,
   * no microtask: as-fast-as-read playback stays synchronous between reads.
   */
  due(offsetMs: number): Promise<void> | undefined;
  /** Says an item is out: the first call starts the clock. */
  out(): void;
  /** Cancels a pending wait and resolves it at once (unsubscribing: the loop then sees it is closed). */
  stop(): void;
}

/**
 * The clock of a playback at `speed` (2 plays twice as fast, `Infinity` does not wait), on
 * `scheduler`.
 *
 * ```
 * recorded: a at 0 ms, b at 30 ms, c at 40 ms
 * speed 2:  a--------------b----c    (due(0), due(30) -> 15 ms, due(40) -> 20 ms after a is out)
 * ```
 *
 * Items are due against the start of playback, not one after the other, so playback does not
 * drift however long it runs. The clock starts when the first item is out, not before: opening
 * the file and the first decode and send, slow until the JIT has seen them, would make the first
 * item late against all the others.
 */
export function createPace(scheduler: SchedulerLike, speed: number): Pace {
  let start: number | undefined;
  let timer: Subscription | undefined;
  let wake: (() => void) | undefined;
  return {
    due(offsetMs) {
      if (speed === Infinity || start === undefined) return undefined;
      const at = start + offsetMs / speed;
      if (!(at - scheduler.now() > MIN_WAIT_MS)) return undefined;
      return new Promise<void>((resolve) => {
        wake = resolve;
        // A wait longer than a timer can hold is taken in steps.
        const arm = (): void => {
          const wait = at - scheduler.now();
          if (!(wait > MIN_WAIT_MS)) return resolve();
          timer = scheduler.schedule(wait > MAX_TIMER_MS ? arm : () => resolve(), Math.min(wait, MAX_TIMER_MS));
        };
        arm();
      });
    },
    out() {
      start ??= scheduler.now();
    },
    stop() {
      timer?.unsubscribe();
      wake?.();
    },
  };
}
