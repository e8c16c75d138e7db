// A connection is an Observable of decoded messages, with a send side that respects backpressure.
// Lazy and shared like RxJS's webSocket(): nothing connects until the first subscriber, all
// subscribers share one channel, and it closes when the last one leaves (unless `keepOpen`).
//
// The class is thin: it composes
//   lifecycle.ts       idle -> connecting -> open/stale -> reconnecting -> closed (state$ is the truth)
//   outbox.ts          send queue, flush, and what was written but not confirmed
//   framing-policy.ts  which header version each message goes out in
//   liveness.ts        stale/live, dead-peer rules, heartbeat (on the scheduler)
// and the decoder of src/protocol. Server sessions and bridge clients are the same class with
// other options (`eager`, `onMessage`), not subclasses.
import createDebug from 'debug';
import { Observable, Subject, filter, firstValueFrom, take, type SchedulerLike, type Subscription } from 'rxjs';
import { deadline } from './io-turn.js';
import { SCHEDULER_AGES, SYSTEM_AGES, monotonicScheduler } from './scheduler.js';
import { encodeMessage, encodeMessageShared, encodeOutgoing } from '../protocol/encode.js';
import { BodyTooLargeError, ConnectionError, DatagramTooLargeError, DesyncError, IgtlError, PeerClosedError, TimeoutError, UnconfirmedDeliveryError } from '../protocol/errors.js';
import { createMessage } from '../protocol/message.js';
import { MessageDecoder } from '../protocol/framer.js';
import { EMPTY_METADATA } from '../protocol/metadata.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import type { CodecRegistry } from '../protocol/registry.js';
import { Timestamp } from '../protocol/timestamp.js';
import { wireType, type HeaderVersion, type IgtlMessage } from '../protocol/types.js';
import { checkReconnectOptions, type ReconnectOptions } from './backoff.js';
import type { ByteChannel, ChannelFactory } from './channel.js';
import { outgoingHeaderVersion, type FramingRules } from './framing-policy.js';
import { Lifecycle } from './lifecycle.js';
import { Liveness } from './liveness.js';
import { Outbox } from './outbox.js';
import { PendingPings } from './pending-pings.js';
import { pullFrom, type PullOptions } from './pull.js';
import { checkSendPolicy, checkSendPolicyOption, outgoingLength, type Outgoing, type QueueStatus, type SendPolicy, type SendResult } from './send-queue.js';
import type { ConnectionState } from './state.js';
import { checkLivenessOptions, DEFAULT_STALE_AFTER_MS, type ConnectionOptions, type SendOptions } from './options.js';

/** Device name of the heartbeat GET_STATUS; an igtl-rx server's reply echoes it, which confirms delivery. */
export const HEARTBEAT_DEVICE_NAME = 'igtl-rx-ping';

export type { ConnectionOptions, SendOptions } from './options.js';

function noop(): void {}

/** Most (type, device) pairs whose lost metadata a connection logs one by one (see warnDowngrade). */
const MAX_DOWNGRADE_NOTES = 256;

/**
 * An OpenIGTLink connection: subscribe to receive decoded messages; `send()` (or `next()`) to
 * send. Bad messages never end the stream: they are reported on {@link errors$}; a byte stream
 * that cannot be trusted any more, or a peer that is gone, closes the channel (and reconnects,
 * if on). See docs/connections.md.
 */
export class IgtlConnection extends Observable<IgtlMessage> {
  private subject = new Subject<IgtlMessage>();
  private refs = 0;
  private readonly errorSubject = new Subject<IgtlError>();
  private readonly lifecycle: Lifecycle;
  private readonly outbox: Outbox;
  private readonly decoder: MessageDecoder;
  private readonly registry: CodecRegistry;
  private readonly log: createDebug.Debugger;
  private readonly scheduler: SchedulerLike;
  private readonly framing: FramingRules;
  private channel: ByteChannel | undefined;
  private liveness: Liveness | undefined;
  private pauseRequests = 0;
  /** Data messages received (not heartbeat traffic or keep-alives): the stale rule's news. */
  private dataMessages = 0;
  private messageIdCounter = 0;
  private commandIdCounter = 0;
  private peerVersion: HeaderVersion = 1;
  private readonly warnedDowngrade = new Set<string>();
  private partialSince: number | undefined;
  private skipSince: number | undefined;
  /** An error already on errors$ that is about to end the channel. */
  private reported: IgtlError | undefined;
  /** How the last channel that left unconfirmed writes confirmed delivery (for the report of those never resent). */
  private lastConfirmation: 'heartbeat' | 'none' = 'none';
  private readonly onMessage: ((msg: IgtlMessage, reply: (answer: IgtlMessage) => void) => void) | undefined;
  private readonly reply = (answer: IgtlMessage): void => this.next(answer);
  /** Write counts at which heartbeat GET_STATUS went out, awaiting their echoed replies (bounded). */
  private readonly pings = new PendingPings();
  /**
   * The message being delivered now and where its frame lies (see {@link receivedFrame}): plain
   * fields, set and cleared around each delivery -- a map from every message to its frame
   * (a WeakMap) costs more per message than encoding it again.
   */
  private delivering: IgtlMessage | undefined;
  private deliveringBytes: Uint8Array | undefined;
  private deliveringOffset = 0;
  private deliveringLength = 0;
  private deliveringFrame: Uint8Array | undefined;

