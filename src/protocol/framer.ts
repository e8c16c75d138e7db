// Incremental framing: arbitrary chunks of bytes in, whole messages out (spec header.md §9).
//
// The `ws` receiver's lesson: a small state machine (HEADER -> BODY -> emit) over the chunks as
// they arrive. A message that lies wholly inside one chunk is decoded in place, with no copy
// (its payload views stay on that chunk); only a message split across chunks is assembled, into
// one buffer of exactly its size, allocated after BODY_SIZE has passed the limit check.
import { framerLog } from './log.js';
import { DEFAULT_MAX_BODY_SIZE, HEADER_SIZE, OFFSET_BODY_SIZE, OFFSET_VERSION } from './constants.js';
import { checkHeader, decodeFrame, decodeFrameAt, type DecodeOptions } from './decode.js';
import { IgtlError, TruncatedMessageError } from './errors.js';
import { readHeader, type FrameHeader } from './header.js';
import { defaultRegistry } from './messages/index.js';
import type { IgtlMessage } from './types.js';

/** Receives the framer's output. */
export interface FrameHandler {
  /**
   * A whole message: the header and its 58 + BODY_SIZE bytes at `offset` of `bytes` (`view`
   * is a DataView over the same bytes, same indexing). Valid only during the call unless kept.
   */
  frame(header: FrameHeader, bytes: Uint8Array, view: DataView, offset: number): void;
  /** A message that cannot be framed (oversized, unsupported version, truncated at the end). */
  error(err: IgtlError): void;
  /**
   * Optional fast path: a whole message lying inside one chunk, with its header checked (version
   * supported, BODY_SIZE below 2^32 and the limit) but not read into a FrameHeader. When
   * present it is called instead of `frame` for such messages, so the framer allocates nothing
   * per message. `bodySize` is BODY_SIZE.
   */
  frameAt?(bytes: Uint8Array, view: DataView, offset: number, bodySize: number): void;
}

/** Options of the framer. */
export interface FramerOptions {
  /** Largest BODY_SIZE accepted (default 256 MiB). */
  readonly maxBodySize?: number;
}

/**
 * Splits a byte stream into OpenIGTLink messages, whatever the chunk boundaries. A message
 * refused from its header (BODY_SIZE over the limit, unsupported header version) is reported
 * and its BODY_SIZE bytes are skipped without being stored, so framing resumes with the next one.
 */
