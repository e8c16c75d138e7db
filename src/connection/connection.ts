// A connection is an Observable of decoded messages, with a send side that respects backpressure.
// Lazy and shared like RxJS's webSocket(): nothing connects until the first subscriber, all
// subscribers share one channel, and it closes when the last one leaves (unless `keepOpen`).
import createDebug from 'debug';
import { BehaviorSubject, Observable, Subject, asyncScheduler, filter, firstValueFrom, interval, take, timeout, timer, type SchedulerLike, type Subscription } from 'rxjs';
import type { AsyncIterableX } from 'ix/asynciterable';
import { encodeMessage, encodeMessageParts } from '../protocol/encode.js';
import { BodyTooLargeError, ConnectionError, DatagramTooLargeError, IgtlError, TimeoutError } from '../protocol/errors.js';
import { createMessage } from '../protocol/message.js';
import { MessageDecoder } from '../protocol/framer.js';
import type { DecodeOptions } from '../protocol/decode.js';
import { EMPTY_METADATA, type Metadata } from '../protocol/metadata.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import type { CodecRegistry } from '../protocol/registry.js';
import { Timestamp } from '../protocol/timestamp.js';
import { wireType, type HeaderVersion, type IgtlMessage } from '../protocol/types.js';
import { backoffDelay, type ReconnectOptions } from './backoff.js';
import type { ByteChannel, ChannelEvent, ChannelFactory } from './channel.js';
import { pullFrom, type PullOptions } from './pull.js';
import { SendQueue, outgoingLength, type Outgoing, type QueueLimits, type QueueStatus, type SendPolicy, type SendResult } from './send-queue.js';
import type { ConnectionState } from './state.js';

/** Options of a connection (client or server session). */
export interface ConnectionOptions extends DecodeOptions {
  /** Label for log lines (default: the channel's remote address). */
  readonly name?: string;
  /** `debug` namespace for this connection's log lines (default `igtl-rx:connection`). */
  readonly logNamespace?: string;
  /** Reconnect after a failure or a close by the peer (default true for clients). */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Stay connected when the last subscriber leaves (default false). */
  readonly keepOpen?: boolean;
  /**
   * Highest header version to send (default 2). A message built in v3 framing is sent in legacy
   * framing when this is 1 (its metadata cannot travel then, which is logged once per type+device).
   */
  readonly maxHeaderVersion?: HeaderVersion;
  /**
   * Cap the header version at the highest one the peer has sent (PLUS's rule for servers: answer
   * each client with min(own maximum, client's version)). Default false for clients.
   */
  readonly followPeerHeaderVersion?: boolean;
  /** Send every message in this framing regardless of how it was built (still capped by the maximum). */
  readonly forceHeaderVersion?: HeaderVersion;
  /**
   * Send GET_/STT_/STP_ queries that have no content and no metadata in legacy framing even when
   * v3 is allowed (default true): the C++ library does not unpack 14-byte v3 bodies.
   */
  readonly legacyEmptyQueries?: boolean;
  /**
   * On every (re)connect, announce v3 the way 3D Slicer does: a STATUS with an empty device name
   * in v3 framing with metadata (default off). PLUS then answers in v3 framing.
   */
  readonly announceV3?: boolean | Metadata;
  /** Policy of `send()`/`next()` when none is given (default `lossless`). */
  readonly sendPolicy?: SendPolicy | ((msg: IgtlMessage) => SendPolicy);
  /** High-water marks of the send queue. */
  readonly queue?: QueueLimits;
  /** Largest message this channel can carry (a UDP datagram); larger sends fail. */
  readonly maxMessageSize?: number;
  /** Defaults of `messages()`. */
  readonly pull?: PullOptions;
  /**
   * Close the connection (and reconnect, if on) when nothing at all has been received for this
   * long, ms (default off). With `heartbeat`, this detects half-open connections.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Close the connection when a message has been arriving for this long without completing, ms
   * (default off for clients, 60 000 for server sessions): defeats a peer that trickles bytes
   * (slowloris) to hold buffers and connections.
   */
  readonly readTimeoutMs?: number;
  /**
   * Send a message every `intervalMs` while open so that a silent peer still answers (default
   * off). `GET_STATUS` (the default) is answered by PLUS and igtl-rx servers; `STATUS` is the
   * keep-alive PLUS itself sends.
   */
  readonly heartbeat?: { readonly intervalMs: number; readonly message?: 'GET_STATUS' | 'STATUS' };
  /**
   * What to do after a message whose BODY_SIZE is over `maxBodySize` has been reported: `skip`
   * its bytes and carry on (default for clients), or `close` the connection (default for server
   * sessions: a lying header from an untrusted peer is not worth reading past).
   */
  readonly oversize?: 'skip' | 'close';
  /** Scheduler of the reconnection timers (tests pass a virtual-time scheduler). */
  readonly scheduler?: SchedulerLike;
  /** Source of jitter in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** Per-send options. */
export interface SendOptions {
  /** Overrides the connection's default policy for this message. */
  readonly policy?: SendPolicy;
}

function noop(): void {}

/**
 * An OpenIGTLink connection: subscribe to receive decoded messages; `send()` (or `next()`) to
 * send. Bad messages never end the stream: they are reported on {@link errors$}. See
 * docs/connections.md.
 */
export class IgtlConnection extends Observable<IgtlMessage> {
  private subject = new Subject<IgtlMessage>();
  private readonly stateSubject = new BehaviorSubject<ConnectionState>({ kind: 'idle' });
  private readonly errorSubject = new Subject<IgtlError>();
  private readonly sendQueue: SendQueue;
  private readonly decoder: MessageDecoder;
  private readonly registry: CodecRegistry;
  private readonly log: createDebug.Debugger;
  private readonly scheduler: SchedulerLike;
  private readonly reconnectOptions: ReconnectOptions | undefined;
  private channel: ByteChannel | undefined;
  private blocked = false;
  private flushScheduled = false;
  private refs = 0;
  private epoch = 0;
  private run: Subscription | undefined;
  private retryTimer: Subscription | undefined;
  private pauseRequests = 0;
  private messageIdCounter = 0;
  private commandIdCounter = 0;
  private maxVersion: HeaderVersion;
  private peerVersion: HeaderVersion = 1;
  private readonly warnedDowngrade = new Set<string>();
  private watchdog: Subscription | undefined;
  private lastData = 0;
  private progressAt = 0;
  private lastHeartbeat = 0;
  private discarding = false;

