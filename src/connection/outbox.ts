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
import { DroppedLedger } from './dropped-ledger.js';
import { ConnectionError, IgtlError } from '../protocol/errors.js';
import { HEADER_SIZE, OFFSET_BODY_SIZE } from '../protocol/constants.js';
import { Slab, SLAB_MAX_MESSAGE } from '../protocol/slab.js';
import { SendQueue, outgoingLength, overLimits, type Outgoing, type QueueLimits, type SendPolicy, type SendResult } from './send-queue.js';

/** What was written on a channel that ended before the peer confirmed it. */
export interface UnconfirmedWrites {
  /** Messages written after the last confirmation. */
  readonly messages: number;
  /** Their bytes. */
  readonly bytes: number;
  /** The newest of them (all, unless they were over the retention limit), oldest first. */
  readonly frames: readonly Uint8Array[];
  /** True when the peer answered a heartbeat on this channel (so it confirms what it has read). */
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

/** Queue + flush + the unconfirmed window of one connection (it outlives its channels). */
export class Outbox {
  /** The queue of messages waiting for the channel. */
  readonly queue: SendQueue;
  private channel: ByteChannel | undefined;
  private blockedAt: number | undefined;
  /** While blocked: since when the channel has taken none of the bytes it holds, and how many it held then (see `stalledSince`). */
  private stallAt: number | undefined;
  private stallUnsent: number | undefined;
  private flushScheduled = false;
  private writtenSeq = 0;
  private confirmedSeq = 0;
  /** The peer has answered a heartbeat on this channel (see `confirm`). */
  private confirms = false;
  /**
   * The bytes of the unconfirmed messages kept, oldest first from `windowHead` (no object per
   * message: a fan-out to 300 clients writes 300 of these per message). Their sequence numbers
   * are consecutive, from `windowSeq`.
   */
  private window: (WindowEntry | undefined)[] = [];
  /**
   * How many messages each entry of `window` holds (a broadcast tick holds several); for a run
   * of ticks, its own `count` is the truth (see {@link countAt}).
   */
  private windowCounts: number[] = [];
  /**
   * The run of ticks at the tail of the window, if the tail is one: the next tick of a fan-out
   * extends it through this field alone, without touching the window's arrays (at 300 clients,
   * each a cache miss per client per tick).
   */
  private tailRun: TickRun | undefined;
  private windowHead = 0;
  private windowSeq = 1;
  private windowBytes = 0;
  /** Unconfirmed messages no longer kept (over `retainBytes`): their bytes, by sequence number. */
  private readonly dropped = new DroppedLedger();
  private readonly retainBytes: number;
  /** Scratch list of the small messages at the head of the queue (see `writeJoined`). */
  private readonly small: Uint8Array[] = [];
  /** This tick's broadcast messages taken without the queue: the first `sharedCount` of `shared` (see `enqueueShared`). */
  private shared: TickBatch | undefined;
  private sharedCount = 0;
  private sharedBytes = 0;
  /** How a write failure or the end of the connection fails them. */
  private sharedReject: ((e: IgtlError) => void) | undefined;
  // What a broadcast's offer needs, kept here so that the offer reads this object only (a server
  // offers every message of a tick to every session: the channel and the queue are each another
  // cold object per session per message).
  /** The channel is attached and coalesces writes (the shared path's condition). */
  private coalescing = false;
  /** False only when the queue is known to be empty (nothing pushed or requeued since it was seen empty). */
  private maybeQueued = false;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  /** Why sends are refused now (see {@link close}), or undefined. */
  private closedFor: string | undefined;

  constructor(private readonly options: OutboxOptions) {
    this.queue = new SendQueue(options.queue);
    this.retainBytes = options.retainBytes ?? 4 * 1024 * 1024;
    this.maxMessages = this.queue.maxMessages;
    this.maxBytes = this.queue.maxBytes;
  }

  /** True while sends have to wait (no channel, or its buffer is full): only then does `latest` conflate. */
  get mustWait(): boolean {
    return this.channel === undefined || this.blockedAt !== undefined;
  }

