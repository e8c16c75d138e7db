import { EncodeError } from './errors.js';

/** IANA MIBenum numbers that OpenIGTLink uses for text (OpenIGTLink Documents/Protocol/string.md). */
export const Encoding = {
  US_ASCII: 3,
  ISO_8859_1: 4,
  UTF_8: 106,
  UTF_16BE: 1013,
  UTF_16LE: 1014,
  UTF_16: 1015,
} as const;

// ignoreBOM: a leading U+FEFF in a name, key or text is data to keep, not a byte-order mark to drop
// (dropping it would make the text re-encode to different bytes).
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** True when every byte of `bytes[start, end)` is below 0x80. */
function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** {@link isAscii} four bytes a step, through `view` (a DataView over the same bytes, same indexing). */
function isAsciiWords(bytes: Uint8Array, view: DataView, start: number, end: number): boolean {
  let high = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) high |= view.getInt32(i);
  for (; i < end; i++) high |= bytes[i]!;
  return (high & 0x80808080) === 0;
}

// Node's Buffer methods, where the platform has them: feature-detected, so that the codec imports
// no Node module and runs in a browser as it is. Their native slices and writes take about 50 ns
// for a few dozen bytes, where a JS loop takes 2-6 ns a character and TextDecoder/TextEncoder
// cost 100 ns a call (measured on Node 20, bench/js/codec.mjs status-*-distinct).
interface NativeText {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  utf8Slice(this: Uint8Array, start: number, end: number): string;
  latin1Write(this: Uint8Array, text: string, offset: number, length: number): number;
}
interface BufferLike {
  readonly prototype?: Partial<NativeText>;
  byteLength?(text: string, encoding: 'utf8'): number;
}
const nodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;
const nativeProto = nodeBuffer?.prototype;
const native: NativeText | undefined =
  typeof nativeProto?.latin1Slice === 'function' && typeof nativeProto.utf8Slice === 'function' && typeof nativeProto.latin1Write === 'function'
    ? (nativeProto as NativeText)
    : undefined;
/** UTF-8 byte length of a string (Node's Buffer.byteLength: a fast API call, about 10 ns). */
const nativeUtf8Length = native && typeof nodeBuffer?.byteLength === 'function' ? nodeBuffer.byteLength.bind(nodeBuffer) : undefined;

/** Runs shorter than this are built in a JS loop: below it, the loop beats a native call. */
const NATIVE_MIN = 10;
/** Without the native slices, runs up to this length are built in a loop, longer ones by TextDecoder. */
const LOOP_MAX = 16;

/** A string of the ASCII bytes `bytes[start, end)`. */
function asciiString(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n < NATIVE_MIN || (native === undefined && n <= LOOP_MAX)) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    return s;
  }
  if (native) return native.latin1Slice.call(bytes, start, end);
  // ASCII reads the same in UTF-8 (TextDecoder's 'latin1' is windows-1252, and no faster).
  return utf8Decoder.decode(bytes.subarray(start, end));
}

/** ISO-8859-1: one character per byte, U+0000-U+00FF (not TextDecoder's 'latin1', which is windows-1252). */
function latin1String(bytes: Uint8Array, start: number, end: number): string {
  if (native && end - start >= NATIVE_MIN) return native.latin1Slice.call(bytes, start, end);
  let s = '';
  for (let i = start; i < end; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  }
  return s;
}

/** UTF-8, or undefined when the bytes are not valid UTF-8. */
function strictUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  if (native && end - start >= NATIVE_MIN) {
    const text = native.utf8Slice.call(bytes, start, end);
    // Invalid bytes always come out as U+FFFD; a U+FFFD may also be in the bytes themselves.
    if (text.indexOf('\uFFFD') < 0) return text;
  } else if (isAscii(bytes, start, end)) return asciiString(bytes, start, end);
  try {
    return utf8Strict.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}

