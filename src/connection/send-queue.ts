// The send queue between `send()` and a channel whose buffer may be full (backpressure).
import { Subject, defer, map, startWith, type Observable } from 'rxjs';
import { ConnectionError, InvalidOptionError, QueueFullError, type IgtlError } from '../protocol/errors.js';

/**
 * What to do with a message when the channel cannot take it now:
 * - `lossless`: queue it; `send` settles once it is handed to the channel; over the high-water
 *   mark the send fails with a QueueFullError instead of growing without bound.
 * - `latest`: keep only the newest message per (type, device) waiting: a stale pose is worse
 *   than none (the right policy for tracking).
 * - `drop`: drop new messages while the queue is over its high-water mark.
 */
export type SendPolicy = 'lossless' | 'latest' | 'drop';

const SEND_POLICIES: ReadonlySet<unknown> = new Set<SendPolicy>(['lossless', 'latest', 'drop']);

/**
 * Returns `policy` if it is a {@link SendPolicy}, else throws an InvalidOptionError naming
 * `option`. The queue takes any other value for `drop` (it only tests for the other two):
 * measured, `sendPolicy: 'Lossless'` on a server dropped 272 of 291 images for a client that
 * stopped reading, where a lossless queue refuses them with a QueueFullError on errors$.
 */
export function checkSendPolicy(policy: unknown, option: string): SendPolicy {
  if (!SEND_POLICIES.has(policy)) throw new InvalidOptionError(option, `must be 'lossless', 'latest' or 'drop', got ${typeof policy === 'string' ? `'${policy}'` : String(policy)}`);
  return policy as SendPolicy;
}

/** {@link checkSendPolicy} for a `sendPolicy` option: a policy, a function (its answers are checked per message), or absent. */
export function checkSendPolicyOption(sendPolicy: unknown): void {
  if (sendPolicy !== undefined && typeof sendPolicy !== 'function') checkSendPolicy(sendPolicy, 'sendPolicy');
}

/** How a send ended. */
export type SendResult = 'written' | 'replaced' | 'dropped';

/** Limits of a send queue. */
export interface QueueLimits {
  /** High-water mark in bytes (default 16 MiB). */
  readonly maxBytes?: number;
  /** High-water mark in messages (default 10 000). */
  readonly maxMessages?: number;
}

/** What the queue holds, and what it has dropped or replaced so far. */
export interface QueueStatus {
  readonly messages: number;
  readonly bytes: number;
  /** Messages dropped (policy `drop`, or `latest` for a new key when full) since creation. */
  readonly dropped: number;
  /** Messages replaced by a newer one of the same key (policy `latest`) since creation. */
  readonly replaced: number;
}

/** One message to write: its bytes, or its parts to write back to back (see `encodeMessageParts`). */
export type Outgoing = Uint8Array | readonly Uint8Array[];

/** Byte length of an outgoing message. */
export function outgoingLength(bytes: Outgoing): number {
  if (bytes instanceof Uint8Array) return bytes.length;
  let n = 0;
  for (const part of bytes) n += part.length;
  return n;
}

/** A queued send as the queue hands it out: its bytes and how to settle its sender. */
export interface QueuedSend {
  readonly bytes: Outgoing;
  readonly size: number;
  /** Settles the sender once the bytes were handed to the channel (`written`). */
  readonly resolve: ((r: SendResult) => void) | undefined;
  /** Fails the sender when the channel refused the bytes. */
  readonly reject: ((e: IgtlError) => void) | undefined;
}

interface Entry {
  bytes: Outgoing;
  size: number;
  key: string | undefined;
  resolve: ((r: SendResult) => void) | undefined;
  reject: ((e: IgtlError) => void) | undefined;
}

/**
 * True when `count` messages of `bytes` bytes waiting, plus one more of `extra` bytes, would go
 * past the high-water marks: the one rule of a full queue (the outbox applies it to a broadcast
 * tick's messages held outside the queue, see `Outbox.enqueueShared`).
 */
export function overLimits(maxMessages: number, maxBytes: number, count: number, bytes: number, extra: number): boolean {
  return count >= maxMessages || bytes + extra > maxBytes;
}

/**
 * A FIFO of encoded messages with per-message policies. `latest` entries keep their place in
 * the line when replaced, so one busy device cannot starve the others.
 */
export class SendQueue {
  private entries: (Entry | undefined)[] = [];
  private head = 0;
  private readonly latest = new Map<string, Entry>();
  private queuedBytes = 0;
  private count = 0;
  private dropped = 0;
  private replaced = 0;
  /** Messages (and their bytes) waiting ahead of the queue, outside it (see `setAhead`). */
  private aheadCount = 0;
  private aheadBytes = 0;
  /** High-water marks, with their defaults applied. */
  readonly maxBytes: number;
  readonly maxMessages: number;
  private readonly changes = new Subject<void>();

  /** The queue status now and after every change (no work is done while nobody watches). */
  readonly status$: Observable<QueueStatus> = defer(() => this.changes.pipe(startWith(undefined), map(() => this.snapshot)));

  constructor(limits: QueueLimits = {}) {
    this.maxBytes = limits.maxBytes ?? 16 * 1024 * 1024;
    this.maxMessages = limits.maxMessages ?? 10_000;
  }

  /** Messages waiting. */
  get length(): number {
    return this.count;
  }

  /** Bytes waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Current status. */
  get snapshot(): QueueStatus {
    return { messages: this.count, bytes: this.queuedBytes, dropped: this.dropped, replaced: this.replaced };
  }