  /** Since when the channel has refused more bytes (write returned false), or undefined. */
  get blockedSince(): number | undefined {
    return this.blockedAt;
  }

  /**
   * Since when the channel has refused more bytes and the peer has taken none of them, or
   * undefined: the write-stall rule's clock. A channel that tells how much it still holds
   * (`unsent`) and holds another amount than when last asked is being read (nothing is written
   * to it while it is full): the clock restarts now. (It
   * was `blockedSince`: a 48 MiB image to a peer reading 13 MiB/s was cut off after
   * writeStallMs of 1 s as "the peer has taken no bytes".)
   */
  stalledSince(): number | undefined {
    if (this.blockedAt === undefined) return undefined;
    const unsent = this.channel?.unsent?.();
    if (unsent !== undefined && unsent !== this.stallUnsent) {
      this.stallAt = this.options.now();
      this.stallUnsent = unsent;
    }
    return this.stallAt;
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
    this.closedFor = undefined;
    this.coalescing = channel.coalesce === true;
    this.blockedAt = undefined;
    this.writtenSeq = 0;
    this.confirmedSeq = 0;
    this.confirms = false;
    this.flush();
  }

  /**
   * The channel ended: stop writing to it and return what it took without confirmation
   * (undefined when nothing, or when `report` is false). Queued messages stay queued for the
   * next channel. `report` false: a channel closed on purpose, whose unconfirmed messages
   * nobody is told about; then their frames are not copied out (a server closing 300 fan-out
   * sessions would otherwise copy up to `retainBytes` for each, only to drop the copies).
   */
  detach(report = true): UnconfirmedWrites | undefined {
    this.channel = undefined;
    this.coalescing = false;
    this.blockedAt = undefined;
    // Broadcast messages not written yet wait in the queue for the next channel, like any other.
    this.unshare();
    const messages = this.writtenSeq - this.confirmedSeq;
    let unconfirmed: UnconfirmedWrites | undefined;
    if (report && messages > 0) {
      const frames: Uint8Array[] = [];
      let bytes = this.dropped.total;
      for (let i = this.windowHead; i < this.window.length; i++) {
        const entry = this.window[i]!;
        if (!(entry instanceof TickRun) && this.windowCounts[i] === 1) {
          frames.push(joined(entry as Outgoing));
          bytes += outgoingLength(entry as Outgoing);
          continue;
        }
        // Messages written as one buffer are reported one by one; those the peer confirmed are not.
        let skip = i === this.windowHead ? Math.max(0, this.confirmedSeq - this.windowSeq + 1) : 0;
        if (!(entry instanceof TickRun)) {
          bytes += splitFrames(entry as Uint8Array, skip, frames);
          continue;
        }
        for (let b: TickBatch = entry.first; ; b = b.next!) {
          bytes += splitFrames(b.whole!, skip, frames);
          skip = Math.max(0, skip - b.parts.length);
          if (b === entry.last) break;
        }
      }
      unconfirmed = { messages, bytes, frames, confirmed: this.confirms };
    }
    this.window = [];
    this.windowCounts = [];
    this.tailRun = undefined;
    this.windowHead = 0;
    this.windowBytes = 0;
    this.dropped.clear();
    this.writtenSeq = this.confirmedSeq = 0;
    this.confirms = false;
    return unconfirmed;
  }

  /**
   * The peer has read everything up to the `seq`-th message written on this channel (it
   * answered a request written after it: TCP keeps order, and the peer reads in order).
   */
  confirm(seq: number): void {
    this.confirms = true;
    if (seq <= this.confirmedSeq) return;
    this.confirmedSeq = Math.min(seq, this.writtenSeq);
    // An entry goes when all its messages are confirmed; a run of ticks loses its confirmed ticks.
    while (this.windowHead < this.window.length) {
      const head = this.window[this.windowHead]!;
      if (this.windowSeq + this.countAt(this.windowHead) - 1 <= this.confirmedSeq) {
        this.windowBytes -= entryBytes(head);
        this.windowSeq += this.countAt(this.windowHead);
        if (head === this.tailRun) this.tailRun = undefined;
        this.window[this.windowHead++] = undefined;
      } else if (head instanceof TickRun && head.first !== head.last && this.windowSeq + head.first.parts.length - 1 <= this.confirmedSeq) {
        this.windowBytes -= this.dropFirstTick(head);
      } else break;
    }
    this.dropped.confirm(this.confirmedSeq);
    this.compact();
  }

