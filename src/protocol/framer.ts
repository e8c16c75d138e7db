// Incremental framing: arbitrary chunks of bytes in, whole messages out (OpenIGTLink Documents/Protocol/header.md, Body size).
//
// The `ws` receiver's lesson: a small state machine (HEADER -> BODY -> emit) over the chunks as
// they arrive. A message that lies wholly inside one chunk is decoded in place, with no copy
// (its payload views stay on that chunk); only a message split across chunks is assembled.
//
// Memory follows the bytes that arrived, not the bytes a header declares: a header is 58 bytes
// anyone can send, and BODY_SIZE is whatever it says. A split message is held in about twice
// what arrived, at least 1 MiB (capacityFor: the one rule), and gets one buffer of exactly its
// size as soon as that rule allows it (a "1 MiB" IMAGE, 1 MiB plus its headers, gets one
// allocation). A larger one grows as its bytes arrive, in one of two ways, whichever the
// allocation offers (see SplitAllocation):
// - in place: one resizable ArrayBuffer that reserves the message's size (address space only)
//   and is resized to about twice what arrived whenever it is full, so nothing is copied twice
//   and only what is resized is ever committed. Node transports offer it for messages over
//   128 MiB (src/transport/socket-channel.ts says why); browsers do not (their Web APIs refuse
//   views on resizable buffers, e.g. TextDecoder, Blob, ImageData).
// - in segments: each time the buffers are full one more of the size of all of them is added,
//   then one buffer of exactly 58 + BODY_SIZE bytes takes the bytes so far and the rest. Adding
//   buffers rather than doubling one (allocate twice the size, copy everything) touches and
//   copies half as much memory before the last buffer, and fresh memory is dear (page faults).
// Either way the message is handed on in one buffer of exactly its size (decoded payloads, e.g.
// IMAGE pixels, are views into it). A step that would stop just short of the size (a 256 MiB
// IMAGE is 2^28 bytes plus its headers) goes to the size at once.
//
// With `crc` on (MessageDecoder verifying CRCs), the CRC-64 of a split message's body is computed
// as its bytes are copied in, while they are still in cache, exactly once and in order (a
// growth step copies bytes already hashed and does not hash them again); the decoder then checks
// it without a second pass over the assembled message.
//
// OpenIGTLink has no sync marker (OpenIGTLink Documents/Protocol/header.md, Header Fields), so a receiver that reads a header where
// there is none has lost the stream for good. On a network stream (`resync: 'stop'`) such a
// header is reported once as a DesyncError and everything after it is ignored until reset():
// guessing further boundaries would only turn garbage into messages. In a file
// (`resync: 'skip'`) the framer keeps going as it always did, skipping by BODY_SIZE.
import { framerLog } from './log.js';
import { DEFAULT_MAX_BODY_SIZE, HEADER_SIZE, MAX_BODY_SIZE_LIMIT, OFFSET_BODY_SIZE, OFFSET_VERSION } from './constants.js';
import { crc64Parts, crcResult, type Crc64Halves } from './crc64.js';
import { checkHeader, decodeFrame, decodeFrameAt, type DecodeOptions } from './decode.js';
import { BodyTooLargeError, DesyncError, IgtlError, InvalidOptionError, TruncatedMessageError } from './errors.js';
import { readHeader, readNames, slotPlausible, type FrameHeader } from './header.js';
import { defaultRegistry } from './messages/index.js';
import { implausibleHeader } from './plausibility.js';
import type { IgtlMessage } from './types.js';

export { implausibleHeader } from './plausibility.js';