  /**
   * Messages that wait ahead of the queue without being in it (an outbox's share of a broadcast
   * tick, written before anything queued): they count against the limits like queued ones. Read
   * only by `push`, so the outbox sets it just before pushing.
   */
  setAhead(count: number, bytes: number): void {
    this.aheadCount = count;
    this.aheadBytes = bytes;
  }

  private full(extra: number): boolean {
    return overLimits(this.maxMessages, this.maxBytes, this.count + this.aheadCount, this.queuedBytes + this.aheadBytes, extra);
  }

  /**
   * Adds a message. `key` identifies (type, device) for `latest`. `resolve`/`reject`, when
   * given, settle the caller's promise. `conflate` false (the channel can take data now) queues
   * `latest` messages like lossless ones unless the queue is full. Returns false if the message
   * was not queued (its callbacks have then been settled already).
   */
  push(bytes: Outgoing, policy: SendPolicy, key: string, resolve?: (r: SendResult) => void, reject?: (e: IgtlError) => void, conflate = true): boolean {
    const size = outgoingLength(bytes);
    // A writable channel takes every sample of a burst: `latest` only conflates what has to wait.
    if (policy === 'latest' && !conflate && !this.full(size)) {
      policy = 'lossless';
    }
    if (policy === 'latest') {
      const prev = this.latest.get(key);
      if (prev) {
        // Replace in place: the newest pose takes the queued one's turn.
        this.queuedBytes += size - prev.size;
        prev.bytes = bytes;
        prev.size = size;
        const oldResolve = prev.resolve;
        prev.resolve = resolve;
        prev.reject = reject;
        this.replaced++;
        oldResolve?.('replaced');
        this.publish();
        return true;
      }
    }
    if (this.full(size) && this.count + this.aheadCount > 0) {
      if (policy === 'lossless') {
        reject?.(new QueueFullError(this.count + this.aheadCount, this.queuedBytes + this.aheadBytes));
        return false;
      }
      this.dropped++;
      resolve?.('dropped');
      this.publish();
      return false;
    }
    const entry: Entry = { bytes, size, key: policy === 'latest' ? key : undefined, resolve, reject };
    if (entry.key !== undefined) this.latest.set(key, entry);
    this.entries.push(entry);
    this.count++;
    this.queuedBytes += size;
    this.publish();
    return true;
  }

  /**
   * Takes back the waiting message whose sender is `resolve`: its sender gave up on it before it
   * was written (a command that timed out while the connection was down must not run when it
   * comes back). Returns false, doing nothing, when it does not wait here (written, being written,
   * or never queued). Rare, so a scan.
   */
  withdraw(resolve: (r: SendResult) => void): boolean {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry?.resolve !== resolve) continue;
      this.entries.splice(i, 1);
      this.count--;
      this.queuedBytes -= entry.size;
      if (entry.key !== undefined && this.latest.get(entry.key) === entry) this.latest.delete(entry.key);
      if (this.count === 0) {
        this.entries.length = 0;
        this.head = 0;
      }
      this.publish();
      return true;
    }
    return false;
  }

  /**
   * Takes the oldest message; undefined when empty. Its sender is not settled: the caller
   * resolves it with `written` after the channel took the bytes, or rejects it.
   */
  shift(): QueuedSend | undefined {
    if (this.count === 0) return undefined;
    const entry = this.entries[this.head]!;
    this.entries[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.count--;
    this.queuedBytes -= entry.size;
    if (entry.key !== undefined) this.latest.delete(entry.key);
    if (this.count === 0) {
      this.entries.length = 0;
      this.head = 0;
    }
    this.publish();
    return entry;
  }

  /**
   * Puts into `out` (emptied first) the bytes of the messages at the head of the line that are
   * one buffer each (not parts) and together at most `maxBytes`, oldest first, and returns how
   * many; nothing is taken (see `shift`).
   */
  peekSmall(maxBytes: number, out: Uint8Array[]): number {
    out.length = 0;
    let total = 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const bytes = this.entries[i]!.bytes;
      if (!(bytes instanceof Uint8Array) || total + bytes.length > maxBytes) break;
      out.push(bytes);
      total += bytes.length;
    }
    return out.length;
  }

  /**
   * Puts messages back at the front of the line, in order, as `lossless` with nobody waiting
   * on them (what a dropped channel may not have delivered, resent on the next one). They count
   * against the limits like any other message, but are never refused. `reject`: how a write
   * failure or the end of the connection fails them (nothing when omitted).
   */
  requeue(messages: readonly Outgoing[], reject?: (e: IgtlError) => void): void {
    if (messages.length === 0) return;
    const fresh: Entry[] = messages.map((bytes) => ({ bytes, size: outgoingLength(bytes), key: undefined, resolve: undefined, reject }));
    this.entries = [...fresh, ...this.entries.slice(this.head)];
    this.head = 0;
    for (const e of fresh) {
      this.count++;
      this.queuedBytes += e.size;
    }
    this.publish();
  }

  /**
   * Fails every waiting send and drops everything (the connection closed for good). Returns the
   * messages nobody waits on (put back by `requeue` without `reject`: what a dropped channel
   * left unconfirmed, reported as being sent again), for the caller to report: their loss
   * would otherwise be silent.
   */
  clear(reason: string): Outgoing[] {
    const err = new ConnectionError(reason);
    const unattended: Outgoing[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (!e) continue;
      if (e.reject) e.reject(err);
      else if (e.resolve) e.resolve('dropped');
      else unattended.push(e.bytes);
    }
    this.entries = [];
    this.head = 0;
    this.latest.clear();
    this.count = 0;
    this.queuedBytes = 0;
    this.publish();
    return unattended;
  }

  private publish(): void {
    if (this.changes.observed) this.changes.next();
  }
}
