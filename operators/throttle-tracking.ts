import { Observable, type MonoTypeOperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_MS, isTimerDelay, monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage } from '../src/index.js';
import { deviceKey, elementsOf, isElementMessage, trackingKey } from './internal/elements.js';
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
  /** The key's device stream (default key only; see DeviceOrder). */
  device: DeviceOrder | undefined;
}

/**
 * With the default key, one device's TDATA can be throttled under two keys: `trackingKey` gives a
 * whole message of several tools the device's key and a message of one tool that tool's key (what
 * `splitElements` makes; also PlusServer's TDATA once the other tools leave the camera's view). A
 * snapshot of several tools waiting for its window could then be sent after a newer message of
 * the same device: a tool moved back in time and a lost tool came back for a window. So each
 * device remembers the last message it sent, and an older one is dropped when either holds
 * several tools (one-tool messages of different tools are independent: no order between them).
 */
interface DeviceOrder {
  /** Its key in the device map (`deviceKey`). */
  readonly name: string;
  /** Arrival order of the device's newest message sent. */
  sentSeq: number;
  /** That message held several elements (a snapshot of the device's tools). */
  sentWhole: boolean;
  /** Keys of this device with an open window (the entry goes with the last of them). */
  keys: number;
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
 * With the default key, a TDATA/QTDATA/POINT of several tools and one of a single tool of the
 * same device have different keys; a sample is then not sent after a newer one of the same
 * device when either holds several tools (it is dropped: the newer one is the device's current
 * view, and a tool it no longer holds has left it). Messages of one tool each, as
 * `splitElements` makes them, keep their own order per tool.
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
  const windowMs = 1000 / hz;
  // A window longer than a timer can wait would run out after 1 ms.
  if (!(hz > 0) || !isTimerDelay(windowMs)) throw new RangeError(`throttleTracking: hz must be at least ${1000 / MAX_TIMER_MS} (a window of at most ${MAX_TIMER_MS} ms), got ${hz}`);
  const keyOf = options.key ?? trackingKey;
  const ordered = options.key === undefined;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      const keys = new Map<string, KeyState<T>>();
      const devices = new Map<string, DeviceOrder>();
      let seq = 0;
      const stopTimers = (): void => {
        for (const state of keys.values()) state.timer.unsubscribe();
        keys.clear();
        devices.clear();
      };
      // Whether `msg` (arrival `at`) is still news for its device; if so it is recorded as sent.
      const fresh = (order: DeviceOrder | undefined, msg: T, at: number): boolean => {
        if (!order) return true;
        const whole = isElementMessage(msg) && elementsOf(msg).length !== 1;
        if (at < order.sentSeq && (whole || order.sentWhole)) return false;
        if (at > order.sentSeq) {
          order.sentSeq = at;
          order.sentWhole = whole;
        }
        return true;
      };
      const forget = (key: string, state: KeyState<T>): void => {
        keys.delete(key);
        const order = state.device;
        if (order && --order.keys === 0) devices.delete(order.name);
      };
      // Window end: send the newest waiting sample and open the next window, or let the key go idle.
      function windowEnd(this: SchedulerAction<string>, key?: string): void {
        const state = keys.get(key!);
        if (!state) return;
        const sample = state.waiting;
        state.waiting = undefined;
        if (sample === undefined || !fresh(state.device, sample, state.seq)) {
          forget(key!, state);
          return;
        }
        this.schedule(key, windowMs);
        subscriber.next(sample);
      }
      // Through subscribeOperator, so a `key` that throws errors the result and unsubscribes the source.
      const subscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          const key = keyOf(msg);
          const at = seq++;
          const state = keys.get(key);
          if (state) {
            state.waiting = msg;
            state.seq = at;
            return;
          }
          let device: DeviceOrder | undefined;
          if (ordered && isElementMessage(msg)) {
            const name = deviceKey(msg);
            device = devices.get(name);
            if (!device) devices.set(name, (device = { name, sentSeq: -1, sentWhole: false, keys: 0 }));
            device.keys++;
          }
          keys.set(key, { waiting: undefined, seq: at, timer: scheduler.schedule(windowEnd, windowMs, key), device });
          fresh(device, msg, at);
          subscriber.next(msg);
        },
        error: (err: unknown) => {
          stopTimers();
          subscriber.error(err);
        },
        complete: () => {
          const waiting = [...keys.values()].filter((s) => s.waiting !== undefined).sort((a, b) => a.seq - b.seq);
          for (const state of keys.values()) state.timer.unsubscribe();
          const send = waiting.filter((state) => fresh(state.device, state.waiting!, state.seq)).map((state) => state.waiting!);
          stopTimers();
          for (const msg of send) subscriber.next(msg);
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        stopTimers();
      };
    });
}
