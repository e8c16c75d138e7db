import { describe, it, expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, InvalidJsonMessageError, MalformedMessageError,
  quaternionTrackingDataCodec, stringifyJSON, Timestamp, TrackingType, type ContentCodec, type QuaternionTrackingElement,
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
    expect(decode(quaternionTrackingDataCodec, encode(quaternionTrackingDataCodec, { elements: [full, tool] }))).toEqual({ elements: [full, tool] });
  });

  it('carries an empty list as empty content', () => {
    expect(encode(quaternionTrackingDataCodec, { elements: [] }).length).toBe(0);
    expect(decode(quaternionTrackingDataCodec, new Uint8Array(0))).toEqual({ elements: [] });
  });

  it.each([
    [{ ...tool, name: 'Q'.repeat(21) }, 'elements[0].name'],
    [{ ...tool, type: 256 }, 'elements[0].type'],
    [{ ...tool, position: [1, 2] }, 'elements[0].position'],
    [{ ...tool, quaternion: [0, 0, 1] }, 'elements[0].quaternion'],
  ])('refuses to size %j', (bad, message) => {
    expect(() => quaternionTrackingDataCodec.size({ elements: [bad as QuaternionTrackingElement] })).toThrow(EncodeError);
    expect(() => quaternionTrackingDataCodec.size({ elements: [bad as QuaternionTrackingElement] })).toThrow(message);
  });

  it.each([49, 51, 99])('refuses %i content bytes with the header attached', (n) => {
    const err = decodeError('QTDATA', new Uint8Array(n));
    expect(err.header?.type).toBe('QTDATA');
    expect(err.detail).toBe(`content is ${n} bytes, not a multiple of the 50-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { elements: [tool, { ...tool, name: '', position: [-0, Infinity, 0] as const }] };
    expect(toHex(encode(quaternionTrackingDataCodec, viaJSON(quaternionTrackingDataCodec, c)))).toBe(toHex(encode(quaternionTrackingDataCodec, c)));
  });

  it('rejects a JSON quaternion without four numbers', () => {
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, position: [0, 0, 0], quaternion: [0, 0, 1] }] }, '$.content'))
      .toThrow('$.content.elements[0].quaternion');
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: [{ name: 'a', type: 1, position: [0, 0, 0], quaternion: [0, 0, 0, 1] }] }, '$.content'))
      .not.toThrow();
    expect(() => quaternionTrackingDataCodec.fromJSON({ elements: 3 }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});