  /**
   * Connection state: idle, connecting, open, stale (open but silent), reconnecting (attempt,
   * delay, reason), closed (reason).
   */
  readonly state$: Observable<ConnectionState>;
  /**
   * Bad messages (CRC mismatch, malformed, oversized, truncated), a lost byte stream
   * (DesyncError), dead peers (DeadPeerError), closes by the peer (PeerClosedError), writes
   * whose delivery was not confirmed (UnconfirmedDeliveryError) and transport errors. Never ends.
   */
  readonly errors$: Observable<IgtlError> = this.errorSubject.asObservable();
  /** Messages and bytes waiting to be written, and what was dropped or replaced so far. */
  readonly queue$: Observable<QueueStatus>;

  /**
   * @param factory  opens the channel (a transport's `connect`)
   * @param options  see {@link ConnectionOptions}
   */
  constructor(
    factory: ChannelFactory,
    private readonly options: ConnectionOptions = {},
  ) {
    super((subscriber) => {
      // A subscriber of an ended life (see finished) must not touch the next one's count.
      const life = this.subject;
      const inner = life.subscribe(subscriber);
      if (life === this.subject) this.ref();
      return () => {
        inner.unsubscribe();
        if (life === this.subject) this.unref();
      };
    });
    checkLivenessOptions(options);
    checkSendPolicyOption(options.sendPolicy);
    this.registry = options.registry ?? defaultRegistry;
    this.onMessage = options.onMessage;
    this.log = createDebug(options.logNamespace ?? 'igtl-rx:connection');
    this.scheduler = options.scheduler ?? monotonicScheduler;
    this.framing = {
      maxHeaderVersion: options.maxHeaderVersion ?? 2,
      followPeerHeaderVersion: options.followPeerHeaderVersion ?? false,
      forceHeaderVersion: options.forceHeaderVersion,
      legacyEmptyQueries: options.legacyEmptyQueries ?? true,
    };
    this.outbox = new Outbox({
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      ...(options.retainUnconfirmedBytes === undefined ? {} : { retainBytes: options.retainUnconfirmedBytes }),
      now: () => this.scheduler.now(),
      log: this.log,
      blocked: () => this.liveness?.poke(),
    });
    this.queue$ = this.outbox.queue.status$;
    this.decoder = new MessageDecoder(
      {
        message: (msg, bytes, offset, length) => {
          this.delivering = msg;
          this.deliveringBytes = bytes;
          this.deliveringOffset = offset;
          this.deliveringLength = length;
          try {
            this.receive(msg);
          } finally {
            // Nothing pinned past the delivery (the chunk, or a large message's buffer).
            this.delivering = this.deliveringBytes = this.deliveringFrame = undefined;
          }
        },
        error: (err) => this.onDecodeError(err),
      },
      { ...options, resync: 'stop' },
    );
    const reconnect: ReconnectOptions | undefined =
      options.reconnect === false || options.eager ? undefined : options.reconnect === true || options.reconnect === undefined ? {} : options.reconnect;
    if (reconnect) checkReconnectOptions(reconnect);
    this.lifecycle = new Lifecycle(
      factory,
      { reconnect, scheduler: this.scheduler, random: options.random, wanted: () => this.refs > 0 || this.keepOpen, log: this.log, label: () => this.label() },
      {
        opened: (channel) => this.onOpen(channel),
        data: (chunk) => this.onData(chunk),
        drain: () => {
          this.outbox.drained();
        },
        fault: (err) => this.reportError(err, 'lost'),
        ended: (err, wasOpen) => this.onEnded(err, wasOpen),
        finished: (reason) => this.onFinished(reason),
      },
    );
    this.state$ = this.lifecycle.state$;
    if (options.eager) this.lifecycle.start();
  }

  /** The send queue now (what `queue$` last emitted). */
  get queueStatus(): QueueStatus {
    return this.outbox.queue.snapshot;
  }

  /**
   * What is arriving now: bytes held for a message not complete yet, and bytes of an oversized
   * message (reported on errors$ as a BodyTooLargeError) still to be skipped. A skip that does
   * not finish within `readTimeoutMs` closes the channel.
   */
  get inbound(): { readonly buffered: number; readonly skipRemaining: number } {
    return { buffered: this.decoder.buffered, skipRemaining: this.decoder.skipRemaining };
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.lifecycle.state;
  }

  /** Highest header version this connection sends now (see `maxHeaderVersion`, `negotiateVersion`). */
  get headerVersion(): HeaderVersion {
    return this.framing.maxHeaderVersion;
  }

  /** Highest header version received from the peer so far (1 until it sends a v3 message). */
  get peerHeaderVersion(): HeaderVersion {
    return this.peerVersion;
  }

