import { describe, it, expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, InvalidJsonMessageError, MalformedMessageError,
  stringifyJSON, Timestamp, trackingDataCodec, TrackingType, type ContentCodec, type TrackingElement,
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
const f32 = (v: number): string => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v);
  return toHex(b);
};
// Row-major; the wire holds the upper 3x4 column by column (spec messages.md §1).
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
    const bytes = encode(trackingDataCodec, { elements: [full, tool] });
    expect(bytes[19]).toBe(0x54);
    expect(decode(trackingDataCodec, bytes)).toEqual({ elements: [full, tool] });
  });

  it('carries an empty list as empty content', () => {
    expect(encode(trackingDataCodec, { elements: [] }).length).toBe(0);
    expect(decode(trackingDataCodec, new Uint8Array(0))).toEqual({ elements: [] });
  });

  it.each([
    [{ ...tool, name: 'T'.repeat(21) }, 'elements[1].name'],
    [{ ...tool, type: 256 }, 'elements[1].type'],
    [{ ...tool, type: -1 }, 'elements[1].type'],
    [{ ...tool, matrix: matrix.slice(0, 12) }, 'elements[1].matrix'],
  ])('refuses to size %j', (bad, message) => {
    expect(() => trackingDataCodec.size({ elements: [tool, bad] })).toThrow(EncodeError);
    expect(() => trackingDataCodec.size({ elements: [tool, bad] })).toThrow(message);
  });

  it.each([1, 69, 71, 139])('refuses %i content bytes with the header attached', (n) => {
    const err = decodeError('TDATA', new Uint8Array(n));
    expect(err.header?.type).toBe('TDATA');
    expect(err.detail).toBe(`content is ${n} bytes, not a multiple of the 70-byte element`);
  });

  it('round-trips through JSON as four matrix rows', () => {
    const c = { elements: [tool, { name: '', type: TrackingType.TRACKER, matrix: [NaN, ...matrix.slice(1)] }] };
    expect(trackingDataCodec.toJSON({ elements: [tool] })).toEqual({
      elements: [{ name: 'Stylus', type: 2, matrix: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 0, 0, 1]] }],
    });
    expect(toHex(encode(trackingDataCodec, viaJSON(trackingDataCodec, c)))).toBe(toHex(encode(trackingDataCodec, c)));
  });

  it('rejects a JSON matrix that is not 4 x 4', () => {
    expect(() => trackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, matrix: [[1, 2, 3, 4]] }] }, '$.content'))
      .toThrow(InvalidJsonMessageError);
  });
});
