import { describe, it, expect } from 'vitest';
import {
  createMessage, createNdArrayContent, decodeMessage, encodeMessage, ndArrayCodec, ndarrayValues,
  EncodeError, InvalidJsonMessageError, Timestamp, type NdArrayContent, type NdArrayMessage, type ScalarArray,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';
import { messageVectors, vectorBytes } from '../../support/vectors.js';

/** A whole v1 NDARRAY frame from device Array around `content`. */
function frame(content: number[] | Uint8Array): Uint8Array {
  return rawFrame('NDARRAY', Uint8Array.from(content), 'Array');
}

function roundTrip(content: NdArrayContent): NdArrayContent {
  const wire = encodeMessage(createMessage('NDARRAY', content, { timestamp: Timestamp.ZERO }));
  return (decodeMessage(wire) as NdArrayMessage).content;
}

const KINDS: [number, ScalarArray][] = [
  [2, Int8Array.from([-128, 127, 0, -1, 5, 6])],
  [3, Uint8Array.from([0, 255, 1, 2, 3, 4])],
  [4, Int16Array.from([-32768, 32767, -2, 258, 0, 1])],
  [5, Uint16Array.from([0, 65535, 258, 513, 7, 8])],
  [6, Int32Array.from([-2147483648, 2147483647, -3, 16909060, 0, 1])],
  [7, Uint32Array.from([0, 4294967295, 16909060, 7, 8, 9])],
  [10, Float32Array.from([1.5, -0, -3.25e10, Infinity, NaN, 1e-40])],
  [11, Float64Array.from([Math.PI, -1e300, Number.MIN_VALUE, NaN, -0, 2])],
];

describe('NDARRAY codec', () => {
  for (const [scalarType, values] of KINDS) {
    it(`round-trips scalar type ${scalarType} through createNdArrayContent and ndarrayValues`, () => {
      const content = createNdArrayContent(values, [2, 3]);
      expect(content.scalarType).toBe(scalarType);
      const back = roundTrip(content);
      expect(back.size).toEqual([2, 3]);
      const got = ndarrayValues(back);
      expect(got.constructor).toBe(values.constructor);
      expect(Array.from(got)).toEqual(Array.from(values));
    });
  }

  it('stores elements big-endian in C order', () => {
    const content = createNdArrayContent(Uint16Array.from([0x0102, 0x0304]), [1, 2]);
    const wire = encodeMessage(createMessage('NDARRAY', content));
    expect(Array.from(wire.subarray(58))).toEqual([5, 2, 0, 1, 0, 2, 1, 2, 3, 4]);
  });

  it('round-trips complex values as interleaved real, imaginary float64', () => {
    const content = createNdArrayContent(Float64Array.from([1.5, -2, 3, 4.25]), [2], 13);
    expect(content.data.length).toBe(32);
    const back = roundTrip(content);
    expect(back.scalarType).toBe(13);
    expect(Array.from(ndarrayValues(back))).toEqual([1.5, -2, 3, 4.25]);
  });

  it('reads DIM 0 as one element, as the C code does', () => {
    const msg = decodeMessage(frame([11, 0, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18])) as NdArrayMessage;
    expect(msg.content.size).toEqual([]);
    expect(Array.from(ndarrayValues(msg.content))).toEqual([Math.PI]);
  });

  it('accepts a zero-sized dimension (no data bytes)', () => {
    expect(roundTrip(createNdArrayContent(new Int32Array(0), [3, 0])).data.length).toBe(0);
  });

  it('decodes the data as a view on the input bytes (zero-copy)', () => {
    const input = vectorBytes('ndarray-float32-2d.v1.igtl');
    const msg = decodeMessage(input) as NdArrayMessage;
    expect(msg.content.data.buffer).toBe(input.buffer);
  });

  it('gives the manifest values for every golden NDARRAY vector', () => {
    for (const entry of messageVectors('NDARRAY')) {
      const values = Array.from(ndarrayValues((decodeMessage(vectorBytes(entry.file)) as NdArrayMessage).content));
      const expected = (entry.content!.data as (number | number[])[]).flat();
      expect(values).toEqual(expected);
    }
  });

  describe('rejects malformed content with the header attached', () => {
    it('content shorter than type and dim', () => {
      expectMalformed(frame([3]), /1 bytes, shorter than the 2-byte type and dim/, { deviceName: 'Array' });
    });
    it('an unknown scalar type', () => {
      expectMalformed(frame([12, 1, 0, 1, 0]), /type 12 is not a scalar type/, { deviceName: 'Array' });
    });
    it('a size array cut short', () => {
      expectMalformed(frame([3, 2, 0, 1, 0]), /content is 5 bytes, too short for dim 2 \(2 \+ 2x2 = 6 header bytes\)/, { deviceName: 'Array' });
    });
    it('data one element short', () => {
      expectMalformed(frame([4, 1, 0, 3, 0, 1, 0, 2]), /content is 8 bytes, expected 10 \(2 \+ 2x1 \+ 3 elements x 2 bytes\)/, { deviceName: 'Array' });
    });
    it('data one byte long', () => {
      expectMalformed(frame([3, 1, 0, 1, 9, 9]), /content is 6 bytes, expected 5/, { deviceName: 'Array' });
    });
  });

  describe('refuses to encode', () => {
    const good: NdArrayContent = { scalarType: 5, size: [2], data: new Uint8Array(4) };
    const cases: [string, Partial<NdArrayContent>, RegExp][] = [
      ['data of the wrong length', { data: new Uint8Array(3) }, /data is 3 bytes, expected 4 \(2 elements x 2 bytes\)/],
      ['an unknown scalar type', { scalarType: 12 }, /scalarType 12 is not a scalar type/],
      ['a dimension over 65535', { size: [65536], data: new Uint8Array(131072) }, /size\[0\] must be an integer in 0\.\.65535/],
      ['a typed array of another kind as data', { data: new Uint16Array(2) as unknown as Uint8Array }, /data must be a Uint8Array of big-endian wire bytes/],
      ['more than 255 dimensions', { size: new Array(256).fill(1), data: new Uint8Array(2) }, /256 dimensions, at most 255/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        const msg = createMessage('NDARRAY', { ...good, ...patch });
        expectEncodeError(() => encodeMessage(msg), pattern);
      });
    }

    it('values that do not fill the size, or of a kind that does not match the type', () => {
      expect(() => createNdArrayContent(new Float32Array(5), [2, 3])).toThrow(/5 values for 2x3 = 6 elements/);
      expect(() => createNdArrayContent(new Float64Array(3), [3], 13)).toThrow(/complex: 2 values each/);
      expect(() => createNdArrayContent(new Float32Array(2), [2], 13)).toThrow(/scalarType 13 does not match the Float32Array/);
      expect(() => createNdArrayContent(new Int16Array(2), [2], 5)).toThrow(EncodeError);
    });
  });

  describe('canonical JSON', () => {
    it('uses type, dim, size and dataBase64, and no inline data', () => {
      const json = ndArrayCodec.toJSON(createNdArrayContent(Int16Array.from([1, -1]), [2]));
      expect(json).toEqual({ type: 4, dim: 1, size: [2], dataBase64: Buffer.from([0, 1, 0xff, 0xff]).toString('base64') });
    });

    it('round-trips through JSON text byte for byte and ignores a wrong dim', () => {
      const msg = createMessage('NDARRAY', createNdArrayContent(Float64Array.from([NaN, -0]), [1, 2]), { timestamp: Timestamp.ZERO });
      expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
      const json = ndArrayCodec.toJSON(msg.content);
      expect(ndArrayCodec.fromJSON({ ...json, dim: 7 }, '$').size).toEqual([1, 2]);
    });

    it('rejects a missing type and a size that is not a list of uint16', () => {
      expect(() => ndArrayCodec.fromJSON({ dim: 1, size: [1], dataBase64: 'AA==' }, '$.content')).toThrow(InvalidJsonMessageError);
      expect(() => ndArrayCodec.fromJSON({ type: 3, size: [-1], dataBase64: 'AA==' }, '$.content')).toThrow(/\$\.content\.size\[0\]/);
      expect(() => ndArrayCodec.fromJSON({ type: 3, size: 1, dataBase64: 'AA==' }, '$.content')).toThrow(/\$\.content\.size/);
    });
  });
});