  /**
   * Queues a message. `key` identifies (type, device) for `latest`. The callbacks settle the
   * sender: `written` after the write, `replaced`/`dropped` by policy, or a typed error.
   * Returns true when queued, false when dropped or refused (the callbacks settled already).
   */
  enqueue(bytes: Outgoing, policy: SendPolicy, key: string, resolve: ((r: SendResult) => void) | undefined, reject: (e: IgtlError) => void): boolean {
    if (this.closedFor !== undefined) {
      reject(new ConnectionError(this.closedFor));
      return false;
    }
    // This tick's broadcast messages taken outside the queue count against its limits.
    this.queue.setAhead(this.sharedCount, this.sharedBytes);
    if (!this.queue.push(bytes, policy, key, resolve, reject, this.mustWait)) return false;
    this.maybeQueued = true;
    this.scheduleFlush();
    return true;
  }

  /** Puts `frames` at the front of the queue (what a dropped channel left unconfirmed, sent again). */
  requeue(frames: readonly Uint8Array[]): void {
    this.queue.requeue(frames);
    this.maybeQueued = true;
  }

  /**
   * Takes a fan-out message (the same byte array offered to many outboxes, nobody waiting on
   * it) without a queue entry when nothing waits and the channel can take it now: then every
   * policy would queue it and the flush at the end of the tick would write it, so it joins the
   * tick's shared batch instead, and the outboxes that took the same messages write one shared
   * buffer (see {@link TickBatch}). Returns false, having done nothing, otherwise: then
   * `enqueue` it. What is sent later (queued) goes out after it; `reject` fails it if the
   * channel refuses it or ends before it is written.
   */
  enqueueShared(bytes: Outgoing, reject: (e: IgtlError) => void): boolean {
    if (!(bytes instanceof Uint8Array) || !this.coalescing || this.blockedAt !== undefined) return false;
    if (this.maybeQueued) {
      if (this.queue.length > 0) return false;
      this.maybeQueued = false;
    }
    const n = this.sharedCount;
    const size = bytes.length;
    // As the queue would take it (lossless, into an empty queue): the first always, later ones within the limits.
    if (this.sharedBytes + size > JOIN_MAX_BYTES || (n > 0 && overLimits(this.maxMessages, this.maxBytes, n, this.sharedBytes, size))) return false;
    let batch = this.shared;
    if (batch === undefined) {
      batch = openBatch(bytes);
      if (batch === undefined) return false;
      this.shared = batch;
      this.sharedReject = reject;
    } else if (!batch.open || (batch.parts.length > n && batch.parts[n] !== bytes)) return false; // a batch of an earlier tick, or other messages
    else if (batch.parts.length === n) batch.parts.push(bytes);
    this.sharedCount = n + 1;
    this.sharedBytes += size;
    this.scheduleFlush();
    return true;
  }

  /**
   * Writes connection housekeeping (heartbeats and their answers) at once, outside the queue:
   * it must never take room from the user's messages or wait behind them. Written in order with
   * everything else the channel took, so a reply to it still confirms what went before (the
   * messages up to `writtenCount` when it was written). It is not one of the user's messages:
   * it takes no sequence number and is neither counted nor kept for the report at disconnect
   * (it was counted, and the keep-alives were even sent again with `resendUnconfirmed`).
   * Returns false (and writes nothing) while there is no channel or it is full.
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
    if (!ok) this.setBlocked(channel);
    return true;
  }

  /** The channel can take bytes again. */
  drained(): void {
    this.blockedAt = undefined;
    this.flush();
  }

  /** Fails every waiting send (the connection closed for good); returns the requeued messages nobody waits on (see `SendQueue.clear`). */
  clear(reason: string): Outgoing[] {
    return this.queue.clear(reason);
  }

