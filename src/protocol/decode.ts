// Decoding one whole message (header + body) into a typed message.
import type { DecodeContext } from './codec.js';
import { codecLog, logUnknownType } from './log.js';
import { EXTENDED_HEADER_SIZE, HEADER_SIZE, OFFSET_BODY_SIZE, OFFSET_CRC, OFFSET_TIMESTAMP, OFFSET_VERSION } from './constants.js';
import { crc64Parts, crcResult, type Crc64Halves } from './crc64.js';
import {
  BodyTooLargeError,
  CrcMismatchError,
  IgtlError,
  MalformedMessageError,
  TruncatedMessageError,
  UnsupportedHeaderVersionError,
} from './errors.js';
import { wholeBufferViews } from './buffer-views.js';
import { EmptyContentError } from './empty-content.js';
import { readHeader, readNames, slotDevice, slotType, type FrameHeader } from './header.js';
import { EMPTY_METADATA } from './metadata.js';
import { readMetadata } from './metadata-codec.js';
import { defaultRegistry } from './messages/index.js';
import type { SplitAllocation } from './framer.js';
import type { CodecRegistry } from './registry.js';
import { Timestamp } from './timestamp.js';
import type { IgtlMessage, UnknownMessage } from './types.js';
import { DEFAULT_MAX_BODY_SIZE } from './constants.js';

/** Options of every decoding entry point. */
export interface DecodeOptions {
  /** Codecs to use (default: every standard type plus what `registerCodec` added). */
  readonly registry?: CodecRegistry;
  /** Check the CRC-64 of every body (default true). */
  readonly verifyCrc?: boolean;
  /**
   * Largest BODY_SIZE accepted, in bytes (default {@link DEFAULT_MAX_BODY_SIZE}, 256 MiB + 64 KiB:
   * a 256 MiB image with its headers and metadata); larger is refused before allocation.
   */
  readonly maxBodySize?: number;
  /**
   * What a streaming decoder does with a header no OpenIGTLink peer would send (see
   * `implausibleHeader`): `stop` (the default of MessageDecoder, for network streams) reports a
   * DesyncError and ignores every later byte until `reset()`; `skip` (the default of
   * `decodeAll`, for files) reports the header's specific error and skips its BODY_SIZE.
   * Ignored by `decodeMessage`, which decodes exactly one message.
   */
  readonly resync?: 'stop' | 'skip';
  /**
   * Allocates the buffers a streaming decoder assembles a message split across chunks in
   * (default `new Uint8Array(size)`; see `FramerOptions.allocate` and {@link SplitAllocation}).
   * Node transports pass one that skips zero-filling and grows large messages in place. Ignored
   * by `decodeMessage`.
   */
  readonly allocate?: SplitAllocation;
}

/** True when a header version can be decoded (0 is read as 1, as the C++ library does). */
export function isSupportedHeaderVersion(version: number): boolean {
  return version === 1 || version === 2 || version === 0;
}

/**
 * Decodes the message whose 58-byte header (already read as `header`) starts at `offset` of
 * `bytes`; the whole body must be present. `bodyCrc`: the body's CRC-64 when already computed
 * (the framer's, as a split message arrived), checked instead of hashing the body again.
 * Throws only {@link IgtlError}s.
 */
export function decodeFrame(
  header: FrameHeader,
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  registry: CodecRegistry,
  verifyCrc: boolean,
  bodyCrc?: Crc64Halves,
): IgtlMessage {
  return decodeBody(
    bytes, view, offset, header.bodySize, header.version, header.type, header.deviceName,
    header.timestampSeconds, header.timestampFraction, header.crcHi, header.crcLo, registry, verifyCrc, header, bodyCrc,
  );
}

/**
 * @internal {@link decodeFrame} for a header not read yet: the framer's fast path. The caller has
 * checked the header (version supported, BODY_SIZE below 2^32 and the limit, whole message
 * present); no FrameHeader is allocated unless the message is bad.
 */
export function decodeFrameAt(bytes: Uint8Array, view: DataView, offset: number, registry: CodecRegistry, verifyCrc: boolean, knownSlot = -1): IgtlMessage {
  const slot = knownSlot >= 0 ? knownSlot : readNames(bytes, view, offset);
  return decodeBody(
    bytes, view, offset, view.getUint32(offset + OFFSET_BODY_SIZE + 4), view.getUint16(offset + OFFSET_VERSION), slotType(slot), slotDevice(slot),
    view.getUint32(offset + OFFSET_TIMESTAMP), view.getUint32(offset + OFFSET_TIMESTAMP + 4),
    view.getUint32(offset + OFFSET_CRC), view.getUint32(offset + OFFSET_CRC + 4), registry, verifyCrc, undefined, undefined,
  );
}