/** Receives the framer's output. */
export interface FrameHandler {
  /**
   * A whole message: the header and its 58 + BODY_SIZE bytes at `offset` of `bytes` (`view`
   * is a DataView over the same bytes, same indexing). Valid only during the call unless kept.
   * `bodyCrc`: with the `crc` option, the CRC-64 of the body of a message that was assembled
   * from several chunks, computed as they arrived (undefined otherwise).
   */
  frame(header: FrameHeader, bytes: Uint8Array, view: DataView, offset: number, bodyCrc?: Crc64Halves): void;
  /**
   * A message that cannot be framed (oversized, unsupported version, truncated at the end, too
   * large to allocate) or, with `resync: 'stop'`, the DesyncError that ends the stream.
   */
  error(err: IgtlError): void;
  /**
   * Optional fast path: a whole message lying inside one chunk, with its header checked (version
   * supported, BODY_SIZE below 2^32 and the limit, and with `resync: 'stop'` TYPE and
   * DEVICE_NAME plausible) but not read into a FrameHeader. When present it is called instead of
   * `frame` for such messages, so the framer allocates nothing per message. `bodySize` is BODY_SIZE;
   * `nameSlot` is the header.ts name-cache slot of its TYPE and DEVICE_NAME when the framer
   * looked them up already (-1 otherwise).
   */
  frameAt?(bytes: Uint8Array, view: DataView, offset: number, bodySize: number, nameSlot: number): void;
}

/**
 * What the framer does with a header no OpenIGTLink peer would send (see
 * `implausibleHeader`): `stop` reports a {@link DesyncError} and ignores every later byte
 * until `reset()` (network streams); `skip` reports the header's specific error (unsupported
 * version, ...) and skips its BODY_SIZE, as before (files).
 */
export type ResyncMode = 'stop' | 'skip';

/** An ArrayBuffer that can be resized in place up to its `maxByteLength` (ES2024). */
export type ResizableBuffer = ArrayBuffer & {
  /** The largest size it can be resized to. */
  readonly maxByteLength: number;
  /** Changes its size to `byteLength` (at most `maxByteLength`), keeping its bytes; throws a RangeError when it cannot. */
  resize(byteLength: number): void;
};

/**
 * Where the framer gets the buffers of a message split across chunks: called with a size, a
 * buffer of exactly that many bytes (it may be uninitialized, the framer writes every byte before
 * handing it on). A message that has to grow (over 1 MiB, more than about twice what arrived)
 * grows in segments from it, then is copied into one buffer of its size, unless the allocation
 * also offers `resizable`.
 */
export interface SplitAllocation {
  (size: number): Uint8Array;
  /**
   * Optional, asked once per message that has to grow (`maxSize` is its size): an ArrayBuffer of
   * `size` bytes resizable up to `maxSize` (`new ArrayBuffer(size, { maxByteLength: maxSize })`),
   * or undefined to have this one grow in segments. The framer grows such a message in place,
   * resizing it to about twice what arrived whenever it is full: nothing is copied twice, and it
   * still commits only about what arrived. Its decoded payloads are then views on a resizable
   * buffer: offer it only where what reads them accepts such views. Node's APIs do; browsers'
   * Web APIs (TextDecoder, Blob, ImageData, WebSocket.send, ...) throw a TypeError.
   */
  readonly resizable?: (size: number, maxSize: number) => ResizableBuffer | undefined;
}

/** Options of the framer. */
export interface FramerOptions {
  /**
   * Largest BODY_SIZE accepted (default {@link DEFAULT_MAX_BODY_SIZE}, 256 MiB + 64 KiB: a
   * 256 MiB image with its headers and metadata): an integer from 0 to 2^32 - 1 - 58
   * ({@link MAX_BODY_SIZE_LIMIT}); anything else throws an InvalidOptionError.
   */
  readonly maxBodySize?: number;
  /** What to do after an implausible header (default `stop`). */
  readonly resync?: ResyncMode;
  /**
   * Allocates the buffers of a message split across chunks (default `new Uint8Array(size)`, in
   * segments). The framer writes every byte it hands on before handing it on, so an allocation
   * that skips zero-filling is safe: Node transports pass one (`Buffer.allocUnsafeSlow`) that
   * also offers resizable buffers. For tests and custom pools too; if it throws, the message is
   * reported (see {@link Framer}) and skipped.
   */
  readonly allocate?: SplitAllocation;
  /**
   * Compute the CRC-64 of the body of every message split across chunks as its bytes arrive,
   * and hand it to {@link FrameHandler.frame} (default false). For a handler that checks CRCs:
   * it then needs no second pass over a large message.
   */
  readonly crc?: boolean;
}

/** The least a split message is held in while it grows (header included). */
const GROWTH_FLOOR = 1 << 20;

