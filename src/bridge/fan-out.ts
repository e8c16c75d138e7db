// The bridge's fan-out: the peer's messages to every WebSocket client. Clients that asked for the
// same filter form a group with ONE filtered stream (one RxJS pipeline, one throttle), and each
// message is encoded once per framing for every client of every group (connection/fan-out.ts),
// then queued in each client's own outbox: per-client policies (`latest` while behind), queue
// limits and backpressure stay per client, so a slow tab slows nothing else. The frames are
// shared too (shared-frames.ts). Per client and message that leaves a queue push and a socket
// write; no encode, Promise, pipeline or microtask of its own.
//
// A message that goes out unchanged -- in the framing it came in, keeping its message ID (see
// keepsItsFraming), which is what every client of the bridge asks for today -- is not encoded at
// all: the peer's frame, as received and CRC-checked, is queued as it is (byte for byte what the
// peer sent, CRC included). Only a message whose framing changes is encoded (once per framing),
// and one a throttle sends later (a window's trailing sample): the frame is known only while the
// peer's message is being delivered, which costs nothing per message, where a map from every
// message to its frame cost about as much as the encode it saves.
import type { Observable, Subscription } from 'rxjs';
import { keepsItsFraming, type IgtlConnection } from '../connection/connection.js';
import { SharedEncoding, type FanOutCount, type FanOutEncoding } from '../connection/fan-out.js';
import type { SendPolicy } from '../connection/send-queue.js';
import type { IgtlMessage } from '../protocol/types.js';
import { applyClientFilter, clientFilterKey, type ClientFilter } from './client-filter.js';

/** A client as the fan-out sees it. */
export type FanOutClient = IgtlConnection & {
  readonly filter: ClientFilter;
  /** Messages handed to this client's queue so far. */
  relayed: number;
};

interface Group<C extends FanOutClient> {
  readonly clients: Set<C>;
  subscription: Subscription | undefined;
}

/** The clients of a bridge, grouped by filter, fed from the peer's stream. */
export class ClientGroups<C extends FanOutClient> {
  private readonly groups = new Map<string, Group<C>>();
  /** The encodings of the message being relayed: every group that passes it reuses them. */
  private current: SharedEncoding | undefined;

  constructor(
    private readonly source: Observable<IgtlMessage>,
    private readonly isStreamed: (msg: IgtlMessage) => boolean,
    private readonly encoding: FanOutEncoding,
    /** The send policy of every client for a message (asked once per message, not per client). */
    private readonly policyOf: (msg: IgtlMessage) => SendPolicy,
    /** A message's frame as the peer sent it, when known (IgtlConnection.receivedFrame). */
    private readonly received?: (msg: IgtlMessage) => Uint8Array | undefined,
    /**
     * The clients a message is for (a reply to the pages that asked, reply-routes.ts), or
     * undefined for every client. Asked once per message, whatever the number of groups.
     */
    private readonly route?: (msg: IgtlMessage) => ReadonlySet<C> | undefined,
  ) {}
  /** The message last routed and its recipients (groups see a message one after another). */
  private routed: { readonly msg: IgtlMessage; readonly to: ReadonlySet<C> | undefined } | undefined;

  /** Number of groups (distinct filters) now. */
  get size(): number {
    return this.groups.size;
  }

  /** Starts relaying to `client` (from the next message on). */
  join(client: C): void {
    const key = clientFilterKey(client.filter);
    let group = this.groups.get(key);
    if (!group) {
      const created: Group<C> = { clients: new Set(), subscription: undefined };
      this.groups.set(key, created);
      created.subscription = applyClientFilter(this.source, client.filter, this.isStreamed).subscribe({
        next: (msg) => this.relay(msg, created.clients),
        error: () => {}, // the peer link gave up: the bridge logs it from its state$
      });
      group = created;
    }
    group.clients.add(client);
  }

  /** Stops relaying to `client`; the last client of a group ends its stream. */
  leave(client: C): void {
    const key = clientFilterKey(client.filter);
    const group = this.groups.get(key);
    if (!group?.clients.delete(client) || group.clients.size > 0) return;
    this.groups.delete(key);
    group.subscription?.unsubscribe();
  }

  private relay(msg: IgtlMessage, clients: ReadonlySet<C>): void {
    // Groups see a message one after another (synchronously), a throttled group maybe later.
    let shared = this.current;
    if (shared?.msg !== msg) shared = this.current = new SharedEncoding(msg, this.encoding);
    const count: FanOutCount = { queued: 0, dropped: 0 };
    const policy = this.policyOf(msg);
    const frame = this.received?.(msg);
    if (this.route && this.routed?.msg !== msg) this.routed = { msg, to: this.route(msg) };
    const only = this.routed?.msg === msg ? this.routed.to : undefined;
    for (const client of clients) {
      if (only && !only.has(client)) continue;
      client.relayed++;
      // Dropped or refused sends are reported on the client's errors$ (its queue's doing).
      if (frame !== undefined && keepsItsFraming(msg, client.outgoingVersion(msg))) client.sendEncoded(frame, msg, shared.key, policy);
      else shared.offer(client, policy, count);
    }
  }
}
