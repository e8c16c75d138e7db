import { Observable, type ObservableInput, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_MS, isTimerDelay, monotonicScheduler } from '../src/connection/scheduler.js';
import type { IgtlMessage } from '../src/index.js';
import { subscribeOperator } from './internal/operator-subscriber.js';

/** A source message with its partner, or without one and why. */
export type PairResult<S extends IgtlMessage, P extends IgtlMessage> =
  | {
      readonly kind: 'paired';
      readonly source: S;
      readonly partner: P;
      /** Partner timestamp minus source timestamp, ms (negative: the partner is older). */
      readonly deltaMs: number;
    }
  | {
      readonly kind: 'unmatched';
      readonly source: S;
      /**
       * `no-partner`: the other stream moved past the tolerance (or ended) with no partner in it;
       * `timeout`: nothing within tolerance arrived in `maxWaitMs`;
       * `no-timestamp`: the source's timestamp is 0 ("not set"), so it cannot be paired by time.
       */
      readonly reason: 'no-partner' | 'timeout' | 'no-timestamp';
    };

/** Options of {@link pairByTimestamp}. */
export interface PairByTimestampOptions<S extends IgtlMessage, P extends IgtlMessage> {
  /** Largest |partner - source| timestamp difference that still pairs, ms. */
  readonly toleranceMs: number;
  /**
   * Longest wait for a later partner, scheduler ms, from 0 to 2^31 - 1 (the longest timer), or
   * Infinity: no time limit (default max(2 × toleranceMs, 100)).
   */
  readonly maxWaitMs?: number;
  /**
   * Pairs only source and partner messages with the same key (default: all pair with all). Each
   * key keeps its own buffer (up to `maxPartners` partners, pruned only by sources of that key)
   * for as long as the result is subscribed: key by the devices you pair, not by something a
   * peer can make unbounded (a partner stream with a new device name in each message would keep
   * every one of them).
   */
  readonly key?: (msg: S | P) => string;
  /** Most partners kept per key while waiting for sources, a whole number >= 1 (default 1000; the oldest go first). */
  readonly maxPartners?: number;
  /** Scheduler of the waits (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

interface Partner<P> {
  readonly msg: P;
  readonly ts: number;
}

interface Waiting<S> {
  readonly msg: S;
  readonly ts: number;
  timer: Subscription | undefined;
}

interface Group<S, P> {
  /** Sorted by timestamp. */
  readonly partners: Partner<P>[];
  /** In arrival order. */
  readonly waiting: Waiting<S>[];
  /**
   * Timestamps of the partner and of the source that arrived last: where each stream is now.
   * Not the highest ever seen: one message stamped days ahead (a sender's clock glitch) or a
   * clock that steps back would then leave every later message "behind" for good, settling
   * each source before its partner could come and pruning each partner before its source came.
   */
  latestPartner: number;
  latestSource: number;
}

