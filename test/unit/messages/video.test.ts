import { describe, it, expect } from 'vitest';
import {
  createMessage, decodeMessage, encodeMessage, imageGeometry, videoCodec,
  InvalidJsonMessageError, Timestamp, type VideoContent, type VideoMessage,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';
import { vectorBytes } from '../../support/vectors.js';

/** A whole v1 VIDEO frame from device Endoscope around `content`. */
function frame(content: Uint8Array): Uint8Array {
  return rawFrame('VIDEO', content, 'Endoscope');
}

const base: VideoContent = {
  endian: 2,
  codec: 'H264',
  frameType: 1,
  coordinate: 1,
  size: [16, 8, 1],
  matrix: [0.5, 0, 0, 1, 0, 0.5, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1],
  subvolumeOffset: [0, 0, 0],
  subvolumeSize: [16, 8, 1],
  data: new Uint8Array([0, 0, 0, 1, 0x67, 0x42]),
};

function roundTrip(content: VideoContent): { wire: Uint8Array; content: VideoContent } {
  const wire = encodeMessage(createMessage('VIDEO', content, { deviceName: 'Endoscope', timestamp: Timestamp.ZERO }));
  return { wire, content: (decodeMessage(wire) as VideoMessage).content };
}

describe('VIDEO codec', () => {
  it('writes the 76-byte frame header with a uint8 coordinate and uint16[3] size, then the frame', () => {
    const { wire, content } = roundTrip(base);
    const c = wire.subarray(58);
    const v = new DataView(c.buffer, c.byteOffset);
    expect(c.length).toBe(76 + 6);
    expect(v.getUint16(0)).toBe(1);
    expect(c[2]).toBe(2);
    expect(String.fromCharCode(...c.subarray(3, 7))).toBe('H264');
    expect(v.getUint16(7)).toBe(1);
    expect(c[9]).toBe(1);
    expect([v.getUint16(10), v.getUint16(12), v.getUint16(14)]).toEqual([16, 8, 1]);
    expect(v.getFloat32(16)).toBe(0.5); // TX
    expect(v.getFloat32(52)).toBe(1); // PX
    expect(v.getFloat32(56)).toBe(2); // PY
    expect([v.getUint16(70), v.getUint16(72), v.getUint16(74)]).toEqual([16, 8, 1]);
    expect(content).toEqual(base);
  });

  it('decodes the frame as a view on the input bytes (zero-copy)', () => {
    const input = vectorBytes('video-i420.v1.igtl');
    const msg = decodeMessage(input) as VideoMessage;
    expect(msg.content.data.buffer).toBe(input.buffer);
    expect(msg.content.data.length).toBe(72);
  });

  it('accepts an empty frame and a greyscale frame type above 0xFF', () => {
    const { content } = roundTrip({ ...base, data: new Uint8Array(0), frameType: 0x0301 });
    expect(content.data.length).toBe(0);
    expect(content.frameType).toBe(0x0301);
  });

  it('carries a codec shorter than four characters NUL-padded', () => {
    const { wire, content } = roundTrip({ ...base, codec: 'VP9' });
    expect(Array.from(wire.subarray(58 + 3, 58 + 7))).toEqual([0x56, 0x50, 0x39, 0]);
    expect(content.codec).toBe('VP9');
  });

  it('gives the same geometry helper results as IMAGE', () => {
    expect(imageGeometry(base).spacing).toEqual([0.5, 0.5, 1]);
  });

  it('rejects content shorter than the frame header', () => {
    expectMalformed(frame(new Uint8Array(75)), /75 bytes, shorter than the 76-byte frame header/, { type: 'VIDEO' });
  });

  it('rejects a frame header version other than 1', () => {
    const content = encodeMessage(createMessage('VIDEO', base)).slice(58);
    content[1] = 2;
    expectMalformed(frame(content), /frame header version 2, expected 1/, { type: 'VIDEO' });
  });

  describe('refuses to encode', () => {
    const cases: [string, Partial<VideoContent>, RegExp][] = [
      ['a codec longer than 4 bytes', { codec: 'H2645' }, /codec "H2645" is 5 bytes, the field holds 4/],
      ['a frame type over 0xFFFF', { frameType: 0x10000 }, /frameType must be an integer in 0\.\.65535/],
      ['a coordinate that is not a byte', { coordinate: -1 }, /coordinate/],
      ['a size over 65535', { size: [65536, 1, 1] }, /size\[0\]/],
      ['a short sub-volume size', { subvolumeSize: [1, 1] as unknown as VideoContent['size'] }, /subvolumeSize must have 3 numbers/],
      ['a 12-number matrix', { matrix: new Array(12).fill(0) }, /matrix must have 16 numbers/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        const msg = createMessage('VIDEO', { ...base, ...patch });
        expectEncodeError(() => encodeMessage(msg), pattern);
      });
    }
  });

  describe('canonical JSON', () => {
    it('has version 1, the manifest field names and the frame as dataBase64', () => {
      const json = videoCodec.toJSON(base);
      expect(Object.keys(json)).toEqual([
        'version', 'endian', 'codec', 'frameType', 'coordinate', 'size', 'matrix', 'subvolumeOffset', 'subvolumeSize', 'dataBase64',
      ]);
      expect(json.version).toBe(1);
      expect(Buffer.from(json.dataBase64 as string, 'base64')).toEqual(Buffer.from(base.data));
    });

    it('round-trips through JSON text byte for byte', () => {
      const msg = createMessage('VIDEO', base, { timestamp: Timestamp.ZERO });
      expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
    });

    it('rejects version 2 and a frame type that is not a uint16', () => {
      const json = videoCodec.toJSON(base);
      expect(() => videoCodec.fromJSON({ ...json, version: 2 }, '$.content')).toThrow(InvalidJsonMessageError);
      expect(() => videoCodec.fromJSON({ ...json, version: 2 }, '$.content')).toThrow(/\$\.content\.version/);
      expect(() => videoCodec.fromJSON({ ...json, frameType: 70000 }, '$.content')).toThrow(/frameType/);
    });
  });
});
