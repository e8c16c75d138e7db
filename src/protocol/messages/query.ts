// Query companions (OpenIGTLink Documents/Protocol/query.md and each type's page): GET_/STT_/STP_ requests and RTS_ replies.
// Most have no content; RTS_ replies carry one status byte; STT_TDATA/STT_QTDATA carry a
// resolution and a coordinate name; STT_VIDEO a codec and an interval; STT_POLYDATA optionally a
// resolution (docs only). GET_BIND/STT_BIND live in bind.ts, RTS_COMMAND in command.ts.
import type { ContentCodec } from '../codec.js';
import type { JsonObject } from '../json-types.js';
import { MalformedMessageError } from '../errors.js';
import { readFixedString, writeFixedString } from '../text.js';
import { expectLength } from './content-length.js';
import { checkInt } from './encode-checks.js';
import { asBigInt, asInt, asObject, asString } from './json-fields.js';

/** The content of messages that have none (GET_*, STP_*, most STT_*). */
export type EmptyContent = Record<string, never>;

/** Query types that have no content. */
export const EMPTY_QUERY_TYPES = [
  'GET_TRANS', 'GET_POSITION', 'GET_IMAGE', 'GET_STATUS', 'GET_CAPABIL', 'GET_STRING', 'GET_POINT',
  'GET_TRAJ', 'GET_TDATA', 'GET_QTDATA', 'GET_IMGMETA', 'GET_LBMETA', 'GET_COLORT', 'GET_SENSOR',
  'GET_NDARRAY', 'GET_POLYDATA', 'GET_VMETA',
  'STT_TRANS', 'STT_POSITION', 'STT_IMAGE', 'STT_SENSOR', 'STT_NDARRAY',
  'STP_TRANS', 'STP_POSITION', 'STP_IMAGE', 'STP_TDATA', 'STP_QTDATA', 'STP_SENSOR', 'STP_NDARRAY',
  'STP_POLYDATA', 'STP_BIND', 'STP_VIDEO',
] as const;
/** A query type with no content. @useDeclaredType */
export type EmptyQueryType = (typeof EMPTY_QUERY_TYPES)[number];

/** RTS_ reply types whose content is a single status byte. */
export const STATUS_REPLY_TYPES = [
  'RTS_TRANS', 'RTS_POSITION', 'RTS_IMAGE', 'RTS_STATUS', 'RTS_CAPABIL', 'RTS_POINT', 'RTS_TRAJ',
  'RTS_TDATA', 'RTS_QTDATA', 'RTS_IMGMETA', 'RTS_LBMETA', 'RTS_SENSOR', 'RTS_NDARRAY',
  'RTS_POLYDATA', 'RTS_BIND',
  // The spec gives RTS_STRING no body ("N/A", Documents/Protocol/string.md) and RTS_VIDEO none
  // either (video.md); senders use the one status byte of every other RTS_ (the C++ library's
  // RTSVideoMessage), so they are read and written in that form.
  'RTS_STRING', 'RTS_VIDEO',
] as const;
/** An RTS_ reply type with a status byte. @useDeclaredType */
export type StatusReplyType = (typeof STATUS_REPLY_TYPES)[number];

/**
 * Content of an RTS_ reply. 0 means success for every type except RTS_POLYDATA, where the C++
 * library and PLUS use 1 for success (OpenIGTLink Documents/Protocol/query.md); see `isRtsSuccess`.
 */
export interface RtsContent {
  readonly status: number;
}

/** Content of STT_TDATA and STT_QTDATA (36 bytes). */
export interface StartTrackingContent {
  /** Minimum interval between messages in ms (0 = as fast as possible). int32 on the wire. */
  readonly resolution: number;
  /** Coordinate system name (empty = default), at most 32 bytes. */
  readonly coordinateName: string;
}

/** Content of STT_VIDEO. */
export interface StartVideoContent {
  /** FourCC of the wanted codec, e.g. `H264`. */
  readonly codec: string;
  /** Minimum interval between frames in ms. */
  readonly timeInterval: number;
  /**
   * The byte after the interval (USECOMPRESS in Documents/Protocol/video.md), as received:
   * absent = 0 in the 9-byte form the C++ library sends (and igtl-rx sends by default), a number
   * = that byte, `null` = the 8-byte form (no such byte). Kept so a received STT_VIDEO re-encodes
   * byte for byte.
   */
  readonly useCompress?: number | null;
}

/** Content of STT_POLYDATA: empty as the C++ library sends it; the docs allow a uint64 interval. */
export interface StartPolyDataContent {
  readonly resolution?: bigint;
}

/** True when an RTS_ reply reports success (RTS_POLYDATA: 1, every other type: 0). */
export function isRtsSuccess(type: string, content: RtsContent): boolean {
  return type === 'RTS_POLYDATA' ? content.status === 1 : content.status === 0;
}

function emptyCodec<T extends string>(type: T): ContentCodec<T, EmptyContent> {
  return {
    type,
    decode(_b, _v, _o, length) {
      expectLength(type, length, 0);
      return {};
    },
    size: () => 0,
    encode() {},
    toJSON: () => ({}),
    fromJSON(json, path) {
      asObject(json, path);
      return {};
    },
  };
}

