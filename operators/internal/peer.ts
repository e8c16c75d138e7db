// What the connection-facing operators need of a connection. `IgtlConnection` (and every server
// session) satisfies it; tests use a fake built on TestScheduler observables.
import { NEVER, Observable, combineLatest, distinctUntilChanged, filter, map, merge, take, type SchedulerLike, type Subscribable, type Unsubscribable } from 'rxjs';
import { isOpen, type ConnectionState, type HeaderVersion, type IgtlError, type IgtlMessage, type PeerState, type SendPolicy } from '../../src/index.js';

/**
 * The structural interface of a connection as the operators see it: a stream of received
 * messages, a send, and the per-connection counters of v3 message IDs and COMMAND_IDs.
 */
export interface IgtlPeer extends Subscribable<IgtlMessage> {
  /** Sends a message; the promise settles once it is written (or rejects with why it was not). */
  send(msg: IgtlMessage, options?: { readonly policy?: SendPolicy; readonly signal?: AbortSignal }): Promise<unknown>;
  /** The next v3 MSG_ID of this connection. */
  nextMessageId(): number;
  /** The next COMMAND_ID of this connection (1, 2, ..., as 3D Slicer numbers them). */
  nextCommandId(): number;
  /**
   * Highest header version received from the peer so far, when the peer knows it (an
   * `IgtlConnection` does): lets `query` tell PLUS's v1 keep-alive STATUS from its answers.
   */
  readonly peerHeaderVersion?: HeaderVersion;
  /**
   * The connection's state, when the peer has one (an `IgtlConnection` does): tells `stream`
   * that a reconnect has opened a new channel, whose peer knows nothing of the old one's STT_.
   */
  readonly state$?: Observable<ConnectionState>;
  /**
   * The state of the OpenIGTLink peer behind a bridge (`connectWebSocket` has it): the bridge's
   * own peer connection can reconnect while the WebSocket to the bridge stays open.
   */
  readonly peerState$?: Observable<PeerState>;
  /**
   * What the peer sent that could not be decoded, when the peer reports it (an `IgtlConnection`
   * does): `query` finds there the empty `<T>` a peer answers a `GET_<T>` with when it has no
   * such data (an EmptyContentError).
   */
  readonly errors$?: Observable<IgtlError>;
}

/** The peer's messages as an Observable (RxJS `from` does not take a bare Subscribable). */
export function messagesOf(peer: IgtlPeer): Observable<IgtlMessage> {
  return new Observable<IgtlMessage>((subscriber) => peer.subscribe(subscriber));
}

/**
 * Whether this side's own channel is open (open or stale), each time that changes, starting with
 * how it is now; behind a bridge, the WebSocket's alone. Never emits for a peer without `state$`.
 */
export function nearOpen(peer: IgtlPeer): Observable<boolean> {
  return peer.state$ ? peer.state$.pipe(map(isOpen), distinctUntilChanged()) : NEVER;
}

/**
 * Whether the path to the server is open (open or stale: one channel), each time that changes,
 * starting with how it is now. Behind a bridge the path has two links, and both must be open:
 * the WebSocket's (`state$`) and the bridge's own (`peerState$`; `unknown`, said by a server
 * that is no bridge or before the bridge has spoken, counts as open), so a new channel on either
 * is a closed-then-open here. Never emits for a peer without `state$`.
 */
export function linkOpen(peer: IgtlPeer): Observable<boolean> {
  const state$ = peer.state$;
  if (!state$) return NEVER;
  const peerState$ = peer.peerState$;
  const open$ = peerState$ ? combineLatest([state$, peerState$]).pipe(map(([link, far]) => isOpen(link) && farOpen(far))) : state$.pipe(map(isOpen));
  return open$.pipe(distinctUntilChanged());
}

/** Whether the bridge's peer (as a client of the bridge sees it) is open, or not known not to be. */
function farOpen(state: PeerState): boolean {
  return state.kind === 'open' || state.kind === 'stale' || state.kind === 'unknown';
}

/**
 * Emits once, with the reason, when the channel open now is lost and the connection goes on to
 * reconnect (at once if it is reconnecting already). Not when it closes for good: its message
 * stream ends then, and with it whatever waits on it. Never emits for a peer without `state$`.
 *
 * Behind a bridge (`peerState$`) the request also crossed the bridge's own link to the server:
 * when that link, seen open, goes down, the server session that read the request is gone and
 * so is its reply, while the WebSocket to the bridge stays open. A link seen down from the start
 * does not count: the bridge holds what it could not write yet and sends it on the next link.
 */
export function channelLost(peer: IgtlPeer): Observable<Error | undefined> {
  const state$ = peer.state$;
  if (!state$) return NEVER;
  const near$ = state$.pipe(
    filter((s) => s.kind === 'reconnecting' || s.kind === 'connecting'),
    take(1),
    map((s) => (s.kind === 'reconnecting' ? s.reason : undefined)),
  );
  const peerState$ = peer.peerState$;
  return peerState$ ? merge(near$, farLinkLost(peerState$)).pipe(take(1)) : near$;
}

/** Emits once when the bridge's link to its peer, seen open (or stale), goes down; `unknown` is the near link's business. */
function farLinkLost(peerState$: Observable<PeerState>): Observable<Error> {
  return new Observable<Error>((subscriber) => {
    let seenOpen = false;
    return peerState$.subscribe((s) => {
      if (s.kind === 'open' || s.kind === 'stale') seenOpen = true;
      else if (seenOpen && s.kind !== 'unknown') {
        const why = s.kind !== 'connecting' && s.reason ? `: ${s.reason.message}` : '';
        subscriber.next(new Error(`the bridge lost its link to the peer${why}`));
        subscriber.complete();
      }
    });
  });
}

/**
 * Keeps the peer subscribed until `done` settles or `maxMs` passes, whichever comes first.
 * A lazy connection closes, and drops what it has not written yet, when its last subscriber
 * leaves; this gets a last message (an STP_, the tail of `sendTo`) out after the real
 * subscribers have gone.
 */
export function holdUntil(peer: IgtlPeer, done: Promise<unknown>, maxMs: number, scheduler: SchedulerLike): void {
  let freed = false;
  let hold: Unsubscribable | undefined;
  let timer: Unsubscribable | undefined;
  const free = (): void => {
    if (freed) return;
    freed = true;
    timer?.unsubscribe();
    hold?.unsubscribe();
  };
  hold = peer.subscribe({ error: free, complete: free });
  if (freed) hold.unsubscribe();
  if (!freed) timer = scheduler.schedule(free, maxMs);
  done.then(free, free);
}
