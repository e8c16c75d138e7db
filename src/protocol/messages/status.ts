// STATUS: code, sub-code, error name and a NUL-terminated message (OpenIGTLink Documents/Protocol/status.md).
// The C++ sender always appends one NUL to the message (content = 30 + L + 1); we do the same,
// and on receive accept any content of at least 30 bytes, reading the text up to the first NUL.
// What ends the text, when it is not that one NUL (no NUL at all, bytes after it), is kept in
// `textTail`, so that such a STATUS too re-encodes to the bytes received.
// status.md gives the text no encoding: it is read as UTF-8 with each byte that is not (a
// Latin-1 device's "é" as 0xE9) kept as its escape, as names are (text.ts, escapedText), so that
// the text is the bytes sent and re-encodes to them.
import type { ContentCodec } from '../codec.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import { escapedTextBytes, nulTerminatedText, readFixedString, stageAsciiText, writeStagedText } from '../text.js';
import { RecentNames } from '../header.js';
import { checkInt } from './encode-checks.js';
import { asBigInt, asBytes, asInt, asObject, asString, bytesToJSON } from './json-fields.js';

const CODE = 0; // uint16
const SUB_CODE = 2; // int64
const ERROR_NAME = 10; // char[20]
const ERROR_NAME_SIZE = 20;
const MESSAGE = 30; // L bytes of text, then 0x00
const FIXED_SIZE = 30;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** True when `v` fits an int64 (wrapping it to 64 bits changes nothing). */
function isInt64(v: bigint): boolean {
  return BigInt.asIntN(64, v) === v;
}

// The error name comes from a handful of strings, as the header's names do: each is encoded once
// into the words of its zero-padded field (the header's cache, header.ts), so the field is five
// stores instead of a checked byte loop and a zero fill (a tenth of STATUS encode time).
const errorNames = new RecentNames(new Map(), ERROR_NAME_SIZE);
/** The error name size() last looked up, and its words (encode() follows size() at once). */
let sizedName = '';
let sizedWords = errorNames.get('', 'STATUS', 'errorName');

/** One int64 in the host's byte order, and where its high and low halves are in it. */
const subcodeBits = new BigInt64Array(1);
const subcodeView = new DataView(subcodeBits.buffer);
const LITTLE_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SUB_HI = LITTLE_HOST ? 4 : 0;
const SUB_LO = LITTLE_HOST ? 0 : 4;

/**
 * The int64 at `at`. A sub-code that fits 32 bits (the usual case) is made from its low half,
 * which takes about two thirds of the time of getBigInt64 (Node 20).
 */
function readSubcode(view: DataView, at: number): bigint {
  if (view.getInt32(at) === 0) return BigInt(view.getUint32(at + 4));
  return view.getBigInt64(at);
}

/** STATUS codes (OpenIGTLink Documents/Protocol/status.md). Unknown codes are accepted as numbers. */
export const StatusCode = {
  INVALID: 0,
  OK: 1,
  UNKNOWN_ERROR: 2,
  PANICK_MODE: 3,
  NOT_FOUND: 4,
  ACCESS_DENIED: 5,
  BUSY: 6,
  TIME_OUT: 7,
  OVERFLOW: 8,
  CHECKSUM_ERROR: 9,
  CONFIG_ERROR: 10,
  RESOURCE_ERROR: 11,
  UNKNOWN_INSTRUCTION: 12,
  NOT_READY: 13,
  MANUAL_MODE: 14,
  DISABLED: 15,
  NOT_PRESENT: 16,
  UNKNOWN_VERSION: 17,
  HARDWARE_FAILURE: 18,
  SHUT_DOWN: 19,
} as const;

/** Content of a STATUS message. */
export interface StatusContent {
  /** Status code (see {@link StatusCode}). */
  readonly code: number;
  /** Device-specific sub-code (int64). */
  readonly subcode: bigint;
  /** Short error name, at most 20 bytes. */
  readonly errorName: string;
  /** Message text (sent NUL-terminated; the NUL is not part of this string). */
  readonly statusMessage: string;
  /**
   * The bytes after the text as received, when they are not the one NUL that status.md and the
   * C++ sender end it with: empty for a text with no NUL (a 30-byte STATUS, a text that runs to
   * the end of the content), else its NUL and whatever followed it. Absent: one NUL, which is
   * what a STATUS you build is sent with. Kept so that a received STATUS re-encodes byte for byte.
   */
  readonly textTail?: Uint8Array;
}

/** Where the text that starts at `start` ends: its first NUL, or `end`. */
function textEnd(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && bytes[i] !== 0) i++;
  return i;
}

/** Bytes of a `textTail`; refused unless it ends the text where it stopped (empty, or starting with its NUL). */
function tailSize(tail: Uint8Array): number {
  if (!(tail instanceof Uint8Array)) throw new EncodeError('STATUS', 'textTail must be a Uint8Array');
  if (tail.length > 0 && tail[0] !== 0) throw new EncodeError('STATUS', `textTail must be empty or start with the NUL that ends the text, got 0x${tail[0]!.toString(16).padStart(2, '0')}`);
  return tail.length;
}