// Short strings (names, types, status texts) recur in every message of a stream, so decoded
// text of up to INTERN_MAX bytes goes through a small cache keyed by the bytes (2-way set
// associative, so two texts of a stream that hash to the same set do not evict each other): a
// hit costs a byte comparison instead of building a new string, and the returned string is the
// same object every time (its hash is computed once, so Map lookups by type name are fast).
// The result is a pure function of the bytes, so the cache never changes what is returned.
const INTERN_MAX = 32;
const INTERN_SETS = 512;
const internKeys = new Uint8Array(INTERN_SETS * 2 * INTERN_MAX);
const internLength = new Int32Array(INTERN_SETS * 2).fill(-1);
// The texts (readFixedString, escapedText): UTF-8, with each byte that is not part of valid
// UTF-8 kept as its escape (see escapedUtf8).
const internFixed: string[] = new Array<string>(INTERN_SETS * 2).fill('');
/** Per set: the way (0 or 1) the next miss fills (the one filled longer ago). */
const internNext = new Uint8Array(INTERN_SETS);

/** The intern cache slot of `bytes[start, end)` (0 < length <= INTERN_MAX), filled on a miss. */
function internSlot(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  // The set: a hash of the length and three sampled bytes (a hit is confirmed byte by byte).
  let h = Math.imul(len ^ (bytes[start]! << 8) ^ (bytes[end - 1]! << 16) ^ (bytes[start + (len >> 1)]! << 24), 0x9e3779b1);
  h ^= h >>> 15;
  const way0 = (h & (INTERN_SETS - 1)) << 1;
  for (let slot = way0; slot < way0 + 2; slot++) {
    if (internLength[slot] === len) {
      const shift = slot * INTERN_MAX - start;
      let i = start;
      while (i < end && internKeys[shift + i] === bytes[i]) i++;
      if (i === end) return slot;
    }
  }
  // Miss: the entry filled longer ago gives way.
  const way = way0 + internNext[way0 >> 1]!;
  internNext[way0 >> 1] = way === way0 ? 1 : 0;
  const b0 = way * INTERN_MAX;
  for (let i = 0; i < len; i++) internKeys[b0 + i] = bytes[start + i]!;
  internLength[way] = len;
  internFixed[way] = strictUtf8(bytes, start, end) ?? escapedUtf8(bytes, start, end);
  return way;
}

/** First code unit of the escapes of bytes 0x80-0xFF that are not valid UTF-8 (U+DC80..U+DCFF). */
const ESCAPE_BASE = 0xdc00;

/**
 * Decodes UTF-8, escaping each byte that is not part of a valid sequence as the lone surrogate
 * U+DC00 + byte (U+DC80..U+DCFF; Python's "surrogateescape"). Valid UTF-8 never yields a lone
 * surrogate, so the escapes are unambiguous, and {@link escapedUtf8Bytes} turns them back into the
 * original bytes: a Latin-1 0xE9 in a name is read as U+DCE9 and written back as 0xE9.
 */
export function escapedUtf8(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    // Length and smallest code point of the sequence a lead byte starts (RFC 3629).
    const n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let cp = n === 2 ? b & 0x1f : n === 3 ? b & 0x0f : b & 0x07;
    let ok = n > 0 && i + n <= end;
    for (let k = 1; ok && k < n; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    // No overlong forms, no surrogates, nothing above U+10FFFF.
    if (ok && ((n === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += n;
    } else {
      out += String.fromCharCode(ESCAPE_BASE + b);
      i++;
    }
  }
  return out;
}

/** True when `text` holds an escape of {@link escapedUtf8} (a lone U+DC80..U+DCFF). */
function hasEscapes(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) return true;
  }
  return false;
}

/**
 * UTF-8 bytes of `text`, with each escape of {@link escapedUtf8} written back as its original
 * byte (other lone surrogates become U+FFFD, as TextEncoder writes them).
 */
export function escapedUtf8Bytes(text: string): Uint8Array {
  if (!hasEscapes(text)) return utf8Encoder.encode(text);
  const parts: number[] = [];
  let run = 0;
  const flush = (to: number) => {
    if (to > run) for (const b of utf8Encoder.encode(text.slice(run, to))) parts.push(b);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff && !(i > 0 && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff)) {
      flush(i);
      parts.push(c - ESCAPE_BASE);
      run = i + 1;
    }
  }
  flush(text.length);
  return Uint8Array.from(parts);
}

