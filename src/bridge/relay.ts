// The relay of the peer's messages to the clients: which messages wait with the `latest` policy
// for a client that is behind (the streamed types: a stale pose is worse than none), and the
// fan-out that carries each message to every client that asked for it (fan-out.ts: one filtered
// stream per filter, one encoding per framing, the peer's own frame when the framing is kept).
// This is the hot path; everything here is built once, nothing per message or per client.
import type { IgtlConnection } from '../connection/connection.js';
import type { SendPolicy } from '../connection/send-queue.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';
import type { Observable } from 'rxjs';
import { ClientGroups, type FanOutClient } from './fan-out.js';

/** The relay's parts: the client groups, and the send policy of each message (for each client's own sends too). */
export interface Relay<C extends FanOutClient> {
  readonly groups: ClientGroups<C>;
  readonly policyOf: (msg: IgtlMessage) => SendPolicy;
}

/**
 * Builds the relay from the peer link's messages. `recipients` names the clients a reply is
 * for (reply-routes.ts), or undefined for every client.
 */
export function createRelay<C extends FanOutClient>(
  messages$: Observable<IgtlMessage>,
  upstream: IgtlConnection,
  latestTypes: readonly string[],
  recipients: (msg: IgtlMessage) => ReadonlySet<C> | undefined,
): Relay<C> {
  const latest: ReadonlySet<string> = new Set(latestTypes);
  const isStreamed = (m: IgtlMessage): boolean => latest.has(wireType(m));
  // `latest` for streamed types: a client's connection conflates only while it cannot take
  // more, so a client that keeps up still gets every pose.
  const policyOf = (m: IgtlMessage): SendPolicy => (isStreamed(m) ? 'latest' : 'lossless');
  let messageIdCounter = 0;
  // Clients' codecs (the default registry, stream framing); v3 messages without an ID get one bridge-level ID.
  // A message that keeps its framing goes to the clients as the peer's own frame (fan-out.ts).
  const groups = new ClientGroups<C>(
    messages$,
    isStreamed,
    { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => (messageIdCounter = (messageIdCounter % 0xffffffff) + 1) },
    policyOf,
    (msg) => upstream.receivedFrame(msg),
    recipients,
  );
  return { groups, policyOf };
}
