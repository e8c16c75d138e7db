import { describe, it, expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, InvalidJsonMessageError, MalformedMessageError,
  pointCodec, stringifyJSON, Timestamp, type ContentCodec, type PointElement,
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
const point: PointElement = { name: 'Nasion', group: 'Landmark', rgba: [255, 0, 16, 128], position: [1, -2, 0.5], radius: 2.5, owner: 'CT' };

describe('POINT', () => {
  it('lays a point out as name, group, rgba, position, radius, owner at the spec offsets', () => {
    const bytes = encode(pointCodec, { points: [point] });
    expect(bytes.length).toBe(136);
    expect(toHex(bytes.subarray(0, 64))).toBe(ascii('Nasion') + '00'.repeat(58));
    expect(toHex(bytes.subarray(64, 96))).toBe(ascii('Landmark') + '00'.repeat(24));
    expect(toHex(bytes.subarray(96, 100))).toBe('ff001080');
    expect(toHex(bytes.subarray(100, 112))).toBe('3f800000' + 'c0000000' + '3f000000');
    expect(toHex(bytes.subarray(112, 116))).toBe('40200000');
    expect(toHex(bytes.subarray(116, 136))).toBe(ascii('CT') + '00'.repeat(18));
    expect(decode(pointCodec, bytes)).toEqual({ points: [point] });
  });

  it('reads and writes names that fill their fields exactly, with no NUL', () => {
    const full: PointElement = { ...point, name: 'n'.repeat(64), group: 'g'.repeat(32), owner: 'o'.repeat(20) };
    const bytes = encode(pointCodec, { points: [full, point] });
    expect(bytes[63]).toBe(0x6e);
    expect(bytes[64]).toBe(0x67);
    expect(decode(pointCodec, bytes)).toEqual({ points: [full, point] });
  });

  it('carries an empty list as empty content', () => {
    expect(encode(pointCodec, { points: [] }).length).toBe(0);
    expect(decode(pointCodec, new Uint8Array(0))).toEqual({ points: [] });
  });

  it.each([
    ['name', { ...point, name: 'n'.repeat(65) }, 'points[1].name'],
    ['group', { ...point, group: 'g'.repeat(33) }, 'points[1].group'],
    ['owner', { ...point, owner: 'o'.repeat(21) }, 'points[1].owner'],
    ['UTF-8 name', { ...point, name: 'é'.repeat(33) }, '66 bytes'],
  ])('refuses a %s longer than its field when sizing', (_what, bad, message) => {
    expect(() => pointCodec.size({ points: [point, bad] })).toThrow(EncodeError);
    expect(() => pointCodec.size({ points: [point, bad] })).toThrow(message);
  });

  it('writes a UTF-8 name of exactly 64 bytes', () => {
    const p = { ...point, name: 'é'.repeat(32) };
    expect(decode(pointCodec, encode(pointCodec, { points: [p] })).points[0]!.name).toBe(p.name);
  });

  it.each([[[256, 0, 0, 0]], [[-1, 0, 0, 0]], [[1.5, 0, 0, 0]], [[0, 0, 0]]])('refuses rgba %j', (rgba) => {
    expect(() => pointCodec.size({ points: [{ ...point, rgba: rgba as unknown as PointElement['rgba'] }] })).toThrow(EncodeError);
  });

  it.each([135, 137, 200, 273])('refuses %i content bytes with the header attached', (n) => {
    const err = decodeError('POINT', new Uint8Array(n));
    expect(err.header?.type).toBe('POINT');
    expect(err.detail).toBe(`content is ${n} bytes, not a multiple of the 136-byte element`);
  });

  it('round-trips through JSON, keeping NaN', () => {
    const c = { points: [{ ...point, radius: NaN }, point] };
    expect(toHex(encode(pointCodec, viaJSON(pointCodec, c)))).toBe(toHex(encode(pointCodec, c)));
  });

  it('rejects JSON points with a bad colour or a missing field', () => {
    const json = JSON.parse(stringifyJSON(pointCodec.toJSON({ points: [point] })));
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], rgba: [1, 2, 3] }] }, '$.content')).toThrow('$.content.points[0].rgba');
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], rgba: [1, 2, 3, 300] }] }, '$.content')).toThrow('$.content.points[0].rgba[3]');
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], owner: undefined }] }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(() => pointCodec.fromJSON({}, '$.content')).toThrow('$.content.points');
  });
});