/**
 * The buffer size for a message of `total` bytes of which `arrived` are here, the framer's one
 * memory rule: about twice what arrived, at least 1 MiB; the whole message when that is at most a
 * quarter more (no step that would stop just short of the end, only to grow once more).
 */
function capacityFor(total: number, arrived: number): number {
  const wanted = Math.max(GROWTH_FLOOR, 2 * arrived);
  return total <= wanted + wanted / 4 ? total : wanted;
}

const defaultAllocate: SplitAllocation = (size: number): Uint8Array => new Uint8Array(size);

/**
 * The checked `maxBodySize` option (throws InvalidOptionError naming `option`: the bridge's
 * `maxMessageSize` is checked by the same rule, before its first client needs it).
 */
export function checkMaxBodySize(value: number | undefined, option = 'maxBodySize'): number {
  if (value === undefined) return DEFAULT_MAX_BODY_SIZE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_BODY_SIZE_LIMIT) {
    throw new InvalidOptionError(option, `${String(value)} is not an integer from 0 to ${MAX_BODY_SIZE_LIMIT} (a message must fit one typed array with its 58-byte header)`);
  }
  return value;
}

/** The checked `resync` option (throws InvalidOptionError). */
function checkResync(value: ResyncMode | undefined): ResyncMode {
  if (value === undefined) return 'stop';
  if (value !== 'stop' && value !== 'skip') throw new InvalidOptionError('resync', `${String(value)} is neither 'stop' nor 'skip'`);
  return value;
}

/**
 * Splits a byte stream into OpenIGTLink messages, whatever the chunk boundaries. A message
 * refused from its header (BODY_SIZE over the limit; with `resync: 'skip'` also an unsupported
 * header version) is reported and its BODY_SIZE bytes are skipped without being stored, so
 * framing resumes with the next one. With `resync: 'stop'` (the default) a header that is not
 * plausible is reported as a {@link DesyncError} and the framer ignores all later bytes until
 * {@link Framer.reset}.
 *
 * push() and end() throw nothing of their own: every problem is reported through
 * `handler.error`. When the buffer for a split message cannot be allocated (a RangeError, or
 * whatever a custom `allocate` throws), it is reported as a {@link BodyTooLargeError} whose
 * `limit` is the size of the buffer the framer did hold for it (0 if none): the message is too
 * large for this process; its remaining bytes are skipped and framing goes on. Only an exception
 * thrown by the handler itself is rethrown, once the chunk has been consumed.
 */
export class Framer {
  private readonly maxBodySize: number;
  private readonly stopOnDesync: boolean;
  private readonly allocate: SplitAllocation;
  private readonly hashes: boolean;
  private readonly headerBuf = new Uint8Array(HEADER_SIZE);
  private readonly headerView = new DataView(this.headerBuf.buffer);
  private headerFill = 0;
  /**
   * The message being assembled, partialFill of partialTotal bytes so far: the bytes of the full
   * `segments`, then [0, segmentFill) of `partial`, the buffer being filled (the last, exact
   * buffer when its length is partialTotal, and then there are no segments). Growing in place,
   * `partial` views the whole of `resizable` and there are no segments.
   */
  private partial: Uint8Array | undefined;
  private resizable: ResizableBuffer | undefined;
  private partialView: DataView | undefined;
  private segments: Uint8Array[] = [];
  private segmentFill = 0;
  private partialHeader: FrameHeader | undefined;
  private partialTotal = 0;
  private partialFill = 0;
  /**
   * CRC-64 of the body bytes in partial so far, with `crc` on: its halves as int32 (small
   * integers keep the CRC kernel's type feedback what the per-message path gives it).
   */
  private crcHi = 0;
  private crcLo = 0;
  private skip = 0;
  /** Bytes the message being skipped declared (its body), for {@link pendingReceived}. */
  private skipTotal = 0;
  private lost = false;
  /** The first exception a handler threw during this push, rethrown once the chunk is consumed. */
  private failure: { error: unknown } | undefined;

  /** Throws an InvalidOptionError for a `maxBodySize` or `resync` it cannot honour. */
  constructor(
    private readonly handler: FrameHandler,
    options: FramerOptions = {},
  ) {
    this.maxBodySize = checkMaxBodySize(options.maxBodySize);
    this.stopOnDesync = checkResync(options.resync) === 'stop';
    this.allocate = options.allocate ?? defaultAllocate;
    this.hashes = options.crc === true;
  }