  /** Sets the highest header version to send (e.g. after a version negotiation). */
  setHeaderVersion(version: HeaderVersion): void {
    (this.framing as { maxHeaderVersion: HeaderVersion }).maxHeaderVersion = version;
  }

  /** The next v3 message ID of this connection (1, 2, ...; wraps at 2^32). */
  nextMessageId(): number {
    this.messageIdCounter = (this.messageIdCounter % 0xffffffff) + 1;
    return this.messageIdCounter;
  }

  /** The next COMMAND_ID of this connection (1, 2, ..., as 3D Slicer numbers them; a `connectWebSocket` connection starts at a random point). */
  nextCommandId(): number {
    this.commandIdCounter = (this.commandIdCounter % 0xffffffff) + 1;
    return this.commandIdCounter;
  }

  /**
   * @internal Starts the COMMAND_ID and v3 message ID counters at a random point instead of 1
   * (`connectWebSocket` does). The clients of a bridge share its one connection to the server, so
   * the server sees their IDs as one client's and the bridge hands every reply to every client:
   * two pages numbering from 1 both sent COMMAND_ID 1, PlusServer ran only the first (it ignores
   * an ID among the last 10 it received, vtkPlusOpenIGTLinkServer.cxx) and both pages took its
   * RTS_COMMAND for their own. From random starts, two clients' IDs meet with odds of about
   * (commands sent) / 2^32.
   */
  startIdsAtRandom(): void {
    const [commands, messages] = crypto.getRandomValues(new Uint32Array(2));
    // A counter c gives c % 0xffffffff + 1 next: any value in [1, 0xffffffff].
    this.commandIdCounter = commands! % 0xffffffff;
    this.messageIdCounter = messages! % 0xffffffff;
  }

  /**
   * Holds the connection open without consuming messages (like a subscriber that ignores them).
   * Unsubscribe the result to release it. Sending needs this (or a subscriber): a connection
   * nobody holds is not open, and sends wait for it.
   */
  connect(): Subscription {
    return this.subscribe({ error: noop });
  }

  /**
   * Sends a message. Resolves with `written` once the channel took its bytes (handed to the
   * socket: not yet proof that the peer read it, see {@link UnconfirmedDeliveryError}),
   * `replaced` when a newer message of the same type and device took its place (policy
   * `latest`), or `dropped` (policy `drop`, or `latest` for a new key while full). Rejects with a
   * typed error (EncodeError, QueueFullError, ConnectionError, DatagramTooLargeError); every
   * failure is also reported on {@link errors$}, and an ignored rejection never surfaces as
   * unhandled. While disconnected, messages wait according to their policy.
   */
  send(msg: IgtlMessage, options: SendOptions = {}): Promise<SendResult> {
    let p: Promise<SendResult>;
    try {
      const bytes = this.encodeForPeer(msg);
      const policy = options.policy === undefined ? this.policyFor(msg) : checkSendPolicy(options.policy, 'policy');
      const signal = options.signal;
      if (signal?.aborted) return Promise.resolve('dropped');
      p = new Promise<SendResult>((resolve, reject) => {
        if (!signal) return void this.outbox.enqueue(bytes, policy, keyOf(msg), resolve, reject);
        // The queue knows a waiting send by its resolve callback (see SendQueue.withdraw).
        const withdraw = (): void => {
          if (this.outbox.queue.withdraw(written)) resolve('dropped');
        };
        const written = (r: SendResult): void => {
          signal.removeEventListener('abort', withdraw);
          resolve(r);
        };
        const failed = (e: IgtlError): void => {
          signal.removeEventListener('abort', withdraw);
          reject(e);
        };
        signal.addEventListener('abort', withdraw, { once: true });
        this.outbox.enqueue(bytes, policy, keyOf(msg), written, failed);
      });
    } catch (err) {
      p = Promise.reject(err);
    }
    p.catch((err: unknown) => this.reportError(err instanceof IgtlError ? err : new ConnectionError(String(err), err), 'send failed'));
    return p;
  }

  /** Sends a message and forgets it (Observer style); failures go to {@link errors$}. */
  next(msg: IgtlMessage): void {
    try {
      this.outbox.enqueue(this.encodeForPeer(msg), this.policyFor(msg), keyOf(msg), undefined, (err) => this.reportError(err, 'send failed'));
    } catch (err) {
      this.reportError(err instanceof IgtlError ? err : new ConnectionError(String(err), err), 'send failed');
    }
  }

  /**
   * The messages as a standard `AsyncIterable` for `for await` consumers that set the pace: when
   * the consumer falls `highWaterMark` messages behind, reading from the socket pauses (TCP flow
   * control), so a slow consumer gets every message with bounded memory. Pausing affects every
   * subscriber of this connection. Breaking out of the loop unsubscribes. (ix implements it; for
   * ix operators, wrap it: `from(conn.messages())` of `ix/asynciterable`.)
   */
  messages(options: PullOptions = {}): AsyncIterable<IgtlMessage> {
    return pullFrom({ source: this, pause: () => this.pauseReading(), resume: () => this.resumeReading() }, { ...this.options.pull, ...options });
  }