/**
 * Pairs each message of the source with the message of `other$` nearest to it by OpenIGTLink
 * timestamp, within a tolerance: an ultrasound IMAGE with the probe's TRANSFORM at the time the
 * image was taken. A source message waits a bounded time for a later partner; one left without
 * a partner is reported as `unmatched`, never silently dropped.
 *
 * ```
 * other$:  -a---b-----c-----|        a, b, c: TRANSFORMs stamped 10, 20, 30 ms
 * source:  ---x----y------z-----|    x, y, z: IMAGEs stamped 19, 26, 60 ms
 * result:  -----r-----s-----t---|    toleranceMs: 5
 *   r: paired(x, b, deltaMs +1)  s: paired(y, c, +4)  t: unmatched(z, 'no-partner')
 * ```
 *
 * A source message is resolved:
 * - as soon as the partner `other$` delivered last is stamped at or after `source + tolerance`,
 *   or so that no later partner can be nearer than the best one so far (partners are taken to
 *   arrive in timestamp order, so none closer can come): paired with the nearest partner
 *   within tolerance, else unmatched `no-partner`;
 * - when `maxWaitMs` has passed (scheduler time): paired with the nearest so far, else
 *   unmatched `timeout`;
 * - at once, when `other$` has completed: paired with the nearest, else `no-partner`.
 *
 * Ties go to the older partner; a partner can pair with several sources (a 60 Hz TRANSFORM with
 * 30 Hz IMAGEs). Partners may arrive out of order (they are kept sorted); sources are taken to
 * arrive roughly in timestamp order: partners older than both the oldest waiting source (or,
 * when none waits, the latest source) and the latest partner, minus the tolerance, are
 * dropped, and at most `maxPartners` are kept per key, so the buffer stays bounded. "Latest" is
 * the one that arrived last, not the highest stamp seen: a message stamped days ahead, or a
 * sender's clock stepping back, costs the pairs around it, not every later one. Messages
 * stamped 0 ("not set": 3D Slicer sends 0) cannot be paired by time: such partners are ignored
 * and such sources reported as `no-timestamp`.
 *
 * Results come out in the order sources are resolved. When the source completes, waiting
 * messages still get their chance (partner or wait), then the result completes. An error of
 * either stream passes through at once; when `other$` errors as it is subscribed, the source is
 * not subscribed at all. A `key` that throws errors the result with what it threw and
 * unsubscribes both streams. Timers and the subscription to `other$` end with the result.
 *
 * @example
 * images$.pipe(pairByTimestamp(probePoses$, { toleranceMs: 10 })).subscribe((r) => {
 *   if (r.kind === 'paired') reconstruct(r.source.content, r.partner.content.matrix);
 *   else console.warn('image without pose:', r.reason);
 * });
 *
 * @param other$  the partner stream (e.g. the probe's TRANSFORMs)
 * @param options  tolerance (required), maximum wait, key, buffer bound, scheduler
 */