/**
 * Reads a fixed-size `char[N]` field: the bytes up to the first NUL or the end of the field
 * (a name that fills its field has no NUL; OpenIGTLink Documents/Protocol/header.md). ASCII is the norm; other bytes are
 * read as UTF-8, and a byte that is not valid UTF-8 (names are opaque bytes in the C++ library)
 * is kept as an escape (see {@link escapedUtf8}), so the field re-encodes to the same bytes.
 */
export function readFixedString(bytes: Uint8Array, offset: number, size: number): string {
  let end = offset;
  const limit = offset + size;
  while (end < limit && bytes[end] !== 0) end++;
  if (end === offset) return '';
  if (end - offset <= INTERN_MAX) return internFixed[internSlot(bytes, offset, end)]!;
  return strictUtf8(bytes, offset, end) ?? escapedUtf8(bytes, offset, end);
}

/**
 * The text of `bytes[start, limit)` up to its first 0 byte (or all of it), read as
 * {@link escapedText}. `view` is a DataView over the same bytes with the same indexing. The NUL
 * is looked for four bytes a step (a status text of 35 bytes in half the time of a byte loop,
 * Node 20), and the same pass learns whether the text is ASCII, which then, past the intern
 * cache's length, is sliced at once: through
 * escapedText alone (a native UTF-8 slice, then a search for U+FFFD), a STATUS of 30-40
 * distinct characters decoded about 6% slower (bench/js/codec.mjs status-decode-distinct, paired).
 */
export function nulTerminatedText(bytes: Uint8Array, view: DataView, start: number, limit: number): string {
  let i = start;
  let high = 0;
  while (i + 4 <= limit) {
    const w = view.getInt32(i);
    // A word holds a zero byte exactly when (w - 0x01010101) & ~w & 0x80808080 is not 0.
    if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
    high |= w;
    i += 4;
  }
  while (i < limit && bytes[i] !== 0) high |= bytes[i++]!;
  if (i - start > INTERN_MAX && (high & 0x80808080) === 0) return asciiString(bytes, start, i);
  return escapedText(bytes, start, i);
}

/** Number of bytes `text` takes in a fixed-size field (UTF-8, escapes as their byte; ASCII is one byte per character). */
export function fixedStringLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      n = escapedUtf8Bytes(text).length;
      break;
    }
  }
  return n;
}

/**
 * Writes `text` into a fixed-size `char[size]` field, zero-filled. Text that does not fit is
 * refused with an {@link EncodeError} naming the field, rather than cut silently.
 */
export function writeFixedString(bytes: Uint8Array, offset: number, size: number, text: string, messageType: string, field: string): void {
  const len = text.length;
  // ASCII (the norm) is written while it is checked, one byte per character.
  let n = 0;
  while (n < len && n < size) {
    const c = text.charCodeAt(n);
    if (c >= 0x80) break;
    bytes[offset + n] = c;
    n++;
  }
  if (n < len) {
    const encoded = escapedUtf8Bytes(text);
    if (encoded.length > size) {
      throw new EncodeError(messageType, `${field} "${text}" is ${encoded.length} bytes${NON_ASCII.test(text) ? ' (UTF-8)' : ''}, the field holds ${size}`);
    }
    bytes.set(encoded, offset);
    n = encoded.length;
  }
  // A plain loop: header fields are at most a few dozen bytes, where fill()'s call costs more.
  if (size - n <= 64) for (let i = offset + n; i < offset + size; i++) bytes[i] = 0;
  else bytes.fill(0, offset + n, offset + size);
}

// Variable-length ASCII text (STATUS, STRING and COMMAND text, metadata) is measured and written
// straight into the output, with no byte array of its own. With Node's Buffer: Buffer.byteLength
// measures (a fast API call, about 10 ns whatever the length) and latin1Write copies; without it,
// a loop for short texts and TextEncoder.encodeInto for longer ones (faster per character than a
// loop, and ten times faster than a regular expression, but costlier to call).