  /** Stops reading from the channel (reference-counted with {@link resumeReading}). */
  pauseReading(): void {
    if (++this.pauseRequests === 1) this.channel?.pause();
  }

  /** Undoes one {@link pauseReading}. */
  resumeReading(): void {
    if (this.pauseRequests > 0 && --this.pauseRequests === 0) {
      this.channel?.resume();
      // What the peer sent meanwhile waits unread: the silence was ours. Its clocks start now.
      const liveness = this.liveness;
      if (liveness) {
        const now = this.scheduler.now();
        if (this.partialSince !== undefined) this.partialSince = now;
        if (this.skipSince !== undefined) this.skipSince = now;
        liveness.resumed(now);
      }
    }
  }

  /**
   * The client half of the v3 handshake (docs/connections.md#header-versions): sends a COMMAND named `Version`
   * in legacy framing (which every peer can at least skip: the Debian 1.11 library cannot skip
   * v3 framing) and picks the header version from what comes back (docs/connections.md, "Which
   * peer gets which header version"):
   * - an answer that states `IGTLHeaderVersion` (metadata, or an igtl-rx server's XML attribute)
   *   or else `IGTLProtocolVersion` is taken at its word;
   * - an answer that states neither still proves a protocol-3 peer (COMMAND/RTS_COMMAND exist
   *   only there): PLUS answers a v1 client in v1, which drops the metadata that says so; v2;
   * - no answer within `timeoutMs` (default 2000): v2 if the peer has itself sent v3 framing
   *   (3D Slicer announces with a v3 STATUS on connect and answers no `Version`), else v1.
   * When the result is v2 and the peer has not yet seen v3 framing from us, an unnamed STATUS with
   * metadata goes out in v3 framing (what Slicer sends on connect): PLUS answers each client in the
   * highest version it has received from it, so its later replies carry their metadata.
   * The result replaces `maxHeaderVersion`. Resolves with the header version now in use.
   */
  async negotiateVersion(options: { timeoutMs?: number } = {}): Promise<HeaderVersion> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const commandId = this.nextCommandId();
    const reply = firstValueFrom(
      this.pipe(
        filter((m): m is IgtlMessage & { type: 'RTS_COMMAND' } => m.type === 'RTS_COMMAND' && m.content.commandId === commandId),
        take(1),
        deadline(timeoutMs, this.scheduler, () => new TimeoutError(`no answer to the Version command in ${timeoutMs} ms`, timeoutMs)),
      ),
    );
    reply.catch(noop);
    const request = createMessage(
      'COMMAND',
      { commandId, commandName: 'Version', encoding: 3, command: '<Command Name="Version" />' },
      { headerVersion: 1, deviceName: 'command', timestamp: Timestamp.ZERO },
    );
    let version: HeaderVersion;
    try {
      await this.send(request, { policy: 'lossless' });
      const answer = await reply;
      // In metadata (v3 framing) or, from igtl-rx servers, also as XML attributes (legacy framing).
      const field = (key: string) => Number(answer.metadata.get(key)?.value ?? new RegExp(`\\b${key}="(\\d+)"`).exec(answer.content.command)?.[1]);
      const header = field('IGTLHeaderVersion');
      const protocol = field('IGTLProtocolVersion');
      version = header > 0 ? (header >= 2 ? 2 : 1) : protocol > 0 ? (protocol >= 3 ? 2 : 1) : 2;
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      version = this.peerVersion;
      this.log('%s: %s; header version %d (the highest the peer has sent)', this.label(), err.message, version);
    }
    this.setHeaderVersion(version);
    if (version === 2 && this.peerVersion === 1) {
      const metadata = new Map([['igtl-rx', { value: 'announce', encoding: 3 }]]);
      await this.send(
        createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { headerVersion: 2, deviceName: '', timestamp: Timestamp.ZERO, metadata }),
        { policy: 'lossless' },
      );
    }
    return version;
  }

  /**
   * Drops the current channel and opens a new one after the first backoff delay
   * (`reconnect.initialDelayMs`), as after a network change. The old channel is
   * closed gracefully, so what was already written still reaches a peer that reads it within
   * 5 s (a peer that does not read loses it: the socket is destroyed then); messages sent
   * meanwhile wait per their policy. Does nothing unless a channel is open or opening.
   */
  reconnect(): void {
    this.channel?.close();
    this.lifecycle.restart();
  }

  /**
   * Closes the connection: waiting `lossless` sends fail, subscribers complete, state becomes
   * `closed`. Subscribing again opens a new connection.
   */
  close(): void {
    this.channel?.close();
    this.lifecycle.stop();
  }

  // -------------------------------------------------------------------------------------------

  private get keepOpen(): boolean {
    return this.options.keepOpen === true || this.options.eager === true;
  }

  private policyFor(msg: IgtlMessage): SendPolicy {
    const p = this.options.sendPolicy;
    return p === undefined ? 'lossless' : typeof p === 'function' ? checkSendPolicy(p(msg), 'sendPolicy') : p;
  }

  /** Frames a message for this peer: header version (framing-policy.ts), message ID. */
  private encodeForPeer(msg: IgtlMessage): Outgoing {
    const version = this.outgoingVersion(msg);
    return encodeFramed(msg, version, version === 2 && msg.messageId === 0 ? this.nextMessageId() : msg.messageId, this.registry, this.options.maxMessageSize);
  }

  /**
   * @internal The header version `msg` goes out in to this peer now (framing-policy.ts); notes
   * (once per type and device) metadata that a v1 peer will not get. For server fan-out.
   */
  outgoingVersion(msg: IgtlMessage): HeaderVersion {
    const version = outgoingHeaderVersion(msg, this.peerVersion, this.framing, this.registry);
    if (version === 1 && msg.headerVersion === 2 && msg.metadata.size > 0) this.warnDowngrade(msg);
    return version;
  }

  /**
   * @internal Queues bytes already framed for this peer (see {@link outgoingVersion} and
   * {@link encodeFramed}) under this connection's policy and queue, with nobody waiting on the
   * result: no Promise. `key` is {@link sendKey} of the message. Returns true when the bytes
   * were queued (possibly replacing an older `latest` message), false when they were dropped by
   * policy or refused (QueueFullError, reported on errors$). Used by `IgtlServer.broadcast`.
   */
  sendEncoded(bytes: Outgoing, msg: IgtlMessage, key: string, policy: SendPolicy | undefined): boolean {
    // An idle channel takes it without a queue entry (outbox.ts, enqueueShared).
    return this.outbox.enqueueShared(bytes, this.sendFailed) || this.outbox.enqueue(bytes, policy ?? this.policyFor(msg), key, undefined, this.sendFailed);
  }

  /**
   * @internal The frame of `msg` exactly as the peer sent it (a view on the received bytes, CRC
   * verified when checked; the framer never writes them again) while `msg` is being delivered
   * to subscribers -- synchronously, from inside their `next` -- else undefined. For a relay
   * that forwards a message unchanged instead of encoding it again (the bridge, see
   * {@link keepsItsFraming}); one that gets the message later (a throttle's trailing value)
   * encodes it.
   */
  receivedFrame(msg: IgtlMessage): Uint8Array | undefined {
    if (msg !== this.delivering) return undefined;
    // One view per message, made when first asked for (a plain view: a Buffer's subarray would build a Buffer).
    const bytes = this.deliveringBytes!;
    this.deliveringFrame ??= new Uint8Array(bytes.buffer, bytes.byteOffset + this.deliveringOffset, this.deliveringLength);
    return this.deliveringFrame;
  }

  /** @internal A send that failed before it was queued (an encode error in fan-out): reported on errors$. */
  reportSendError(err: unknown): void {
    this.sendFailed(err instanceof IgtlError ? err : new ConnectionError(String(err), err));
  }

  private readonly sendFailed = (err: IgtlError): void => this.reportError(err, 'send failed');

  /**
   * Logs once per (type, device) that a v1 peer does not get a message's metadata. At most
   * MAX_DOWNGRADE_NOTES pairs are remembered: the set lives as long as the connection (across
   * reconnects), and a sender that names every message anew (a frame counter) grew it for ever
   * (measured: a server relaying 100,000 names to one v1 client, heap +16.7 MB; now +5.4 MB, and
   * +5.0 MB for 300,000: the outbox's unconfirmed window). Past the limit one line says the rest
   * is not logged.
   */
  private warnDowngrade(msg: IgtlMessage): void {
    const key = keyOf(msg);
    const noted = this.warnedDowngrade;
    if (noted.has(key) || noted.size > MAX_DOWNGRADE_NOTES) return;
    if (noted.size === MAX_DOWNGRADE_NOTES) {
      noted.add(key); // the one past the limit: size says the line was written
      this.log('%s: peer takes header version 1: metadata of more than %d (type, device) pairs not sent; not logged one by one', this.label(), MAX_DOWNGRADE_NOTES);
      return;
    }
    noted.add(key);
    this.log('%s: peer takes header version 1, so the metadata of %s "%s" is not sent (%d keys)', this.label(), wireType(msg), msg.deviceName, msg.metadata.size);
  }

  private label(): string {
    return this.options.name ?? this.channel?.remote ?? 'connection';
  }

  private reportError(err: IgtlError, what: string): void {
    this.log('%s: %s: %s', this.label(), what, err.message);
    this.errorSubject.next(err);
  }

  private ref(): void {
    if (++this.refs === 1) this.lifecycle.start();
  }

  private unref(): void {
    if (--this.refs === 0 && !this.keepOpen) {
      this.channel?.close();
      this.lifecycle.stop();
    }
  }

  // --- the channel's life ----------------------------------------------------------------------

  private onOpen(channel: ByteChannel): void {
    this.channel = channel;
    this.peerVersion = 1;
    this.partialSince = this.skipSince = undefined;
    this.pings.clear();
    this.decoder.reset();
    if (this.pauseRequests > 0) channel.pause();
    this.log('%s: open', this.label());
    const announce = this.options.announceV3;
    if (announce) {
      const metadata = announce === true ? new Map([['igtl-rx', { value: 'announce', encoding: 3 }]]) : announce;
      const status: IgtlMessage = {
        type: 'STATUS', headerVersion: 2, deviceName: '', timestamp: Timestamp.ZERO, messageId: this.nextMessageId(), metadata,
        content: { code: 1, subcode: 0n, errorName: '', statusMessage: '' },
      };
      channel.write(encodeMessage(status, { registry: this.registry }));
    }
    this.outbox.attach(channel);
    const o = this.options;
    const hb = o.heartbeat === false ? undefined : o.heartbeat;
    this.liveness = new Liveness(
      {
        staleAfterMs: channel.expectsData === false ? undefined : positive(o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS),
        idleTimeoutMs: positive(o.idleTimeoutMs),
        readTimeoutMs: positive(o.readTimeoutMs ?? 30_000),
        skipTimeoutMs: positive(o.readTimeoutMs ?? 30_000),
        writeStallMs: channel.kind === 'datagram' ? undefined : positive(o.writeStallMs ?? 10_000),
        heartbeat: hb,
      },
      {
        partialSince: () => this.partialSince,
        skippingSince: () => this.skipSince,
        blockedSince: () => this.outbox.stalledSince(),
        unconfirmed: () => this.outbox.unconfirmedCount > 0,
        readingPaused: () => this.pauseRequests > 0,
        pendingReceived: () => this.decoder.pendingReceived,
      },
      {
        stale: (silentMs) => {
          this.log('%s: stale: no data for %d ms', this.label(), silentMs);
          this.lifecycle.setStale(silentMs);
        },
        live: () => this.lifecycle.setStale(undefined),
        dead: (err) => this.failChannel(err),
        ping: (message) => this.ping(message),
      },
      this.scheduler,
      this.label(),
      // Ages that count a suspended machine's sleep: on the system's clocks, not a scheduler of the user's.
      this.options.scheduler === undefined ? SYSTEM_AGES : SCHEDULER_AGES,
    );
  }

  private onData(chunk: Uint8Array): void {
    const liveness = this.liveness;
    if (!liveness) return;
    // One clock read per chunk (a tracker at 1 kHz in 106-byte reads: it was two, ~5% of the chunk's cost).
    const now = this.scheduler.now();
    liveness.bytesIn(now);
    const decoder = this.decoder;
    if (decoder.desynced) return;
    const before = decoder.buffered;
    const data = this.dataMessages;
    decoder.push(chunk);
    if (this.dataMessages !== data) this.liveness?.dataIn(now);
    if (this.channel?.kind === 'datagram') decoder.end();
    // Deadlines of the read and skip rules start when a partial message or a skip starts.
    let poke = false;
    if (decoder.buffered === 0) this.partialSince = undefined;
    else if (before === 0 || this.partialSince === undefined) {
      this.partialSince = now;
      poke = true;
    }
    if (decoder.skipRemaining === 0) this.skipSince = undefined;
    else if (this.skipSince === undefined) {
      this.skipSince = now;
      poke = true;
    }
    if (poke) this.liveness?.poke();
  }

  private receive(msg: IgtlMessage): void {
    // A message completed: the read rule's clock restarts with the next partial one.
    this.partialSince = undefined;
    if (msg.headerVersion === 2) this.peerVersion = 2;
    // The hot path stays small (tracking at kHz): heartbeat traffic is only ever a (GET_)STATUS.
    if (msg.type === 'STATUS' || msg.type === 'GET_STATUS') {
      if (this.heartbeatTraffic(msg)) return;
      // PLUS's keep-alives and answers to GET_STATUS say the peer is there, not that data comes.
      if (!isPresenceOnly(msg)) this.dataMessages++;
    } else this.dataMessages++;
    if (this.onMessage) this.callOnMessage(this.onMessage, msg);
    this.subject.next(msg);
  }

  /**
   * The user's `onMessage`: what it throws is reported on errors$ and the message still goes to
   * the subscribers. Thrown on, it escaped from the socket's data handler (an uncaught
   * exception) and lost the message with the rest of its chunk.
   */
  private callOnMessage(onMessage: NonNullable<typeof this.onMessage>, msg: IgtlMessage): void {
    try {
      onMessage(msg, this.reply);
    } catch (err) {
      this.reportError(new ConnectionError(`${this.label()}: onMessage threw: ${err instanceof Error ? err.message : String(err)}`, err), 'onMessage');
    }
  }

  /** Notes what a (GET_)STATUS says of the peer's heartbeat; true when it was heartbeat traffic (handled). */
  private heartbeatTraffic(msg: IgtlMessage): boolean {
    const ours = msg.deviceName === HEARTBEAT_DEVICE_NAME;
    // Who takes part in heartbeats: a peer that echoes our ping or pings us (igtl-rx), and PLUS,
    // whose answers to GET_STATUS and keep-alives are unnamed legacy-framed STATUS messages. Not
    // 3D Slicer's unnamed v3 STATUS sent on connect: Slicer is not known to answer GET_STATUS, and
    // a peer pinged that never answers would be declared dead whenever it is quiet.
    if (ours || isKeepAlive(msg)) this.liveness?.answered();
    if (!ours) return false;
    this.answerHeartbeat(msg);
    return true;
  }

  /**
   * Heartbeat traffic is the connection's own business: a peer's GET_STATUS ping is answered
   * here (every igtl-rx connection answers, server or not), and the echo of ours confirms that
   * the peer has read everything written before it. Neither reaches subscribers.
   */
  private answerHeartbeat(msg: IgtlMessage): void {
    if (msg.type === 'GET_STATUS') {
      const reply: IgtlMessage = {
        type: 'STATUS', headerVersion: msg.headerVersion, deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO,
        messageId: msg.headerVersion === 2 ? msg.messageId : 0, metadata: EMPTY_METADATA, content: { code: 1, subcode: 0n, errorName: '', statusMessage: '' },
      };
      this.outbox.writeNow(this.encodeForPeer(reply));
      return;
    }
    // A STATUS echo (igtl-rx, housekeeping) or any other reply naming our ping (an RTS_).
    const seq = this.pings.shift();
    if (seq !== undefined) this.outbox.confirm(seq);
  }

  private onDecodeError(err: IgtlError): void {
    this.reportError(err, 'bad message');
    // A datagram is decoded on its own (the decoder ends after each one, see onData): one that is
    // not OpenIGTLink, or whose header declares too large a body, loses that datagram, not the
    // socket. Any host can send to a UDP port, and a receiver never reconnects: closing would end
    // it for good (`oversize: 'close'` is for a stream, where a lying header swallows what follows).
    const stream = this.channel?.kind !== 'datagram';
    const closeOnOversize = err instanceof BodyTooLargeError && this.options.oversize === 'close' && stream;
    const lostStream = err instanceof DesyncError && stream;
    if (lostStream || closeOnOversize) {
      // Not from inside the framer's loop: finish this chunk, then drop the channel. (Reported
      // once: here, not again as the reason the channel ended.)
      this.reported = err;
      queueMicrotask(() => this.failChannel(err));
    }
  }

  private ping(message: 'GET_STATUS' | 'STATUS'): void {
    const msg: IgtlMessage = message === 'STATUS'
      ? { type: 'STATUS', headerVersion: 1, deviceName: '', timestamp: Timestamp.ZERO, messageId: 0, metadata: EMPTY_METADATA, content: { code: 1, subcode: 0n, errorName: '', statusMessage: '' } }
      : { type: 'GET_STATUS', headerVersion: 1, deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO, messageId: 0, metadata: EMPTY_METADATA, content: {} };
    let bytes: Outgoing;
    try {
      bytes = this.encodeForPeer(msg);
    } catch (err) {
      this.reportError(err instanceof IgtlError ? err : new ConnectionError(String(err), err), 'heartbeat');
      return;
    }
    // Its place in the write order is what a reply confirms.
    if (this.outbox.writeNow(bytes) && message === 'GET_STATUS') this.pings.push(this.outbox.writtenCount);
  }

  /** Drops the current channel because of `err` (reported on errors$), then reconnects or finishes. */
  private failChannel(err: IgtlError): void {
    this.lifecycle.fail(err);
  }

  private onEnded(err: Error | undefined, wasOpen: boolean): void {
    this.liveness?.stop();
    this.liveness = undefined;
    const channel = this.channel;
    this.channel = undefined;
    // Only a channel that failed reports what it left unconfirmed (see below).
    const unconfirmed = this.outbox.detach(wasOpen && err !== undefined);
    // A message cut off by a failure is reported (TruncatedMessageError), never lost silently;
    // after a desync the rest of the stream is noise, not a message.
    if (err && !this.decoder.desynced) this.decoder.end();
    this.decoder.reset();
    this.partialSince = this.skipSince = undefined;
    if (err && err !== this.reported) this.errorSubject.next(err instanceof IgtlError ? err : new ConnectionError(err.message, err));
    this.reported = undefined;
    // Only the user's messages are in it: heartbeat traffic is not kept (Outbox.writeNow).
    if (wasOpen && unconfirmed && err) {
      const resent = this.options.resendUnconfirmed === true;
      this.reportError(
        new UnconfirmedDeliveryError(channel?.remote ?? this.label(), unconfirmed.messages, unconfirmed.bytes, unconfirmed.frames, unconfirmed.confirmed ? 'heartbeat' : 'none', resent),
        'delivery unconfirmed',
      );
      this.lastConfirmation = unconfirmed.confirmed ? 'heartbeat' : 'none';
      if (resent) this.outbox.requeue(unconfirmed.frames);
    }
  }

  /** The end of this connection's life: fail waiting sends, end the subscribers' streams. */
  private onFinished(reason: Error | undefined): void {
    const why = reason ? `connection closed: ${reason.message}` : 'connection closed';
    // An eager connection (a server session, a bridge client) never opens again: a send to it
    // now could only wait for ever (its promise never settled), so it is refused.
    const notResent = this.options.eager === true ? this.outbox.close(why) : this.outbox.clear(why);
    // Reported as being sent again (resendUnconfirmed), they never were: reported again, as not resent.
    if (notResent.length > 0) {
      const frames = notResent.map((m) => oneBuffer(m));
      let bytes = 0;
      for (const f of frames) bytes += f.length;
      this.reportError(new UnconfirmedDeliveryError(this.label(), frames.length, bytes, frames, this.lastConfirmation, false), 'delivery unconfirmed');
    }
    const subject = this.subject;
    this.subject = new Subject<IgtlMessage>();
    this.refs = 0;
    // A clean close by the peer ends the stream normally (as RxJS's webSocket does); the state
    // and errors$ still say who closed it.
    if (reason && !(reason instanceof PeerClosedError)) subject.error(reason instanceof IgtlError ? reason : new ConnectionError(reason.message, reason));
    else subject.complete();
  }
}

