// Encoding a typed message into its wire bytes (OpenIGTLink Documents/Protocol/header.md).
import type { ContentCodec } from './codec.js';
import { DEVICE_NAME_SIZE, EXTENDED_HEADER_SIZE, HEADER_SIZE, OFFSET_CRC } from './constants.js';
import { crc64Parts, crcResult } from './crc64.js';
import { EncodeError } from './errors.js';
import { writeHeader } from './header.js';
import { encodeMetadata, writeMetadata, type EncodedMetadata } from './metadata-codec.js';
import type { Metadata } from './metadata.js';
import { defaultEncodingFor, fixedStringLength } from './text.js';
import { defaultRegistry } from './messages/index.js';
import type { CodecRegistry } from './registry.js';
import { SLAB_MAX_MESSAGE, Slab } from './slab.js';
import { wireType, type IgtlMessage } from './types.js';

/** Options of the encoding entry points. */
export interface EncodeOptions {
  /** Codecs to use (default: the default registry). */
  readonly registry?: CodecRegistry;
}

/**
 * Metadata key of a device name longer than the header's 20 bytes (OpenIGTLink
 * Source/igtl_header.h `IGTL_DEVICE_NAME_METADATA_KEY`): PLUS (PlusLib
 * vtkPlusIgtlMessageCommon.cxx, PackTransformMessage) and OpenIGTLinkIO
 * (igtlioBaseConverter.cxx, HeadertoIGTL) cut the header field to 20 bytes and put the whole
 * name here; OpenIGTLinkIO's IGTLtoHeader reads it back in place of the header field.
 */
export const DEVICE_NAME_METADATA_KEY = 'IGTL_DEVICE_NAME';

/**
 * The full device name of a message: its `IGTL_DEVICE_NAME` metadata when that is present and
 * not empty (as OpenIGTLinkIO reads it), else the header's `deviceName`. `msg.deviceName` itself
 * stays what the header says (at most 20 bytes), so a received message re-encodes byte for byte.
 * A message you build with a longer `deviceName` is sent with the header cut to 20 bytes and this
 * metadata added (see {@link encodeMessage}); both forms give the same `fullDeviceName`.
 */
export function fullDeviceName(msg: { readonly deviceName: string; readonly metadata: Metadata }): string {
  if (msg.metadata.size === 0) return msg.deviceName;
  const full = msg.metadata.get(DEVICE_NAME_METADATA_KEY)?.value;
  return full === undefined || full === '' ? msg.deviceName : full;
}

/** The longest prefix of `name` that fits `size` bytes of UTF-8 without splitting a character. */
function cutName(name: string, size: number): string {
  let bytes = 0;
  let i = 0;
  while (i < name.length) {
    const c = name.codePointAt(i)!;
    // U+DC80..U+DCFF alone is the escape of one byte that was not UTF-8 (text.ts escapedUtf8).
    const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xdc80 && c <= 0xdcff ? 1 : c < 0x10000 ? 3 : 4;
    if (bytes + n > size) break;
    bytes += n;
    i += c >= 0x10000 ? 2 : 1;
  }
  return name.slice(0, i);
}

/** The EncodeError of a device name over 20 bytes in legacy framing, which has no metadata to carry it. */
function longNameError(type: string, name: string, length: number): EncodeError {
  return new EncodeError(
    type,
    `device name "${name}" is ${length} bytes and the header holds ${DEVICE_NAME_SIZE}; only v3 framing (headerVersion 2) can carry a longer name ` +
      `(cut to ${DEVICE_NAME_SIZE} bytes in the header, whole in IGTL_DEVICE_NAME metadata, as PLUS sends it), and this message is in header version 1`,
  );
}

/**
 * True when `name` does not fit the header's 20-byte DEVICE_NAME field, so that sending it needs
 * v3 framing (see {@link fullDeviceName}).
 */
export function isLongDeviceName(name: string): boolean {
  // A name of at most 6 UTF-16 units is at most 18 bytes of UTF-8.
  return name.length > 6 && fixedStringLength(name) > DEVICE_NAME_SIZE;
}

/** A message measured and ready to be written: what `encodedSize` computed, kept for the write. */
interface Plan {
  readonly codec: ContentCodec<string, unknown> | undefined;
  readonly type: string;
  /** What goes into the header's DEVICE_NAME field. */
  readonly deviceName: string;
  readonly contentSize: number;
  readonly meta: EncodedMetadata | undefined;
  readonly bodySize: number;
}

