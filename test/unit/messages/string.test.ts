import { describe, it, expect } from 'vitest';
import { EncodeError, Encoding, InvalidJsonMessageError, stringCodec } from '../../../src/index.js';
import { ascii, decode, encode, expectMalformedContent, hex, toHex, viaJSON } from '../../support/codec.js';

// Lengths on both sides of the point where short texts are written by a loop and long ones by
// native code, and a long one.
const LENGTHS = [1, 32, 33, 100, 8000];
const lengthHex = (n: number): string => n.toString(16).padStart(4, '0');

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

  it.each(LENGTHS)('writes %i ASCII characters as the same bytes in US-ASCII, ISO-8859-1 and UTF-8', (n) => {
    const value = 'abcdefghij'.repeat(800).slice(0, n);
    for (const encoding of [3, 4, 106]) {
      expect(stringCodec.size({ encoding, value })).toBe(4 + n);
      expect(toHex(encode(stringCodec, { encoding, value }))).toBe(lengthHex(encoding) + lengthHex(n) + ascii(value));
    }
  });

  it.each(LENGTHS)('counts and writes text of %i characters ending in a non-ASCII one by its encoding', (n) => {
    const value = 'x'.repeat(n - 1);
    expect(toHex(encode(stringCodec, { encoding: 106, value: `${value}é` }))).toBe('006a' + lengthHex(n + 1) + ascii(value) + 'c3a9');
    expect(toHex(encode(stringCodec, { encoding: 4, value: `${value}é` }))).toBe('0004' + lengthHex(n) + ascii(value) + 'e9');
    expect(toHex(encode(stringCodec, { encoding: 106, value: `${value}\u{1F600}` }))).toBe('006a' + lengthHex(n + 3) + ascii(value) + 'f09f9880');
    // A lone surrogate is written as U+FFFD, as TextEncoder does.
    expect(toHex(encode(stringCodec, { encoding: 106, value: `${value}\uD800` }))).toBe('006a' + lengthHex(n + 2) + ascii(value) + 'efbfbd');
    expect(() => stringCodec.size({ encoding: 3, value: `${value}é` })).toThrow(EncodeError);
  });

  it('writes raw bytes, not the text, even when the text is ASCII', () => {
    for (const value of ['ab', 'a'.repeat(40)]) {
      expect(toHex(encode(stringCodec, { encoding: 106, value, raw: hex('61ff62') }))).toBe('006a' + '0003' + '61ff62');
    }
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
    expectMalformedContent('STRING', hex(content), detail);
  });

  it('rejects JSON without a value or with a bad valueBase64', () => {
    expect(() => stringCodec.fromJSON({ encoding: 3 }, '$.content')).toThrow('$.content.value');
    expect(() => stringCodec.fromJSON({ encoding: 3, value: '', valueBase64: '*' }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
