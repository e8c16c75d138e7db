// Variable-length encoded text (STATUS, STRING, COMMAND): its size, its bytes and its JSON form.
import type { JsonObject } from '../json-types.js';
import { asciiTextLength, encodeText, tryEncodeText, writeAsciiText } from '../text.js';
import { asBytes, bytesToJSON } from './json-fields.js';

// ASCII text in US-ASCII (3), ISO-8859-1 (4) or UTF-8 (106), the common case, is counted from the
// string and written straight into the output: those encodings all write a character below U+0080
// as the one byte of its code. Other text is encoded to a byte array first (`encodeText`), as is
// `raw` text, which is written as it is.

function asciiCompatible(encoding: number, raw: Uint8Array | undefined): boolean {
  return !raw && (encoding === 3 || encoding === 4 || encoding === 106);
}

/** Bytes `text` takes in `encoding` (or `raw`'s length), without encoding ASCII text; EncodeError as `encodeText`. */
export function encodedTextLength(text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string): number {
  const n = asciiCompatible(encoding, raw) ? asciiTextLength(text) : -1;
  return n >= 0 ? n : encodeText(text, encoding, raw, type, field).length;
}

/** Writes `text` in `encoding` (or `raw`) at `offset` and returns the bytes written; EncodeError as `encodeText`. */
export function writeEncodedText(
  bytes: Uint8Array, offset: number, text: string, encoding: number, raw: Uint8Array | undefined, type: string, field: string,
): number {
  const n = asciiCompatible(encoding, raw) ? writeAsciiText(bytes, offset, text) : -1;
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