/**
 * A keep-alive: an unnamed legacy-framed STATUS, what PLUS sends when it has nothing else to say
 * and answers a GET_STATUS with (vtkPlusOpenIGTLinkServer). It shows the peer takes part in
 * heartbeats (3D Slicer's unnamed STATUS on connect is v3-framed and does not); it is not data
 * (see `isPresenceOnly`).
 */
function isKeepAlive(msg: IgtlMessage): boolean {
  return msg.type === 'STATUS' && msg.deviceName === '' && msg.headerVersion === 1;
}

/**
 * A STATUS that says only "I am here": unnamed, OK, with no error name or text, in either
 * framing. Not data for the stale rule. PLUS answers every GET_STATUS (our heartbeat pings
 * included) with one, in the highest header version the client has sent it
 * (vtkPlusOpenIGTLinkServer.cxx DataReceiverThread), so once the client has sent v3 framing
 * (`announceV3`, `negotiateVersion()`) the answers to its pings are v3-framed; counted as data,
 * they made a PlusServer whose tracker had stopped `open` again after every ping (for ever with
 * a ping interval under `staleAfterMs`). Slicer's STATUS on connect has the same shape: an
 * announcement, not data. Which STATUS shows a peer takes part in heartbeats is `isKeepAlive`.
 */