function rtsCodec<T extends string>(type: T): ContentCodec<T, RtsContent> {
  return {
    type,
    decode(_b, view, offset, length) {
      expectLength(type, length, 1);
      return { status: view.getUint8(offset) };
    },
    size(content) {
      checkInt(type, 'status', content.status, 0, 255);
      return 1;
    },
    encode(content, _b, view, offset) {
      view.setUint8(offset, content.status);
    },
    toJSON: (content) => ({ status: content.status }),
    fromJSON: (json, path) => ({ status: asInt(asObject(json, path).status, `${path}.status`, 0, 255) }),
  };
}

const STT_TRACKING_SIZE = 36;
const COORDINATE_NAME_SIZE = 32;

function startTrackingCodec<T extends 'STT_TDATA' | 'STT_QTDATA'>(type: T): ContentCodec<T, StartTrackingContent> {
  return {
    type,
    decode(bytes, view, offset, length) {
      expectLength(type, length, STT_TRACKING_SIZE);
      return { resolution: view.getInt32(offset), coordinateName: readFixedString(bytes, offset + 4, COORDINATE_NAME_SIZE) };
    },
    size(content) {
      checkInt(type, 'resolution', content.resolution, -0x80000000, 0x7fffffff);
      return STT_TRACKING_SIZE;
    },
    encode(content, bytes, view, offset) {
      view.setInt32(offset, content.resolution);
      writeFixedString(bytes, offset + 4, COORDINATE_NAME_SIZE, content.coordinateName, type, 'coordinateName');
    },
    toJSON: (c) => ({ resolution: c.resolution, coordinateName: c.coordinateName }),
    fromJSON(json, path) {
      const o = asObject(json, path);
      return {
        resolution: asInt(o.resolution, `${path}.resolution`, -0x80000000, 0x7fffffff),
        coordinateName: asString(o.coordinateName ?? '', `${path}.coordinateName`),
      };
    },
  };
}

// The C++ sender sizes STT_VIDEO as 9 bytes (IGTL_STT_VIDEO_SIZE) but fills 8; the spec's table
// has 9 (USECOMPRESS last), its older text 8. We write 9 (last byte zero) unless told otherwise,
// accept 8 or 9 on receive and remember which (`useCompress`).
const STT_VIDEO_FIELDS = 8;
const STT_VIDEO_SIZE = 9;

/** Codec of STT_VIDEO. */
export const startVideoCodec: ContentCodec<'STT_VIDEO', StartVideoContent> = {
  type: 'STT_VIDEO',
  decode(bytes, view, offset, length) {
    if (length !== STT_VIDEO_FIELDS && length !== STT_VIDEO_SIZE) throw new MalformedMessageError('STT_VIDEO', `content is ${length} bytes, expected 8 or 9`);
    const base = { codec: readFixedString(bytes, offset, 4), timeInterval: view.getUint32(offset + 4) };
    if (length === STT_VIDEO_FIELDS) return { ...base, useCompress: null };
    const flag = bytes[offset + 8]!;
    return flag === 0 ? base : { ...base, useCompress: flag };
  },
  size(content) {
    checkInt('STT_VIDEO', 'timeInterval', content.timeInterval, 0, 0xffffffff);
    if (content.useCompress === null) return STT_VIDEO_FIELDS;
    if (content.useCompress !== undefined) checkInt('STT_VIDEO', 'useCompress', content.useCompress, 0, 255);
    return STT_VIDEO_SIZE;
  },
  encode(content, bytes, view, offset) {
    writeFixedString(bytes, offset, 4, content.codec, 'STT_VIDEO', 'codec');
    view.setUint32(offset + 4, content.timeInterval);
    if (content.useCompress !== null) bytes[offset + 8] = content.useCompress ?? 0;
  },
  toJSON: (c) => ({ codec: c.codec, timeInterval: c.timeInterval, ...(c.useCompress === undefined ? {} : { useCompress: c.useCompress }) }),
  fromJSON(json, path) {
    const o = asObject(json, path);
    const base = { codec: asString(o.codec, `${path}.codec`), timeInterval: asInt(o.timeInterval, `${path}.timeInterval`) };
    if (o.useCompress === undefined) return base;
    return { ...base, useCompress: o.useCompress === null ? null : asInt(o.useCompress, `${path}.useCompress`, 0, 255) };
  },
};

/** Codec of STT_POLYDATA. */
export const startPolyDataCodec: ContentCodec<'STT_POLYDATA', StartPolyDataContent> = {
  type: 'STT_POLYDATA',
  decode(_b, view, offset, length) {
    if (length === 0) return {};
    expectLength('STT_POLYDATA', length, 8);
    return { resolution: view.getBigUint64(offset) };
  },
  size: (c) => (c.resolution === undefined ? 0 : 8),
  encode(c, _b, view, offset) {
    if (c.resolution !== undefined) view.setBigUint64(offset, BigInt.asUintN(64, c.resolution));
  },
  toJSON: (c): JsonObject => (c.resolution === undefined ? {} : { resolution: c.resolution.toString() }),
  fromJSON(json, path) {
    const o = asObject(json, path);
    return o.resolution === undefined ? {} : { resolution: asBigInt(o.resolution, `${path}.resolution`) };
  },
};

/** Codecs of every query type defined in this file. */
export const queryCodecs = [
  ...EMPTY_QUERY_TYPES.map((t) => emptyCodec(t)),
  ...STATUS_REPLY_TYPES.map((t) => rtsCodec(t)),
  startTrackingCodec('STT_TDATA'),
  startTrackingCodec('STT_QTDATA'),
  startVideoCodec,
  startPolyDataCodec,
];
