import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_MS, isTimerDelay, monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage } from '../src/index.js';
import { DelayFloor } from './internal/delay-floor.js';
import { trackingKey } from './internal/elements.js';
import { subscribeOperator } from './internal/operator-subscriber.js';

/** A key (a tool, an image device) going stale or live again: one emission of {@link watchFreshness}. */
export interface FreshnessChange<T extends IgtlMessage> {
  /** The key, as `options.key` gives it (default `trackingKey`: type + device name [+ element name]). */
  readonly key: string;
  /** True: nothing for `staleAfterMs`; false: its first message, or the first after being stale. */
  readonly stale: boolean;
  /** Scheduler time of the change (ms). */
  readonly at: number;
  /**
   * Scheduler time of the key's newest message (ms): `at - lastSeen` is how old its data is. With
   * `byTimestamp`, the time it would have arrived with the smallest delay seen.
   */
  readonly lastSeen: number;
  /** The key's newest message: the one that made it live, or the last before it went stale. */
  readonly message: T;
}

/** Options of {@link watchFreshness}. */
export interface WatchFreshnessOptions<T extends IgtlMessage> {
  /** A key is stale once it has sent nothing for this long, ms (> 0). */
  readonly staleAfterMs: number;
  /** What is watched separately (default `trackingKey`: type + device name [+ element name]). */
  readonly key?: (msg: T) => string;
  /**
   * When true, a message with the same OpenIGTLink timestamp as the key's previous one does not
   * count as new: a sender that keeps repeating its last sample (a frozen driver whose loop goes
   * on) makes the key stale like a silent one. Any other timestamp counts, earlier ones too (a
   * sender whose clock stepped back is not frozen); a message without a timestamp (0) always
   * counts. Default false.
   */
  readonly ignoreRepeats?: boolean;
  /**
   * When true, a message counts from the time its sample was taken (its OpenIGTLink timestamp),
   * not from the time it arrived: a page that froze for seconds (a long task, a GC, a laptop
   * waking) and then works through the poses buffered meanwhile sees them for what they are, old.
   * The sender's clock is not ours, so its offset is learned: per key, the smallest delay
   * (arrival minus timestamp) of the last 30 to 60 s. A message whose delay exceeds it by
   * `staleAfterMs` or more is late: it does not make the key live, and a key whose own deadline
   * has passed is stale from that moment. A message that is d late counts as arrived d earlier
   * (`lastSeen`). A message without a timestamp (0) counts at its arrival; one stamped more than
   * `staleAfterMs` before the key's previous one (the sender's clock stepped back, a replay that
   * loops) starts the learning again. Needs timestamps that are sample times and advance as real
   * time does (PLUS, 3D Slicer, igtl-rx): a replay slower than real time, or a sender that stamps
   * one constant time, makes its keys late within `staleAfterMs` / (1 - speed). Default false.
   */
  readonly byTimestamp?: boolean;
  /** Scheduler of the stale timer and the clock (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

interface KeyState<T> {
  lastSeen: number;
  message: T;
  stale: boolean;
  /** With byTimestamp: the smallest delay of its messages. */
  readonly floor: DelayFloor | undefined;
}

/**
 * Emits when each key (a tool, an image device) goes stale, and when it is live again: what a
 * display needs so that a pose or an image that stopped never looks live while the connection,
 * and other tools, still are. The connection's own `stale` state is about the whole stream; this
 * is per key.
 *
 * ```
 * source:                               -a-b-A-----------a-|      a, A: Stylus   b: Probe
 * watchFreshness({ staleAfterMs: 5 }):  -x-y----z-w------v-(s|)   (frames are ms)
 *   x: Stylus live   y: Probe live   z: Probe stale (at 8, lastSeen 3)
 *   w: Stylus stale (at 10, lastSeen 5, message A)   v: Stylus live again (at 17)
 *   s: Stylus stale as the stream ends (at 19, lastSeen 17)
 * ```
 *
 * A key's first message emits `{ stale: false }`; silence of `staleAfterMs` after its newest
 * message emits `{ stale: true }` (at exactly `lastSeen + staleAfterMs` by the scheduler's clock);
 * its next message emits `{ stale: false }` again. Nothing is emitted for the messages in
 * between, so the cost per message is a map lookup. One timer serves every key: it is due at the
 * earliest moment a live key could go stale. It keeps each key's newest message (one per tool or
 * device, for as long as it is subscribed): key by what is drawn, not by something unbounded.
 * A timer cannot run while the thread is blocked (a page's long task): a key whose deadline
 * passed meanwhile is said stale at its next message, if that comes first, before the message is
 * judged. With `byTimestamp` a message counts from its sample's time (see the option).
 * Nor can it run before the first animation frame after a held page (a long task, a background
 * tab whose timers the browser throttles or freezes): a display that draws on frames checks the
 * age of what it draws as well, against the newest arrival of each key on `monotonicNow()`
 * (docs/browser.md, "The first frame after the page could not run").
 *
 * When the source ends (completes or errors), every key still live goes stale at that moment
 * (nothing more will come for it), then the completion or the error is passed on: the last poses
 * of a connection that gave up do not stay live. A `key` that throws errors the result with what
 * it threw and unsubscribes the source. The timer stops on completion, error and unsubscribe.
 *
 * @example
 * conn.pipe(ofType('TRANSFORM', 'TDATA'), splitElements(), watchFreshness({ staleAfterMs: 500 }))
 *   .subscribe((c) => scene.setStale(c.key, c.stale));   // a tool out of the camera's view greys out
 *
 * @param options  staleAfterMs (required), key, ignoreRepeats, byTimestamp, scheduler
 */