function plan(msg: IgtlMessage, registry: CodecRegistry): Plan {
  const type = wireType(msg);
  const codec = msg.type === 'UNKNOWN' ? undefined : registry.get(type);
  if (msg.type !== 'UNKNOWN' && codec === undefined) throw new EncodeError(type, 'no codec is registered for this type');
  const contentSize = codec ? codec.size(msg.content) : (msg.content as { raw: Uint8Array }).raw.length;
  const long = isLongDeviceName(msg.deviceName);
  if (msg.headerVersion === 1) {
    // Legacy framing has nowhere to put these; refusing beats dropping them silently.
    if (msg.metadata.size > 0) throw new EncodeError(type, 'metadata needs headerVersion 2 (v3 framing)');
    if (msg.messageId !== 0) throw new EncodeError(type, 'a message ID needs headerVersion 2 (v3 framing)');
    if (long) throw longNameError(type, msg.deviceName, fixedStringLength(msg.deviceName));
    return { codec, type, deviceName: msg.deviceName, contentSize, meta: undefined, bodySize: contentSize };
  }
  if (msg.headerVersion !== 2) throw new EncodeError(type, `headerVersion must be 1 or 2, got ${String(msg.headerVersion)}`);
  if (!Number.isInteger(msg.messageId) || msg.messageId < 0 || msg.messageId > 0xffffffff) {
    throw new EncodeError(type, `messageId must be a uint32, got ${msg.messageId}`);
  }
  let deviceName = msg.deviceName;
  let metadata = msg.metadata;
  if (long) {
    // As PLUS and OpenIGTLinkIO do: the header gets the first 20 bytes, the metadata the whole name
    // (a full name already in the metadata is kept as it is).
    deviceName = cutName(msg.deviceName, DEVICE_NAME_SIZE);
    if (!metadata.has(DEVICE_NAME_METADATA_KEY)) {
      metadata = new Map(metadata).set(DEVICE_NAME_METADATA_KEY, { value: msg.deviceName, encoding: defaultEncodingFor(msg.deviceName) });
    }
  }
  const meta = encodeMetadata(metadata, type);
  return { codec, type, deviceName, contentSize, meta, bodySize: EXTENDED_HEADER_SIZE + contentSize + meta.headerSize + meta.size };
}

function write(msg: IgtlMessage, p: Plan, bytes: Uint8Array, view: DataView, offset: number): number {
  writeHeader(bytes, view, offset, msg.headerVersion, p.type, p.deviceName, msg.timestamp, p.bodySize);
  const bodyStart = offset + HEADER_SIZE;
  let contentStart = bodyStart;
  if (p.meta) {
    view.setUint16(bodyStart, EXTENDED_HEADER_SIZE);
    view.setUint16(bodyStart + 2, p.meta.headerSize);
    view.setUint32(bodyStart + 4, p.meta.size);
    view.setUint32(bodyStart + 8, msg.messageId);
    contentStart += EXTENDED_HEADER_SIZE;
  }
  if (p.codec) p.codec.encode(msg.content, bytes, view, contentStart);
  else bytes.set((msg.content as { raw: Uint8Array }).raw, contentStart);
  if (p.meta) writeMetadata(p.meta, bytes, view, contentStart + p.contentSize);
  const bodyEnd = bodyStart + p.bodySize;
  crc64Parts(view, bodyStart, bodyEnd);
  view.setUint32(offset + OFFSET_CRC, crcResult.hi);
  view.setUint32(offset + OFFSET_CRC + 4, crcResult.lo);
  return HEADER_SIZE + p.bodySize;
}

/** The fast path of the encoders: legacy framing, no metadata, a codec. Returns the bytes written. */
function writeLegacy(msg: IgtlMessage, codec: ContentCodec<string, unknown>, bodySize: number, bytes: Uint8Array, view: DataView, offset: number): number {
  const end = offset + HEADER_SIZE + bodySize;
  try {
    writeHeader(bytes, view, offset, 1, msg.type, msg.deviceName, msg.timestamp, bodySize);
  } catch (err) {
    // Only on a refusal: say why a long name cannot go in legacy framing.
    if (isLongDeviceName(msg.deviceName)) throw longNameError(msg.type, msg.deviceName, fixedStringLength(msg.deviceName));
    throw err;
  }
  codec.encode(msg.content, bytes, view, offset + HEADER_SIZE);
  crc64Parts(view, offset + HEADER_SIZE, end);
  view.setUint32(offset + OFFSET_CRC, crcResult.hi);
  view.setUint32(offset + OFFSET_CRC + 4, crcResult.lo);
  return HEADER_SIZE + bodySize;
}

