import { describe, it, expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, Encoding, InvalidJsonMessageError,
  MalformedMessageError, stringCodec, stringifyJSON, Timestamp, type ContentCodec,
} from '../../../src/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Decodes content placed at offset 5 of a larger buffer (codec offsets are absolute). */
function decode<C>(codec: ContentCodec<string, C>, content: Uint8Array): C {
  const buf = new Uint8Array(content.length + 9);
  buf.set(content, 5);
  return codec.decode(buf, new DataView(buf.buffer), 5, content.length, { registry: defaultRegistry });
}

/** Encodes into a 0xEE-filled buffer at offset 3, checking that exactly size() bytes are written. */
function encode<C>(codec: ContentCodec<string, C>, content: C): Uint8Array {
  const n = codec.size(content);
  const buf = new Uint8Array(n + 6).fill(0xee);
  codec.encode(content, buf, new DataView(buf.buffer), 3);
  expect(toHex(buf.subarray(0, 3)) + toHex(buf.subarray(3 + n))).toBe('ee'.repeat(6));
  return buf.slice(3, 3 + n);
}

/** Decodes a v1 frame with the given raw content through the real decoder and returns its error. */
function decodeError(type: string, content: Uint8Array): MalformedMessageError {
  const frame = encodeMessage({
    type: 'UNKNOWN', typeName: type, headerVersion: 1, deviceName: 'Tool', timestamp: Timestamp.ZERO, messageId: 0,
    metadata: EMPTY_METADATA, content: { raw: content },
  });
  try {
    decodeMessage(frame);
  } catch (err) {
    if (err instanceof MalformedMessageError) return err;
    throw err;
  }
  throw new Error(`${type} content of ${content.length} bytes decoded without error`);
}

/** Content -> canonical JSON text -> content again. */
function viaJSON<C>(codec: ContentCodec<string, C>, content: C): C {
  return codec.fromJSON(JSON.parse(stringifyJSON(codec.toJSON(content))), '$.content');
}

describe('STRING', () => {
  it('writes encoding, byte length and the text without a terminator', () => {
    const bytes = encode(stringCodec, { encoding: Encoding.US_ASCII, value: 'abc' });
    expect(toHex(bytes)).toBe('0003' + '0003' + '616263');
    expect(decode(stringCodec, bytes)).toEqual({ encoding: 3, value: 'abc' });
  });

  it('carries an empty string as the 4-byte fixed part alone', () => {
    expect(toHex(encode(stringCodec, { encoding: 3, value: '' }))).toBe('00030000');
    expect(decode(stringCodec, hex('00030000'))).toEqual({ encoding: 3, value: '' });
  });

  it('counts UTF-8 bytes in LENGTH and in the JSON length', () => {
    const c = { encoding: Encoding.UTF_8, value: 'Δt ✓' };
    const bytes = encode(stringCodec, c);
    expect(toHex(bytes.subarray(0, 4))).toBe('006a' + '0007');
    expect(stringCodec.toJSON(c)).toEqual({ encoding: 106, length: 7, value: 'Δt ✓' });
  });

  it('keeps invalid UTF-8 bytes as raw and relays them unchanged, also through JSON', () => {
    const bytes = hex('006a 0003 61ff62');
    const c = decode(stringCodec, bytes);
    expect(c.value).toBe('a\uFFFDb');
    expect(toHex(c.raw!)).toBe('61ff62');
    const json = stringCodec.toJSON(c);
    expect(json).toEqual({ encoding: 106, length: 3, value: 'a\uFFFDb', valueBase64: 'Yf9i' });
    expect(toHex(encode(stringCodec, c))).toBe(toHex(bytes));
    expect(toHex(encode(stringCodec, viaJSON(stringCodec, c)))).toBe(toHex(bytes));
  });

  it('keeps text in an encoding it cannot write as raw bytes', () => {
    const bytes = hex('270f 0002 c1c2'); // MIBenum 9999: unknown
    const c = decode(stringCodec, bytes);
    expect(c.raw).toBeDefined();
    expect(toHex(encode(stringCodec, viaJSON(stringCodec, c)))).toBe(toHex(bytes));
  });

  it('leaves valueBase64 out when the text re-encodes by itself', () => {
    expect('valueBase64' in stringCodec.toJSON(decode(stringCodec, hex('0003 0002 6869')))).toBe(false);
  });

  it('ignores a wrong derived length in JSON', () => {
    const c = stringCodec.fromJSON({ encoding: 3, length: 99, value: 'hi' }, '$.content');
    expect(toHex(encode(stringCodec, c))).toBe('000300026869');
  });

  it('writes 65535 bytes, the most LENGTH can hold, and refuses one more', () => {
    expect(stringCodec.size({ encoding: 3, value: 'x'.repeat(0xffff) })).toBe(4 + 0xffff);
    expect(() => stringCodec.size({ encoding: 3, value: 'x'.repeat(0x10000) })).toThrow(EncodeError);
    expect(() => stringCodec.size({ encoding: 106, value: 'é'.repeat(0x8000) })).toThrow('65536 bytes');
  });

  it('refuses text the declared encoding cannot represent', () => {
    expect(() => stringCodec.size({ encoding: Encoding.US_ASCII, value: 'é' })).toThrow(EncodeError);
  });

  it('refuses an encoding that does not fit a uint16', () => {
    expect(() => stringCodec.size({ encoding: 0x10000, value: '' })).toThrow(EncodeError);
    expect(() => stringCodec.fromJSON({ encoding: -1, value: '' }, '$.content')).toThrow(InvalidJsonMessageError);
  });

  it.each([
    ['000300', 'content is 3 bytes, expected at least 4'],
    ['0003 0003 6869', 'content is 6 bytes, LENGTH 3 needs 7'],
    ['0003 0001 6869', 'content is 6 bytes, LENGTH 1 needs 5'],
  ])('refuses content %s with the header attached', (content, detail) => {
    const err = decodeError('STRING', hex(content));
    expect(err.header?.type).toBe('STRING');
    expect(err.detail).toBe(detail);
  });

  it('rejects JSON without a value or with a bad valueBase64', () => {
    expect(() => stringCodec.fromJSON({ encoding: 3 }, '$.content')).toThrow('$.content.value');
    expect(() => stringCodec.fromJSON({ encoding: 3, value: '', valueBase64: '*' }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