/** Without Node's Buffer, texts up to this length are measured and written in a loop. */
const SHORT_TEXT = 32;
/** With Node's Buffer, texts up to this length are written in a loop (latin1Write costs about 45 ns a call). */
const NATIVE_WRITE_MIN = 24;
// Where asciiTextLength() encodes a long text to measure it (the bytes are never read); 64 KiB
// holds any STRING. Longer texts are checked with a regular expression.
const SCRATCH_SIZE = 0x10000;
let scratch: Uint8Array | undefined;
// The last text asciiTextLength() found ASCII with Node's Buffer: an encoder measures a text
// (size) just before writing it (encode), so writeAsciiText() need not measure it again.
let lastAscii = '';
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The length of `text` when every character is below U+0080 (one byte each in US-ASCII,
 * ISO-8859-1 and UTF-8), otherwise -1.
 */
export function asciiTextLength(text: string): number {
  const n = text.length;
  // A character from U+0080 up takes more than one UTF-8 byte (a lone surrogate three).
  if (nativeUtf8Length) {
    if (nativeUtf8Length(text, 'utf8') !== n) return -1;
    lastAscii = text;
    return n;
  }
  if (n <= SHORT_TEXT) {
    for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return -1;
    return n;
  }
  if (n > SCRATCH_SIZE) return NON_ASCII.test(text) ? -1 : n;
  scratch ??= new Uint8Array(SCRATCH_SIZE);
  const { read, written } = utf8Encoder.encodeInto(text, scratch);
  return read === n && written === n ? n : -1;
}

/**
 * Writes `text` one byte per character at `offset` and returns its length, or returns -1 when it
 * is not ASCII (see {@link asciiTextLength}), having written none or some of it.
 */
export function writeAsciiText(bytes: Uint8Array, offset: number, text: string): number {
  const n = text.length;
  if (nativeUtf8Length && n >= NATIVE_WRITE_MIN) {
    if (text !== lastAscii && nativeUtf8Length(text, 'utf8') !== n) return -1;
    native!.latin1Write.call(bytes, text, offset, n);
    return n;
  }
  if (!nativeUtf8Length && n > SHORT_TEXT) {
    // A destination of exactly n bytes is full before the end of the text as soon as one
    // character takes more than one UTF-8 byte, so then `read < n`.
    return utf8Encoder.encodeInto(text, bytes.subarray(offset, offset + n)).read === n ? n : -1;
  }
  // Short text: checked while it is written (a native measure first would cost more than the loop).
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    bytes[offset + i] = c;
  }
  return n;
}

// Short text that must hold no NUL (a STATUS message: receivers stop at the first NUL) is
// checked and copied in one pass over the string when the encoder measures it (size), into a
// small staging buffer; writing it (encode) is then a copy of a few words. The string is walked
// once, in a loop that also runs without Node's Buffer, instead of indexOf, a native measure and
// a native write (about 90 ns for 35 characters against 75; Node 20, bench/js/codec.mjs
// status-encode-distinct). Longer texts go the native way, which costs less per character.

/** Texts up to this length are staged; beyond it one native write costs less than the loop. */
export const STAGED_TEXT_MAX = 48;
const stagedBytes = new Uint8Array(STAGED_TEXT_MAX);
const stagedView = new DataView(stagedBytes.buffer);
/** The text whose bytes {@link stagedBytes} holds, or undefined. */
let stagedText: string | undefined;

/**
 * The length of `text` when it is at most {@link STAGED_TEXT_MAX} characters, all in
 * U+0001..U+007F (ASCII without NUL: one byte each in US-ASCII, ISO-8859-1 and UTF-8), and
 * stages its bytes for {@link writeStagedText}; otherwise -1 (measure it another way).
 */
export function stageAsciiText(text: string): number {
  const n = text.length;
  if (n > STAGED_TEXT_MAX) return -1;
  stagedText = undefined;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    // One comparison for both: 0 wraps to 0xFFFFFFFF.
    if (((c - 1) >>> 0) >= 0x7f) return -1;
    stagedBytes[i] = c;
  }
  stagedText = text;
  return n;
}

/**
 * Writes `text` at `offset` and returns its length when it is the text last staged by
 * {@link stageAsciiText}; otherwise writes nothing and returns -1. `view` is a DataView over
 * the same bytes as `bytes`, with the same indexing.
 */