  /**
   * Fails every waiting send and refuses new ones until a channel is attached again: for a
   * connection that cannot open another channel (a server session, a bridge client: their socket
   * is gone), where a queued send would wait for ever, its promise never settled and nothing said.
   */
  close(reason: string): Outgoing[] {
    this.closedFor = reason;
    return this.clear(reason);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || !this.channel || this.blockedAt !== undefined) return;
    this.flushScheduled = true;
    // Sends made in the same tick go out together (one write, one system call).
    scheduleShared(this);
  }

  /** @internal The flush scheduled by {@link scheduleShared}. */
  runScheduledFlush(): void {
    this.flushScheduled = false;
    this.flush();
  }

  private flush(): void {
    const channel = this.channel;
    if (!channel || this.blockedAt !== undefined) return;
    if (this.shared !== undefined && !this.writeShared(channel)) return;
    if (!this.maybeQueued) return;
    if (this.queue.length === 0) {
      this.maybeQueued = false;
      return;
    }
    // The usual case: what waits is small and goes out in one write, with nothing to group.
    if (channel.coalesce === true && this.queue.peekSmall(JOIN_MAX_BYTES, this.small) === this.queue.length) {
      if (this.queue.length === 1 || !this.writeJoined(channel, this.small.length)) this.drain(channel);
      else if (this.blockedAt === undefined) this.drain(channel); // what was sent while writing
      return;
    }
    if (channel.batch) channel.batch(() => this.drain(channel));
    else this.drain(channel);
  }

