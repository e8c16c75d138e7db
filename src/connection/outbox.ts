// The send side of a connection: a queue with per-message policies, the flush that hands bytes
// to the channel, and the record of what was written but not yet confirmed by the peer.
//
// Two promises are kept here and nowhere else:
// - A send resolves `written` only after `channel.write` took its bytes, and a write that fails
//   (a receive-only UDP socket, a channel torn down under us) rejects that send with a typed
//   error: nothing is thrown later from the flush.
// - TCP acknowledges bytes to the peer's kernel, not to its application, so a connection that
//   drops may lose messages that resolved `written`. The outbox remembers them (their bytes up
//   to `retainBytes`) until the peer confirms it has read past them (see `confirm`), and hands
//   the rest over when the channel ends, so the loss is reported, never silent.
import type { ByteChannel } from './channel.js';
import { ConnectionError, IgtlError } from '../protocol/errors.js';
import { SendQueue, outgoingLength, type Outgoing, type QueueLimits, type SendPolicy, type SendResult } from './send-queue.js';

/** What was written on a channel that ended before the peer confirmed it. */
export interface UnconfirmedWrites {
  /** Messages written after the last confirmation. */
  readonly messages: number;
  /** Their bytes. */
  readonly bytes: number;
  /** The newest of them (all, unless they were over the retention limit), oldest first. */
  readonly frames: readonly Uint8Array[];
  /** True when the peer confirmed earlier writes on this channel (so it does answer heartbeats). */
  readonly confirmed: boolean;
}

/** Options of an {@link Outbox}. */
export interface OutboxOptions {
  /** High-water marks of the queue. */
  readonly queue?: QueueLimits;
  /** Bytes of unconfirmed messages kept for the report at disconnect (default 4 MiB). */
  readonly retainBytes?: number;
  /** The time now, ms (the connection's scheduler). */
  readonly now: () => number;
  /** Log line (a `debug` function). */
  readonly log: (format: string, ...args: unknown[]) => void;
  /** The channel just refused more bytes (liveness starts its write-stall clock). */
  readonly blocked?: () => void;
}

interface Written {
  readonly seq: number;
  readonly bytes: Outgoing;
  readonly size: number;
}

/** Queue + flush + the unconfirmed window of one connection (it outlives its channels). */
export class Outbox {
  /** The queue of messages waiting for the channel. */
  readonly queue: SendQueue;
  private channel: ByteChannel | undefined;
  private blockedAt: number | undefined;
  private flushScheduled = false;
  private writtenSeq = 0;
  private confirmedSeq = 0;
  private window: (Written | undefined)[] = [];
  private windowHead = 0;
  private windowBytes = 0;
  /** Bytes of unconfirmed messages no longer kept (over `retainBytes`). */
  private unretainedBytes = 0;
  private readonly retainBytes: number;

  constructor(private readonly options: OutboxOptions) {
    this.queue = new SendQueue(options.queue);
    this.retainBytes = options.retainBytes ?? 4 * 1024 * 1024;
  }

  /** True while sends have to wait (no channel, or its buffer is full): only then does `latest` conflate. */
  get mustWait(): boolean {
    return this.channel === undefined || this.blockedAt !== undefined;
  }

  /** Since when the channel has refused more bytes (write returned false), or undefined. */
  get blockedSince(): number | undefined {
    return this.blockedAt;
  }

  /** Messages written on the current channel so far (a sequence number for confirmations). */
  get writtenCount(): number {
    return this.writtenSeq;
  }

  /** Messages written on the current channel that the peer has not confirmed. */
  get unconfirmedCount(): number {
    return this.writtenSeq - this.confirmedSeq;
  }

  /** Starts writing to a newly opened channel; what waits goes out now. */
  attach(channel: ByteChannel): void {
    this.channel = channel;
    this.blockedAt = undefined;
    this.writtenSeq = 0;
    this.confirmedSeq = 0;
    this.flush();
  }

  /**
   * The channel ended: stop writing to it and return what it took without confirmation
   * (undefined when nothing). Queued messages stay queued for the next channel.
   */
  detach(): UnconfirmedWrites | undefined {
    this.channel = undefined;
    this.blockedAt = undefined;
    const messages = this.writtenSeq - this.confirmedSeq;
    let report: UnconfirmedWrites | undefined;
    if (messages > 0) {
      const frames: Uint8Array[] = [];
      for (let i = this.windowHead; i < this.window.length; i++) frames.push(joined(this.window[i]!.bytes));
      report = { messages, bytes: this.unretainedBytes + this.windowBytes, frames, confirmed: this.confirmedSeq > 0 };
    }
    this.window = [];
    this.windowHead = 0;
    this.windowBytes = 0;
    this.unretainedBytes = 0;
    this.writtenSeq = this.confirmedSeq = 0;
    return report;
  }