  /** Bytes received and held for an incomplete header or message (what end() would report). */
  get buffered(): number {
    return this.partial ? this.partialFill : this.headerFill;
  }

  /** True while the bytes of a refused message are being skipped. */
  get skipping(): boolean {
    return this.skip > 0;
  }

  /** Bytes of a refused message still to be skipped (0 when not skipping). */
  get skipRemaining(): number {
    return this.skip;
  }

  /**
   * Bytes of the message now arriving received so far: held for the message being assembled
   * (header included) or for its incomplete header, or skipped of the message being skipped.
   */
  get pendingReceived(): number {
    return this.skip > 0 ? this.skipTotal - this.skip : this.buffered;
  }

  /** True once the stream was reported lost (DesyncError): later bytes are ignored until reset(). */
  get desynced(): boolean {
    return this.lost;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    const len = chunk.length;
    let off = 0;
    while (off < len && !this.lost) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.partial) {
        off = this.fillPartial(chunk, off);
        continue;
      }
      if (this.headerFill > 0 || len - off < HEADER_SIZE) {
        // Gather a header that straddles chunks in a 58-byte scratch buffer.
        const n = Math.min(HEADER_SIZE - this.headerFill, len - off);
        this.headerBuf.set(chunk.subarray(off, off + n), this.headerFill);
        this.headerFill += n;
        off += n;
        if (this.headerFill === HEADER_SIZE) {
          this.headerFill = 0;
          const header = readHeader(this.headerBuf, this.headerView, 0);
          if (this.accept(header, this.headerBuf, this.headerView, 0)) this.startPartial(header, this.headerBuf, 0, HEADER_SIZE);
        }
        continue;
      }
      off = this.scan(chunk, off);
    }
    this.rethrow();
  }

  /**
   * A handler that throws must not desynchronise the stream: the framer finishes the chunk (so
   * its state stays right for the next one), then rethrows the first exception.
   */
  private rethrow(): void {
    const f = this.failure;
    if (f) {
      this.failure = undefined;
      throw f.error;
    }
  }

  private report(err: IgtlError): void {
    framerLog('%s%s', err.message, this.skip > 0 ? `; skipping its ${this.skip} remaining bytes` : '');
    try {
      this.handler.error(err);
    } catch (error) {
      this.failure ??= { error };
    }
  }

  /**
   * Ends the stream: a header or message still incomplete is reported as a
   * {@link TruncatedMessageError} (with what arrived of it), and the state is cleared as by
   * reset() (a lost stream is not reported again, and the framer is ready for a new stream).
   */
  end(): void {
    if (this.lost) {
      // Already reported as a DesyncError: nothing more about this stream.
    } else if (this.partial && this.partialHeader) {
      this.report(new TruncatedMessageError(this.partialTotal, this.partialFill, this.partialHeader, this.received()));
    } else if (this.headerFill > 0) {
      this.report(new TruncatedMessageError(HEADER_SIZE, this.headerFill, undefined, this.headerBuf.slice(0, this.headerFill)));
    }
    this.reset();
    this.rethrow();
  }

  /** Drops any partial state without reporting it, and forgets a lost stream (e.g. after a reconnect). */
  reset(): void {
    this.headerFill = 0;
    this.dropPartial();
    this.skip = 0;
    this.lost = false;
  }

  /** The fast path: whole messages in place, from `off` while a full header is available. */
  private scan(chunk: Uint8Array, off: number): number {
    const len = chunk.length;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const handler = this.handler;
    const max = this.maxBodySize;
    const stop = this.stopOnDesync;
    let slot = -1;
    while (len - off >= HEADER_SIZE) {
      // Read only what framing needs; a FrameHeader is built only off the common path (a refused
      // header, a message continuing in the next chunk, or a handler without frameAt). With
      // 'stop', the names are checked here too (header.ts's name cache knows whether a pair is
      // plausible, and hands the slot on so the decoder does not look it up again), so that
      // garbage never reaches the handler as a message; 'skip' reads version 0 as 1, as the C++
      // library does.
      const version = view.getUint16(off + OFFSET_VERSION);
      const sizeHi = view.getUint32(off + OFFSET_BODY_SIZE);
      const bodySize = view.getUint32(off + OFFSET_BODY_SIZE + 4);
      const total = HEADER_SIZE + bodySize;
      if (
        sizeHi === 0 && bodySize <= max && len - off >= total &&
        (stop ? (version === 1 || version === 2) && slotPlausible((slot = readNames(chunk, view, off))) : version === 1 || version === 2 || version === 0)
      ) {
        try {
          if (handler.frameAt) handler.frameAt(chunk, view, off, bodySize, slot);
          else handler.frame(readHeader(chunk, view, off), chunk, view, off);
        } catch (error) {
          this.failure ??= { error };
        }
        off += total;
        continue;
      }
      const header = readHeader(chunk, view, off);
      if (!this.accept(header, chunk, view, off)) return this.lost ? len : off + HEADER_SIZE;
      return this.startPartial(header, chunk, off, Math.min(len - off, total));
    }
    return off;
  }

  /**
   * Checks a header before its body: reports an implausible one as a DesyncError (with 'stop'),
   * or a refused one (and arranges to skip its body). True when the message is to be read.
   */
  private accept(header: FrameHeader, bytes: Uint8Array, view: DataView, off: number): boolean {
    if (this.stopOnDesync) {
      const reason = implausibleHeader(bytes, view, off);
      if (reason !== undefined) {
        this.desync(reason, bytes, off, header);
        return false;
      }
    }
    const problem = checkHeader(header, this.maxBodySize);
    if (!problem) return true;
    this.skip = this.skipTotal = header.bodySize;
    this.report(problem);
    return false;
  }

  /** The stream is lost: report it once, hold nothing, ignore everything until reset(). */
  private desync(reason: string, bytes: Uint8Array, off: number, header: FrameHeader): void {
    this.reset();
    this.lost = true;
    // A copy, so the report does not pin the chunk (or change with the scratch buffer); the
    // 58-byte allocation cannot realistically fail, but if it does a view will do.
    let received = bytes.subarray(off, off + HEADER_SIZE);
    try {
      received = received.slice();
    } catch {
      // 58 bytes cannot realistically fail to allocate; if they do, the view will do.
    }
    this.report(new DesyncError(reason, received, header));
  }

  /**
   * What `make` returns (a buffer of `size` bytes for the message of `header`), or undefined when
   * it throws (logged; the caller reports it).
   */
  private tryAllocate(size: number, header: FrameHeader, make: () => Uint8Array): Uint8Array | undefined {
    try {
      return make();
    } catch (cause) {
      framerLog('cannot allocate %d bytes for %s "%s": %s', size, header.type, header.deviceName, cause instanceof Error ? cause.message : String(cause));
      return undefined;
    }
  }

  /** Forgets the message being assembled. */
  private dropPartial(): void {
    this.partial = undefined;
    this.partialView = undefined;
    this.resizable = undefined;
    this.segments = [];
    this.segmentFill = 0;
    this.partialHeader = undefined;
    this.partialTotal = 0;
    this.partialFill = 0;
  }

  /** The bytes of the message being assembled, in one array (for a truncation report). */
  private received(): Uint8Array {
    const last = this.partial!.subarray(0, this.segmentFill);
    if (this.segments.length === 0) return last;
    try {
      return copyParts(this.allocate(this.partialFill), [...this.segments, last]);
    } catch {
      return last; // too large to copy again: the report keeps what it can.
    }
  }

  /** Bytes held for the message being assembled. */
  private held(): number {
    let n = this.partial ? this.partial.length : 0;
    for (const s of this.segments) n += s.length;
    return n;
  }

  /** Reports a message whose buffer could not be allocated (see the class comment) and skips the rest of it. */
  private allocationFailed(header: FrameHeader, held: number, remaining: number): void {
    this.dropPartial();
    this.skip = this.skipTotal = remaining;
    this.report(new BodyTooLargeError(header.bodySizeBig, held, header));
  }

  /**
   * Starts assembling a message split across chunks from the `n` bytes at `off` of `src`
   * (n < 58 + BODY_SIZE). Returns the offset after them in `src`.
   */
  private startPartial(header: FrameHeader, src: Uint8Array, off: number, n: number): number {
    const total = HEADER_SIZE + header.bodySize;
    const capacity = capacityFor(total, n);
    const first = src.subarray(off, off + n);
    const buf = this.tryAllocate(capacity, header, () => {
      // The one choice between growing in place and in segments: the allocation's, per message.
      // A reservation refused (address space limits, e.g. `ulimit -v`) falls back to segments,
      // which need only what arrived.
      let ab: ResizableBuffer | undefined;
      try {
        ab = capacity < total ? this.allocate.resizable?.(capacity, total) : undefined;
      } catch {
        ab = undefined;
      }
      this.resizable = ab;
      return copyParts(ab ? new Uint8Array(ab, 0, capacity) : this.allocate(capacity), [first]);
    });
    if (buf === undefined) {
      this.allocationFailed(header, 0, total - n);
      return off + n;
    }
    this.setPartial(buf);
    this.partialHeader = header;
    this.partialTotal = total;
    this.partialFill = n;
    this.segmentFill = n;
    this.crcHi = 0;
    this.crcLo = 0;
    this.hash(HEADER_SIZE, n);
    if (n === total) this.finishPartial();
    return off + n;
  }

  private setPartial(buf: Uint8Array): void {
    this.partial = buf;
    this.partialView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** With `crc` on: hashes the body bytes just copied to [start, end) of `partial` (in arrival order). */
  private hash(start: number, end: number): void {
    if (!this.hashes || end <= start) return;
    crc64Parts(this.partialView!, start, end, this.crcHi, this.crcLo);
    this.crcHi = crcResult.hi | 0;
    this.crcLo = crcResult.lo | 0;
  }

  private fillPartial(chunk: Uint8Array, off: number): number {
    if (this.segmentFill === this.partial!.length && !this.grow()) return off;
    const partial = this.partial!;
    const at = this.segmentFill;
    const n = Math.min(partial.length - at, chunk.length - off);
    partial.set(chunk.subarray(off, off + n), at);
    this.segmentFill = at + n;
    this.partialFill += n;
    this.hash(at, at + n);
    if (this.partialFill === this.partialTotal) this.finishPartial();
    return off + n;
  }

  /**
   * Makes room when the buffers are full (and the message is not complete), up to what
   * capacityFor allows: in place, a resize; in segments, one more buffer of the size of all of
   * them, or the exact last buffer when the rule reaches the message's size (never past it).
   * False when that cannot be allocated (reported; the rest of the message is then skipped, the
   * bytes of the current chunk included).
   */
  private grow(): boolean {
    const header = this.partialHeader!;
    const total = this.partialTotal;
    const fill = this.partialFill;
    const capacity = capacityFor(total, fill);
    const ab = this.resizable;
    const last = capacity === total;
    const buf = ab
      ? this.tryAllocate(capacity, header, () => {
        // Commits the pages up to `capacity` (one mprotect): nothing moves.
        ab.resize(capacity);
        return new Uint8Array(ab, 0, capacity);
      })
      : last
        ? this.tryAllocate(total, header, () => copyParts(this.allocate(total), [...this.segments, this.partial!]))
        : this.tryAllocate(capacity - fill, header, () => this.allocate(capacity - fill));
    if (buf === undefined) {
      this.allocationFailed(header, this.held(), total - fill);
      return false;
    }
    if (!ab) {
      if (last) this.segments = [];
      else this.segments.push(this.partial!);
      this.segmentFill = last ? fill : 0;
    }
    this.setPartial(buf);
    return true;
  }

  private finishPartial(): void {
    const partial = this.partial!;
    // Capacity never exceeds the total, so this is the whole buffer; subarray only in case.
    const bytes = partial.length === this.partialTotal ? partial : partial.subarray(0, this.partialTotal);
    const header = this.partialHeader!;
    const view = bytes === partial ? this.partialView! : new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bodyCrc = this.hashes ? { hi: this.crcHi >>> 0, lo: this.crcLo >>> 0 } : undefined;
    this.dropPartial();
    try {
      this.handler.frame(header, bytes, view, 0, bodyCrc);
    } catch (error) {
      this.failure ??= { error };
    }
  }
}

