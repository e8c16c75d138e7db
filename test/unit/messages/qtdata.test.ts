import { describe, it, expect } from 'vitest';
import { InvalidJsonMessageError, quaternionTrackingDataCodec, TrackingType, type QuaternionTrackingElement } from '../../../src/index.js';
import {
  ascii, decode, encode, expectEmptyContent, expectEncodeError, expectJsonRoundTrip, expectMalformedContent, expectRoundTrip, toHex,
} from '../../support/codec.js';

const tool: QuaternionTrackingElement = { name: 'Pointer', type: TrackingType.INSTRUMENT_6D, position: [1, 2, 3], quaternion: [0, 0.5, -1, 2] };

describe('QTDATA', () => {
  it('lays an element out as name, type, zero reserved byte, position and qx qy qz w', () => {
    const bytes = encode(quaternionTrackingDataCodec, { elements: [tool] });
    expect(bytes.length).toBe(50);
    expect(toHex(bytes.subarray(0, 20))).toBe(ascii('Pointer') + '00'.repeat(13));
    expect(toHex(bytes.subarray(20, 22))).toBe('0200');
    expect(toHex(bytes.subarray(22, 34))).toBe('3f800000' + '40000000' + '40400000');
    expect(toHex(bytes.subarray(34, 50))).toBe('00000000' + '3f000000' + 'bf800000' + '40000000');
    expect(decode(quaternionTrackingDataCodec, bytes)).toEqual({ elements: [tool] });
  });

  it('reads and writes a name of exactly 20 bytes, with no NUL', () => {
    const full = { ...tool, name: 'Q'.repeat(20) };
    expectRoundTrip(quaternionTrackingDataCodec, { elements: [full, tool] });
  });

  it('carries an empty list as empty content', () => {
    expectEmptyContent(quaternionTrackingDataCodec, { elements: [] });
  });

  it.each([
    [{ ...tool, name: 'Q'.repeat(21) }, 'elements[0].name'],
    [{ ...tool, type: 256 }, 'elements[0].type'],
    [{ ...tool, position: [1, 2] }, 'elements[0].position'],
    [{ ...tool, quaternion: [0, 0, 1] }, 'elements[0].quaternion'],
  ])('refuses to size %j', (bad, message) => {
    expectEncodeError(() => quaternionTrackingDataCodec.size({ elements: [bad as QuaternionTrackingElement] }), message);
  });

  it.each([49, 51, 99])('refuses %i content bytes with the header attached', (n) => {
    expectMalformedContent('QTDATA', new Uint8Array(n), `content is ${n} bytes, not a multiple of the 50-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { elements: [tool, { ...tool, name: '', position: [-0, Infinity, 0] as const }] };
    expectJsonRoundTrip(quaternionTrackingDataCodec, c);
  });

  it('rejects a JSON quaternion without four numbers', () => {
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, position: [0, 0, 0], quaternion: [0, 0, 1] }] }, '$.content'))
      .toThrow('$.content.elements[0].quaternion');
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, position: [0, 0, 0], quaternion: [0, 0, 0, 1] }] }, '$.content'))
      .not.toThrow();
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: 3 }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
