// What the connection-facing operators need of a connection. `IgtlConnection` (and every server
// session) satisfies it; tests use a fake built on TestScheduler observables.
import { Observable, type SchedulerLike, type Subscribable, type Unsubscribable } from 'rxjs';
import type { HeaderVersion, IgtlMessage, SendPolicy } from '../../src/index.js';

/**
 * The structural interface of a connection as the operators see it: a stream of received
 * messages, a send, and the per-connection counters of v3 message IDs and COMMAND_IDs.
 */
export interface IgtlPeer extends Subscribable<IgtlMessage> {
  /** Sends a message; the promise settles once it is written (or rejects with why it was not). */
  send(msg: IgtlMessage, options?: { readonly policy?: SendPolicy }): Promise<unknown>;
  /** The next v3 MSG_ID of this connection. */
  nextMessageId(): number;
  /** The next COMMAND_ID of this connection (1, 2, ..., as 3D Slicer numbers them). */
  nextCommandId(): number;
  /**
   * Highest header version received from the peer so far, when the peer knows it (an
   * `IgtlConnection` does): lets `query` tell PLUS's v1 keep-alive STATUS from its answers.
   */
  readonly peerHeaderVersion?: HeaderVersion;
}

/** The peer's messages as an Observable (RxJS `from` does not take a bare Subscribable). */
export function messagesOf(peer: IgtlPeer): Observable<IgtlMessage> {
  return new Observable<IgtlMessage>((subscriber) => peer.subscribe(subscriber));
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