  /** Connection state: idle, connecting, open, reconnecting (attempt, delay), closed (reason). */
  readonly state$: Observable<ConnectionState> = this.stateSubject.asObservable();
  /** Bad messages (CRC mismatch, malformed, oversized, truncated) and transport errors. Never ends. */
  readonly errors$: Observable<IgtlError> = this.errorSubject.asObservable();
  /** Messages and bytes waiting to be written, and what was dropped or replaced so far. */
  readonly queue$: Observable<QueueStatus>;

  /**
   * @param factory  opens the channel (a transport's `connect`)
   * @param options  see {@link ConnectionOptions}
   */
  constructor(
    private readonly factory: ChannelFactory,
    private readonly options: ConnectionOptions = {},
  ) {
    super((subscriber) => {
      // Subscribers of an ended life (see finish) must not touch the next one's count.
      const epoch = this.epoch;
      const inner = this.subject.subscribe(subscriber);
      if (epoch === this.epoch) this.ref();
      return () => {
        inner.unsubscribe();
        if (epoch === this.epoch) this.unref();
      };
    });
    this.registry = options.registry ?? defaultRegistry;
    this.log = createDebug(options.logNamespace ?? 'igtl-rx:connection');
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.reconnectOptions = options.reconnect === false ? undefined : options.reconnect === true || options.reconnect === undefined ? {} : options.reconnect;
    this.maxVersion = options.maxHeaderVersion ?? 2;
    this.sendQueue = new SendQueue(options.queue);
    this.queue$ = this.sendQueue.status$;
    this.decoder = new MessageDecoder(
      {
        message: (msg) => this.receive(msg),
        error: (err) => {
          this.reportError(err, 'bad message');
          if (err instanceof BodyTooLargeError && this.options.oversize === 'close') {
            // Not from inside the framer's loop: finish this chunk, then drop the channel.
            this.discarding = true;
            queueMicrotask(() => this.failChannel(err));
          }
        },
      },
      options,
    );
  }

  /** The send queue now (what `queue$` last emitted). */
  get queueStatus(): QueueStatus {
    return this.sendQueue.snapshot;
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.stateSubject.value;
  }

  /** Highest header version this connection sends now (see `maxHeaderVersion`, `negotiateVersion`). */
  get headerVersion(): HeaderVersion {
    return this.maxVersion;
  }

