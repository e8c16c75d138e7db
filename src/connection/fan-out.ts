// Fan-out: one message to many connections (IgtlServer.broadcast, the bridge's clients), each
// through its own queue with its own policies and backpressure, encoded at most once per framing
// the connections need (legacy or v3, see docs/connections.md, "Which peer gets which header
// version"); the same bytes go to all of them. No Promise, re-encode or microtask per
// connection: a connection with nothing waiting and a writable channel takes the bytes into the
// tick's shared batch without a queue entry (Outbox.enqueueShared), the others queue them; the
// outboxes of the tick flush in one microtask, and those that took the same messages write one
// shared join, so N clients cost one encode, one join and N writes.
import { ConnectionError, IgtlError } from '../protocol/errors.js';
import type { CodecRegistry } from '../protocol/registry.js';
import type { IgtlMessage } from '../protocol/types.js';
import { encodeFramed, sendKey, type IgtlConnection } from './connection.js';
import type { Outgoing, SendPolicy } from './send-queue.js';

/** How the connections of a fan-out encode (they share these options). */
export interface FanOutEncoding {
  readonly registry: CodecRegistry;
  /** Largest encoded message (datagram channels), or undefined for streams. */
  readonly maxMessageSize: number | undefined;
  /** The ID a v3 message without one (`messageId` 0) gets: one per message, shared by every connection. */
  readonly nextMessageId: () => number;
}

/** What a fan-out did with a message. */
export interface FanOutCount {
  /** Connections whose queue took it (possibly replacing an older `latest` message of the same type and device). */
  queued: number;
  /** Connections that did not take it: dropped by policy (counted in that one's queue$), refused by a full queue or not encodable (reported on that one's errors$). */
  dropped: number;
}

/** The encodings of one message, made when first needed and then shared. */
export class SharedEncoding {
  private v1: Outgoing | IgtlError | undefined;
  private v2: Outgoing | IgtlError | undefined;
  private messageId: number;
  /** The (type, device) key of the `latest` policy. */
  readonly key: string;

  constructor(
    readonly msg: IgtlMessage,
    private readonly encoding: FanOutEncoding,
  ) {
    this.messageId = msg.messageId;
    this.key = sendKey(msg);
  }

  /** The bytes of the message for `conn` (its framing), or why it cannot be encoded. */
  bytesFor(conn: IgtlConnection): Outgoing | IgtlError {
    const version = conn.outgoingVersion(this.msg);
    const done = version === 1 ? this.v1 : this.v2;
    if (done !== undefined) return done;
    if (version === 2 && this.messageId === 0) this.messageId = this.encoding.nextMessageId();
    let bytes: Outgoing | IgtlError;
    try {
      bytes = encodeFramed(this.msg, version, this.messageId, this.encoding.registry, this.encoding.maxMessageSize);
    } catch (err) {
      bytes = err instanceof IgtlError ? err : new ConnectionError(String(err), err);
    }
    if (version === 1) this.v1 = bytes;
    else this.v2 = bytes;
    return bytes;
  }

  /**
   * Queues the message for one connection (its own policy unless `policy` is given) and counts
   * the outcome in `count`. An encoding error is reported on that connection's errors$.
   */
  offer(conn: IgtlConnection, policy: SendPolicy | undefined, count: FanOutCount): void {
    const bytes = this.bytesFor(conn);
    if (bytes instanceof IgtlError) {
      conn.reportSendError(bytes);
      count.dropped++;
    } else if (conn.sendEncoded(bytes, this.msg, this.key, policy)) count.queued++;
    else count.dropped++;
  }
}

/** Queues `msg` for every connection of `targets`; see the top of this file. */
export function fanOut(msg: IgtlMessage, targets: Iterable<IgtlConnection>, encoding: FanOutEncoding, policy?: SendPolicy): FanOutCount {
  const shared = new SharedEncoding(msg, encoding);
  const count: FanOutCount = { queued: 0, dropped: 0 };
  for (const conn of targets) shared.offer(conn, policy, count);
  return count;
}
