// The connection stand-in of the operator marble tests.
import type { Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { IgtlMessage, SendPolicy } from '../../src/index.js';
import type { IgtlPeer } from '../../operators/index.js';

/** One message the fake peer was asked to send, at a virtual frame, with the policy if one was given. */
export interface Sent {
  readonly frame: number;
  readonly msg: IgtlMessage;
  readonly policy?: SendPolicy;
}

/** An IgtlPeer that records what it is asked to send. */
export interface FakePeer extends IgtlPeer {
  /** Every send, in order. */
  readonly sent: Sent[];
  /** Every send as `'<frame> <type>'`. */
  sentTypes(): string[];
}

/**
 * A connection stand-in: receives what `incoming` (hot or cold on `scheduler`) emits, records what is
 * sent at the scheduler's frame, and settles each send with `send` (default: written). Message and
 * command IDs count from 1.
 */
export function fakePeer(
  scheduler: TestScheduler,
  incoming: Observable<IgtlMessage>,
  send: (msg: IgtlMessage) => Promise<unknown> = () => Promise.resolve('written'),
): FakePeer {
  let messageId = 0;
  let commandId = 0;
  const sent: Sent[] = [];
  return {
    sent,
    sentTypes: () => sent.map((s) => `${s.frame} ${s.msg.type}`),
    subscribe: (observer) => incoming.subscribe(observer),
    send(msg, options) {
      sent.push({ frame: scheduler.now(), msg, ...(options?.policy ? { policy: options.policy } : {}) });
      return send(msg);
    },
    nextMessageId: () => ++messageId,
    nextCommandId: () => ++commandId,
  };
}