  private drain(channel: ByteChannel): void {
    while (this.queue.length > 0 && this.channel === channel) {
      if (channel.coalesce === true && this.queue.length > 1 && this.writeJoined(channel, this.queue.peekSmall(JOIN_MAX_BYTES, this.small))) {
        if (this.blockedAt !== undefined) return;
        continue;
      }
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
        this.block(channel);
        return;
      }
    }
  }

  /**
   * Writes the broadcast messages this outbox took without the queue (`enqueueShared`): one
   * buffer, shared with the other outboxes that took the same ones, remembered as one entry of
   * the unconfirmed window. Returns false when nothing more may be written now.
   */
  private writeShared(channel: ByteChannel): boolean {
    const batch = this.shared!;
    const n = this.sharedCount;
    // The whole batch of a tick that is over (nearly always): remembered as part of a run.
    const whole = !batch.open && n === batch.parts.length;
    const bytes = whole ? batch.wholeBytes() : batch.joined(n);
    let ok: boolean;
    try {
      ok = channel.write(bytes);
    } catch {
      // Let each message fail (or pass) on its own, from the queue.
      this.unshare();
      return true;
    }
    this.shared = undefined;
    this.sharedReject = undefined;
    this.sharedCount = 0;
    this.sharedBytes = 0;
    if (whole) this.rememberTick(batch);
    else this.remember(bytes, bytes.length, n);
    if (ok) return true;
    this.block(channel);
    return false;
  }

  /** Moves the broadcast messages not written yet into the queue, at its front (they came first). */
  private unshare(): void {
    const batch = this.shared;
    if (batch === undefined) return;
    const n = this.sharedCount;
    this.shared = undefined;
    this.sharedCount = 0;
    this.sharedBytes = 0;
    this.queue.requeue(batch.parts.slice(0, n), this.sharedReject);
    this.maybeQueued = true;
    this.sharedReject = undefined;
  }

  /** The channel's buffer is full: nothing more until it drains. */
  private block(channel: ByteChannel): void {
    this.options.log('%s: channel buffer full, %d messages wait', channel.remote, this.queue.length);
    this.setBlocked(channel);
  }

  private setBlocked(channel: ByteChannel): void {
    // A blocked outbox writes no more ticks whole: its run has ended (see unrollTail).
    this.unrollTail();
    this.blockedAt = this.stallAt = this.options.now();
    this.stallUnsent = channel.unsent?.();
    this.options.blocked?.();
  }

  /**
   * Writes the small messages at the head of the queue as one buffer: one write (one system
   * call, one WebSocket frame) instead of one per message, and the joined buffer of the same
   * messages is shared by every connection they were queued for (see {@link joinShared}).
   * `n`: how many there are (`peekSmall` put them in `small`). Returns false, having written
   * nothing, when fewer than two, or when the channel refused the joined bytes.
   */
  private writeJoined(channel: ByteChannel, n: number): boolean {
    const parts = this.small;
    if (n < 2) return false;
    const joined = joinShared(parts, n);
    let ok: boolean;
    try {
      ok = channel.write(joined);
    } catch {
      // Let each message fail (or pass) on its own, in the one-by-one path.
      return false;
    }
    parts.length = 0;
    for (let i = 0; i < n; i++) {
      const item = this.queue.shift()!;
      this.remember(item.bytes, item.size);
      item.resolve?.('written');
    }
    if (!ok) this.block(channel);
    return true;
  }

  /** Records `count` messages written as `entry` (one message, a broadcast tick's, or a run of ticks). */
  private remember(entry: WindowEntry, size: number, count = 1): void {
    this.unrollTail();
    const seq = this.writtenSeq + 1;
    this.writtenSeq += count;
    if (this.windowHead === this.window.length) this.windowSeq = seq;
    this.window.push(entry);
    this.windowCounts.push(count);
    this.tailRun = entry instanceof TickRun ? entry : undefined;
    this.windowBytes += size;
    this.retain();
  }

  /** How many messages the window's entry `i` holds. */
  private countAt(i: number): number {
    const entry = this.window[i];
    return entry instanceof TickRun ? entry.count : this.windowCounts[i]!;
  }

  /**
   * Records a whole broadcast tick. When the last entry is a run of ticks that this tick
   * follows (the same sessions got the same ticks: see {@link TickBatch.next}), the run grows:
   * a fan-out session that the peer never confirms (a C++ client) holds one entry, not one per
   * tick (an array entry per client per tick was most of the fan-out's garbage-collection cost).
   */
  private rememberTick(batch: TickBatch): void {
    const count = batch.parts.length;
    const size = batch.whole!.length;
    const run = this.tailRun;
    if (run !== undefined) {
      const end = run.last;
      // The first session to write the next tick after `end` links them; the others follow.
      end.next ??= batch;
      if (end.next === batch) {
        run.last = batch;
        run.bytes += size;
        run.count += count;
        this.writtenSeq += count;
        this.windowBytes += size;
        if (this.windowBytes > this.retainBytes) this.retain();
        return;
      }
    }
    this.remember(new TickRun(batch, size, count), size, count);
  }

  /**
   * The run at the tail of the window has ended (something else is remembered after it, or the
   * channel is full): its ticks become entries of their own, their joined bytes. A tick batch
   * links to the next one whoever wrote it (`TickBatch.next`), so an outbox that kept a batch
   * kept every tick the other outboxes wrote after it, for as long as it kept that one: a slow
   * client that never confirms (a C++ client of a server) holds its old ticks until it has
   * written `retainBytes` more, and meanwhile held the whole broadcast (measured: a server
   * broadcasting 1 MB/s to a fast client and to one reading 64 KB/s grew by 3 MB a second,
   * 151 MB after 50 s). The joined bytes hold nothing but themselves.
   */
  private unrollTail(): void {
    const run = this.tailRun;
    if (run === undefined) return;
    this.tailRun = undefined;
    // The tail run is the window's last entry: replaced in place by its ticks, in order (the
    // sequence numbers, byte count and head do not change).
    const at = this.window.length - 1;
    this.window.length = at;
    this.windowCounts.length = at;
    for (let b = run.first; ; b = b.next!) {
      this.window.push(b.whole!);
      this.windowCounts.push(b.parts.length);
      if (b === run.last) break;
    }
  }

  /** Keeps the newest `retainBytes`; older unconfirmed messages are still counted. */
  private retain(): void {
    while (this.windowBytes > this.retainBytes) {
      const head = this.window[this.windowHead]!;
      let old: number;
      if (head instanceof TickRun && head.first !== head.last) old = this.dropFirstTick(head);
      else if (this.windowHead < this.window.length - 1) {
        old = entryBytes(head);
        this.windowSeq += this.countAt(this.windowHead);
        this.window[this.windowHead++] = undefined;
      } else break;
      this.windowBytes -= old;
      // windowSeq is now the first kept message: the dropped span ends just before it.
      this.dropped.add(this.windowSeq - 1, old);
    }
    this.compact();
  }

  /** Takes the oldest tick out of the run at the head of the window; returns its bytes. */
  private dropFirstTick(run: TickRun): number {
    const tick = run.first;
    const count = tick.parts.length;
    const size = tick.whole!.length;
    run.first = tick.next!;
    run.bytes -= size;
    run.count -= count;
    this.windowSeq += count;
    return size;
  }

  private compact(): void {
    if (this.windowHead > 1024 && this.windowHead * 2 > this.window.length) {
      this.window = this.window.slice(this.windowHead);
      this.windowCounts = this.windowCounts.slice(this.windowHead);
      this.windowHead = 0;
    } else if (this.windowHead === this.window.length) {
      // Emptied in place: a fan-out session confirmed at every heartbeat would otherwise get new arrays each time.
      this.window.length = 0;
      this.windowCounts.length = 0;
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

/** Outboxes with a flush due at the end of this tick, in the order they asked. */
const due: Outbox[] = [];

/**
 * One microtask flushes every outbox that has sends of this tick, not one microtask per
 * outbox: a broadcast to 300 clients schedules one (Node's queueMicrotask costs an async
 * resource each). Flushes asked for while it runs join the same run.
 */
function scheduleShared(outbox: Outbox): void {
  if (due.length === 0) queueMicrotask(flushDue);
  due.push(outbox);
}

function flushDue(): void {
  // The broadcast messages of this tick are all offered: what comes next starts new batches.
  closeBatches();
  let failure: unknown;
  let failed = false;
  for (let i = 0; i < due.length; i++) {
    try {
      due[i]!.runScheduledFlush();
    } catch (err) {
      // One outbox's failure must not leave the others unflushed; it is rethrown after.
      if (!failed) failure = err;
      failed = true;
    }
  }
  due.length = 0;
  if (failed) throw failure;
}

/**
 * Most bytes of waiting messages joined into one write. Small messages only: a large one (an
 * image) is written from where it is, never copied.
 */
const JOIN_MAX_BYTES = 64 * 1024;

/** The last join: its parts (by identity) and their bytes back to back. */
let lastJoin: { readonly parts: readonly Uint8Array[]; readonly joined: Uint8Array } | undefined;

/**
 * The parts back to back in one buffer. Fan-out (IgtlServer.broadcast, the bridge) queues the
 * SAME byte arrays for every client, and the clients' outboxes flush one after another in the
 * same tick, so the join of the previous outbox is reused when it holds the same arrays in the
 * same order: one copy per tick, not one per client. (Queued bytes are never modified, so
 * identity means equal bytes.) At most JOIN_MAX_BYTES are kept alive by the cache.
 */
function joinShared(parts: readonly Uint8Array[], n: number): Uint8Array {
  const last = lastJoin;
  if (last && last.parts.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = last.parts[i] === parts[i];
    if (same) return last.joined;
  }
  const joined = joinParts(parts, n);
  lastJoin = { parts: parts.slice(0, n), joined };
  return joined;
}

/**
 * The first `n` of `parts` back to back in a new buffer: from a slab when small (a join lives as
 * long as the unconfirmed windows or socket buffers holding it, so not an ArrayBuffer of its own
 * per join), else its own.
 */
function joinParts(parts: readonly Uint8Array[], n: number): Uint8Array {
  let total = 0;
  for (let i = 0; i < n; i++) total += parts[i]!.length;
  let out: Uint8Array;
  if (total <= SLAB_MAX_MESSAGE) {
    joinSlab.reserve(total);
    out = joinSlab.take(total);
  } else out = new Uint8Array(total);
  return copyInto(out, parts, n);
}

/** `out` holding the first `n` of `parts` back to back (it is exactly their length). */
function copyInto(out: Uint8Array, parts: readonly Uint8Array[], n: number): Uint8Array {
  let off = 0;
  for (let i = 0; i < n; i++) {
    out.set(parts[i]!, off);
    off += parts[i]!.length;
  }
  return out;
}

/**
 * The broadcast messages of one tick, in order, that idle outboxes took without their queues
 * (`Outbox.enqueueShared`): each of them holds the first n, nearly always all of them, and
 * writes their join, made once and shared (one copy per tick, not one per client, and no queue
 * entry, flush of the queue, or window entry per client per message). One batch per framing
 * the sessions need (legacy, v3); a batch is open until the tick's flush starts.
 */
class TickBatch {
  readonly parts: Uint8Array[] = [];
  open = true;
  /** All the parts joined, once the tick is over and one outbox wrote them whole. */
  whole: Uint8Array | undefined;
  /**
   * The batch that outboxes which wrote this one whole wrote next, whole (set by the first of
   * them; see `Outbox.rememberTick`): the ticks a run of the unconfirmed window holds.
   */
  next: TickBatch | undefined;
  private joinedCount = 0;
  private joinedBytes: Uint8Array | undefined;

  /** All the parts joined (the tick is over: no more are added). */
  wholeBytes(): Uint8Array {
    this.whole ??= this.joined(this.parts.length);
    return this.whole;
  }

  /** The first `n` messages back to back. */
  joined(n: number): Uint8Array {
    if (n === 1) return this.parts[0]!;
    if (this.joinedCount !== n) {
      this.joinedBytes = joinParts(this.parts, n);
      this.joinedCount = n;
    }
    return this.joinedBytes!;
  }
}

/** Whole ticks written one after another by an outbox: one entry of its unconfirmed window, from `first` through `next` to `last`. */
class TickRun {
  last: TickBatch;
  constructor(
    public first: TickBatch,
    public bytes: number,
    /** Messages in the run. */
    public count: number,
  ) {
    this.last = first;
  }
}

/** An entry of the unconfirmed window. */
type WindowEntry = Outgoing | TickRun;

function entryBytes(entry: WindowEntry): number {
  return entry instanceof TickRun ? entry.bytes : outgoingLength(entry);
}

/** Room for the joins of ticks (see `TickBatch.joined`). */
const joinSlab = new Slab();

/** The open batches of this tick (few: one per framing). */
const openBatches: TickBatch[] = [];
const MAX_OPEN_BATCHES = 4;

/** The open batch that starts with `first`, or a new one; undefined when there are too many (distinct sends, not a fan-out). */
function openBatch(first: Uint8Array): TickBatch | undefined {
  for (const batch of openBatches) if (batch.parts[0] === first) return batch;
  if (openBatches.length === MAX_OPEN_BATCHES) return undefined;
  const batch = new TickBatch();
  batch.parts.push(first);
  openBatches.push(batch);
  return batch;
}

function closeBatches(): void {
  for (const batch of openBatches) batch.open = false;
  openBatches.length = 0;
}

/**
 * Appends the frames of `bytes` (whole messages back to back) to `out`, each a copy of its own,
 * skipping the first `skip`; returns the bytes appended.
 */
function splitFrames(bytes: Uint8Array, skip: number, out: Uint8Array[]): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  for (let off = 0, i = 0; off + HEADER_SIZE <= bytes.length; i++) {
    const end = off + HEADER_SIZE + view.getUint32(off + OFFSET_BODY_SIZE) * 4294967296 + view.getUint32(off + OFFSET_BODY_SIZE + 4);
    if (i >= skip) {
      out.push(bytes.slice(off, end));
      total += end - off;
    }
    off = end;
  }
  return total;
}

/** One buffer holding a message's bytes (its parts joined). */
function joined(bytes: Outgoing): Uint8Array {
  // A small message is a view into a slab shared with other messages (protocol/slab.ts): the
  // report gets a copy of its own, which its reader may keep, modify or transfer.
  if (bytes instanceof Uint8Array) return bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  return copyInto(new Uint8Array(outgoingLength(bytes)), bytes, bytes.length);
}
