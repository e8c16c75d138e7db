import { describe, it, expect } from 'vitest';
import {
  createMessage, decodeMessage, encodeMessage, EncodeError, InvalidJsonMessageError, positionCodec, positionQuaternion, stringifyJSON,
  Timestamp, type PositionContent,
} from '../../../src/index.js';
import { decode, encode, expectMalformedContent, hex, messageViaJSON, toHex } from '../../support/codec.js';

// float32 big-endian: 1 = 3f800000, 2 = 40000000, 3 = 40400000, 0.5 = 3f000000, -1 = bf800000
const POS = '3f800000 40000000 40400000';

describe('POSITION', () => {
  it('reads the 12-byte form as position only and writes it back as 12 bytes', () => {
    const c = decode(positionCodec, hex(POS));
    expect(c).toEqual({ position: [1, 2, 3] });
    expect('quaternion' in c).toBe(false);
    expect(toHex(encode(positionCodec, c))).toBe(POS.replace(/ /g, ''));
  });

  it('reads the 24-byte form as three quaternion numbers and writes it back as 24 bytes', () => {
    const bytes = hex(`${POS} 3f000000 bf800000 00000000`);
    const c = decode(positionCodec, bytes);
    expect(c).toEqual({ position: [1, 2, 3], quaternion: [0.5, -1, 0] });
    expect(toHex(encode(positionCodec, c))).toBe(toHex(bytes));
  });

  it('reads the 28-byte form as four quaternion numbers and writes it back as 28 bytes', () => {
    const bytes = hex(`${POS} 00000000 00000000 00000000 3f800000`);
    const c = decode(positionCodec, bytes);
    expect(c).toEqual({ position: [1, 2, 3], quaternion: [0, 0, 0, 1] });
    expect(toHex(encode(positionCodec, c))).toBe(toHex(bytes));
  });

  it.each([0, 4, 11, 13, 16, 20, 23, 25, 27, 29, 32, 48])('refuses %i content bytes with the header attached', (n) => {
    const err = expectMalformedContent('POSITION', new Uint8Array(n), `content is ${n} bytes, expected 12, 24 or 28`);
    expect(err.messageType).toBe('POSITION');
    expect(err.header?.deviceName).toBe('Tool');
  });

  it.each([[[]], [[1, 2]], [[1, 2, 3, 4, 5]]])('refuses to encode a quaternion of %j', (quaternion) => {
    expect(() => positionCodec.size({ position: [0, 0, 0], quaternion })).toThrow(EncodeError);
    expect(() => positionCodec.size({ position: [0, 0, 0], quaternion })).toThrow(`got ${quaternion.length}`);
  });

  it('refuses to encode a position that is not three numbers', () => {
    const bad: PositionContent = { position: [1, 2] as unknown as [number, number, number] };
    expect(() => positionCodec.size(bad)).toThrow(EncodeError);
  });

  it('keeps NaN and infinities through the canonical JSON text', () => {
    const content: PositionContent = { position: [NaN, Infinity, -0], quaternion: [-Infinity, 0, 0] };
    const json = positionCodec.toJSON(content);
    expect(json).toEqual({ position: ['NaN', 'Infinity', -0], quaternion: ['-Infinity', 0, 0] });
    const again = positionCodec.fromJSON(JSON.parse(stringifyJSON(json)), '$');
    expect(toHex(encode(positionCodec, again))).toBe(toHex(encode(positionCodec, content)));
  });

  it('round-trips every form through a whole message and its JSON text', () => {
    for (const content of [{ position: [1, 2, 3] }, { position: [1, 2, 3], quaternion: [0.5, 0, 0] }, { position: [1, 2, 3], quaternion: [0, 0, 0, 1] }] as PositionContent[]) {
      const bytes = encodeMessage(createMessage('POSITION', content, { timestamp: Timestamp.ZERO }));
      const again = messageViaJSON(decodeMessage(bytes));
      expect(toHex(encodeMessage(again))).toBe(toHex(bytes));
    }
  });

  it('rejects a JSON quaternion that is neither 3 nor 4 numbers', () => {
    expect(() => positionCodec.fromJSON({ position: [0, 0, 0], quaternion: [1, 2] }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(() => positionCodec.fromJSON({ position: [0, 0, 0], quaternion: [1, 2] }, '$.content')).toThrow('$.content.quaternion');
    expect(() => positionCodec.fromJSON({ position: [0, 0] }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(() => positionCodec.fromJSON({ position: [0, 0, 0], quaternion: [1, 'x', 0] }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});

describe('positionQuaternion', () => {
  it('gives the identity for the 12-byte form', () => {
    expect(positionQuaternion({ position: [1, 2, 3] })).toEqual([0, 0, 0, 1]);
  });

  it('returns the 28-byte quaternion as sent, even when it is not normalised', () => {
    expect(positionQuaternion({ position: [0, 0, 0], quaternion: [2, 3, 4, 5] })).toEqual([2, 3, 4, 5]);
  });

  it('rebuilds w from the vector part of the 24-byte form', () => {
    expect(positionQuaternion({ position: [0, 0, 0], quaternion: [0.5, 0.5, 0.5] })).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(positionQuaternion({ position: [0, 0, 0], quaternion: [0, 0, 0] })).toEqual([0, 0, 0, 1]);
  });

  it('computes w in float32 as the C++ receiver does', () => {
    const [x, y, z] = [Math.fround(-0.6159699), Math.fround(0.4728214), Math.fround(0.5942426)];
    const q = positionQuaternion({ position: [0, 0, 0], quaternion: [x, y, z] });
    const f = Math.fround;
    expect(q[3]).toBe(f(Math.sqrt(f(1 - f(f(f(x * x) + f(y * y)) + f(z * z))))));
    expect(Math.fround(q[3])).toBe(q[3]);
    expect(Math.hypot(...q)).toBeCloseTo(1, 6);
  });

  it('falls back to the identity when the vector part is longer than 1', () => {
    expect(positionQuaternion({ position: [0, 0, 0], quaternion: [0.8, 0.8, 0] })).toEqual([0, 0, 0, 1]);
  });
});