export function writeStagedText(bytes: Uint8Array, view: DataView, offset: number, text: string): number {
  if (text !== stagedText) return -1;
  const n = text.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) view.setInt32(offset + i, stagedView.getInt32(i));
  for (; i < n; i++) bytes[offset + i] = stagedBytes[i]!;
  return n;
}

/** Text decoded from the wire with its declared encoding. */
export interface DecodedText {
  /** The text. */
  value: string;
  /**
   * The bytes as received, present only when encoding `value` again would not give them back
   * (invalid bytes for the encoding, or an encoding igtl-rx cannot write): re-encoding uses them,
   * so a relayed message stays byte-identical.
   */
  raw?: Uint8Array;
}

const decoders = new Map<number, TextDecoder | null>();
function decoderFor(encoding: number): TextDecoder | null {
  let d = decoders.get(encoding);
  if (d === undefined) {
    const label = WHATWG_LABELS.get(encoding);
    try {
      d = label ? new TextDecoder(label, { fatal: true }) : null;
    } catch {
      d = null;
    }
    decoders.set(encoding, d);
  }
  return d;
}

// MIBenum -> WHATWG encoding label for the encodings a TextDecoder can read besides the ones
// handled by hand (3, 4, 106). Unknown numbers fall back to ISO-8859-1 with the raw bytes kept.
const WHATWG_LABELS = new Map<number, string>([
  [1013, 'utf-16be'],
  [1014, 'utf-16le'],
  [1015, 'utf-16le'],
  [17, 'shift_jis'],
  [18, 'euc-jp'],
  [38, 'euc-kr'],
  [39, 'iso-2022-jp'],
  [2026, 'big5'],
  [2025, 'gb2312'],
  [113, 'gbk'],
  [114, 'gb18030'],
  [5, 'iso-8859-2'],
  [6, 'iso-8859-3'],
  [7, 'iso-8859-4'],
  [8, 'iso-8859-5'],
  [9, 'iso-8859-6'],
  [10, 'iso-8859-7'],
  [11, 'iso-8859-8'],
  [12, 'iso-8859-9'],
  [2084, 'koi8-r'],
  [2252, 'windows-1252'],
]);

/**
 * Decodes text with an IANA MIBenum encoding. Never throws: bytes that are invalid for the
 * encoding, or an encoding this platform cannot read, give a best-effort `value` (U+FFFD for
 * invalid UTF-8, ISO-8859-1 otherwise) plus the untouched bytes in `raw`.
 */
export function decodeText(bytes: Uint8Array, start: number, end: number, encoding: number): DecodedText {
  return decodeTextIn(bytes, undefined, start, end, encoding);
}

/**
 * The US-ASCII text `bytes[start, end)` when every byte is below 0x80, else undefined (then
 * {@link decodeTextIn} keeps the bytes). What a STRING's decoder calls first: the same string
 * without decodeTextIn's result object (about 5% more STRINGs a second with distinct texts,
 * bench/js/codec.mjs string-decode-distinct).
 */
export function asciiTextIn(bytes: Uint8Array, view: DataView, start: number, end: number): string | undefined {
  if (end <= start) return '';
  return isAsciiWords(bytes, view, start, end) ? asciiString(bytes, start, end) : undefined;
}

/**
 * {@link decodeText} for the codecs, which have a DataView over `bytes` (same indexing): through
 * it, US-ASCII text is checked four bytes a step (a STRING of 35 characters decodes about 5%
 * faster; bench/js/codec.mjs string-decode-distinct).
 */