/** `out` with `parts` copied one after the other at its start (as much of them as fits). */
function copyParts(out: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const size = out.length;
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, size - at);
    out.set(n === p.length ? p : p.subarray(0, n), at);
    at += n;
  }
  return out;
}

/** Receives decoded messages and errors. */
export interface MessageHandler {
  /**
   * A decoded message (its payload views are valid as long as the chunk or buffer they view).
   * Its frame, as received (CRC checked when verified), is the `length` bytes at `offset` of
   * `bytes`: the chunk pushed, or the buffer the framer assembled for this message alone; the
   * framer never writes to either again, so a relay may keep the frame and send it on as it is.
   */
  message(msg: IgtlMessage, bytes: Uint8Array, offset: number, length: number): void;
  /** A message that could not be framed or decoded, or the DesyncError that ends a lost stream. */
  error(err: IgtlError): void;
}

/**
 * A framer that decodes what it frames: chunks in, typed messages and typed errors out. A bad
 * message (CRC mismatch, malformed body, oversized, ...) is reported and decoding goes on with
 * the next one. A lost stream (an implausible header, `resync: 'stop'`, the default) is
 * reported once as a DesyncError, then nothing more until {@link MessageDecoder.reset}.
 */
export class MessageDecoder {
  private readonly framer: Framer;

