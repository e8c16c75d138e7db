// Variable-length encoded text (STATUS, STRING, COMMAND): its size, its bytes and its JSON form.
import type { JsonObject } from '../json-types.js';
import { encodeText, tryEncodeText } from '../text.js';
import { asBytes, bytesToJSON } from './json-fields.js';

// ASCII text in US-ASCII (3), ISO-8859-1 (4) or UTF-8 (106), the common case, is counted from the
// string and written straight into the output: those encodings all write a character below U+0080
// as the one byte of its code. Other text is encoded to a byte array first (`encodeText`), as is
// `raw` text, which is written as it is.

// Texts longer than this are scanned and copied by TextEncoder, which is several times faster
// per character than a loop (and ten times faster than a regular expression) but costs more to call.
const SHORT_TEXT = 32;
const asciiEncoder = new TextEncoder();
// Where asciiLength() encodes a long text to measure it (the bytes are never read); 64 KiB holds
// any STRING. Longer texts are checked with a regular expression.
const SCRATCH_SIZE = 0x10000;
let scratch: Uint8Array | undefined;
const NON_ASCII = /[^\x00-\x7f]/;

function asciiCompatible(encoding: number, raw: Uint8Array | undefined): boolean {
  return !raw && (encoding === 3 || encoding === 4 || encoding === 106);
}

/** The length of `text` when every character is below U+0080, otherwise -1. */
function asciiLength(text: string): number {
  const n = text.length;
  if (n <= SHORT_TEXT) {
    for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return -1;
    return n;
  }
  if (n > SCRATCH_SIZE) return NON_ASCII.test(text) ? -1 : n;
  scratch ??= new Uint8Array(SCRATCH_SIZE);
  // Each character below U+0080 is one UTF-8 byte and any other more than one.
  const { read, written } = asciiEncoder.encodeInto(text, scratch);
  return read === n && written === n ? n : -1;
}

/** Writes `text` one byte per character and returns its length, or returns -1 (some bytes written) if it is not ASCII. */
function writeAscii(bytes: Uint8Array, offset: number, text: string): number {
  const n = text.length;
  if (n > SHORT_TEXT) {
    // A destination of exactly n bytes is full before the end of the text as soon as one
    // character takes more than one UTF-8 byte, so then `read < n`.
    return asciiEncoder.encodeInto(text, bytes.subarray(offset, offset + n)).read === n ? n : -1;
  }
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    bytes[offset + i] = c;
  }
  return n;
}

/** Bytes `text` takes in `encoding` (or `raw`'s length), without encoding ASCII text; EncodeError as `encodeText`. */
export function encodedTextLength(text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string): number {
  const n = asciiCompatible(encoding, raw) ? asciiLength(text) : -1;
  return n >= 0 ? n : encodeText(text, encoding, raw, type, field).length;
}

/** Writes `text` in `encoding` (or `raw`) at `offset` and returns the bytes written; EncodeError as `encodeText`. */
export function writeEncodedText(
  bytes: Uint8Array, offset: number, text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string,
): number {
  const n = asciiCompatible(encoding, raw) ? writeAscii(bytes, offset, text) : -1;
  if (n >= 0) return n;
  const encoded = encodeText(text, encoding, raw, type, field);
  bytes.set(encoded, offset);
  return encoded.length;
}

// ---------------------------------------------------------------------------------------------
// Encoded text in the canonical JSON form (STRING `value`, COMMAND `command`): the derived byte
// `length`, the text, and `<field>Base64` when the received bytes are kept because the text would
// not re-encode to them (see decodeText).

/** `length` (bytes on the wire; left out when the text cannot be written at all), the text, and `<field>Base64` for kept bytes. */
export function textToJSON(field: string, text: string, encoding: number, raw: Uint8Array | undefined): JsonObject {
  const json: JsonObject = {};
  const length = raw?.length ?? tryEncodeText(text, encoding)?.length;
  if (length !== undefined) json.length = length;
  json[field] = text;
  if (raw) json[`${field}Base64`] = bytesToJSON(raw);
  return json;
}

/** The kept bytes of encoded text (`<field>Base64`), or undefined when there are none. */
export function rawTextFromJSON(json: JsonObject, field: string, path: string): Uint8Array | undefined {
  return json[`${field}Base64`] === undefined ? undefined : asBytes(json, field, path);
}