function decodeBody(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  bodySize: number,
  version: number,
  type: string,
  deviceName: string,
  timestampSeconds: number,
  timestampFraction: number,
  crcHi: number,
  crcLo: number,
  registry: CodecRegistry,
  verifyCrc: boolean,
  knownHeader: FrameHeader | undefined,
  knownCrc: Crc64Halves | undefined,
): IgtlMessage {
  const bodyStart = offset + HEADER_SIZE;
  const bodyEnd = bodyStart + bodySize;
  if (verifyCrc) {
    let actualHi: number;
    let actualLo: number;
    if (knownCrc) {
      actualHi = knownCrc.hi;
      actualLo = knownCrc.lo;
    } else {
      crc64Parts(view, bodyStart, bodyEnd);
      actualHi = crcResult.hi;
      actualLo = crcResult.lo;
    }
    if (actualHi !== crcHi || actualLo !== crcLo) {
      const actual = (BigInt(actualHi) << 32n) | BigInt(actualLo);
      const header = knownHeader ?? readHeader(bytes, view, offset);
      const err = new CrcMismatchError(header.crc, actual, header, bytes.subarray(offset, bodyEnd));
      codecLog('%s', err.message);
      throw err;
    }
  }
  let contentStart = bodyStart;
  let contentEnd = bodyEnd;
  let messageId = 0;
  let metadata = EMPTY_METADATA;
  let headerVersion: 1 | 2 = 1;
  // Set once the codec has the content: an error from there, for empty content, is an empty answer.
  let inContent = false;
  try {
    if (type === '') throw new MalformedMessageError('(empty type)', 'the TYPE field is empty');
    if (version === 2) {
      headerVersion = 2;
      if (bodySize < EXTENDED_HEADER_SIZE) {
        throw new MalformedMessageError(type, `v3 body of ${bodySize} bytes is shorter than the 12-byte extended header`);
      }
      const extSize = view.getUint16(bodyStart);
      const metaHeaderSize = view.getUint16(bodyStart + 2);
      const metaSize = view.getUint32(bodyStart + 4);
      messageId = view.getUint32(bodyStart + 8);
      if (extSize < EXTENDED_HEADER_SIZE) {
        throw new MalformedMessageError(type, `EXT_HEADER_SIZE ${extSize} is under the ${EXTENDED_HEADER_SIZE} bytes of the extended header's fields`);
      }
      if (extSize + metaHeaderSize + metaSize > bodySize) {
        throw new MalformedMessageError(type, `extended header (${extSize}) + metadata header (${metaHeaderSize}) + metadata (${metaSize}) exceed BODY_SIZE ${bodySize}`);
      }
      // Extended headers longer than 12 bytes are skipped, as the C++ library does (OpenIGTLink Documents/Protocol/header.md, Extended Header Fields).
      contentStart = bodyStart + extSize;
      contentEnd = bodyEnd - metaHeaderSize - metaSize;
      if (metaHeaderSize > 0 || metaSize > 0) metadata = readMetadata(bytes, view, contentEnd, metaHeaderSize, metaSize, type);
    }
    const timestamp = new Timestamp(timestampSeconds, timestampFraction);
    const codec = registry.get(type);
    if (codec === undefined) {
      logUnknownType(type);
      return {
        type: 'UNKNOWN',
        typeName: type,
        headerVersion,
        deviceName,
        timestamp,
        messageId,
        metadata,
        content: { raw: bytes.subarray(contentStart, contentEnd) },
      };
    }
    inContent = true;
    const content = codec.decode(bytes, view, contentStart, contentEnd - contentStart, contextFor(registry, timestamp));
    return {
      type,
      headerVersion,
      deviceName,
      timestamp,
      messageId,
      metadata,
      content,
    } as IgtlMessage;
  } catch (err) {
    const header = knownHeader ?? readHeader(bytes, view, offset);
    const frame = bytes.subarray(offset, bodyEnd);
    if (inContent && contentStart === contentEnd) {
      const answer: UnknownMessage = {
        type: 'UNKNOWN', typeName: type, headerVersion, deviceName, timestamp: new Timestamp(timestampSeconds, timestampFraction),
        messageId, metadata, content: { raw: bytes.subarray(contentStart, contentEnd) },
      };
      const detail = err instanceof MalformedMessageError ? err.detail : err instanceof Error ? err.message : String(err);
      const empty = new EmptyContentError(answer, detail, { header, frame, cause: err });
      codecLog('%s', empty.message);
      throw empty;
    }
    throw asDecodeError(err, header, frame);
  }
}

// One decode context, updated per message rather than allocated: decoding is synchronous and
// codecs only read the context during their own decode call.
const sharedContext: { registry: CodecRegistry; timestamp: Timestamp } = { registry: defaultRegistry, timestamp: Timestamp.ZERO };
function contextFor(registry: CodecRegistry, timestamp: Timestamp): DecodeContext {
  sharedContext.registry = registry;
  sharedContext.timestamp = timestamp;
  return sharedContext;
}

