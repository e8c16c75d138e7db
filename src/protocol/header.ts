import {
  DEVICE_NAME_SIZE,
  HEADER_SIZE,
  OFFSET_BODY_SIZE,
  OFFSET_CRC,
  OFFSET_DEVICE_NAME,
  OFFSET_TIMESTAMP,
  OFFSET_TYPE,
  OFFSET_VERSION,
  TYPE_NAME_SIZE,
} from './constants.js';
import { namesPlausible } from './plausibility.js';
import { Timestamp } from './timestamp.js';
import { readFixedString, writeFixedString } from './text.js';
import { hex64 } from './errors.js';

/**
 * The 58-byte header of a received message (OpenIGTLink Documents/Protocol/header.md, Header Fields), as read from the wire. Errors
 * about a message carry it, so a report always says which message it was.
 */
export class FrameHeader {
  constructor(
    /** Raw header version field (1 = legacy framing, 2 = v3 framing). */
    readonly version: number,
    /** TYPE field, e.g. `TRANSFORM`. */
    readonly type: string,
    /** DEVICE_NAME field. */
    readonly deviceName: string,
    /** TIMESTAMP high 32 bits (seconds). */
    readonly timestampSeconds: number,
    /** TIMESTAMP low 32 bits (fraction). */
    readonly timestampFraction: number,
    /** BODY_SIZE high 32 bits. */
    readonly bodySizeHi: number,
    /** BODY_SIZE low 32 bits. */
    readonly bodySizeLo: number,
    /** CRC high 32 bits. */
    readonly crcHi: number,
    /** CRC low 32 bits. */
    readonly crcLo: number,
  ) {}

  /** BODY_SIZE as a number (exact up to 2^53; larger values are never accepted anyway). */
  get bodySize(): number {
    return this.bodySizeHi * 4294967296 + this.bodySizeLo;
  }

  /** BODY_SIZE exactly. */
  get bodySizeBig(): bigint {
    return (BigInt(this.bodySizeHi) << 32n) | BigInt(this.bodySizeLo);
  }

  /** CRC field. */
  get crc(): bigint {
    return (BigInt(this.crcHi) << 32n) | BigInt(this.crcLo);
  }

  /** TIMESTAMP field. */
  get timestamp(): Timestamp {
    return new Timestamp(this.timestampSeconds, this.timestampFraction);
  }

  /** The header fields in the manifest's JSON names (used in error reports). */
  toJSON(): { type: string; headerVersion: number; deviceName: string; timestampRaw: string; bodySize: number | string; crc: string } {
    const big = this.bodySizeBig;
    return {
      type: this.type,
      headerVersion: this.version,
      deviceName: this.deviceName,
      timestampRaw: this.timestamp.toRaw().toString(),
      bodySize: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString(),
      crc: hex64(this.crc),
    };
  }
}

// The TYPE and DEVICE_NAME fields of a stream repeat from message to message, so the 32 bytes
// that hold them (offsets 2..33) are looked up as eight int32 words in a small direct-mapped
// cache of decoded (type, device name) pairs: a hit is 8 loads and 8 compares, instead of two
// byte-by-byte string decodes and two new strings per message. The strings returned are the same
// objects each time (hashed once, so the codec lookup by type name is fast). The cache only
// avoids work: what is returned is always the decoding of the bytes (readFixedString).
const NAME_SETS = 128;
const nameKeys = new Int32Array(NAME_SETS * 2 * 8);
const nameFilled = new Uint8Array(NAME_SETS * 2);
const nameTypes: string[] = new Array<string>(NAME_SETS * 2).fill('');
const nameDevices: string[] = new Array<string>(NAME_SETS * 2).fill('');
/** Whether a slot's TYPE and DEVICE_NAME pass the plausibility rules (computed once, on a miss). */
const namePlausible = new Uint8Array(NAME_SETS * 2);

