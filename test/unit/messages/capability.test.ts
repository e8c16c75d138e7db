import { describe, it, expect } from 'vitest';
import { capabilityCodec, EncodeError, InvalidJsonMessageError } from '../../../src/index.js';
import { ascii, decode, encode, expectJsonRoundTrip, expectMalformedContent, toHex } from '../../support/codec.js';

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
    expectMalformedContent('CAPABILITY', new Uint8Array(n), `content is ${n} bytes, not a multiple of the 12-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { types: ['TRANSFORM', '', 'RTS_POLYDATA'] };
    expectJsonRoundTrip(capabilityCodec, c);
  });

  it('rejects JSON types that are not strings', () => {
    expect(() => capabilityCodec.fromJSON({ types: ['IMAGE', 3] }, '$.content')).toThrow('$.content.types[1]');
    expect(() => capabilityCodec.fromJSON({}, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