export function pairByTimestamp<S extends IgtlMessage, P extends IgtlMessage>(
  other$: ObservableInput<P>,
  options: PairByTimestampOptions<S, P>,
): OperatorFunction<S, PairResult<S, P>> {
  const tolerance = options.toleranceMs;
  if (!(tolerance >= 0)) throw new RangeError(`pairByTimestamp: toleranceMs must be >= 0, got ${tolerance}`);
  const maxWaitMs = options.maxWaitMs ?? Math.max(2 * tolerance, 100);
  // A timer cannot wait longer than MAX_TIMER_MS (a longer delay, NaN or a negative one runs out
  // after 1 ms): refused, except Infinity, which means no timer at all.
  if (!(isTimerDelay(maxWaitMs) || maxWaitMs === Infinity)) {
    throw new RangeError(`pairByTimestamp: maxWaitMs must be from 0 to ${MAX_TIMER_MS}, or Infinity, got ${maxWaitMs}`);
  }
  const maxPartners = options.maxPartners ?? 1000;
  if (!(Number.isInteger(maxPartners) && maxPartners >= 1)) throw new RangeError(`pairByTimestamp: maxPartners must be a whole number >= 1, got ${maxPartners}`);
  const keyOf = options.key ?? ((): string => '');
  const scheduler = options.scheduler ?? monotonicScheduler;

  return (source) =>
    new Observable<PairResult<S, P>>((subscriber) => {
      const groups = new Map<string, Group<S, P>>();
      let otherDone = false;
      let sourceDone = false;
      let waitingCount = 0;

      const groupOf = (key: string): Group<S, P> => {
        let g = groups.get(key);
        if (!g) {
          g = { partners: [], waiting: [], latestPartner: -Infinity, latestSource: -Infinity };
          groups.set(key, g);
        }
        return g;
      };

      const nearest = (g: Group<S, P>, ts: number): Partner<P> | undefined => {
        let best: Partner<P> | undefined;
        for (const p of g.partners) {
          const d = Math.abs(p.ts - ts);
          if (d <= tolerance && (best === undefined || d < Math.abs(best.ts - ts))) best = p;
        }
        return best;
      };

      // True when no partner still to come (stamped >= latestPartner) can be nearer than `best`.
      const settled = (g: Group<S, P>, ts: number, best: Partner<P> | undefined): boolean =>
        otherDone || g.latestPartner - ts >= Math.min(tolerance, best === undefined ? Infinity : Math.abs(best.ts - ts));

      const emit = (msg: S, ts: number, best: Partner<P> | undefined, reason: 'no-partner' | 'timeout'): void => {
        subscriber.next(best ? { kind: 'paired', source: msg, partner: best.msg, deltaMs: best.ts - ts } : { kind: 'unmatched', source: msg, reason });
      };

      // A partner older than every source still to come (the oldest waiting, else the latest)
      // minus the tolerance can pair with none. Nor older than the latest partner minus the
      // tolerance: when the two streams disagree (one source stamped far ahead, one stream's
      // clock stepped), the partners around the partner stream's own time stay.
      const prune = (g: Group<S, P>): void => {
        let oldest = g.latestSource;
        for (const w of g.waiting) oldest = Math.min(oldest, w.ts);
        const limit = Math.min(oldest, g.latestPartner) - tolerance;
        let drop = 0;
        while (drop < g.partners.length && g.partners[drop]!.ts < limit) drop++;
        drop = Math.max(drop, g.partners.length - maxPartners);
        if (drop > 0) g.partners.splice(0, drop);
      };

      const maybeComplete = (): void => {
        if (sourceDone && waitingCount === 0) subscriber.complete();
      };

      // A source may already be resolved when a loop over a copy of `waiting` reaches it: the
      // subscriber, inside the `next` of an earlier result, made `other$` emit again, and that
      // nested partner resolved it. Resolving it again sent it twice, and `splice(-1, 1)` took
      // another source off the list, never to be reported.
      const resolve = (g: Group<S, P>, w: Waiting<S>, reason: 'no-partner' | 'timeout'): void => {
        const at = g.waiting.indexOf(w);
        if (at < 0) return;
        g.waiting.splice(at, 1);
        waitingCount--;
        w.timer?.unsubscribe();
        emit(w.msg, w.ts, nearest(g, w.ts), reason);
      };

      const stopTimers = (): void => {
        for (const g of groups.values()) for (const w of g.waiting) w.timer?.unsubscribe();
      };

      // Both streams go through subscribeOperator: a `key` that throws errors the result and ends
      // both subscriptions; and when `other$` has already ended the result synchronously (an
      // error), the source is not subscribed at all.
      const otherSubscription = subscribeOperator(other$, subscriber, {
        next: (msg) => {
          if (msg.timestamp.isZero) return;
          const ts = msg.timestamp.toMillis();
          const g = groupOf(keyOf(msg));
          let i = g.partners.length;
          while (i > 0 && g.partners[i - 1]!.ts > ts) i--;
          g.partners.splice(i, 0, { msg, ts });
          g.latestPartner = ts;
          for (const w of [...g.waiting]) {
            if (settled(g, w.ts, nearest(g, w.ts))) resolve(g, w, 'no-partner');
          }
          prune(g);
          maybeComplete();
        },
        error: (err: unknown) => {
          stopTimers();
          subscriber.error(err);
        },
        complete: () => {
          otherDone = true;
          for (const g of groups.values()) for (const w of [...g.waiting]) resolve(g, w, 'no-partner');
          maybeComplete();
        },
      });

      const sourceSubscription = subscribeOperator(source, subscriber, {
        next: (msg) => {
          if (msg.timestamp.isZero) {
            subscriber.next({ kind: 'unmatched', source: msg, reason: 'no-timestamp' });
            return;
          }
          const ts = msg.timestamp.toMillis();
          const g = groupOf(keyOf(msg));
          g.latestSource = ts;
          const best = nearest(g, ts);
          if (settled(g, ts, best)) {
            emit(msg, ts, best, 'no-partner');
          } else {
            const w: Waiting<S> = { msg, ts, timer: undefined };
            g.waiting.push(w);
            waitingCount++;
            if (maxWaitMs !== Infinity) {
              w.timer = scheduler.schedule(() => {
                resolve(g, w, 'timeout');
                prune(g);
                maybeComplete();
              }, maxWaitMs);
            }
          }
          prune(g);
        },
        error: (err: unknown) => {
          stopTimers();
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });

      return () => {
        stopTimers();
        sourceSubscription.unsubscribe();
        otherSubscription.unsubscribe();
      };
    });
}
