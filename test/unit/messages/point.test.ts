import { describe, it, expect } from 'vitest';
import { EncodeError, InvalidJsonMessageError, pointCodec, stringifyJSON, type PointElement } from '../../../src/index.js';
import {
  ascii, decode, encode, expectEmptyContent, expectEncodeError, expectJsonRoundTrip, expectMalformedContent, expectRoundTrip, toHex,
} from '../../support/codec.js';

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
    const bytes = expectRoundTrip(pointCodec, { points: [full, point] });
    expect(bytes[63]).toBe(0x6e);
    expect(bytes[64]).toBe(0x67);
  });

  it('carries an empty list as empty content', () => {
    expectEmptyContent(pointCodec, { points: [] });
  });

  it.each([
    ['name', { ...point, name: 'n'.repeat(65) }, 'points[1].name'],
    ['group', { ...point, group: 'g'.repeat(33) }, 'points[1].group'],
    ['owner', { ...point, owner: 'o'.repeat(21) }, 'points[1].owner'],
    ['UTF-8 name', { ...point, name: 'é'.repeat(33) }, '66 bytes'],
  ])('refuses a %s longer than its field when sizing', (_what, bad, message) => {
    expectEncodeError(() => pointCodec.size({ points: [point, bad] }), message);
  });

  it('writes a UTF-8 name of exactly 64 bytes', () => {
    const p = { ...point, name: 'é'.repeat(32) };
    expect(decode(pointCodec, encode(pointCodec, { points: [p] })).points[0]!.name).toBe(p.name);
  });

  it.each([[[256, 0, 0, 0]], [[-1, 0, 0, 0]], [[1.5, 0, 0, 0]], [[0, 0, 0]]])('refuses rgba %j', (rgba) => {
    expect(() => pointCodec.size({ points: [{ ...point, rgba: rgba as unknown as PointElement['rgba'] }] })).toThrow(EncodeError);
  });

  it.each([135, 137, 200, 273])('refuses %i content bytes with the header attached', (n) => {
    expectMalformedContent('POINT', new Uint8Array(n), `content is ${n} bytes, not a multiple of the 136-byte element`);
  });

  it('round-trips through JSON, keeping NaN', () => {
    const c = { points: [{ ...point, radius: NaN }, point] };
    expectJsonRoundTrip(pointCodec, c);
  });

  it('rejects JSON points with a bad colour or a missing field', () => {
    const json = JSON.parse(stringifyJSON(pointCodec.toJSON({ points: [point] })));
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], rgba: [1, 2, 3] }] }, '$.content')).toThrow('$.content.points[0].rgba');
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], rgba: [1, 2, 3, 300] }] }, '$.content')).toThrow('$.content.points[0].rgba[3]');
    expect(() => pointCodec.fromJSON({ points: [{ ...json.points[0], owner: undefined }] }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(() => pointCodec.fromJSON({}, '$.content')).toThrow('$.content.points');
  });
});