function isPresenceOnly(msg: IgtlMessage): boolean {
  return msg.type === 'STATUS' && msg.deviceName === '' && msg.content.code === 1 && msg.content.subcode === 0n
    && msg.content.errorName === '' && msg.content.statusMessage === '';
}

function keyOf(msg: IgtlMessage): string {
  return `${wireType(msg)}\u0000${msg.deviceName}`;
}

/** @internal The key that identifies (type, device) for the `latest` policy. */
export const sendKey = keyOf;

/**
 * @internal Encodes `msg` in header version `version` (from the framing policy): legacy framing
 * drops the message ID and metadata; v3 framing carries `messageId` (the caller's: a
 * connection's counter, or one server-level ID shared by every session of a broadcast). With
 * `maxMessageSize` (datagrams) one buffer, refused when over it; else the parts, so a large
 * payload is sent from where it is.
 */
export function encodeFramed(msg: IgtlMessage, version: HeaderVersion, messageId: number, registry: CodecRegistry, maxMessageSize: number | undefined): Outgoing {
  let out = msg;
  if (keepsItsFraming(msg, version)) {
    // Sent as built: its header version, message ID and metadata.
  } else if (version === 1) {
    out = { ...msg, headerVersion: 1, messageId: 0, metadata: EMPTY_METADATA };
  } else {
    out = { ...msg, headerVersion: 2, messageId: msg.messageId === 0 ? messageId : msg.messageId };
  }
  // Small messages are views into a shared slab (encode.ts): no buffer of their own per message.
  // The bytes are never written again, so a broadcast can queue them for every session.
  if (maxMessageSize === undefined) {
    // A stream channel: a large payload (an image) is sent from where it is, not copied.
    return encodeOutgoing(out, { registry });
  }
  const bytes = encodeMessageShared(out, { registry });
  if (bytes.length > maxMessageSize) throw new DatagramTooLargeError(outgoingLength(bytes), maxMessageSize);
  return bytes;
}

/**
 * @internal True when framing `msg` in `version` changes nothing of it ({@link encodeFramed}):
 * the same header version, and in v3 framing a message ID of its own (0 gets the sender's).
 * A received message that keeps its framing can be forwarded as the peer's exact bytes.
 */
export function keepsItsFraming(msg: IgtlMessage, version: HeaderVersion): boolean {
  return version === msg.headerVersion && (version === 1 || msg.messageId !== 0);
}

/** A message's bytes as one buffer (its parts joined). */
function oneBuffer(bytes: Outgoing): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  const out = new Uint8Array(outgoingLength(bytes));
  let off = 0;
  for (const part of bytes) {
    out.set(part, off);
    off += part.length;
  }
  return out;
}

function positive(ms: number | undefined): number | undefined {
  return ms === undefined || ms <= 0 ? undefined : ms;
}