  /**
   * The peer has read everything up to the `seq`-th message written on this channel (it
   * answered a request written after it: TCP keeps order, and the peer reads in order).
   */
  confirm(seq: number): void {
    if (seq <= this.confirmedSeq) return;
    this.confirmedSeq = Math.min(seq, this.writtenSeq);
    while (this.windowHead < this.window.length && this.window[this.windowHead]!.seq <= this.confirmedSeq) {
      this.windowBytes -= this.window[this.windowHead]!.size;
      this.window[this.windowHead++] = undefined;
    }
    this.unretainedBytes = 0;
    this.compact();
  }

  /**
   * Queues a message. `key` identifies (type, device) for `latest`. The callbacks settle the
   * sender: `written` after the write, `replaced`/`dropped` by policy, or a typed error.
   * Returns true when queued, false when dropped or refused (the callbacks settled already).
   */
  enqueue(bytes: Outgoing, policy: SendPolicy, key: string, resolve: ((r: SendResult) => void) | undefined, reject: (e: IgtlError) => void): boolean {
    if (!this.queue.push(bytes, policy, key, resolve, reject, this.mustWait)) return false;
    this.scheduleFlush();
    return true;
  }

  /**
   * Writes connection housekeeping (heartbeats and their answers) at once, outside the queue:
   * it must never take room from the user's messages or wait behind them. Written in order with
   * everything else the channel took, so a reply to it still confirms what went before. Returns
   * false (and writes nothing) while there is no channel or it is full.
   */
  writeNow(bytes: Outgoing): boolean {
    const channel = this.channel;
    if (!channel || this.blockedAt !== undefined) return false;
    let ok: boolean;
    try {
      ok = write(channel, bytes);
    } catch {
      return false;
    }
    this.remember(bytes, outgoingLength(bytes));
    if (!ok) {
      this.blockedAt = this.options.now();
      this.options.blocked?.();
    }
    return true;
  }

  /** The channel can take bytes again. */
  drained(): void {
    this.blockedAt = undefined;
    this.flush();
  }

  /** Fails every waiting send (the connection closed for good). */
  clear(reason: string): void {
    this.queue.clear(reason);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.channel || this.blockedAt !== undefined) return;
    this.flushScheduled = true;
    // Sends made in the same tick go out together (one cork/uncork, one system call).
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const channel = this.channel;
    if (!channel || this.blockedAt !== undefined || this.queue.length === 0) return;
    if (channel.batch) channel.batch(() => this.drain(channel));
    else this.drain(channel);
  }

  private drain(channel: ByteChannel): void {
    while (this.queue.length > 0 && this.channel === channel) {
      const item = this.queue.shift()!;
      let ok: boolean;
      try {
        ok = write(channel, item.bytes);
      } catch (err) {
        // The channel refused these bytes (e.g. a UDP socket with no peer): this send fails,
        // typed, and the next ones get their own chance.
        const error = err instanceof IgtlError ? err : new ConnectionError(`${channel.remote}: write failed: ${err instanceof Error ? err.message : String(err)}`, err);
        if (item.reject) item.reject(error);
        continue;
      }
      this.remember(item.bytes, item.size);
      item.resolve?.('written');
      if (!ok) {
        this.blockedAt = this.options.now();
        this.options.log('%s: channel buffer full, %d messages wait', channel.remote, this.queue.length);
        this.options.blocked?.();
        return;
      }
    }
  }

  private remember(bytes: Outgoing, size: number): void {
    const seq = ++this.writtenSeq;
    this.window.push({ seq, bytes, size });
    this.windowBytes += size;
    // Keep the newest `retainBytes`; older unconfirmed ones are still counted.
    while (this.windowBytes > this.retainBytes && this.windowHead < this.window.length - 1) {
      const old = this.window[this.windowHead]!;
      this.window[this.windowHead++] = undefined;
      this.windowBytes -= old.size;
      this.unretainedBytes += old.size;
    }
    this.compact();
  }

  private compact(): void {
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowHead = 0;
    } else if (this.windowHead === this.window.length) {
      this.window = [];
      this.windowHead = 0;
    }
  }
}

/** Writes one message; every part goes out now, back to back (one writev inside a batch). */
function write(channel: ByteChannel, bytes: Outgoing): boolean {
  if (bytes instanceof Uint8Array) return channel.write(bytes);
  // The channel buffers what it cannot send yet; `false` only says to stop after this message.
  let ok = true;
  for (const part of bytes) ok = channel.write(part) && ok;
  return ok;
}

/** One buffer holding a message's bytes (its parts joined). */
function joined(bytes: Outgoing): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  const out = new Uint8Array(outgoingLength(bytes));
  let off = 0;
  for (const p of bytes) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