  /** Highest header version received from the peer so far (1 until it sends a v3 message). */
  get peerHeaderVersion(): HeaderVersion {
    return this.peerVersion;
  }

  /** Sets the highest header version to send (e.g. after a version negotiation). */
  setHeaderVersion(version: HeaderVersion): void {
    this.maxVersion = version;
  }

  /** The next v3 message ID of this connection (1, 2, ...; wraps at 2^32). */
  nextMessageId(): number {
    this.messageIdCounter = (this.messageIdCounter % 0xffffffff) + 1;
    return this.messageIdCounter;
  }

  /** The next COMMAND_ID of this connection (1, 2, ..., as 3D Slicer numbers them). */
  nextCommandId(): number {
    this.commandIdCounter = (this.commandIdCounter % 0xffffffff) + 1;
    return this.commandIdCounter;
  }

  /**
   * Holds the connection open without consuming messages (like a subscriber that ignores them).
   * Unsubscribe the result to release it.
   */
  connect(): Subscription {
    return this.subscribe({ error: noop });
  }

  /**
   * Sends a message. Resolves with `written` once it is handed to the channel, `replaced` when a
   * newer message of the same type and device took its place (policy `latest`), or `dropped`
   * (policy `drop`, or `latest` for a new key while full). Rejects with a typed error
   * (EncodeError, QueueFullError, ConnectionError, DatagramTooLargeError); every failure is also
   * reported on {@link errors$}, and an ignored rejection never surfaces as unhandled.
   * While disconnected, messages wait according to their policy.
   */
  send(msg: IgtlMessage, options: SendOptions = {}): Promise<SendResult> {
    let p: Promise<SendResult>;
    try {
      const bytes = this.encodeForPeer(msg);
      const policy = options.policy ?? this.policyFor(msg);
      p = new Promise<SendResult>((resolve, reject) => {
        if (this.sendQueue.push(bytes, policy, `${wireType(msg)}\u0000${msg.deviceName}`, resolve, reject, this.mustWait())) this.scheduleFlush();
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
      const bytes = this.encodeForPeer(msg);
      if (this.sendQueue.push(bytes, this.policyFor(msg), `${wireType(msg)}\u0000${msg.deviceName}`, undefined, (err) => this.reportError(err, 'send failed'), this.mustWait())) {
        this.scheduleFlush();
      }
    } catch (err) {
      this.reportError(err instanceof IgtlError ? err : new ConnectionError(String(err), err), 'send failed');
    }
  }

  /**
   * The messages as an ix AsyncIterable for `for await` consumers that set the pace: when the
   * consumer falls `highWaterMark` messages behind, reading from the socket pauses (TCP flow
   * control), so a slow consumer gets every message with bounded memory. Pausing affects every
   * subscriber of this connection.
   */
  messages(options: PullOptions = {}): AsyncIterableX<IgtlMessage> {
    return pullFrom({ source: this, pause: () => this.pauseReading(), resume: () => this.resumeReading() }, { ...this.options.pull, ...options });
  }

  /** Stops reading from the channel (reference-counted with {@link resumeReading}). */
  pauseReading(): void {
    if (++this.pauseRequests === 1) this.channel?.pause();
  }

  /** Undoes one {@link pauseReading}. */
  resumeReading(): void {
    if (this.pauseRequests > 0 && --this.pauseRequests === 0) this.channel?.resume();
  }

  /**
   * The client half of the v3 handshake (spec queries.md §6.3): sends a COMMAND named `Version`
   * and waits for the RTS_COMMAND. A peer that answers with header version 2 (PLUS, igtl-rx)
   * gets v3 framing from then on; no answer within `timeoutMs` (default 2000) means a v1/v2 peer,
   * and the connection stays on the legacy header. The COMMAND itself travels in legacy framing,
   * which every peer can at least skip (the Debian 1.11 library cannot skip v3 framing).
   * Resolves with the header version now in use.
   */
  async negotiateVersion(options: { timeoutMs?: number } = {}): Promise<HeaderVersion> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const commandId = this.nextCommandId();
    const reply = firstValueFrom(
      this.pipe(
        filter((m): m is IgtlMessage & { type: 'RTS_COMMAND' } => m.type === 'RTS_COMMAND' && m.content.commandId === commandId),
        take(1),
        timeout({ first: timeoutMs, scheduler: this.scheduler, with: () => { throw new TimeoutError(`no answer to the Version command in ${timeoutMs} ms`, timeoutMs); } }),
      ),
    );
    reply.catch(noop);
    const request = createMessage(
      'COMMAND',
      { commandId, commandName: 'Version', encoding: 3, command: '<Command Name="Version" />' },
      { headerVersion: 1, deviceName: 'command', timestamp: Timestamp.ZERO },
    );
    let version: HeaderVersion = 1;
    try {
      await this.send(request, { policy: 'lossless' });
      const answer = await reply;
      // In metadata (v3 framing) or, from igtl-rx servers, also as XML attributes (legacy framing).
      const field = (key: string) => Number(answer.metadata.get(key)?.value ?? new RegExp(`\\b${key}="(\\d+)"`).exec(answer.content.command)?.[1]);
      const header = field('IGTLHeaderVersion');
      const protocol = field('IGTLProtocolVersion');
      version = header >= 2 || (!(header > 0) && protocol >= 3) ? 2 : 1;
    } catch (err) {
      if (!(err instanceof TimeoutError)) throw err;
      this.log('%s: %s; staying on header version 1', this.label(), err.message);
    }
    this.setHeaderVersion(version);
    return version;
  }

  /**
   * Drops the current channel and opens a new one, as after a network change. The old channel is
   * closed gracefully, so what was already written still reaches the peer; messages sent
   * meanwhile wait per their policy. Does nothing unless a channel is open or opening.
   */
  reconnect(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    this.log('%s: reconnect requested', this.label());
    this.channel?.close();
    run.unsubscribe();
    this.onChannelEnd(undefined, 1);
  }

  /**
   * Closes the connection: waiting `lossless` sends fail, subscribers complete, state becomes
   * `closed`. Subscribing again opens a new connection.
   */
  close(): void {
    this.stop(undefined, true);
  }

  // -------------------------------------------------------------------------------------------

  /** True while sends have to wait (no channel, or its buffer is full): only then does `latest` conflate. */
  private mustWait(): boolean {
    return this.channel === undefined || this.blocked;
  }

  private policyFor(msg: IgtlMessage): SendPolicy {
    const p = this.options.sendPolicy;
    return p === undefined ? 'lossless' : typeof p === 'function' ? p(msg) : p;
  }

  /** Frames a message for this peer: header version, message ID, legacy empty queries. */
  private encodeForPeer(msg: IgtlMessage): Outgoing {
    const max: HeaderVersion = this.options.followPeerHeaderVersion && this.peerVersion < this.maxVersion ? this.peerVersion : this.maxVersion;
    let version: HeaderVersion = this.options.forceHeaderVersion ?? msg.headerVersion;
    if (version > max) version = max;
    if (version === 2 && (this.options.legacyEmptyQueries ?? true) && msg.metadata.size === 0 && isEmptyQuery(msg, this.registry)) version = 1;
    let out = msg;
    if (version === 1 && msg.headerVersion === 2) {
      if (msg.metadata.size > 0) this.warnDowngrade(msg);
      out = { ...msg, headerVersion: 1, messageId: 0, metadata: EMPTY_METADATA };
    } else if (version === 2 && (msg.headerVersion === 1 || msg.messageId === 0)) {
      out = { ...msg, headerVersion: 2, messageId: msg.messageId === 0 ? this.nextMessageId() : msg.messageId };
    }
    const limit = this.options.maxMessageSize;
    if (limit === undefined) {
      // A stream channel: a large payload (an image) is sent from where it is, not copied.
      const parts = encodeMessageParts(out, { registry: this.registry });
      return parts.length === 1 ? parts[0]! : parts;
    }
    const bytes = encodeMessage(out, { registry: this.registry });
    if (bytes.length > limit) throw new DatagramTooLargeError(outgoingLength(bytes), limit);
    return bytes;
  }

  private warnDowngrade(msg: IgtlMessage): void {
    const key = `${wireType(msg)}\u0000${msg.deviceName}`;
    if (this.warnedDowngrade.has(key)) return;
    this.warnedDowngrade.add(key);
    this.log('%s: peer takes header version 1, so the metadata of %s "%s" is not sent (%d keys)', this.label(), wireType(msg), msg.deviceName, msg.metadata.size);
  }

  private label(): string {
    return this.options.name ?? this.channel?.remote ?? 'connection';
  }

  private receive(msg: IgtlMessage): void {
    this.progressAt = this.lastData;
    if (msg.headerVersion === 2 && this.peerVersion === 1) this.peerVersion = 2;
    this.onMessage(msg);
    this.subject.next(msg);
  }

  /** Hook for subclasses (server sessions answer housekeeping queries here). */
  protected onMessage(_msg: IgtlMessage): void {}

  private reportError(err: IgtlError, what: string): void {
    this.log('%s: %s: %s', this.label(), what, err.message);
    this.errorSubject.next(err);
  }

  private setState(state: ConnectionState): void {
    this.stateSubject.next(state);
  }

  private ref(): void {
    if (++this.refs === 1 && !this.run && !this.retryTimer) this.start(1);
  }

  private unref(): void {
    if (--this.refs === 0 && !this.options.keepOpen) this.stop(undefined, false);
  }

  /** Starts (or restarts) the channel; used by server sessions to start without a subscriber. */
  protected start(attempt: number): void {
    this.retryTimer = undefined;
    this.setState({ kind: 'connecting', attempt });
    let opened = false;
    let ended = false;
    const end = (err: Error | undefined) => {
      if (ended) return;
      ended = true;
      this.run = undefined;
      this.onChannelEnd(err, opened ? 1 : attempt + 1);
    };
    this.run = this.factory().subscribe({
      next: (ev: ChannelEvent) => {
        if (ev.type === 'data') {
          if (this.discarding) return;
          const now = this.scheduler.now();
          if (this.decoder.buffered === 0) this.progressAt = now;
          this.lastData = now;
          this.decoder.push(ev.chunk);
          if (this.channel?.kind === 'datagram') this.decoder.end();
        } else if (ev.type === 'drain') {
          this.blocked = false;
          this.flush();
        } else {
          opened = true;
          this.onOpen(ev.channel);
        }
      },
      error: (err: unknown) => end(err instanceof Error ? err : new ConnectionError(String(err), err)),
      complete: () => end(undefined),
    });
    // A factory that ended synchronously has cleared `run` already.
    if (ended) this.run = undefined;
  }

  private onOpen(channel: ByteChannel): void {
    this.channel = channel;
    this.blocked = false;
    this.peerVersion = 1;
    this.decoder.reset();
    if (this.pauseRequests > 0) channel.pause();
    this.log('%s: open', this.label());
    this.discarding = false;
    this.lastData = this.progressAt = this.lastHeartbeat = this.scheduler.now();
    this.startWatchdog();
    this.setState({ kind: 'open', remote: channel.remote });
    const announce = this.options.announceV3;
    if (announce) {
      const metadata = announce === true ? new Map([['igtl-rx', { value: 'announce', encoding: 3 }]]) : announce;
      const status: IgtlMessage = {
        type: 'STATUS', headerVersion: 2, deviceName: '', timestamp: Timestamp.ZERO, messageId: this.nextMessageId(), metadata,
        content: { code: 1, subcode: 0n, errorName: '', statusMessage: '' },
      };
      channel.write(encodeMessage(status, { registry: this.registry }));
    }
    this.flush();
  }

  /** One timer checks idleness, slow messages and heartbeats while the channel is open. */
  private startWatchdog(): void {
    const { idleTimeoutMs: idle, readTimeoutMs: read, heartbeat } = this.options;
    if (!idle && !read && !heartbeat) return;
    const period = Math.max(5, Math.min(idle ?? Infinity, read ?? Infinity, heartbeat?.intervalMs ?? Infinity) / 4);
    this.watchdog = interval(period, this.scheduler).subscribe(() => {
      const now = this.scheduler.now();
      if (idle && now - this.lastData >= idle) {
        this.failChannel(new TimeoutError(`${this.label()}: nothing received for ${idle} ms`, idle));
      } else if (read && this.decoder.buffered > 0 && now - this.progressAt >= read) {
        this.failChannel(new TimeoutError(`${this.label()}: a message has been arriving for over ${read} ms (${this.decoder.buffered} bytes so far)`, read));
      } else if (heartbeat && now - this.lastHeartbeat >= heartbeat.intervalMs) {
        this.lastHeartbeat = now;
        const msg: IgtlMessage = heartbeat.message === 'STATUS'
          ? { type: 'STATUS', headerVersion: 1, deviceName: '', timestamp: Timestamp.ZERO, messageId: 0, metadata: EMPTY_METADATA, content: { code: 1, subcode: 0n, errorName: '', statusMessage: '' } }
          : { type: 'GET_STATUS', headerVersion: 1, deviceName: '', timestamp: Timestamp.ZERO, messageId: 0, metadata: EMPTY_METADATA, content: {} };
        this.next(msg);
      }
    });
  }

  /** Drops the current channel because of `err` (reported), then reconnects or finishes. */
  private failChannel(err: IgtlError): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    this.log('%s: closing: %s', this.label(), err.message);
    run.unsubscribe();
    this.onChannelEnd(err, 1);
  }