export function watchFreshness<T extends IgtlMessage>(options: WatchFreshnessOptions<T>): OperatorFunction<T, FreshnessChange<T>> {
  const staleAfterMs = options.staleAfterMs;
  if (!(isTimerDelay(staleAfterMs) && staleAfterMs > 0)) {
    // A longer timer runs out after 1 ms: every live key would be re-checked each millisecond.
    throw new RangeError(`watchFreshness: staleAfterMs must be a number > 0 and at most ${MAX_TIMER_MS}, got ${String(staleAfterMs)}`);
  }
  const keyOf = options.key ?? trackingKey;
  const scheduler = options.scheduler ?? monotonicScheduler;
  const ignoreRepeats = options.ignoreRepeats === true;
  const byTimestamp = options.byTimestamp === true;
  return (source) =>
    new Observable<FreshnessChange<T>>((subscriber) => {
      const keys = new Map<string, KeyState<T>>();
      let timer: Subscription | undefined;
      /** When the pending timer is due (scheduler time), or Infinity when none is pending. */
      let dueAt = Infinity;

      // Due at the earliest deadline of a live key. A key's deadline only moves later as its
      // messages arrive, so a timer that fires early finds nothing and is set again.
      const arm = (deadline: number): void => {
        if (deadline >= dueAt) return;
        timer?.unsubscribe();
        dueAt = deadline;
        timer = scheduler.schedule(check, Math.max(0, deadline - scheduler.now()));
        subscriber.add(timer);
      };
      const goStale = (key: string, k: KeyState<T>, now: number): void => {
        k.stale = true;
        subscriber.next({ key, stale: true, at: now, lastSeen: k.lastSeen, message: k.message });
      };
      const check = (): void => {
        if (timer) subscriber.remove(timer);
        timer = undefined;
        dueAt = Infinity;
        const now = scheduler.now();
        let next = Infinity;
        for (const [key, k] of keys) {
          if (k.stale) continue;
          const deadline = k.lastSeen + staleAfterMs;
          if (deadline <= now) goStale(key, k, now);
          else if (deadline < next) next = deadline;
        }
        if (next !== Infinity && !subscriber.closed) arm(next);
      };

      // The stream ended: nothing more will come for any key, so none is live any more. Each key
      // still live is said stale now, before the end is passed on (a display that draws the
      // changes must not keep the last poses of a closed connection looking live).
      const endAll = (): void => {
        timer?.unsubscribe();
        const now = scheduler.now();
        for (const [key, k] of keys) {
          if (!k.stale) goStale(key, k, now);
        }
      };

      // Through subscribeOperator, so a `key` that throws errors the result and unsubscribes the source.
      const subscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          const now = scheduler.now();
          const key = keyOf(msg);
          const k = keys.get(key);
          if (k) {
            const previous = k.message;
            const repeat = ignoreRepeats && sameSample(msg, previous);
            k.message = msg;
            if (repeat) return;
            // Stamped more than the threshold before the key's previous message: not a backlog
            // (its stamps rise) but the sender's clock stepped back, a replay looping to its
            // start, or the message after one stamped far ahead. The offset is learned again from
            // here, or every message would be late until the old delays leave the floor.
            if (k.floor && steppedBack(previous, msg, staleAfterMs)) k.floor.reset();
            // Its deadline passed and the timer has not run (a page whose main thread was blocked):
            // the key has been stale since then; said before this message is judged.
            if (!k.stale && now > k.lastSeen + staleAfterMs) goStale(key, k, now);
            const seen = seenAt(k.floor, msg, now);
            if (now - seen >= staleAfterMs) return; // late: older than the threshold as it arrives
            if (seen > k.lastSeen) k.lastSeen = seen;
            if (!k.stale) return;
            k.stale = false;
          } else {
            const floor = byTimestamp ? new DelayFloor() : undefined;
            keys.set(key, { lastSeen: seenAt(floor, msg, now), message: msg, stale: false, floor });
          }
          const lastSeen = keys.get(key)!.lastSeen;
          subscriber.next({ key, stale: false, at: now, lastSeen, message: msg });
          arm(lastSeen + staleAfterMs);
        },
        error: (err) => {
          endAll();
          subscriber.error(err);
        },
        complete: () => {
          endAll();
          subscriber.complete();
        },
      });
      return () => {
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

/**
 * When a message counts as seen (scheduler time): its arrival, or with a delay floor (byTimestamp)
 * the arrival it would have had with the smallest delay seen, `now` minus how late it is.
 */
function seenAt(floor: DelayFloor | undefined, msg: IgtlMessage, now: number): number {
  if (floor === undefined || msg.timestamp.isZero) return now;
  const delay = now - msg.timestamp.toMillis();
  return now - (delay - floor.add(now, delay));
}

/** Whether `msg` is stamped more than `ms` before `previous` (both stamped). */
function steppedBack(previous: IgtlMessage, msg: IgtlMessage, ms: number): boolean {
  if (previous.timestamp.isZero || msg.timestamp.isZero) return false;
  return msg.timestamp.toMillis() < previous.timestamp.toMillis() - ms;
}

/** The same non-zero OpenIGTLink timestamp: the same sample, sent again. */
function sameSample(a: IgtlMessage, b: IgtlMessage): boolean {
  const t = a.timestamp;
  return !t.isZero && t.seconds === b.timestamp.seconds && t.fraction === b.timestamp.fraction;
}
