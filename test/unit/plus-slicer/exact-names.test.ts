/**
 * Issue 14, item 7: header names and fixed text fields keep their exact bytes when they are not
 * valid UTF-8 (a Latin-1 0xE9), so decode -> encode (and the JSON form, and the bridge, which
 * decodes and re-encodes) is byte-exact. Frames are built here by hand (header.md).
 */
import { describe, expect, it } from 'vitest';
import { createMessage, decodeMessage, encodeMessage, escapedUtf8, escapedUtf8Bytes, fromJSON, stringifyJSON, toJSON, IDENTITY, type Matrix4 } from '../../../src/index.js';

function withName(bytes: Uint8Array, name: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out.fill(0, 14, 34);
  out.set(name, 14);
  return out;
}

const base = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY as unknown as Matrix4 }, { deviceName: 'x' }));
const latin1 = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('names that are not UTF-8', () => {
  it('a Latin-1 0xE9 re-encodes as 0xE9, not EF BF BD', () => {
    const bytes = withName(base, latin1('Sonde\u00e9'));
    const msg = decodeMessage(bytes);
    expect(msg.deviceName).toBe('Sonde\udce9');
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('a 20-byte Latin-1 name re-encodes (it used to be 20 x 3 bytes of U+FFFD)', () => {
    const bytes = withName(base, latin1('\u00c9'.repeat(20)));
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it('through the JSON form too', () => {
    const bytes = withName(base, latin1('Kan\u00e4le'));
    expect(encodeMessage(fromJSON(stringifyJSON(toJSON(decodeMessage(bytes)))))).toEqual(bytes);
  });

  it('valid UTF-8 is read as text; mixed bytes keep both', () => {
    const utf8 = Uint8Array.from(Buffer.from('Sondé→', 'utf8'));
    expect(decodeMessage(withName(base, utf8)).deviceName).toBe('Sondé→');
    const mixed = Uint8Array.from([...Buffer.from('é', 'utf8'), 0xe9, 0xc3, 0x41, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80]);
    const text = escapedUtf8(mixed, 0, mixed.length);
    expect(text).toBe('é\udce9\udcc3A😀\udced\udca0\udc80');
    expect(escapedUtf8Bytes(text)).toEqual(mixed);
  });

  it('element names of content (TDATA) keep their bytes as well', () => {
    const msg = createMessage('TDATA', { elements: [{ name: 'Stylus\udce9', type: 2, matrix: IDENTITY as unknown as Matrix4 }] });
    const bytes = encodeMessage(msg);
    expect(bytes[58 + 6]).toBe(0xe9);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });
});
