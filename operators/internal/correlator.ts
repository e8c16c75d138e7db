// Request/reply correlation, the nats.js way: one map of pending requests per peer,
// a dispatcher that settles them from the peer's messages, and a cancel that removes them.
// The correlator subscribes to its peer only while requests are pending, or ghosts of requests
// given up wait for their late replies (see Correlator.reply).
import createDebug from 'debug';
import { Observable, Subscription, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import { ConnectionError, EmptyContentError, wireType, type IgtlMessage } from '../../src/index.js';
import { queryPrefix } from '../../src/protocol/query-names.js';
import { channelLost, type IgtlPeer } from './peer.js';

const log = createDebug('igtl-rx:correlator');

/** What a pending request waits for. */
export interface ReplyMatcher {
  /**
   * A token a reply carries when the peer correlates it exactly: `commandToken(id)` (RTS_COMMAND
   * COMMAND_ID), `legacyToken(id)` (STRING `ACK_<id>`), `messageToken(id)` (an echoed v3 MSG_ID).
   */
  readonly token?: string;
  /** Whether a message answers this request (checked on a token hit and in the name scan). */
  readonly accepts: (msg: IgtlMessage) => boolean;
  /**
   * Also take a reply that carries no live token, by `accepts` alone, first registered first
   * served: how 3D Slicer matches replies by type and device name. `'sole'`: only when this is
   * the one pending request that accepts it (a reply that names no request, given to one of
   * several, could be given to the wrong one).
   */
  readonly byName: boolean | 'sole';
}

/** Token of an RTS_COMMAND reply. */
export const commandToken = (commandId: number): string => `cmd:${commandId}`;
/** Token of a legacy PLUS command reply (STRING on device `ACK_<id>`). */
export const legacyToken = (id: number): string => `ack:${id}`;
/** Token of a reply that echoes a request's v3 message ID. */
export const messageToken = (messageId: number): string => `msg:${messageId}`;

const ACK = /^ACK_(\d+)$/i;

/** The tokens a received message carries. */
export function tokensOf(msg: IgtlMessage): string[] {
  const tokens: string[] = [];
  if (msg.type === 'RTS_COMMAND') tokens.push(commandToken(msg.content.commandId));
  else if (msg.type === 'STRING') {
    const ack = ACK.exec(msg.deviceName);
    if (ack) tokens.push(legacyToken(Number(ack[1])));
  }
  if (msg.messageId !== 0) tokens.push(messageToken(msg.messageId));
  return tokens;
}

/**
 * How long a request given up (timed out, unsubscribed) still owns the reply it may yet get, and
 * the scheduler of that wait. Its reply can come late, and a peer that does not echo message IDs
 * (PLUS, 3D Slicer, any v1 peer) gives it nothing another request of the same type and device
 * could tell from its own answer.
 */
export interface Afterlife {
  readonly ms: number;
  readonly scheduler: SchedulerLike;
  /** Settles true when the request turns out never to have been written: the ghost then ends. */
  readonly unsent?: Promise<boolean>;
}

interface Entry {
  readonly matcher: ReplyMatcher;
  /** The request's subscriber; undefined for a ghost: a request given up, awaiting its late reply to drop it. */
  readonly subscriber: Subscriber<IgtlMessage> | undefined;
  /** A ghost ahead of this request took a reply this request would have taken. */
  shadowed: boolean;
  /** A ghost's end: its expiry timer and its watch on the channel. */
  readonly ending?: Subscription;
}

// Tokens of requests given up (timeout, unsubscribe), or answered by a reply that carried the
// token, are remembered for a while, so that their late or repeated replies are dropped instead
// of being handed to another request by name.
const RETIRED_LIMIT = 64;

/** The pending requests of one peer. */
export class Correlator {
  private readonly pending = new Map<number, Entry>();
  private readonly byToken = new Map<string, number>();
  /** Retired tokens, each with the matcher of its request: only a message that request accepts is its late reply. */
  private readonly retired = new Map<string, ReplyMatcher>();
  private seq = 0;
  private subscription: Unsubscribable | undefined;
  private subscribing = false;
  /** Replies being handed to their requests now (see settle). */
  private handing = 0;

  constructor(private readonly peer: IgtlPeer) {}

  /** Requests waiting now (for tests and diagnostics). */
  get size(): number {
    let live = 0;
    for (const entry of this.pending.values()) if (entry.subscriber) live++;
    return live;
  }

  /** Ghosts waiting now: requests given up whose late reply would be dropped (for tests and diagnostics). */
  get ghosts(): number {
    return this.pending.size - this.size;
  }

  /**
   * The reply to one request: a cold Observable that registers the request on subscribe, emits
   * the first matching message and completes, and removes the request on unsubscribe. It errors
   * with a ConnectionError if the peer ends first. Subscribe before sending the request.
   *
   * `afterlife`, asked when the request is given up (unsubscribed before its reply), says how long
   * a request matched by name stays in line as a ghost: the first reply it accepts is dropped, as
   * the late reply it may be, instead of answering a later request of the same type and device.
   * A ghost ends at the first reply it takes, after `afterlife.ms`, when the channel is lost (its
   * reply went with it) or the peer ends. One exception keeps a peer that never answers some
   * request from failing every later one: a request that a ghost ahead of it took a reply from
   * leaves no ghost (that reply may have been its own).
   */
  reply(matcher: ReplyMatcher, afterlife?: () => Afterlife | undefined): Observable<IgtlMessage> {
    return new Observable<IgtlMessage>((subscriber) => {
      const id = ++this.seq;
      this.pending.set(id, { matcher, subscriber, shadowed: false });
      // A token already in use (a caller-chosen message ID sent twice) falls back to name matching
      // until the request holding it is done; then it passes to this one (dropToken).
      if (matcher.token !== undefined && !this.byToken.has(matcher.token)) {
        this.byToken.set(matcher.token, id);
        this.retired.delete(matcher.token);
      }
      this.connect();
      return () => this.giveUp(id, afterlife?.());
    });
  }

  /**
   * Puts a ghost in line for a message sent without waiting for its reply (an STP_, answered by
   * an RTS_ that is nobody's): the first reply `matcher` accepts is dropped instead of answering
   * a request made after it. The peer stays subscribed while the ghost waits (at most `afterlife.ms`).
   */
  linger(matcher: ReplyMatcher, afterlife: Afterlife): void {
    const id = ++this.seq;
    this.becomeGhost(id, matcher, afterlife);
    this.connect();
  }

  private giveUp(id: number, afterlife: Afterlife | undefined): void {
    const entry = this.pending.get(id);
    if (!entry?.subscriber) return;
    if (afterlife === undefined || !entry.matcher.byName || entry.shadowed) return this.remove(id, true);
    this.dropToken(id, entry.matcher);
    this.becomeGhost(id, entry.matcher, afterlife);
  }

  /** Makes `id` a ghost, in its place in line (Map.set keeps the position of a key it has). */
  private becomeGhost(id: number, matcher: ReplyMatcher, afterlife: Afterlife): void {
    const ending = new Subscription();
    this.pending.set(id, { matcher, subscriber: undefined, shadowed: false, ending });
    ending.add(afterlife.scheduler.schedule(() => this.remove(id, false), afterlife.ms));
    // A channel lost (the connection reconnects) takes the ghost's reply with it; may emit at once.
    ending.add(channelLost(this.peer).subscribe(() => this.remove(id, false)));
    // A request never written is never answered.
    void afterlife.unsent?.then((unsent) => {
      if (unsent && this.pending.get(id)?.ending === ending) this.remove(id, false);
    });
  }

  private connect(): void {
    if (this.subscription || this.subscribing || this.pending.size === 0) return;
    this.subscribing = true;
    let ended = false;
    const subscription = new Subscription();
    subscription.add(
      this.peer.subscribe({
        next: (msg) => this.dispatch(msg),
        error: (err: unknown) => {
          ended = true;
          this.failAll(err);
        },
        complete: () => {
          ended = true;
          this.failAll(new ConnectionError('connection closed before the reply arrived'));
        },
      }),
    );
    // An empty <T> is a reply too (the peer has no such data): it arrives as a decode error, in
    // its place among the messages (both come from the one decoder), and is dispatched as one.
    // Only a data type's: an empty RTS_ is a reply that cannot be read, not one that says success.
    if (!ended && this.peer.errors$) {
      subscription.add(this.peer.errors$.subscribe((err) => {
        if (err instanceof EmptyContentError && queryPrefix(err.answer.typeName) === undefined) this.dispatch(err.answer);
      }));
    }
    this.subscribing = false;
    if (ended || this.pending.size === 0) subscription.unsubscribe();
    else this.subscription = subscription;
  }

  private dispatch(msg: IgtlMessage): void {
    const tokens = tokensOf(msg);
    for (const token of tokens) {
      const id = this.byToken.get(token);
      const entry = id === undefined ? undefined : this.pending.get(id);
      if (id !== undefined && entry?.matcher.accepts(msg)) return this.settle(id, entry, msg, true);
    }
    // A message ID is an echo only from a peer that echoes; one that numbers its own messages
    // meets a retired ID by chance. So a message is a late reply only if the request whose token
    // it carries would have taken it: a TDATA numbered like a GET_STATUS given up neither is
    // dropped nor ends that request's ghost (whose real late reply would then answer a later
    // request of the same type and device).
    const late = tokens.find((t) => this.retired.get(t)?.accepts(msg) === true);
    if (late !== undefined) {
      log('dropped a late reply %s "%s" (%s): its request was given up', wireType(msg), msg.deviceName, late);
      // The ghost of that request got its reply: it has nothing more to take.
      for (const [id, entry] of this.pending) if (!entry.subscriber && entry.matcher.token === late) this.remove(id, false);
      return;
    }
    let sole: [number, Entry] | undefined;
    let candidates = 0;
    for (const [id, entry] of this.pending) {
      if (!entry.matcher.byName || !entry.matcher.accepts(msg)) continue;
      if (!entry.subscriber) return this.ghostTakes(id, msg);
      if (entry.matcher.byName === true) return this.settle(id, entry, msg, false);
      candidates++;
      sole ??= [id, entry];
    }
    if (sole !== undefined && candidates === 1) return this.settle(sole[0], sole[1], msg, false);
    if (candidates > 1) log('dropped %s "%s": it names no request, and %d could take it', wireType(msg), msg.deviceName, candidates);
    if (msg.type === 'RTS_COMMAND') log('dropped RTS_COMMAND with unknown COMMAND_ID %d', msg.content.commandId);
  }

  /**
   * `echoed`: the reply carried the request's token. The peer then correlates exactly, and a
   * second reply with that token is a duplicate (a peer that answers twice), never the answer to
   * a later request of the same type and device: the token is retired. A reply taken by name
   * retires nothing (the peer may number its own messages, and such a number is no echo).
   */
  private settle(id: number, entry: Entry, msg: IgtlMessage, echoed: boolean): void {
    // The peer stays subscribed while the reply is handed over: a caller that asks its next
    // question from there (`switchMap(() => query(...))`) finds the channel still open. Let go
    // of first, a lazy connection closed and opened a new channel for that question, and the
    // answered request, still listening for a lost channel, failed with ReplyLostError.
    this.handing++;
    try {
      this.remove(id, echoed);
      entry.subscriber?.next(msg);
      entry.subscriber?.complete();
    } finally {
      this.handing--;
      this.release();
    }
  }

  /** The ghost `id` takes `msg` (dropped); the requests behind it that wanted it are shadowed. */
  private ghostTakes(id: number, msg: IgtlMessage): void {
    log('dropped %s "%s": it may be the late reply of a request given up', wireType(msg), msg.deviceName);
    let behind = false;
    for (const [other, entry] of this.pending) {
      if (other === id) behind = true;
      else if (behind && entry.subscriber && entry.matcher.accepts(msg)) entry.shadowed = true;
    }
    this.remove(id, false);
  }

  /** Unregisters the token of `id`, retiring it (unless `retire` is false): a reply that carries it later is dropped. */
  private dropToken(id: number, matcher: ReplyMatcher, retire = true): void {
    const token = matcher.token;
    if (token === undefined || this.byToken.get(token) !== id) return;
    this.byToken.delete(token);
    // Another waiting request sent with the same ID (a caller-chosen ID used twice) takes the
    // token over: the next reply carrying it is that request's, not a late or repeated one.
    for (const [other, entry] of this.pending) {
      if (other !== id && entry.subscriber && entry.matcher.token === token) return void this.byToken.set(token, other);
    }
    if (retire) this.retire(token, matcher);
  }

  private remove(id: number, retire: boolean): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.ending?.unsubscribe();
    this.dropToken(id, entry.matcher, retire);
    this.release();
  }

  /** Unsubscribes from the peer when nothing waits any more and no reply is being handed over. */
  private release(): void {
    if (this.pending.size === 0 && this.handing === 0 && this.subscription) {
      const subscription = this.subscription;
      this.subscription = undefined;
      subscription.unsubscribe();
    }
  }

  private retire(token: string, matcher: ReplyMatcher): void {
    this.retired.delete(token);
    this.retired.set(token, matcher);
    if (this.retired.size > RETIRED_LIMIT) this.retired.delete(this.retired.keys().next().value!);
  }

  private failAll(err: unknown): void {
    this.subscription = undefined;
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.byToken.clear();
    for (const entry of entries) {
      entry.ending?.unsubscribe();
      entry.subscriber?.error(err);
    }
  }
}

const correlators = new WeakMap<IgtlPeer, Correlator>();

/** The one correlator of a peer (created on first use, garbage-collected with the peer). */
export function correlatorFor(peer: IgtlPeer): Correlator {
  let correlator = correlators.get(peer);
  if (!correlator) {
    correlator = new Correlator(peer);
    correlators.set(peer, correlator);
  }
  return correlator;
}
