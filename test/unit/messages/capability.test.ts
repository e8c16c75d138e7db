import { describe, it, expect } from 'vitest';
import {
  capabilityCodec, decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, InvalidJsonMessageError,
  MalformedMessageError, stringifyJSON, Timestamp, type ContentCodec,
} from '../../../src/index.js';

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

const ascii = (s: string): string => toHex(new TextEncoder().encode(s));

describe('CAPABILITY', () => {
  it('writes each type name in a zero-padded 12-byte entry, a 12-character one without NUL', () => {
    const bytes = encode(capabilityCodec, { types: ['GET_STATUS', 'RTS_POLYDATA', 'TDATA'] });
    expect(toHex(bytes)).toBe(ascii('GET_STATUS') + '0000' + ascii('RTS_POLYDATA') + ascii('TDATA') + '00'.repeat(7));
    expect(decode(capabilityCodec, bytes)).toEqual({ types: ['GET_STATUS', 'RTS_POLYDATA', 'TDATA'] });
  });

  it('accepts an empty list on receive, although C++ reports it as an unpack failure', () => {
    expect(decode(capabilityCodec, new Uint8Array(0))).toEqual({ types: [] });
  });

  it('refuses to send an empty list, which C++ receivers reject', () => {
    expect(() => capabilityCodec.size({ types: [] })).toThrow(EncodeError);
  });

  it('refuses a type name longer than 12 bytes, naming its index', () => {
    expect(() => capabilityCodec.size({ types: ['IMAGE', 'TOO_LONG_NAME'] })).toThrow('types[1]');
  });

  it.each([1, 11, 13, 25])('refuses %i content bytes with the header attached', (n) => {
    const err = decodeError('CAPABILITY', new Uint8Array(n));
    expect(err.header?.type).toBe('CAPABILITY');
    expect(err.detail).toBe(`content is ${n} bytes, not a multiple of the 12-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { types: ['TRANSFORM', '', 'RTS_POLYDATA'] };
    expect(toHex(encode(capabilityCodec, viaJSON(capabilityCodec, c)))).toBe(toHex(encode(capabilityCodec, c)));
  });

  it('rejects JSON types that are not strings', () => {
    expect(() => capabilityCodec.fromJSON({ types: ['IMAGE', 3] }, '$.content')).toThrow('$.content.types[1]');
    expect(() => capabilityCodec.fromJSON({}, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
