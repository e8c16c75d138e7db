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
import { Timestamp } from './timestamp.js';
import { readFixedString, writeFixedString } from './text.js';
import { hex64 } from './errors.js';

/**
 * The 58-byte header of a received message (spec header.md §2), as read from the wire. Errors
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

/** Reads the 58-byte header at `offset` (the caller guarantees 58 bytes are there). */
export function readHeader(bytes: Uint8Array, view: DataView, offset: number): FrameHeader {
  return new FrameHeader(
    view.getUint16(offset + OFFSET_VERSION),
    readFixedString(bytes, offset + OFFSET_TYPE, TYPE_NAME_SIZE),
    readFixedString(bytes, offset + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE),
    view.getUint32(offset + OFFSET_TIMESTAMP),
    view.getUint32(offset + OFFSET_TIMESTAMP + 4),
    view.getUint32(offset + OFFSET_BODY_SIZE),
    view.getUint32(offset + OFFSET_BODY_SIZE + 4),
    view.getUint32(offset + OFFSET_CRC),
    view.getUint32(offset + OFFSET_CRC + 4),
  );
}

/** Writes a 58-byte header at `offset`; the CRC is written separately once the body is in place. */
export function writeHeader(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  version: number,
  type: string,
  deviceName: string,
  timestamp: Timestamp,
  bodySize: number,
): void {
  view.setUint16(offset + OFFSET_VERSION, version);
  writeFixedString(bytes, offset + OFFSET_TYPE, TYPE_NAME_SIZE, type, type, 'type name');
  writeFixedString(bytes, offset + OFFSET_DEVICE_NAME, DEVICE_NAME_SIZE, deviceName, type, 'device name');
  view.setUint32(offset + OFFSET_TIMESTAMP, timestamp.seconds);
  view.setUint32(offset + OFFSET_TIMESTAMP + 4, timestamp.fraction);
  view.setUint32(offset + OFFSET_BODY_SIZE, Math.floor(bodySize / 4294967296));
  view.setUint32(offset + OFFSET_BODY_SIZE + 4, bodySize >>> 0);
}

export { HEADER_SIZE };
