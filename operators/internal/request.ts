// One request and its reply: register with the peer's correlator, send, wait with a timeout
// (which, after a blocked event loop, first reads what arrived: src/connection/io-turn.ts).
import { defer, ignoreElements, merge, take, type Observable, type SchedulerLike } from 'rxjs';
import { deadline } from '../../src/connection/io-turn.js';
import type { IgtlMessage } from '../../src/index.js';
import { QueryTimeoutError } from '../errors.js';
import { correlatorFor, type ReplyMatcher } from './correlator.js';
import type { IgtlPeer } from './peer.js';

/**
 * Sends `msg` and emits the first reply `matcher` accepts, then completes. Errors with a
 * QueryTimeoutError after `timeoutMs` (never if it is Infinity), with the send's error if `send` rejects, and with a
 * ConnectionError if the peer ends first. Cold; unsubscribing removes the pending request.
 */
export function request(peer: IgtlPeer, msg: IgtlMessage, matcher: ReplyMatcher, timeoutMs: number, scheduler: SchedulerLike): Observable<IgtlMessage> {
  // The reply is registered (and the peer subscribed) before the request goes out, so an
  // immediate answer cannot slip past.
  const reply$ = correlatorFor(peer).reply(matcher);
  const send$ = defer(() => peer.send(msg)).pipe(ignoreElements());
  const answer$ = merge(reply$, send$).pipe(take(1));
  // An infinite timeout means none (a timer of Infinity ms would fire at once under Node).
  return Number.isFinite(timeoutMs)
    ? answer$.pipe(deadline(timeoutMs, scheduler, () => new QueryTimeoutError(msg, timeoutMs)))
    : answer$;
}