export function decodeTextIn(bytes: Uint8Array, view: DataView | undefined, start: number, end: number, encoding: number): DecodedText {
  if (end <= start) return { value: '' };
  // Every ISO-8859-1 byte is one character below U+0100, which writes back as that byte.
  if (encoding === 4) return { value: latin1String(bytes, start, end) };
  if (encoding === 106) {
    const value = strictUtf8(bytes, start, end);
    return value !== undefined ? { value } : { value: utf8Decoder.decode(bytes.subarray(start, end)), raw: bytes.subarray(start, end) };
  }
  // US-ASCII: lossless when it is ASCII (a byte over 0x7F would not write back).
  if (encoding === 3) {
    const ascii = view ? isAsciiWords(bytes, view, start, end) : isAscii(bytes, start, end);
    return ascii ? { value: asciiString(bytes, start, end) } : { value: latin1String(bytes, start, end), raw: bytes.subarray(start, end) };
  }
  const slice = bytes.subarray(start, end);
  const decoder = decoderFor(encoding);
  if (decoder) {
    try {
      const value = decoder.decode(slice);
      const again = tryEncodeText(value, encoding);
      return again && equalBytes(again, slice) ? { value } : { value, raw: slice };
    } catch {
      // fall through to the lossless fallback
    }
  }
  return { value: latin1String(bytes, start, end), raw: slice };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Encodes text for the wire, or returns undefined when `encoding` cannot represent it here. */
export function tryEncodeText(text: string, encoding: number): Uint8Array | undefined {
  switch (encoding) {
    case 106:
      return utf8Bytes(text);
    case 3:
    case 4: {
      const max = encoding === 3 ? 0x7f : 0xff;
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > max) return undefined;
        out[i] = c;
      }
      return out;
    }
    case 1013:
    case 1014:
    case 1015: {
      // 1015 (UTF-16 with no byte order given) is written little-endian, as x86 peers do.
      const little = encoding !== 1013;
      const out = new Uint8Array(text.length * 2);
      const view = new DataView(out.buffer);
      for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), little);
      return out;
    }
    default:
      return undefined;
  }
}

/**
 * Encodes text for the wire. `raw`, when given (from {@link decodeText}), is written as it is.
 * Throws an {@link EncodeError} when the encoding cannot represent the text.
 */
export function encodeText(text: string, encoding: number, raw: Uint8Array | undefined, messageType: string, field: string): Uint8Array {
  if (raw) return raw;
  // Empty text is no bytes in any encoding: an empty value received in an encoding igtl-rx does
  // not write (decodeText keeps no raw bytes for it) must re-encode, not throw.
  if (text === '') return new Uint8Array(0);
  const out = tryEncodeText(text, encoding);
  if (!out) {
    throw new EncodeError(messageType, `${field} cannot be written in encoding ${encoding}` +
      (encoding === 3 ? ' (US-ASCII: use 106 for UTF-8 text)' : ' (igtl-rx writes 3, 4, 106, 1013-1015; pass raw bytes for others)'));
  }
  return out;
}

/** Chooses US-ASCII (3) for ASCII text and UTF-8 (106) otherwise. */
export function defaultEncodingFor(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return Encoding.UTF_8;
  return Encoding.US_ASCII;
}

/** Encodes UTF-8 (used for metadata keys and names). */
export function utf8Bytes(text: string): Uint8Array {
  return (text.length <= 256 && asciiBytes(text)) || utf8Encoder.encode(text);
}

/**
 * The bytes of a short ASCII string, or undefined if it is not ASCII. For the short texts of
 * tracking streams (status messages, names) a loop beats TextEncoder.encode, whose call costs
 * more than the copy.
 */
function asciiBytes(text: string): Uint8Array | undefined {
  const n = text.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return undefined;
    out[i] = c;
  }
  return out;
}

/**
 * Variable-length names that are UTF-8 by definition and have no encoding field to fall back on
 * (metadata keys, BIND child names, POLYDATA attribute names), and the STATUS text (status.md
 * gives it no encoding), read as {@link readFixedString}
 * reads a fixed-size name: each byte that is not valid UTF-8 (a Latin-1 device's "°" as 0xB0) is
 * kept as its escape (see {@link escapedUtf8}), so that {@link escapedTextBytes} writes the bytes
 * received back, not U+FFFD.
 */
export function escapedText(bytes: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  if (end - start <= INTERN_MAX) return internFixed[internSlot(bytes, start, end)]!;
  return strictUtf8(bytes, start, end) ?? escapedUtf8(bytes, start, end);
}

/** The bytes of text read by {@link escapedText}: UTF-8, each escape as its byte (ASCII fast). */
export function escapedTextBytes(text: string): Uint8Array {
  return (text.length <= 256 && asciiBytes(text)) || escapedUtf8Bytes(text);
}