  /** Throws an InvalidOptionError for a `maxBodySize` or `resync` it cannot honour. */
  constructor(handler: MessageHandler, options: DecodeOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    const verifyCrc = options.verifyCrc ?? true;
    this.framer = new Framer(
      {
        frame(header, bytes, view, offset, bodyCrc) {
          let msg: IgtlMessage;
          try {
            msg = decodeFrame(header, bytes, view, offset, registry, verifyCrc, bodyCrc);
          } catch (err) {
            handler.error(err as IgtlError);
            return;
          }
          handler.message(msg, bytes, offset, HEADER_SIZE + header.bodySize);
        },
        frameAt(bytes, view, offset, bodySize, slot) {
          let msg: IgtlMessage;
          try {
            msg = decodeFrameAt(bytes, view, offset, registry, verifyCrc, slot);
          } catch (err) {
            handler.error(err as IgtlError);
            return;
          }
          handler.message(msg, bytes, offset, HEADER_SIZE + bodySize);
        },
        error: (err) => handler.error(err),
      },
      {
        ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
        ...(options.resync === undefined ? {} : { resync: options.resync }),
        ...(options.allocate === undefined ? {} : { allocate: options.allocate }),
        crc: verifyCrc,
      },
    );
  }

  /** Feeds the next chunk. */
  push(chunk: Uint8Array): void {
    this.framer.push(chunk);
  }