export class Framer {
  private readonly maxBodySize: number;
  private readonly headerBuf = new Uint8Array(HEADER_SIZE);
  private readonly headerView = new DataView(this.headerBuf.buffer);
  private headerFill = 0;
  private partial: Uint8Array | undefined;
  private partialHeader: FrameHeader | undefined;
  private partialFill = 0;
  private skip = 0;
  /** The first exception a handler threw during this push, rethrown once the chunk is consumed. */
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly handler: FrameHandler,
    options: FramerOptions = {},
  ) {
    this.maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  }

  /** Bytes held for an incomplete header or message. */
  get buffered(): number {
    return this.partial ? this.partialFill : this.headerFill;
  }

  /** True while the bytes of a refused message are being skipped. */
  get skipping(): boolean {
    return this.skip > 0;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
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
          if (this.accept(header)) this.startPartial(header, this.headerBuf, 0, HEADER_SIZE);
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
    framerLog('%s%s', err.message, this.skip > 0 ? `; skipping its ${this.skip} body bytes` : '');
    try {
      this.handler.error(err);
    } catch (error) {
      this.failure ??= { error };
    }
  }

  /**
   * Ends the stream: a header or message still incomplete is reported as a
   * {@link TruncatedMessageError} (with what arrived of it), and the state is cleared.
   */
  end(): void {
    if (this.partial && this.partialHeader) {
      this.report(new TruncatedMessageError(this.partial.length, this.partialFill, this.partialHeader, this.partial.subarray(0, this.partialFill)));
    } else if (this.headerFill > 0) {
      this.report(new TruncatedMessageError(HEADER_SIZE, this.headerFill, undefined, this.headerBuf.slice(0, this.headerFill)));
    }
    this.reset();
    this.rethrow();
  }

  /** Drops any partial state without reporting it (e.g. after a reconnect). */
  reset(): void {
    this.headerFill = 0;
    this.partial = undefined;
    this.partialHeader = undefined;
    this.partialFill = 0;
    this.skip = 0;
  }

  /** The fast path: whole messages in place, from `off` while a full header is available. */
  private scan(chunk: Uint8Array, off: number): number {
    const len = chunk.length;
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const handler = this.handler;
    const max = this.maxBodySize;
    while (len - off >= HEADER_SIZE) {
      // Read only what framing needs; a FrameHeader is built only off the common path (a refused
      // header, a message continuing in the next chunk, or a handler without frameAt).
      const version = view.getUint16(off + OFFSET_VERSION);
      const sizeHi = view.getUint32(off + OFFSET_BODY_SIZE);
      const bodySize = view.getUint32(off + OFFSET_BODY_SIZE + 4);
      const total = HEADER_SIZE + bodySize;
      if (sizeHi === 0 && bodySize <= max && (version === 1 || version === 2 || version === 0) && len - off >= total) {
        try {
          if (handler.frameAt) handler.frameAt(chunk, view, off, bodySize);
          else handler.frame(readHeader(chunk, view, off), chunk, view, off);
        } catch (error) {
          this.failure ??= { error };
        }
        off += total;
        continue;
      }
      const header = readHeader(chunk, view, off);
      if (!this.accept(header)) return off + HEADER_SIZE;
      this.startPartial(header, chunk, off, len - off);
      return len;
    }
    return off;
  }

  /** Reports a header refused before its body (and arranges to skip that body). */
  private accept(header: FrameHeader): boolean {
    const problem = checkHeader(header, this.maxBodySize);
    if (!problem) return true;
    this.skip = header.bodySize;
    this.report(problem);
    return false;
  }

  private startPartial(header: FrameHeader, src: Uint8Array, off: number, n: number): void {
    const total = HEADER_SIZE + header.bodySize;
    this.partial = new Uint8Array(total);
    this.partialHeader = header;
    this.partial.set(src.subarray(off, off + n), 0);
    this.partialFill = n;
    if (n === total) this.finishPartial();
  }

  private fillPartial(chunk: Uint8Array, off: number): number {
    const partial = this.partial!;
    const n = Math.min(partial.length - this.partialFill, chunk.length - off);
    partial.set(chunk.subarray(off, off + n), this.partialFill);
    this.partialFill += n;
    if (this.partialFill === partial.length) this.finishPartial();
    return off + n;
  }

  private finishPartial(): void {
    const bytes = this.partial!;
    const header = this.partialHeader!;
    this.partial = undefined;
    this.partialHeader = undefined;
    this.partialFill = 0;
    try {
      this.handler.frame(header, bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
    } catch (error) {
      this.failure ??= { error };
    }
  }
}

/** Receives decoded messages and errors. */
export interface MessageHandler {
  message(msg: IgtlMessage): void;
  error(err: IgtlError): void;
}

/**
 * A framer that decodes what it frames: chunks in, typed messages and typed errors out. A bad
 * message (CRC mismatch, malformed body, oversized, ...) is reported and decoding goes on with
 * the next one.
 */
export class MessageDecoder {
  private readonly framer: Framer;

  constructor(handler: MessageHandler, options: DecodeOptions = {}) {
    const registry = options.registry ?? defaultRegistry;
    const verifyCrc = options.verifyCrc ?? true;
    this.framer = new Framer(
      {
        frame(header, bytes, view, offset) {
          let msg: IgtlMessage;
          try {
            msg = decodeFrame(header, bytes, view, offset, registry, verifyCrc);
          } catch (err) {
            handler.error(err as IgtlError);
            return;
          }
          handler.message(msg);
        },
        frameAt(bytes, view, offset) {
          let msg: IgtlMessage;
          try {
            msg = decodeFrameAt(bytes, view, offset, registry, verifyCrc);
          } catch (err) {
            handler.error(err as IgtlError);
            return;
          }
          handler.message(msg);
        },
        error: (err) => handler.error(err),
      },
      options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize },
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

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.framer.buffered;
  }
}

/**
 * Decodes every message in `bytes` (concatenated messages, e.g. a recorded file), in order:
 * each entry is a message or the typed error that took its place.
 */
export function decodeAll(bytes: Uint8Array, options: DecodeOptions = {}): (IgtlMessage | IgtlError)[] {
  const out: (IgtlMessage | IgtlError)[] = [];
  const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, options);
  decoder.push(bytes);
  decoder.end();
  return out;
}
