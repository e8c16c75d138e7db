import { Observable, filter, share, type SchedulerLike, type Subscription } from 'rxjs';
import { monotonicScheduler } from '../src/connection/scheduler.js';
import { createMessage, type IgtlMessage } from '../src/index.js';
import { queryType } from '../src/protocol/query-names.js';
import { QueryTimeoutError, ReplyLostError } from './errors.js';
import { subscribeOperator } from './internal/operator-subscriber.js';
import { holdUntil, linkOpen, messagesOf, nearOpen, type IgtlPeer } from './internal/peer.js';
import { correlatorFor } from './internal/correlator.js';
import { queryMatcher, queryReporting } from './query.js';

/** The message types a server can be asked to stream with STT_ (OpenIGTLink Documents/Protocol/query.md). */
export type StreamType = 'TDATA' | 'QTDATA' | 'TRANSFORM' | 'IMAGE' | 'POSITION' | 'SENSOR' | 'NDARRAY' | 'POLYDATA' | 'VIDEO' | 'BIND';

/** The message of one type: `MessageOfType<'TDATA'>` is a TrackingDataMessage. */
export type MessageOfType<K extends IgtlMessage['type']> = Extract<IgtlMessage, { readonly type: K }>;

/** Options of {@link stream}. */
export interface StreamOptions {
  /** Minimum interval between messages, ms (STT_TDATA/STT_QTDATA resolution, STT_VIDEO interval, STT_BIND interval; default 0 = as fast as possible). */
  readonly resolutionMs?: number;
  /** Coordinate system name of STT_TDATA/STT_QTDATA (default empty = the server's default). */
  readonly coordinate?: string;
  /** FourCC of the wanted codec for VIDEO (default `H264`). */
  readonly codec?: string;
  /** Device name of the STT_/STP_ and of the streamed messages to keep (default empty = any). */
  readonly deviceName?: string;
  /** How long to wait for the RTS_ before going on without it, ms (default 5000). */
  readonly timeoutMs?: number;
  /** Scheduler of the RTS_ wait (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Asks the server for a stream and emits the streamed messages: sends `STT_<type>` when the
 * first subscriber arrives and `STP_<type>` when the last one leaves. Subscribers share one
 * stream per connection, type and device name, so several of them cause one STT_ and one STP_.
 *
 * ```
 * peer:        ---a--t--t--t--t--  a: RTS_TDATA status 0, t: TDATA
 * stream(peer, 'TDATA')
 *              ^-----t--t--t-!     STT_TDATA sent at ^, STP_TDATA at !
 * RTS_ error:  ^--#                RTS_TDATA with an error status: QueryFailedError
 * ```
 *
 * The `RTS_<type>` reply is checked: an error status ends the stream with a
 * {@link QueryFailedError}; a missing one is tolerated (the C++ TrackingDataServer example never
 * sends RTS_TDATA), after `timeoutMs` the stream simply stops waiting for it. Note that this
 * example server also closes the connection after STP_TDATA (PLUS keeps it open).
 *
 * STT_ bodies (OpenIGTLink Documents/Protocol/trackingdata.md, qtrackingdata.md, video.md): STT_TDATA/STT_QTDATA carry `resolutionMs` and `coordinate`,
 * STT_VIDEO `codec` and `resolutionMs`, STT_BIND `resolutionMs` (sent in ns), the others none.
 * Options are those of the subscription that starts the shared stream.
 *
 * After a reconnect (the connection lost its channel and opened a new one) the STT_ is sent
 * again on the new channel, and its RTS_ checked as the first one's: the server on the other end
 * is a new session (or a restarted server) that was never asked, and would send nothing while
 * the connection says open. A stale connection that turns live again is the same channel: no
 * new STT_. (Needs the peer's `state$`, which every `IgtlConnection` has.) Behind a bridge
 * (`connectWebSocket`), a reconnect of the bridge's own connection to the server counts too
 * (`peerState$` back to open), while the WebSocket stays open.
 *
 * Subscribed before the connection is open, the STT_ waits in its queue for the channel that
 * opens; one taken back unwritten because its RTS_ wait ran out there is asked again when the
 * channel opens, so a server that comes up late still gets one STT_.
 *
 * The STP_ goes out when the last subscriber unsubscribes (not when the connection ended the
 * stream, nor after an error, nor while the connection is not open: no server on an open
 * channel was asked, and a lazy connection would open a channel only to send it); the peer is
 * kept subscribed until the STP_ is written and its RTS_ has come (at most `timeoutMs`), so a
 * lazy connection does not close with the STP_ still in its queue, and that RTS_ is not taken
 * for the answer to a later STT_.
 *
 * @example
 * stream(conn, 'TDATA', { resolutionMs: 20 })
 *   .pipe(splitElements(), throttleTracking(30))
 *   .subscribe((m) => draw(m.content.elements[0]));
 *
 * @param peer  the connection
 * @param type  the data type to stream
 * @param options  resolution, coordinate system, codec, device name, RTS_ timeout, scheduler
 */
export function stream<K extends StreamType>(peer: IgtlPeer, type: K, options: StreamOptions = {}): Observable<MessageOfType<K>> {
  const deviceName = options.deviceName ?? '';
  const key = `${type}\u0000${deviceName}`;
  let streams = shared.get(peer);
  if (!streams) {
    streams = new Map();
    shared.set(peer, streams);
  }
  let shared$ = streams.get(key);
  if (!shared$) {
    shared$ = startStop(peer, type, options).pipe(share({ resetOnError: true, resetOnComplete: true, resetOnRefCountZero: true }));
    streams.set(key, shared$);
  }
  return shared$.pipe(filter((m): m is MessageOfType<K> => m.type === type));
}

// One shared stream per (peer, type, device name); an entry costs one small Observable.
const shared = new WeakMap<IgtlPeer, Map<string, Observable<IgtlMessage>>>();

function startStop(peer: IgtlPeer, type: StreamType, options: StreamOptions): Observable<IgtlMessage> {
  const deviceName = options.deviceName ?? '';
  const timeoutMs = options.timeoutMs ?? 5000;
  const scheduler = options.scheduler ?? monotonicScheduler;
  return new Observable<IgtlMessage>((subscriber) => {
    let ended = false;
    const end = (): void => {
      ended = true;
    };
    // Where this channel's STT_ is: `unsent` (none asked yet, or the one asked was refused, or
    // taken back from the queue unwritten: its RTS_ wait timed out while the connection was
    // still connecting), `queued` (asked, the send not settled yet) or `written`.
    let stt: 'unsent' | 'queued' | 'written' = 'unsent';
    // Whether the path to the server is open now, and this side's own channel (they differ
    // behind a bridge); undefined: the peer does not say.
    let open: boolean | undefined;
    let near: boolean | undefined;
    // The first finalizer, because finalizers run in the order they are added: the hold must be
    // taken while the data subscription below, perhaps the peer's last subscriber, still holds
    // the peer. Taken after it, a lazy connection closed with the STP_ unsent and opened a new
    // channel to send it.
    subscriber.add(() => {
      if (ended) return;
      // No STT_ reached the peer of an open channel: none was written, or the channel it was
      // written on is gone (its server session with it), or it still waits in the queue of a
      // connection that is not open (taken back just below, with the ack). An STP_ would then
      // stop nothing, and a lazy connection would open a channel only to send it. (Behind a
      // bridge whose own link is down, an STT_ written to the bridge still reaches the server
      // on its next link, and so does the STP_ after it: only this side's channel counts.)
      if (stt === 'unsent' || near === false) return;
      const stop = createMessage(queryType('STP_', type), {}, { deviceName });
      // The STP_'s RTS_ answers nobody: in line before any request made after it (a new STT_ of
      // this stream), it is dropped instead of being taken for that request's answer.
      correlatorFor(peer).linger(queryMatcher(stop, peer), { ms: timeoutMs, scheduler });
      // Hold the peer before letting go of it, so the STP_ is written before a lazy connection closes.
      holdUntil(peer, peer.send(stop), timeoutMs, scheduler);
    });
    // Listen before asking, so the first streamed message is not missed.
    subscribeOperator(
      messagesOf(peer).pipe(filter((m) => m.type === type && (deviceName === '' || m.deviceName === deviceName))),
      subscriber,
      {
        next: (m) => subscriber.next(m),
        error: (err: unknown) => {
          end();
          subscriber.error(err);
        },
        complete: () => {
          end();
          subscriber.complete();
        },
      },
    );
    // A peer that ended as it was subscribed has ended the stream already: asking it for one
    // would only subscribe to it again (the query's reply) for nothing.
    if (subscriber.closed) return undefined;
    let ack: Subscription | undefined;
    let asked = 0;
    const ask = (): void => {
      ack?.unsubscribe();
      const id = ++asked;
      stt = 'queued';
      // Only the newest STT_'s fate counts: the one it replaces was asked of a channel now gone.
      const sent = (written: boolean): void => {
        if (id === asked) stt = written ? 'written' : 'unsent';
      };
      ack = queryReporting(peer, startMessage(type, deviceName, options), { timeoutMs, scheduler }, sent).subscribe({
        error: (err: unknown) => {
          if (err instanceof QueryTimeoutError) return; // no RTS_: tolerated
          // The channel was lost before the RTS_: the next one is asked again (linkOpen below).
          if (err instanceof ReplyLostError) return;
          end();
          subscriber.error(err);
        },
      });
    };
    ask();
    // A reconnect opens a new channel to a peer that was never asked for this stream (a new
    // session of the server, or a server that restarted): ask again, or the subscribers would
    // get nothing while the connection says open. The first opening after subscribing (the
    // connection was still connecting, or reconnecting) gets the STT_ waiting in the queue, if it
    // still waits: one that timed out there was taken back unwritten (measured: a server that
    // came up 6 s after the subscription got no STT_ at all), so it is asked again.
    let lost = false;
    const again = subscribeOperator(linkOpen(peer), subscriber, {
      next: (isOpenNow) => {
        const was = open;
        open = isOpenNow;
        if (!isOpenNow) {
          if (was === true) lost = true;
          return;
        }
        if (lost || (was === false && stt === 'unsent')) ask();
        lost = false;
      },
      // The connection's end reaches the subscribers through its messages, not its state.
      complete: () => undefined,
    });
    const nearState = subscribeOperator(nearOpen(peer), subscriber, { next: (isOpenNow) => (near = isOpenNow), complete: () => undefined });
    return () => {
      again.unsubscribe();
      nearState.unsubscribe();
      ack?.unsubscribe();
    };
  });
}

function startMessage(type: StreamType, deviceName: string, options: StreamOptions): IgtlMessage {
  const resolution = Math.round(options.resolutionMs ?? 0);
  const header = { deviceName };
  switch (type) {
    case 'TDATA':
    case 'QTDATA':
      return createMessage(type === 'TDATA' ? 'STT_TDATA' : 'STT_QTDATA', { resolution, coordinateName: options.coordinate ?? '' }, header);
    case 'VIDEO':
      return createMessage('STT_VIDEO', { codec: options.codec ?? 'H264', timeInterval: resolution }, header);
    case 'BIND':
      return createMessage('STT_BIND', { resolution: BigInt(resolution) * 1_000_000n, children: [] }, header);
    case 'POLYDATA':
    case 'TRANSFORM':
    case 'IMAGE':
    case 'POSITION':
    case 'SENSOR':
    case 'NDARRAY':
      // Empty STT_ bodies; createMessage over a union of type names needs the widening.
      return createMessage(queryType('STT_', type), {}, header) as IgtlMessage;
  }
}