  /** Ends the stream, reporting an incomplete message as truncated. */
  end(): void {
    this.framer.end();
  }

  /** Drops partial state without reporting it. */
  reset(): void {
    this.framer.reset();
  }

  /** Bytes received and held for an incomplete header or message. */
  get buffered(): number {
    return this.framer.buffered;
  }

  /** True while the bytes of a refused message are being skipped. */
  get skipping(): boolean {
    return this.framer.skipping;
  }

  /** Bytes of a refused message still to be skipped (0 when not skipping). */
  get skipRemaining(): number {
    return this.framer.skipRemaining;
  }

  /** See {@link Framer.pendingReceived}. */
  get pendingReceived(): number {
    return this.framer.pendingReceived;
  }

  /** True once the stream was reported lost (DesyncError): later bytes are ignored until reset(). */
  get desynced(): boolean {
    return this.framer.desynced;
  }
}

/**
 * Decodes every message in `bytes` (concatenated messages, e.g. a recorded file), in order:
 * each entry is a message or the typed error that took its place. A file is read with
 * `resync: 'skip'` unless told otherwise: a bad header is reported and skipped by its BODY_SIZE.
 */
export function decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): (IgtlMessage | IgtlError)[] {
  const out: (IgtlMessage | IgtlError)[] = [];
  const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, { ...options, resync: options.resync ?? 'skip' });
  decoder.push(bytes);
  decoder.end();
  return out;
}