/** Turns anything a codec threw into an IgtlError that carries the header and the frame. */
function asDecodeError(err: unknown, header: FrameHeader, frame: Uint8Array): IgtlError {
  const typed = toDecodeError(err, header, frame);
  codecLog('%s', typed.message);
  return typed;
}

function toDecodeError(err: unknown, header: FrameHeader, frame: Uint8Array): IgtlError {
  if (err instanceof MalformedMessageError) {
    return err.header ? err : new MalformedMessageError(err.messageType, err.detail, { header, frame, cause: err.cause });
  }
  if (err instanceof IgtlError) return err;
  // A RangeError from a DataView read past the content, or a bug in a user codec: still a typed report.
  return new MalformedMessageError(header.type, err instanceof Error ? err.message : String(err), { header, frame, cause: err });
}

/**
 * Checks a header before its body is read: an unsupported version or an oversized BODY_SIZE is
 * reported from the header alone without allocating anything.
 */
export function checkHeader(header: FrameHeader, maxBodySize: number): IgtlError | undefined {
  if (header.bodySizeHi >= 0x200000 || header.bodySize > maxBodySize) {
    return new BodyTooLargeError(header.bodySizeBig, maxBodySize, header);
  }
  if (!isSupportedHeaderVersion(header.version)) return new UnsupportedHeaderVersionError(header.version, header);
  return undefined;
}

/**
 * decodeMessage()'s usual case for a frame cut from a larger buffer that the previous call decoded
 * from too (buffer-views.ts): no DataView of its own. Undefined when the buffer is new, or when
 * the header is not the usual case (decodeMessage then reads it in full, for its error). Kept out
 * of decodeMessage for its size, as decodeInFull is.
 */
function decodeFromWholeBuffer(bytes: Uint8Array, options: DecodeOptions): IgtlMessage | undefined {
  const shared = wholeBufferViews(bytes);
  if (shared === undefined) return undefined;
  const at = bytes.byteOffset;
  const view = shared.view;
  if (view.getUint32(at + OFFSET_BODY_SIZE) !== 0) return undefined;
  const bodySize = view.getUint32(at + OFFSET_BODY_SIZE + 4);
  if (HEADER_SIZE + bodySize !== bytes.length || bodySize > (options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE) || !isSupportedHeaderVersion(view.getUint16(at + OFFSET_VERSION))) return undefined;
  return decodeFrameAt(shared.bytes, view, at, options.registry ?? defaultRegistry, options.verifyCrc ?? true);
}

/**
 * Decodes exactly one message from `bytes` (a whole message, nothing before or after).
 * Throws an {@link IgtlError}: TruncatedMessageError, BodyTooLargeError, CrcMismatchError, ...
 */
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions = {}): IgtlMessage {
  if (bytes.length < HEADER_SIZE) throw new TruncatedMessageError(HEADER_SIZE, bytes.length);
  // A frame cut from a larger buffer, read through the views the previous call on it made.
  if (bytes.byteOffset !== 0) {
    const decoded = decodeFromWholeBuffer(bytes, options);
    if (decoded !== undefined) return decoded;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The usual case, a whole message whose header passes checkHeader, takes the framer's path
  // (decodeFrameAt: no FrameHeader object); anything else is read in full, for its error.
  if (view.getUint32(OFFSET_BODY_SIZE) === 0) {
    const bodySize = view.getUint32(OFFSET_BODY_SIZE + 4);
    if (HEADER_SIZE + bodySize === bytes.length && bodySize <= (options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE) && isSupportedHeaderVersion(view.getUint16(OFFSET_VERSION))) {
      return decodeFrameAt(bytes, view, 0, options.registry ?? defaultRegistry, options.verifyCrc ?? true);
    }
  }
  return decodeInFull(bytes, view, options);
}

/**
 * decodeMessage() for a message outside its usual case: the header read in full, so that its
 * error can say what is wrong. A function of its own, so that decodeMessage stays small enough
 * (V8 inlines up to 460 bytes of bytecode) to be inlined into its callers' loops.
 */
function decodeInFull(bytes: Uint8Array, view: DataView, options: DecodeOptions): IgtlMessage {
  const header = readHeader(bytes, view, 0);
  const problem = checkHeader(header, options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE);
  if (problem) throw problem;
  const total = HEADER_SIZE + header.bodySize;
  if (bytes.length < total) throw new TruncatedMessageError(total, bytes.length, header, bytes);
  if (bytes.length > total) {
    throw new MalformedMessageError(header.type, `${bytes.length - total} bytes after the end of the message`, { header, frame: bytes });
  }
  return decodeFrame(header, bytes, view, 0, options.registry ?? defaultRegistry, options.verifyCrc ?? true);
}