/**
 * @internal Decodes the TYPE and DEVICE_NAME fields of the header at `offset` and returns the
 * cache slot that holds them: read them with {@link slotType} and {@link slotDevice} right away.
 * The cache is 2-way set associative (two pairs that hash alike do not evict each other).
 */
export function readNames(bytes: Uint8Array, view: DataView, offset: number): number {
  const o = offset + OFFSET_TYPE;
  const w0 = view.getInt32(o);
  const w1 = view.getInt32(o + 4);
  const w2 = view.getInt32(o + 8);
  const w3 = view.getInt32(o + 12);
  const w4 = view.getInt32(o + 16);
  const w5 = view.getInt32(o + 20);
  const w6 = view.getInt32(o + 24);
  const w7 = view.getInt32(o + 28);
  let h = Math.imul(w0 ^ (w1 >>> 7), 0x9e3779b1) ^ Math.imul(w3 ^ (w4 >>> 11), 0x85ebca77) ^ Math.imul(w5 ^ (w6 >>> 3) ^ w2 ^ w7, 0xc2b2ae3d);
  h ^= h >>> 15;
  h ^= h >>> 8;
  const keys = nameKeys;
  let slot = (h & (NAME_SETS - 1)) << 1;
  for (let way = 0; way < 2; way++, slot++) {
    const k = slot * 8;
    if (
      nameFilled[slot] === 1 &&
      keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3 &&
      keys[k + 4] === w4 && keys[k + 5] === w5 && keys[k + 6] === w6 && keys[k + 7] === w7
    ) {
      return slot;
    }
  }
  // Miss: way 0 moves to way 1, the new pair takes way 0.
  slot = (h & (NAME_SETS - 1)) << 1;
  const k = slot * 8;
  keys.copyWithin(k + 8, k, k + 8);
  nameFilled[slot + 1] = nameFilled[slot]!;
  nameTypes[slot + 1] = nameTypes[slot]!;
  nameDevices[slot + 1] = nameDevices[slot]!;
  namePlausible[slot + 1] = namePlausible[slot]!;
  namePlausible[slot] = namesPlausible(view, offset) ? 1 : 0;
  nameTypes[slot] = readFixedString(bytes, offset + OFFSET_TYPE, TYPE_NAME_SIZE);
  nameDevices[slot] = readFixedString(bytes, offset + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE);
  keys[k] = w0;
  keys[k + 1] = w1;
  keys[k + 2] = w2;
  keys[k + 3] = w3;
  keys[k + 4] = w4;
  keys[k + 5] = w5;
  keys[k + 6] = w6;
  keys[k + 7] = w7;
  nameFilled[slot] = 1;
  return slot;
}

/** @internal The TYPE of a slot returned by {@link readNames}. */
export function slotType(slot: number): string {
  return nameTypes[slot]!;
}

/**
 * @internal True when the TYPE and DEVICE_NAME of a slot returned by {@link readNames} are
 * plausible (plausibility.ts): the framer's check that garbage never becomes a message, at no
 * cost beyond the name lookup the decoder makes anyway.
 */
export function slotPlausible(slot: number): boolean {
  return namePlausible[slot] === 1;
}

/** @internal The DEVICE_NAME of a slot returned by {@link readNames}. */
export function slotDevice(slot: number): string {
  return nameDevices[slot]!;
}

/** Reads the 58-byte header at `offset` (the caller guarantees 58 bytes are there). */
export function readHeader(bytes: Uint8Array, view: DataView, offset: number): FrameHeader {
  const slot = readNames(bytes, view, offset);
  return new FrameHeader(
    view.getUint16(offset + OFFSET_VERSION),
    nameTypes[slot]!,
    nameDevices[slot]!,
    view.getUint32(offset + OFFSET_TIMESTAMP),
    view.getUint32(offset + OFFSET_TIMESTAMP + 4),
    view.getUint32(offset + OFFSET_BODY_SIZE),
    view.getUint32(offset + OFFSET_BODY_SIZE + 4),
    view.getUint32(offset + OFFSET_CRC),
    view.getUint32(offset + OFFSET_CRC + 4),
  );
}

