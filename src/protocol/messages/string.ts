// STRING: encoding, length and text (OpenIGTLink Documents/Protocol/string.md).
import type { ContentCodec } from '../codec.js';
import { EncodeError, MalformedMessageError } from '../errors.js';
import { asciiTextIn, decodeTextIn } from '../text.js';
import { checkInt } from './encode-checks.js';
import { asInt, asObject, asString } from './json-fields.js';
import { encodedTextLength, rawTextFromJSON, textToJSON, writeEncodedText } from './text-fields.js';

const ENCODING = 0; // uint16 IANA MIBenum
const LENGTH = 2; // uint16 L
const TEXT = 4; // L bytes, no terminator
const FIXED_SIZE = 4;
const MAX_LENGTH = 0xffff;

/** Content of a STRING message. */
export interface StringContent {
  /** IANA MIBenum of the text: 3 US-ASCII (default), 106 UTF-8, ... */
  readonly encoding: number;
  /** The text. */
  readonly value: string;
  /** Received bytes, only when `value` would not re-encode to them (see `decodeText`). */
  readonly raw?: Uint8Array;
}

/** Codec of STRING. */
export const stringCodec: ContentCodec<'STRING', StringContent> = {
  type: 'STRING',
  decode(bytes, view, offset, length) {
    if (length < FIXED_SIZE) throw new MalformedMessageError('STRING', `content is ${length} bytes, expected at least ${FIXED_SIZE}`);
    const textLength = view.getUint16(offset + LENGTH);
    // C++ ignores bytes after the text (string.md); we refuse them, as they could not be re-encoded.
    if (length !== FIXED_SIZE + textLength) {
      throw new MalformedMessageError('STRING', `content is ${length} bytes, LENGTH ${textLength} needs ${FIXED_SIZE + textLength}`);
    }
    const encoding = view.getUint16(offset + ENCODING);
    if (encoding === 3) {
      const ascii = asciiTextIn(bytes, view, offset + TEXT, offset + TEXT + textLength);
      if (ascii !== undefined) return { encoding, value: ascii };
    }
    const text = decodeTextIn(bytes, view, offset + TEXT, offset + TEXT + textLength, encoding);
    return text.raw ? { encoding, value: text.value, raw: text.raw } : { encoding, value: text.value };
  },
  size(content) {
    checkInt('STRING', 'encoding', content.encoding, 0, 0xffff);
    const n = encodedTextLength(content.value, content.encoding, content.raw, 'STRING', 'value');
    if (n > MAX_LENGTH) throw new EncodeError('STRING', `value is ${n} bytes, LENGTH (uint16) holds at most ${MAX_LENGTH}`);
    return FIXED_SIZE + n;
  },
  encode(content, bytes, view, offset) {
    const n = writeEncodedText(bytes, offset + TEXT, content.value, content.encoding, content.raw, 'STRING', 'value');
    view.setUint16(offset + ENCODING, content.encoding);
    view.setUint16(offset + LENGTH, n);
  },
  toJSON: (content) => ({ encoding: content.encoding, ...textToJSON('value', content.value, content.encoding, content.raw) }),
  fromJSON(json, path) {
    const o = asObject(json, path);
    const encoding = asInt(o.encoding, `${path}.encoding`, 0, 0xffff);
    const value = asString(o.value, `${path}.value`);
    const raw = rawTextFromJSON(o, 'value', path);
    return raw ? { encoding, value, raw } : { encoding, value };
  },
};