  private onChannelEnd(err: Error | undefined, nextAttempt: number): void {
    this.watchdog?.unsubscribe();
    this.watchdog = undefined;
    this.discarding = false;
    const wasOpen = this.channel !== undefined;
    this.channel = undefined;
    this.blocked = false;
    // A message cut off by the close is reported (TruncatedMessageError), never lost silently.
    this.decoder.end();
    if (wasOpen) this.log('%s: closed%s', this.label(), err ? `: ${err.message}` : '');
    else if (err) this.log('%s: connect failed: %s', this.label(), err.message);
    if (err) this.errorSubject.next(err instanceof IgtlError ? err : new ConnectionError(err.message, err));
    const retry = this.reconnectOptions;
    const wanted = this.refs > 0 || this.options.keepOpen === true;
    if (!retry || !wanted) {
      this.finish(err);
      return;
    }
    const failures = nextAttempt - 1;
    if (failures >= (retry.maxAttempts ?? Infinity)) {
      this.finish(new ConnectionError(`gave up after ${failures} failed connection attempts`, err));
      return;
    }
    const delayMs = backoffDelay(Math.max(1, failures), retry, this.options.random);
    this.log('%s: reconnecting in %d ms (attempt %d)', this.label(), delayMs, nextAttempt);
    this.setState({ kind: 'reconnecting', attempt: nextAttempt, delayMs, reason: err });
    this.retryTimer = timer(delayMs, this.scheduler).subscribe(() => this.start(nextAttempt));
  }

