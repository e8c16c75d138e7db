// The life of a connection: idle -> connecting -> open (live | stale) -> reconnecting -> closed.
//
// The published state IS the state: every decision (may we start? is a channel running? is a
// retry waiting?) reads `state.kind`, so what subscribers of `state$` see can never disagree with
// what the connection does. The one other field is the handle of the current activity (the
// channel's subscription while connecting/open, the retry timer while reconnecting), needed to
// cancel it.
import { BehaviorSubject, timer, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { ConnectionError, PeerClosedError, type IgtlError } from '../protocol/errors.js';
import { backoffDelay, type ReconnectOptions } from './backoff.js';
import type { ByteChannel, ChannelEvent, ChannelFactory } from './channel.js';
import type { ConnectionState } from './state.js';

/** What the lifecycle tells the parts that live with a channel. */
export interface LifecycleHooks {
  /** A channel opened (state is `open` already). */
  opened(channel: ByteChannel): void;
  /** Bytes arrived on the open channel. */
  data(chunk: Uint8Array): void;
  /** The open channel can take bytes again. */
  drain(): void;
  /** The open channel lost something without ending (reported, not a reason to close). */
  fault(err: IgtlError): void;
  /** The channel ended (or failed to open); `err` says why (undefined: closed by us). */
  ended(err: Error | undefined, wasOpen: boolean): void;
  /** The connection is closed for good (state is `closed`); `reason` as in the state. */
  finished(reason: Error | undefined): void;
}

/** Settings of a {@link Lifecycle}. */
export interface LifecycleOptions {
  /** Reconnection (undefined: never reconnect). */
  readonly reconnect: ReconnectOptions | undefined;
  readonly scheduler: SchedulerLike;
  readonly random: (() => number) | undefined;
  /** Whether anyone still wants the connection (a subscriber, or keepOpen). */
  readonly wanted: () => boolean;
  readonly log: (format: string, ...args: unknown[]) => void;
  readonly label: () => string;
}

/**
 * How long a channel must stay open, ms, to count as a connection that worked when the peer has
 * sent nothing on it. A peer that accepts and hangs up at once -- a TLS 1.3 server refusing our
 * client certificate (the handshake completes on our side one round trip before its verdict
 * arrives), a full server, a port forwarder with nothing behind it -- opens for a few ms: taken
 * for a working connection, it restarted the count, so the retries never backed off and
 * `maxAttempts` never ended them. A second covers the verdict's round trip on any network a
 * tracker is used on; a receive-only peer (it never sends) that is restarted after a longer
 * life still restarts the count.
 */
export const OPEN_PROVEN_AFTER_MS = 1000;

/** The channel now open: which attempt opened it, when, and whether the peer has sent anything. */
interface OpenChannel {
  readonly attempt: number;
  readonly at: number;
  heard: boolean;
}

/** Runs channels one after another according to the state machine above. */
export class Lifecycle {
  private readonly subject = new BehaviorSubject<ConnectionState>({ kind: 'idle' });
  private activity: Subscription | undefined;
  private current: OpenChannel | undefined;
  /** The published state. */
  readonly state$: Observable<ConnectionState> = this.subject.asObservable();

  constructor(
    private readonly factory: ChannelFactory,
    private readonly options: LifecycleOptions,
    private readonly hooks: LifecycleHooks,
  ) {}

  /** The state now. */
  get state(): ConnectionState {
    return this.subject.value;
  }

  /** True while a channel is being opened or is open. */
  get running(): boolean {
    const k = this.state.kind;
    return k === 'connecting' || k === 'open' || k === 'stale';
  }

  /** Starts from idle or closed (first subscriber, or a session opening at once). */
  start(): void {
    const k = this.state.kind;
    if (k === 'idle' || k === 'closed') this.attempt(1);
  }

  /** An open channel has been silent (`stale`) or heard from again (`open`). */
  setStale(silentMs: number | undefined): void {
    const s = this.state;
    if (s.kind !== 'open' && s.kind !== 'stale') return;
    if (silentMs === undefined) {
      if (s.kind === 'stale') this.subject.next({ kind: 'open', remote: s.remote });
    } else if (s.kind === 'open') this.subject.next({ kind: 'stale', remote: s.remote, silentMs });
  }

  /** Drops the current channel because of `err`, then reconnects or closes as configured. */
  fail(err: Error): void {
    if (!this.running) return;
    this.options.log('%s: closing: %s', this.options.label(), err.message);
    this.endChannel(err, true, this.nextAttemptAfterOpen());
  }

  /** Drops the current channel and opens a new one after the first backoff delay (a network change). */
  restart(): void {
    if (!this.running) return;
    this.options.log('%s: reconnect requested', this.options.label());
    this.endChannel(undefined, true, 1);
  }

  /** Stops whatever runs and closes for good (`close()`, or the last subscriber left). */
  stop(reason?: Error): void {
    const k = this.state.kind;
    if (k === 'idle' || k === 'closed') return;
    const wasOpen = k === 'open' || k === 'stale';
    const activity = this.activity;
    this.activity = undefined;
    this.subject.next({ kind: 'closed', reason });
    activity?.unsubscribe();
    this.hooks.ended(undefined, wasOpen);
    this.hooks.finished(reason);
  }

  private attempt(n: number): void {
    this.activity = undefined;
    this.subject.next({ kind: 'connecting', attempt: n });
    let channel: ByteChannel | undefined;
    this.current = undefined;
    const run = this.factory().subscribe({
      next: (ev: ChannelEvent) => {
        if (ev.type === 'data') {
          if (this.current) this.current.heard = true;
          this.hooks.data(ev.chunk);
        } else if (ev.type === 'heard') {
          if (this.current) this.current.heard = true;
        } else if (ev.type === 'drain') this.hooks.drain();
        else if (ev.type === 'fault') this.hooks.fault(ev.error);
        else {
          channel = ev.channel;
          this.current = { attempt: n, at: this.options.scheduler.now(), heard: false };
          this.subject.next({ kind: 'open', remote: ev.channel.remote });
          this.hooks.opened(ev.channel);
        }
      },
      // After an unsubscribe RxJS delivers nothing more, so these always belong to this attempt.
      error: (err: unknown) => {
        this.endChannel(err instanceof Error ? err : new ConnectionError(String(err), err), false, channel ? this.nextAttemptAfterOpen() : n + 1);
      },
      complete: () => {
        const err = channel ? new PeerClosedError(channel.remote) : new ConnectionError(`${this.options.label()}: closed before opening`);
        this.endChannel(err, false, channel ? this.nextAttemptAfterOpen() : n + 1);
      },
    });
    // A factory that failed synchronously has moved the state on already.
    if (this.state.kind === 'connecting' || this.state.kind === 'open' || this.state.kind === 'stale') this.activity = run;
  }

  /**
   * The attempt that follows the open channel's end: the first again after a connection that
   * worked (the peer sent something, or it stayed open {@link OPEN_PROVEN_AFTER_MS}), else the
   * next one, as after an attempt that failed to open.
   */
  private nextAttemptAfterOpen(): number {
    const c = this.current;
    if (!c || c.heard || this.options.scheduler.now() - c.at >= OPEN_PROVEN_AFTER_MS) return 1;
    return c.attempt + 1;
  }

  /**
   * Ends the running channel. `unsubscribe`: we end it (the transport is still running);
   * `delayMs`: overrides the backoff (no caller passes it today: a requested reconnect and a
   * failed channel both wait the first backoff delay, `initialDelayMs`).
   */
  private endChannel(err: Error | undefined, unsubscribe: boolean, nextAttempt: number, delayMs?: number): void {
    const wasOpen = this.state.kind === 'open' || this.state.kind === 'stale';
    const activity = this.activity;
    this.activity = undefined;
    this.current = undefined;
    if (unsubscribe) activity?.unsubscribe();
    const label = this.options.label();
    if (wasOpen) this.options.log('%s: closed%s', label, err ? `: ${err.message}` : '');
    else if (err) this.options.log('%s: connect failed: %s', label, err.message);
    this.hooks.ended(err, wasOpen);
    const retry = this.options.reconnect;
    if (!retry || !this.options.wanted()) {
      this.subject.next({ kind: 'closed', reason: err });
      this.hooks.finished(err);
      return;
    }
    const failures = nextAttempt - 1;
    if (failures >= (retry.maxAttempts ?? Infinity)) {
      const reason = new ConnectionError(`gave up after ${failures} failed connection attempts`, err);
      this.subject.next({ kind: 'closed', reason });
      this.hooks.finished(reason);
      return;
    }
    const delay = delayMs ?? backoffDelay(Math.max(1, failures), retry, this.options.random);
    this.options.log('%s: reconnecting in %d ms (attempt %d)', label, delay, nextAttempt);
    this.subject.next({ kind: 'reconnecting', attempt: nextAttempt, delayMs: delay, reason: err });
    const wait = timer(delay, this.options.scheduler).subscribe(() => {
      if (this.activity === wait) this.attempt(nextAttempt);
    });
    // A zero delay on a synchronous scheduler may have started the attempt already.
    if (this.state.kind === 'reconnecting') this.activity = wait;
  }
}