/** Number of bytes `msg` takes on the wire. Throws an {@link EncodeError} if it cannot be encoded. */
export function encodedSize(msg: IgtlMessage, options: EncodeOptions = {}): number {
  return HEADER_SIZE + plan(msg, options.registry ?? defaultRegistry).bodySize;
}

/**
 * Encodes a message: header, body (with extended header and metadata in v3 framing) and CRC-64,
 * in one allocation. Large payloads are written once, straight from their views.
 * Throws an {@link EncodeError} when the message cannot be encoded.
 */
export function encodeMessage(msg: IgtlMessage, options: EncodeOptions = {}): Uint8Array {
  return encodeWhole(msg, options.registry ?? defaultRegistry, undefined);
}

/** The slab of {@link encodeMessageShared}: encoding is synchronous, so one serves every connection. */
const sendSlab = new Slab();

/**
 * @internal {@link encodeMessage} for bytes that go straight to a channel: a message of at most
 * SLAB_MAX_MESSAGE bytes is a view into a shared slab (slab.ts), with no buffer or DataView of
 * its own. The view's buffer holds other messages: never modify or transfer it.
 */
export function encodeMessageShared(msg: IgtlMessage, options: EncodeOptions = {}): Uint8Array {
  return encodeWhole(msg, options.registry ?? defaultRegistry, sendSlab);
}

/**
 * Encodes into a buffer of its own, or into `slab` when given and the message is small. `codec`:
 * the registry's codec of `msg.type` when the caller looked it up already.
 */
function encodeWhole(msg: IgtlMessage, registry: CodecRegistry, slab: Slab | undefined, codec?: ContentCodec<string, unknown>): Uint8Array {
  let p: Plan | undefined;
  let size: number;
  if (msg.headerVersion === 1 && msg.type !== 'UNKNOWN' && msg.messageId === 0 && msg.metadata.size === 0 && (codec ??= registry.get(msg.type)) !== undefined) {
    // Legacy framing, known type (what a tracking stream sends): no plan object.
    size = HEADER_SIZE + codec.size(msg.content);
  } else {
    p = plan(msg, registry);
    size = HEADER_SIZE + p.bodySize;
  }
  if (slab === undefined || size > SLAB_MAX_MESSAGE) {
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    if (p) write(msg, p, bytes, view, 0);
    else writeLegacy(msg, codec!, size - HEADER_SIZE, bytes, view, 0);
    return bytes;
  }
  slab.reserve(size);
  const offset = slab.offset;
  try {
    if (p) write(msg, p, slab.bytes, slab.view, offset);
    else writeLegacy(msg, codec!, size - HEADER_SIZE, slab.bytes, slab.view, offset);
  } catch (err) {
    // Not handed out: the next message takes these bytes, and may count on them being zero.
    slab.bytes.fill(0, offset, offset + size);
    throw err;
  }
  return slab.take(size);
}

/**
 * Encodes a message into `bytes` at `offset` (for batching many messages into one buffer) and
 * returns the number of bytes written. Throws a RangeError if it does not fit.
 */