  /** Stops the channel and timers. `complete`: also end the subscribers' streams. */
  private stop(reason: Error | undefined, complete: boolean): void {
    const run = this.run;
    this.run = undefined;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    this.watchdog?.unsubscribe();
    this.watchdog = undefined;
    this.channel?.close();
    this.channel = undefined;
    run?.unsubscribe();
    this.decoder.reset();
    if (complete) this.finish(reason);
    else {
      this.sendQueue.clear('connection closed: no subscribers left');
      this.setState({ kind: 'closed', reason });
    }
  }

  /** The end of this connection's life: fail waiting sends, end the subscribers' streams. */
  private finish(reason: Error | undefined): void {
    this.sendQueue.clear(reason ? `connection closed: ${reason.message}` : 'connection closed');
    this.setState({ kind: 'closed', reason });
    const subject = this.subject;
    this.subject = new Subject<IgtlMessage>();
    this.refs = 0;
    this.epoch++;
    if (reason) subject.error(reason instanceof IgtlError ? reason : new ConnectionError(reason.message, reason));
    else subject.complete();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.channel || this.blocked) return;
    this.flushScheduled = true;
    // Sends made in the same tick go out together (one cork/uncork, one system call).
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const channel = this.channel;
    if (!channel || this.blocked || this.sendQueue.length === 0) return;
    const drain = () => {
      while (this.sendQueue.length > 0) {
        const bytes = this.sendQueue.shift()!;
        let ok: boolean;
        if (bytes instanceof Uint8Array) ok = channel.write(bytes);
        else {
          // Every part goes out now, back to back (one writev inside the batch); the channel
          // buffers what it cannot send yet, and `false` only says to stop after this message.
          ok = true;
          for (const part of bytes) ok = channel.write(part) && ok;
        }
        if (!ok) {
          this.blocked = true;
          this.log('%s: channel buffer full, %d messages wait', this.label(), this.sendQueue.length);
          return;
        }
      }
    };
    if (channel.batch) channel.batch(drain);
    else drain();
  }
}

/** True for GET_/STT_/STP_ messages whose content encodes to nothing. */
function isEmptyQuery(msg: IgtlMessage, registry: CodecRegistry): boolean {
  if (msg.type === 'UNKNOWN') return false;
  const t = msg.type;
  if (!(t.startsWith('GET_') || t.startsWith('STP_') || t.startsWith('STT_'))) return false;
  return registry.get(t)?.size(msg.content) === 0;
}