/** Codec of STATUS. */
export const statusCodec: ContentCodec<'STATUS', StatusContent> = {
  type: 'STATUS',
  decode(bytes, view, offset, length) {
    if (length < FIXED_SIZE) throw new MalformedMessageError('STATUS', `content is ${length} bytes, expected at least ${FIXED_SIZE}`);
    // The text ends at the first NUL, which also drops the terminator the C++ sender appends.
    // C++ keeps the text only when the last byte is NUL; we keep it either way (status.md).
    const start = offset + MESSAGE;
    const end = offset + length;
    const content = {
      code: view.getUint16(offset + CODE),
      subcode: readSubcode(view, offset + SUB_CODE),
      errorName: readFixedString(bytes, offset + ERROR_NAME, ERROR_NAME_SIZE),
      statusMessage: nulTerminatedText(bytes, view, start, end),
    };
    // The usual layout, the text and one NUL that ends the content: as many characters as bytes
    // before that NUL can only be a text that runs up to it (no character is shorter than a
    // byte). Anything else is checked byte by byte. (The fields are read in this order, text last,
    // as before textTail: reading the text first measured 4% slower, status-decode-distinct.)
    if (bytes[end - 1] === 0 && length > FIXED_SIZE && (content.statusMessage.length === end - 1 - start || textEnd(bytes, start, end) === end - 1)) return content;
    return { ...content, textTail: bytes.subarray(textEnd(bytes, start, end), end) };
  },
  size(content) {
    checkInt('STATUS', 'code', content.code, 0, 0xffff);
    if (typeof content.subcode !== 'bigint' || !isInt64(content.subcode)) {
      throw new EncodeError('STATUS', `subcode must be a bigint in ${INT64_MIN}..${INT64_MAX}, got ${String(content.subcode)}`);
    }
    sizedWords = errorNames.get(content.errorName, 'STATUS', 'errorName'); // throws if it does not fit
    sizedName = content.errorName;
    const text = content.statusMessage;
    // ASCII without NUL (the usual status text) is checked and staged for encode in one pass.
    const n = typeof text === 'string' ? stageAsciiText(text) : -1;
    if (n >= 0) return content.textTail === undefined ? FIXED_SIZE + n + 1 : FIXED_SIZE + n + tailSize(content.textTail);
    const tail = content.textTail === undefined ? 1 : tailSize(content.textTail);
    // A receiver stops at the first NUL, so text after an embedded one would be lost.
    const nul = text.indexOf('\0');
    if (nul >= 0) throw new EncodeError('STATUS', `statusMessage contains a NUL at index ${nul}; receivers would cut the text there`);
    return FIXED_SIZE + escapedTextBytes(text).length + tail;
  },
  encode(content, bytes, view, offset) {
    view.setUint16(offset + CODE, content.code);
    // Through a BigInt64Array element (same wrap-around as setBigInt64, whose call costs three
    // times as much on Node 20), then its two halves big-endian.
    subcodeBits[0] = content.subcode;
    view.setInt32(offset + SUB_CODE, subcodeView.getInt32(SUB_HI, LITTLE_HOST));
    view.setInt32(offset + SUB_CODE + 4, subcodeView.getInt32(SUB_LO, LITTLE_HOST));
    // The error name's words, as size() just looked them up (it runs right before encode).
    const name = content.errorName === sizedName ? sizedWords : errorNames.get(content.errorName, 'STATUS', 'errorName');
    for (let i = 0; i < ERROR_NAME_SIZE >>> 2; i++) view.setInt32(offset + ERROR_NAME + 4 * i, name[i]!);
    // ASCII text (the usual status text) goes straight into the output, with no byte array per
    // message: that array was a quarter of STATUS encode time.
    const text = content.statusMessage;
    let n = writeStagedText(bytes, view, offset + MESSAGE, text);
    if (n < 0) {
      const encoded = escapedTextBytes(text);
      bytes.set(encoded, offset + MESSAGE);
      n = encoded.length;
    }
    if (content.textTail === undefined) bytes[offset + MESSAGE + n] = 0;
    else bytes.set(content.textTail, offset + MESSAGE + n);
  },
  toJSON: (c) => ({
    code: c.code, subcode: c.subcode.toString(), errorName: c.errorName, statusMessage: c.statusMessage,
    ...(c.textTail === undefined ? {} : { textTailBase64: bytesToJSON(c.textTail) }),
  }),
  fromJSON(json, path) {
    const o = asObject(json, path);
    const subcode = asBigInt(o.subcode, `${path}.subcode`);
    if (!isInt64(subcode)) throw new InvalidJsonMessageError(`${path}.subcode`, `${subcode} is outside the int64 range`);
    return {
      code: asInt(o.code, `${path}.code`, 0, 0xffff),
      subcode,
      errorName: asString(o.errorName, `${path}.errorName`),
      statusMessage: asString(o.statusMessage, `${path}.statusMessage`),
      ...(o.textTailBase64 === undefined ? {} : { textTail: asBytes(o, 'textTail', path) }),
    };
  },
};