export function encodeMessageInto(msg: IgtlMessage, bytes: Uint8Array, offset: number, options: EncodeOptions & { view?: DataView } = {}): number {
  const registry = options.registry ?? defaultRegistry;
  if (msg.headerVersion === 1 && msg.type !== 'UNKNOWN' && msg.messageId === 0 && msg.metadata.size === 0) {
    // The common case of a stream of small messages (legacy framing, a known type) without the
    // plan object: measure, write header and content, CRC.
    const codec = registry.get(msg.type);
    if (codec !== undefined) {
      const bodySize = codec.size(msg.content);
      if (offset + HEADER_SIZE + bodySize > bytes.length) {
        throw new RangeError(`message of ${HEADER_SIZE + bodySize} bytes does not fit at offset ${offset} of ${bytes.length}`);
      }
      return writeLegacy(msg, codec, bodySize, bytes, options.view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
    }
  }
  const p = plan(msg, registry);
  if (offset + HEADER_SIZE + p.bodySize > bytes.length) {
    throw new RangeError(`message of ${HEADER_SIZE + p.bodySize} bytes does not fit at offset ${offset} of ${bytes.length}`);
  }
  const view = options.view ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return write(msg, p, bytes, view, offset);
}

/** Payloads smaller than this are copied: a separate write costs more than the copy. */
const PARTS_MIN_PAYLOAD = 64 * 1024;

/**
 * Encodes a message as a list of byte arrays that, written back to back, are the message: for a
 * type whose codec has a large payload (IMAGE, VIDEO, NDARRAY, COLORT), `[header and content
 * head, the payload view itself, metadata]`, with the CRC-64 computed across them, so the pixels
 * are hashed where they are and never copied. Other messages come back as one array. The payload
 * must not change until the parts are written (the connection's `send()` resolves then).
 */
export function encodeMessageParts(msg: IgtlMessage, options: EncodeOptions = {}): Uint8Array[] {
  const registry = options.registry ?? defaultRegistry;
  const codec = msg.type === 'UNKNOWN' ? undefined : registry.get(msg.type);
  return (codec && encodeLargePayload(msg, codec, registry)) ?? [encodeWhole(msg, registry, undefined, codec)];
}

/**
 * @internal What a stream channel writes for `msg`: the parts of {@link encodeMessageParts} for
 * a large payload, else the bytes of {@link encodeMessageShared} (a view into a shared slab for a
 * small message: never modify or transfer its buffer).
 */
export function encodeOutgoing(msg: IgtlMessage, options: EncodeOptions = {}): Uint8Array | Uint8Array[] {
  const registry = options.registry ?? defaultRegistry;
  const codec = msg.type === 'UNKNOWN' ? undefined : registry.get(msg.type);
  return (codec && encodeLargePayload(msg, codec, registry)) ?? encodeWhole(msg, registry, sendSlab, codec);
}

/** The parts of {@link encodeMessageParts} when `msg` (of `codec`'s type) has a payload worth writing on its own, else undefined. */
function encodeLargePayload(msg: IgtlMessage, codec: ContentCodec<string, unknown>, registry: CodecRegistry): Uint8Array[] | undefined {
  if (!codec.payload || !codec.encodeHead) return undefined;
  const payload = codec.payload(msg.content);
  if (!payload || payload.length < PARTS_MIN_PAYLOAD) return undefined;
  const p = plan(msg, registry);
  const extSize = p.meta ? EXTENDED_HEADER_SIZE : 0;
  const headSize = p.contentSize - payload.length;
  const head = new Uint8Array(HEADER_SIZE + extSize + headSize);
  const headView = new DataView(head.buffer);
  writeHeader(head, headView, 0, msg.headerVersion, p.type, p.deviceName, msg.timestamp, p.bodySize);
  if (p.meta) {
    headView.setUint16(HEADER_SIZE, EXTENDED_HEADER_SIZE);
    headView.setUint16(HEADER_SIZE + 2, p.meta.headerSize);
    headView.setUint32(HEADER_SIZE + 4, p.meta.size);
    headView.setUint32(HEADER_SIZE + 8, msg.messageId);
  }
  codec.encodeHead(msg.content, head, headView, HEADER_SIZE + extSize);
  // The CRC runs over the body across the parts: head, payload (in place), metadata.
  crc64Parts(headView, HEADER_SIZE, head.length);
  crc64Parts(new DataView(payload.buffer, payload.byteOffset, payload.byteLength), 0, payload.length, crcResult.hi, crcResult.lo);
  const parts = [head, payload];
  if (p.meta) {
    const tail = new Uint8Array(p.meta.headerSize + p.meta.size);
    const tailView = new DataView(tail.buffer);
    writeMetadata(p.meta, tail, tailView, 0);
    crc64Parts(tailView, 0, tail.length, crcResult.hi, crcResult.lo);
    parts.push(tail);
  }
  headView.setUint32(OFFSET_CRC, crcResult.hi);
  headView.setUint32(OFFSET_CRC + 4, crcResult.lo);
  return parts;
}
