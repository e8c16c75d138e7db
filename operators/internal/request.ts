// One request and its reply: register with the peer's correlator, send, wait with a timeout
// (which, after a blocked event loop, first reads what arrived: src/connection/io-turn.ts).
import { EMPTY, defer, finalize, map, merge, switchMap, take, tap, type Observable, type SchedulerLike } from 'rxjs';
import { deadline } from '../../src/connection/io-turn.js';
import type { IgtlMessage } from '../../src/index.js';
import { QueryTimeoutError, ReplyLostError } from '../errors.js';
import { correlatorFor, type Afterlife, type ReplyMatcher } from './correlator.js';
import { channelLost, type IgtlPeer } from './peer.js';

/** How long the reply of a request given up with no timeout (unsubscribed) is dropped, ms. */
const AFTERLIFE_MS = 5000;

/**
 * Sends `msg` and emits the first reply `matcher` accepts, then completes. Errors with a
 * QueryTimeoutError after `timeoutMs` (never if it is Infinity), with the send's error if `send` rejects, with a
 * ReplyLostError if the channel it was written on is lost (the connection reconnects), and with a
 * ConnectionError if the peer ends first. Cold; unsubscribing removes the pending request (and
 * leaves a ghost for its late reply, see Correlator.reply). `onSent` learns whether the send
 * wrote the request (false: refused, dropped, or taken back from the queue unwritten).
 */
export function request(
  peer: IgtlPeer,
  msg: IgtlMessage,
  matcher: ReplyMatcher,
  timeoutMs: number,
  scheduler: SchedulerLike,
  onSent?: (written: boolean) => void,
): Observable<IgtlMessage> {
  // Given up while it still waits in the connection's queue (the connection is down), the
  // request is taken back: the caller was told it failed, so it must never reach the peer (a
  // COMMAND such as StartRecording would run when the connection comes back).
  const giveUp = new AbortController();
  let sent: Promise<unknown> | undefined;
  // A request given up may still be answered (if it was sent): its reply is then dropped for as
  // long again as it was waited for, not given to a later request. Its ghost ends when the send
  // turns out to have written nothing (refused, dropped, or taken back).
  let settled: unknown;
  const afterlife = (): Afterlife | undefined => {
    if (sent === undefined || (settled !== undefined && settled !== 'written')) return undefined;
    const unsent = sent.then((r) => r !== 'written', () => true);
    return { ms: Number.isFinite(timeoutMs) ? timeoutMs : AFTERLIFE_MS, scheduler, unsent };
  };
  // The reply is registered (and the peer subscribed) before the request goes out, so an
  // immediate answer cannot slip past.
  const reply$ = correlatorFor(peer).reply(matcher, afterlife);
  // Written, the request is on the channel open now, and its reply can only come on that
  // channel: if the connection loses it (and reconnects), the reply is lost too. Waiting for
  // the timeout (or for ever, with an infinite one) would only hide that.
  const send$ = defer(() => {
    sent = peer.send(msg, { signal: giveUp.signal });
    // On the promise, not on send$: a request given up (timed out, unsubscribed) no longer
    // listens to send$, and its send settles after that (taken back: not written).
    // A peer's send resolves once written (IgtlPeer), except an IgtlConnection's taken back or
    // coalesced one ('dropped', 'replaced'): a peer of your own may resolve with nothing.
    if (onSent) sent.then((r) => onSent(r !== 'dropped' && r !== 'replaced'), () => onSent(false));
    return sent;
  }).pipe(
    tap({ next: (r) => (settled = r), error: (e: unknown) => (settled = e ?? 'failed') }),
    switchMap((result) => (result === 'written' ? channelLost(peer) : EMPTY)),
    map((reason): never => {
      throw new ReplyLostError(msg, reason);
    }),
  );
  const answer$ = merge(reply$, send$).pipe(take(1));
  // An infinite timeout means none (a timer of Infinity ms would fire at once under Node).
  const timed$ = Number.isFinite(timeoutMs) ? answer$.pipe(deadline(timeoutMs, scheduler, () => new QueryTimeoutError(msg, timeoutMs))) : answer$;
  // Answered, it was written long ago and the abort does nothing.
  return timed$.pipe(finalize(() => giveUp.abort()));
}
