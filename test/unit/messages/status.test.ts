import { describe, it, expect } from 'vitest';
import { defaultRegistry, EncodeError, escapedUtf8, InvalidJsonMessageError, statusCodec, StatusCode, Timestamp, type StatusContent } from '../../../src/index.js';
import { ascii, decode, encode, expectMalformedContent, hex, toHex, viaJSON } from '../../support/codec.js';

const zeros = (n: number): string => '00'.repeat(n);
const base: StatusContent = { code: StatusCode.OK, subcode: -2n, errorName: 'OK', statusMessage: 'hi' };

describe('STATUS', () => {
  it('writes code, subcode, a zero-padded error name and the NUL-terminated message', () => {
    const bytes = encode(statusCodec, base);
    expect(toHex(bytes)).toBe(`0001 fffffffffffffffe 4f4b${zeros(18)} 6869 00`.replace(/ /g, ''));
    expect(decode(statusCodec, bytes)).toEqual(base);
  });

  it('sends an empty message as a lone NUL (31 bytes)', () => {
    const bytes = encode(statusCodec, { ...base, statusMessage: '' });
    expect(bytes.length).toBe(31);
    expect(bytes[30]).toBe(0);
    expect(decode(statusCodec, bytes).statusMessage).toBe('');
  });

  it('accepts 30 bytes with no message and no terminator', () => {
    const c = decode(statusCodec, hex(`0007 0000000000000000 ${zeros(20)}`));
    expect(c).toEqual({ code: 7, subcode: 0n, errorName: '', statusMessage: '', textTail: new Uint8Array(0) });
  });

  it('keeps a message that lacks its terminator (C++ would drop it)', () => {
    expect(decode(statusCodec, hex(`0001 0000000000000000 ${zeros(20)} 6869`)).statusMessage).toBe('hi');
  });

  it('stops the message at the first NUL', () => {
    expect(decode(statusCodec, hex(`0001 0000000000000000 ${zeros(20)} 6869 00 7878 00`)).statusMessage).toBe('hi');
  });

  describe('what ends the text, when it is not one NUL, is kept and written back (textTail)', () => {
    const cases: [string, string, string | undefined][] = [
      ['the usual single NUL: nothing kept', '6869 00', undefined],
      ['an empty text and its NUL: nothing kept', '00', undefined],
      ['a multi-byte UTF-8 text and its NUL: nothing kept', 'c3a9 e282ac 00', undefined],
      ['no NUL, 30 bytes', '', ''],
      ['no NUL after the text', '6869', ''],
      ['bytes after the NUL', '6869 00 7878 00', '00787800'],
      ['two NULs', '6869 00 00', '0000'],
      ['a NUL first', '00 6869', '006869'],
    ];
    for (const [what, text, tail] of cases) {
      it(`${what}: re-encodes byte for byte, also through JSON`, () => {
        const bytes = hex(`0001 0000000000000000 ${zeros(20)} ${text}`);
        const c = decode(statusCodec, bytes);
        expect(c.textTail === undefined ? undefined : toHex(c.textTail)).toBe(tail);
        expect(toHex(encode(statusCodec, c))).toBe(toHex(bytes));
        expect(toHex(encode(statusCodec, viaJSON(statusCodec, c)))).toBe(toHex(bytes));
      });
    }

    it('refuses a textTail that does not start with the NUL ending the text, with an EncodeError', () => {
      const c = { code: 1, subcode: 0n, errorName: '', statusMessage: 'hi', textTail: hex('41') };
      expect(() => statusCodec.size(c)).toThrow(EncodeError);
      expect(() => statusCodec.size(c)).toThrow(/textTail must be empty or start with the NUL/);
    });

    it('is absent from a STATUS built without it, sent with one NUL', () => {
      const c = { code: 1, subcode: 0n, errorName: '', statusMessage: 'hi' };
      expect(toHex(encode(statusCodec, c))).toBe(toHex(hex(`0001 0000000000000000 ${zeros(20)} 6869 00`)));
      expect(statusCodec.toJSON(c)).not.toHaveProperty('textTailBase64');
    });
  });

  it('finds the first NUL wherever it falls in a 4-byte word, after bytes with the high bit set', () => {
    // The decoder scans the text four bytes at a time: try every length and NUL position, with
    // bytes (0x80, 0xff, 0x01) that a word-wise zero test could mistake for a zero.
    const fill = [0x41, 0x80, 0xff, 0x01];
    for (let n = 0; n <= 13; n++) {
      for (let nul = 0; nul <= n; nul++) {
        const text = Uint8Array.from({ length: n }, (_, i) => (i === nul ? 0 : fill[(i + n) % 4]!));
        const content = new Uint8Array(30 + n);
        content.set(text, 30);
        // Non-zero bytes after the content: the text must stop at its end, not read past it.
        const buf = new Uint8Array(content.length + 11).fill(0x42);
        buf.set(content, 7);
        const got = statusCodec.decode(buf, new DataView(buf.buffer), 7, content.length, { registry: defaultRegistry, timestamp: Timestamp.ZERO });
        expect(got.statusMessage, `length ${n}, NUL at ${nul}`).toBe(escapedUtf8(text, 0, nul));
      }
    }
  });

  it('keeps each byte of the message that is not UTF-8 as its escape, and writes it back', () => {
    // A Latin-1 device's "Température" (0xE9), as C++ hands it out: the bytes, not U+FFFD.
    const latin1 = hex(`0002 0000000000000000 ${zeros(20)} ${ascii('Temp')} e9 ${ascii('rature')} 00`);
    const got = decode(statusCodec, latin1);
    expect(got.statusMessage).toBe('Temp\udce9rature');
    expect(toHex(encode(statusCodec, got))).toBe(toHex(latin1));
    expect(toHex(encode(statusCodec, viaJSON(statusCodec, got)))).toBe(toHex(latin1));
    const invalid = hex(`0001 0000000000000000 ${zeros(20)} 61ff62 00`);
    expect(decode(statusCodec, invalid).statusMessage).toBe('a\udcffb');
    expect(toHex(encode(statusCodec, decode(statusCodec, invalid)))).toBe(toHex(invalid));
    // A U+FFFD that was sent (valid UTF-8) stays one.
    expect(decode(statusCodec, hex(`0001 0000000000000000 ${zeros(20)} 61efbfbd62 00`)).statusMessage).toBe('a\uFFFDb');
  });

  it('writes a UTF-8 message and counts its bytes, not its characters', () => {
    const bytes = encode(statusCodec, { ...base, statusMessage: 'Größe ✓' });
    expect(bytes.length).toBe(30 + 11 + 1);
    expect(decode(statusCodec, bytes).statusMessage).toBe('Größe ✓');
  });

  it.each([32, 33, 100, 8000])('writes an ASCII message of %i characters and its NUL', (n) => {
    const statusMessage = 'Reference lost: check the camera'.repeat(250).slice(0, n);
    const bytes = encode(statusCodec, { ...base, statusMessage });
    expect(bytes.length).toBe(30 + n + 1);
    expect(toHex(bytes.subarray(30))).toBe(ascii(statusMessage) + '00');
  });

  it.each([1, 32, 33, 100])('writes a message of %i characters ending in a non-ASCII one as UTF-8', (n) => {
    const head = 'x'.repeat(n - 1);
    expect(toHex(encode(statusCodec, { ...base, statusMessage: `${head}é` }).subarray(30))).toBe(ascii(head) + 'c3a9' + '00');
    expect(toHex(encode(statusCodec, { ...base, statusMessage: `${head}\uD800` }).subarray(30))).toBe(ascii(head) + 'efbfbd' + '00');
  });

  it('reads and writes an error name that fills its 20 bytes without a NUL', () => {
    const name = 'E'.repeat(20);
    const bytes = encode(statusCodec, { ...base, errorName: name, statusMessage: '' });
    expect(toHex(bytes.subarray(10, 30))).toBe('45'.repeat(20));
    expect(decode(statusCodec, bytes).errorName).toBe(name);
  });

  it('refuses an error name longer than 20 bytes when sizing', () => {
    expect(() => statusCodec.size({ ...base, errorName: 'E'.repeat(21) })).toThrow(EncodeError);
    expect(() => statusCodec.size({ ...base, errorName: 'é'.repeat(11) })).toThrow('22 bytes');
  });

  it('refuses a message holding a NUL, which receivers would cut', () => {
    expect(() => statusCodec.size({ ...base, statusMessage: 'a\0b' })).toThrow(EncodeError);
  });

  it('accepts codes beyond the known table and refuses ones that do not fit a uint16', () => {
    expect(decode(statusCodec, encode(statusCodec, { ...base, code: 0xffff })).code).toBe(0xffff);
    expect(() => statusCodec.size({ ...base, code: 0x10000 })).toThrow(EncodeError);
    expect(() => statusCodec.size({ ...base, code: -1 })).toThrow(EncodeError);
  });

  it('round-trips the int64 extremes of subcode as decimal strings', () => {
    for (const subcode of [-(2n ** 63n), 2n ** 63n - 1n]) {
      const c = { ...base, subcode };
      expect(statusCodec.toJSON(c).subcode).toBe(subcode.toString());
      expect(viaJSON(statusCodec, c)).toEqual(c);
      expect(decode(statusCodec, encode(statusCodec, c)).subcode).toBe(subcode);
    }
  });

  it('round-trips subcodes on both sides of the 32-bit boundaries', () => {
    // The decoder builds a subcode that fits 32 bits from its low half only.
    for (const subcode of [0n, 1n, 1000n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, -1n, -(2n ** 31n), -(2n ** 32n), -(2n ** 32n) - 1n]) {
      const bytes = encode(statusCodec, { ...base, subcode });
      expect(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(2)).toBe(subcode);
      expect(decode(statusCodec, bytes).subcode).toBe(subcode);
    }
  });

  it('writes each error name in its own bytes, names alternating, including UTF-8 and escaped bytes', () => {
    // Error names are encoded once and cached: a cached name must never be written for another.
    const names = ['', 'TrackerError', 'Größe', 'E'.repeat(20), '\uDCE9x', 'TrackerErrorB', 'a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const want = ['', ascii('TrackerError'), '4772c3b6c39f65', '45'.repeat(20), 'e978', ascii('TrackerErrorB'), '61', '62', '63', '64', '65', '66', '67'];
    for (let round = 0; round < 3; round++) {
      names.forEach((errorName, i) => {
        const bytes = encode(statusCodec, { ...base, errorName });
        expect(toHex(bytes.subarray(10, 30))).toBe(want[i]!.padEnd(40, '0'));
        expect(decode(statusCodec, bytes).errorName).toBe(errorName);
      });
    }
    expect(() => statusCodec.size({ ...base, errorName: 'Größe'.repeat(4) })).toThrow('errorName');
  });

  it('refuses a subcode outside int64, in content and in JSON', () => {
    expect(() => statusCodec.size({ ...base, subcode: 2n ** 63n })).toThrow(EncodeError);
    expect(() => statusCodec.size({ ...base, subcode: -(2n ** 63n) - 1n })).toThrow(EncodeError);
    expect(() => statusCodec.size({ ...base, subcode: 1 as unknown as bigint })).toThrow(EncodeError);
    expect(() => statusCodec.fromJSON({ code: 1, subcode: (-(2n ** 63n) - 1n).toString(), errorName: '', statusMessage: '' }, '$.content'))
      .toThrow(InvalidJsonMessageError);
    expect(() => statusCodec.fromJSON({ code: 1, subcode: (2n ** 63n).toString(), errorName: '', statusMessage: '' }, '$.content'))
      .toThrow(InvalidJsonMessageError);
    expect(() => statusCodec.fromJSON({ code: 1, subcode: '1.5', errorName: '', statusMessage: '' }, '$.content')).toThrow('$.content.subcode');
  });

  it.each([0, 1, 10, 29])('refuses %i content bytes with the header attached', (n) => {
    expectMalformedContent('STATUS', new Uint8Array(n), `content is ${n} bytes, expected at least 30`);
  });
});
