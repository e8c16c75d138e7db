import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Unsubscribable } from 'rxjs';
import { MAX_TIMER_MS, isTimerDelay, monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage, SendPolicy } from '../src/index.js';
import { subscribeOperator } from './internal/operator-subscriber.js';
import type { IgtlPeer } from './internal/peer.js';

/** Options of {@link sendTo}. */
export interface SendToOptions {
  /**
   * Send policy of every message (default: the connection's). `latest` is the one for tracking:
   * when the socket cannot keep up, only the newest pose per type and device waits.
   */
  readonly policy?: SendPolicy;
  /**
   * After the source ends or you unsubscribe, how long the connection is held for the sends
   * still waiting, ms (default 5000; 0: not at all). Past it they are given up: a lazy connection
   * then closes, and its waiting sends fail with a ConnectionError on its `errors$`.
   */
  readonly flushTimeoutMs?: number;
  /** Scheduler of that time limit (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Sends every message of the source to a connection and re-emits it unchanged: the operator
 * form of `peer.send`.
 *
 * ```
 * source:  --a--b--c--|
 * sendTo:  --a--b--c--|     a, b and c are each passed to peer.send as they pass
 * ```
 *
 * A failed send does not end the pipeline: the connection reports it on its `errors$` (that is
 * where `IgtlConnection` reports every send failure), and the pipeline goes on with the next
 * message. Errors and completion of the source pass through at once.
 *
 * While subscribed, the operator keeps the connection subscribed too, so a lazy connection
 * opens and stays open; after the source completes or you unsubscribe, it holds on until the
 * sends already made have settled, so the last messages are written rather than dropped with
 * the queue of a connection that closes, but for `flushTimeoutMs` (5 s) at most: a peer that is
 * gone would otherwise keep a lazy connection reconnecting for ever after you left, and get
 * your last messages (a robot's target) whenever it came back.
 *
 * @example
 * // Forward a tracker to 3D Slicer, newest pose first when the link is slow.
 * tracker.pipe(ofType('TRANSFORM'), throttleTracking(60), sendTo(slicer, { policy: 'latest' })).subscribe();
 *
 * @param peer  the connection to send to
 * @param options  send policy (default: the connection's own), flushTimeoutMs, scheduler
 */
export function sendTo<T extends IgtlMessage>(peer: IgtlPeer, options: SendToOptions = {}): MonoTypeOperatorFunction<T> {
  const sendOptions = options.policy === undefined ? undefined : { policy: options.policy };
  const flushTimeoutMs = options.flushTimeoutMs ?? 5000;
  if (!isTimerDelay(flushTimeoutMs)) throw new RangeError(`sendTo: flushTimeoutMs must be from 0 to ${MAX_TIMER_MS}, got ${flushTimeoutMs}`);
  const scheduler = options.scheduler ?? monotonicScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      let inFlight = 0;
      let finished = false;
      let held: Unsubscribable | undefined;
      let limit: Unsubscribable | undefined;
      const letGo = (): void => {
        limit?.unsubscribe();
        const h = held;
        held = undefined;
        h?.unsubscribe();
      };
      const release = (): void => {
        if (finished && inFlight === 0) letGo();
      };
      const settled = (): void => {
        inFlight--;
        release();
      };
      // Keeps a lazy connection open while the pipeline runs (its own errors are not ours).
      held = peer.subscribe({ error: () => (held = undefined), complete: () => (held = undefined) });
      // Through subscribeOperator like every hand-written operator here, so that a throw in this
      // handler ends the pipeline instead of escaping (a throwing send is caught below on purpose).
      const subscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          inFlight++;
          try {
            peer.send(msg, sendOptions).then(settled, settled);
          } catch {
            // A send that throws instead of rejecting: the peer's business, as a rejection would be.
            settled();
          }
          subscriber.next(msg);
        },
      });
      return () => {
        subscription.unsubscribe();
        finished = true;
        release();
        if (held && !limit) limit = flushTimeoutMs === 0 ? (letGo(), undefined) : scheduler.schedule(letGo, flushTimeoutMs);
      };
    });
}