// The TYPE and DEVICE_NAME fields of the messages a program sends come from a handful of
// strings, so each is encoded once into the big-endian int32 words of its zero-padded field and
// written with 3 (TYPE) or 5 (DEVICE_NAME) stores instead of a byte loop. The caches are bounded:
// a program that sends ever-new names only refills them.
const NAME_CACHE_LIMIT = 4096;
const typeWords = new Map<string, Int32Array>();
const deviceWords = new Map<string, Int32Array>();

// In front of each map, the last few strings looked up, compared by identity first (a sender
// passes the same string objects message after message): a hit costs a pointer comparison.
const RECENT = 8;
export class RecentNames {
  readonly keys: string[] = new Array<string>(RECENT).fill('');
  readonly words: Int32Array[] = [];
  filled = 0;
  next = 0;

  constructor(
    private readonly cache: Map<string, Int32Array>,
    private readonly size: number,
  ) {}

  get(text: string, messageType: string, field: string): Int32Array {
    const keys = this.keys;
    const n = this.filled;
    for (let i = 0; i < n; i++) if (keys[i] === text) return this.words[i]!;
    const w = fieldWords(this.cache, text, this.size, messageType, field);
    const at = this.next;
    keys[at] = text;
    this.words[at] = w;
    this.next = (at + 1) % RECENT;
    if (n < RECENT) this.filled = n + 1;
    return w;
  }
}
const recentTypes = new RecentNames(typeWords, TYPE_NAME_SIZE);
const recentDevices = new RecentNames(deviceWords, DEVICE_NAME_SIZE);

/** The words of `text` written into a `size`-byte field (throws the field's EncodeError if it does not fit). */
function fieldWords(cache: Map<string, Int32Array>, text: string, size: number, messageType: string, field: string): Int32Array {
  let words = cache.get(text);
  if (words === undefined) {
    const bytes = new Uint8Array(size);
    writeFixedString(bytes, 0, size, text, messageType, field);
    const view = new DataView(bytes.buffer);
    words = new Int32Array(size >>> 2);
    for (let i = 0; i < words.length; i++) words[i] = view.getInt32(i * 4);
    if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
    cache.set(text, words);
  }
  return words;
}

/** Writes a 58-byte header at `offset`; the CRC is written separately once the body is in place. */
export function writeHeader(
  _bytes: Uint8Array,
  view: DataView,
  offset: number,
  version: number,
  type: string,
  deviceName: string,
  timestamp: Timestamp,
  bodySize: number,
): void {
  const t = recentTypes.get(type, type, 'type name');
  const d = recentDevices.get(deviceName, type, 'device name');
  view.setUint16(offset + OFFSET_VERSION, version);
  view.setInt32(offset + OFFSET_TYPE, t[0]!);
  view.setInt32(offset + OFFSET_TYPE + 4, t[1]!);
  view.setInt32(offset + OFFSET_TYPE + 8, t[2]!);
  view.setInt32(offset + OFFSET_DEVICE_NAME, d[0]!);
  view.setInt32(offset + OFFSET_DEVICE_NAME + 4, d[1]!);
  view.setInt32(offset + OFFSET_DEVICE_NAME + 8, d[2]!);
  view.setInt32(offset + OFFSET_DEVICE_NAME + 12, d[3]!);
  view.setInt32(offset + OFFSET_DEVICE_NAME + 16, d[4]!);
  view.setUint32(offset + OFFSET_TIMESTAMP, timestamp.seconds);
  view.setUint32(offset + OFFSET_TIMESTAMP + 4, timestamp.fraction);
  view.setUint32(offset + OFFSET_BODY_SIZE, Math.floor(bodySize / 4294967296));
  view.setUint32(offset + OFFSET_BODY_SIZE + 4, bodySize >>> 0);
}

export { HEADER_SIZE };
