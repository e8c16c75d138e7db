import { describe, it, expect } from 'vitest';
import { InvalidJsonMessageError, trackingDataCodec, TrackingType, type TrackingElement } from '../../../src/index.js';
import {
  ascii, decode, encode, expectEmptyContent, expectEncodeError, expectJsonRoundTrip, expectMalformedContent, expectRoundTrip, toHex,
} from '../../support/codec.js';

const f32 = (v: number): string => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v);
  return toHex(b);
};
// Row-major; the wire holds the upper 3x4 column by column (OpenIGTLink Documents/Protocol/transform.md).
const matrix = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 1];
const tool: TrackingElement = { name: 'Stylus', type: TrackingType.INSTRUMENT_6D, matrix };

describe('TDATA', () => {
  it('lays an element out as name, type, zero reserved byte and the matrix in TRANSFORM order', () => {
    const bytes = encode(trackingDataCodec, { elements: [tool] });
    expect(bytes.length).toBe(70);
    expect(toHex(bytes.subarray(0, 20))).toBe(ascii('Stylus') + '00'.repeat(14));
    expect(toHex(bytes.subarray(20, 22))).toBe('0200');
    expect(toHex(bytes.subarray(22, 70))).toBe([1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12].map(f32).join(''));
    expect(decode(trackingDataCodec, bytes)).toEqual({ elements: [tool] });
  });

  it('sets the bottom row to 0 0 0 1 on receive whatever was given', () => {
    const bytes = encode(trackingDataCodec, { elements: [{ ...tool, matrix: [...matrix.slice(0, 12), 9, 9, 9, 9] }] });
    expect(decode(trackingDataCodec, bytes).elements[0]!.matrix.slice(12)).toEqual([0, 0, 0, 1]);
  });

  it('reads and writes a name of exactly 20 bytes, with no NUL', () => {
    const full = { ...tool, name: 'T'.repeat(20) };
    const bytes = expectRoundTrip(trackingDataCodec, { elements: [full, tool] });
    expect(bytes[19]).toBe(0x54);
  });

  it('carries an empty list as empty content', () => {
    expectEmptyContent(trackingDataCodec, { elements: [] });
  });

  it.each([
    [{ ...tool, name: 'T'.repeat(21) }, 'elements[1].name'],
    [{ ...tool, type: 256 }, 'elements[1].type'],
    [{ ...tool, type: -1 }, 'elements[1].type'],
    [{ ...tool, matrix: matrix.slice(0, 12) }, 'elements[1].matrix'],
  ])('refuses to size %j', (bad, message) => {
    expectEncodeError(() => trackingDataCodec.size({ elements: [tool, bad] }), message);
  });

  it.each([1, 69, 71, 139])('refuses %i content bytes with the header attached', (n) => {
    expectMalformedContent('TDATA', new Uint8Array(n), `content is ${n} bytes, not a multiple of the 70-byte element`);
  });

  it('round-trips through JSON as four matrix rows', () => {
    const c = { elements: [tool, { name: '', type: TrackingType.TRACKER, matrix: [NaN, ...matrix.slice(1)] }] };
    expect(trackingDataCodec.toJSON({ elements: [tool] })).toEqual({
      elements: [{ name: 'Stylus', type: 2, matrix: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 0, 0, 1]] }],
    });
    expectJsonRoundTrip(trackingDataCodec, c);
  });

  it('rejects a JSON matrix that is not 4 x 4', () => {
    expect(() => trackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, matrix: [[1, 2, 3, 4]] }] }, '$.content'))
      .toThrow(InvalidJsonMessageError);
  });
});
