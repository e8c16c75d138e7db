// Shared helpers of the codec unit tests (test/unit/messages): hex text, content decoded at a
// non-zero offset and encoded to exactly size() bytes, raw frames through the real decoder with
// the errors they must raise, and round trips through the canonical JSON text.
import { expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EncodeError, fromJSON, InvalidJsonMessageError, MalformedMessageError, stringifyJSON,
  Timestamp, toJSON, type ContentCodec, type IgtlMessage,
} from '../../src/index.js';

/** Bytes from hex text (spaces and line breaks ignored). */
export const hex = (text: string): Uint8Array => Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));

/** Lower-case hex text of `bytes`. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The UTF-8 bytes of `text` as hex text. */
export const ascii = (text: string): string => toHex(new TextEncoder().encode(text));

/** Decodes content placed at offset 5 of a larger buffer (codec offsets are absolute). */
export function decode<C>(codec: ContentCodec<string, C>, content: Uint8Array): C {
  const buf = new Uint8Array(content.length + 9);
  buf.set(content, 5);
  return codec.decode(buf, new DataView(buf.buffer), 5, content.length, { registry: defaultRegistry, timestamp: Timestamp.ZERO });
}

/** Encodes into a 0xEE-filled buffer at offset 3, checking that exactly size() bytes are written. */
export function encode<C>(codec: ContentCodec<string, C>, content: C): Uint8Array {
  const n = codec.size(content);
  const buf = new Uint8Array(n + 6).fill(0xee);
  codec.encode(content, buf, new DataView(buf.buffer), 3);
  expect(toHex(buf.subarray(0, 3)) + toHex(buf.subarray(3 + n))).toBe('ee'.repeat(6));
  return buf.slice(3, 3 + n);
}

/** Content -> canonical JSON text -> content again. */
export function viaJSON<C>(codec: ContentCodec<string, C>, content: C): C {
  return codec.fromJSON(JSON.parse(stringifyJSON(codec.toJSON(content))), '$.content');
}

/** A whole message -> canonical JSON text -> message again. */
export function messageViaJSON(msg: IgtlMessage): IgtlMessage {
  return fromJSON(stringifyJSON(toJSON(msg)));
}

/** A whole v1 frame of wire type `type` (valid header and CRC) around arbitrary content bytes. */
export function rawFrame(type: string, content: Uint8Array, deviceName = 'Tool'): Uint8Array {
  return encodeMessage({
    type: 'UNKNOWN', typeName: type, headerVersion: 1, deviceName, timestamp: Timestamp.ZERO,
    messageId: 0, metadata: new Map(), content: { raw: content },
  });
}

/** Header fields a decode error must carry. */
export interface ExpectedHeader {
  readonly type?: string;
  readonly deviceName?: string;
}

/** Decodes `bytes` with the real decoder and returns the MalformedMessageError it must throw, carrying `header`. */
export function decodeFailure(bytes: Uint8Array, header: ExpectedHeader = {}): MalformedMessageError {
  let caught: unknown;
  try {
    decodeMessage(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MalformedMessageError);
  const err = caught as MalformedMessageError;
  if (header.type !== undefined) expect(err.header?.type).toBe(header.type);
  if (header.deviceName !== undefined) expect(err.header?.deviceName).toBe(header.deviceName);
  return err;
}

/** Decodes a v1 frame with the given raw content (device `Tool`) through the real decoder and returns its error. */
export function decodeError(type: string, content: Uint8Array): MalformedMessageError {
  return decodeFailure(rawFrame(type, content));
}

/** Expects `type` content to be refused with exactly `detail`, the header attached. */
export function expectMalformedContent(type: string, content: Uint8Array, detail: string): MalformedMessageError {
  const err = decodeError(type, content);
  expect(err.header?.type).toBe(type);
  expect(err.detail).toBe(detail);
  return err;
}

/** Expects decoding `bytes` to fail with a message matching `pattern` and a header carrying `header`. */
export function expectMalformed(bytes: Uint8Array, pattern: RegExp, header: ExpectedHeader): MalformedMessageError {
  const err = decodeFailure(bytes, header);
  expect(err.message).toMatch(pattern);
  return err;
}

/** Expects `action` to throw an EncodeError whose message contains (string) or matches (RegExp) `message`. */
export function expectEncodeError(action: () => unknown, message: string | RegExp): void {
  expect(action).toThrow(EncodeError);
  expect(action).toThrow(message);
}

/** Expects `action` to throw an InvalidJsonMessageError naming `path`. */
export function expectInvalidJsonAt(action: () => unknown, path: string): void {
  let caught: unknown;
  try {
    action();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InvalidJsonMessageError);
  expect((caught as InvalidJsonMessageError).path).toBe(path);
}

/** Expects `content` to encode to the same bytes after a round trip through its canonical JSON text. */
export function expectJsonRoundTrip<C>(codec: ContentCodec<string, C>, content: C): void {
  expect(toHex(encode(codec, viaJSON(codec, content)))).toBe(toHex(encode(codec, content)));
}

/** Expects `content` to decode back equal after encoding, and returns its bytes. */
export function expectRoundTrip<C>(codec: ContentCodec<string, C>, content: C): Uint8Array {
  const bytes = encode(codec, content);
  expect(decode(codec, bytes)).toEqual(content);
  return bytes;
}

/** Expects the empty list `empty` to encode as no content bytes, and no content bytes to decode as it. */
export function expectEmptyContent<C>(codec: ContentCodec<string, C>, empty: C): void {
  expect(encode(codec, empty).length).toBe(0);
  expect(decode(codec, new Uint8Array(0))).toEqual(empty);
}

/** Expects two byte arrays to hold the same bytes. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}
