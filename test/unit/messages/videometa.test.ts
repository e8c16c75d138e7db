import { describe, it, expect } from 'vitest';
import {
  createMessage, decodeMessage, encodeMessage, videoMetaCodec, Timestamp, type VideoMetaElement, type VideoMetaMessage,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';

const stream: VideoMetaElement = {
  name: 'Left camera',
  deviceName: 'CamL',
  patientName: 'Doe^Jane',
  patientId: 'MRN-1',
  zoomLevel: -3,
  focalLength: 4.125,
  size: [1920, 1080, 1],
  matrix: [0.2, 0, 0, -1, 0, 0.2, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1],
  scalarType: 3,
};

function encode(videos: VideoMetaElement[]): Uint8Array {
  return encodeMessage(createMessage('VIDEOMETA', { videos }, { deviceName: 'Meta', timestamp: Timestamp.ZERO }));
}

describe('VIDEOMETA codec', () => {
  it('writes 322-byte elements with int16 zoom level and float64 focal length at their offsets', () => {
    const wire = encode([stream, { ...stream, name: 'Right camera', zoomLevel: 32767 }]);
    expect(wire.length).toBe(58 + 2 * 322);
    const e = new DataView(wire.buffer, 58);
    expect(e.getInt16(256)).toBe(-3);
    expect(e.getFloat64(258)).toBe(4.125);
    expect(e.getUint16(266)).toBe(1920);
    expect(e.getFloat32(272)).toBe(Math.fround(0.2));
    expect(e.getUint8(320)).toBe(3);
    expect(e.getUint8(321)).toBe(0);
    const back = (decodeMessage(wire) as VideoMetaMessage).content.videos;
    expect(back[1]!.zoomLevel).toBe(32767);
    expect(back[0]).toEqual({ ...stream, matrix: stream.matrix.map((x) => Math.fround(x)) });
  });

  it('accepts an empty list', () => {
    expect((decodeMessage(encode([])) as VideoMetaMessage).content.videos).toEqual([]);
  });

  it('round-trips text fields that fill their 64 bytes exactly (no NUL)', () => {
    const full = 'x'.repeat(64);
    const e = { ...stream, name: full, deviceName: full, patientName: full, patientId: full };
    expect((decodeMessage(encode([e])) as VideoMetaMessage).content.videos[0]).toMatchObject({ name: full, deviceName: full, patientName: full, patientId: full });
  });

  it('rejects content that is not a whole number of elements, with the header', () => {
    const wire = rawFrame('VIDEOMETA', new Uint8Array(323), 'Meta');
    expectMalformed(wire, /323 bytes, not a multiple of the 322-byte element/, { deviceName: 'Meta' });
  });

  describe('refuses to encode', () => {
    const cases: [string, Partial<VideoMetaElement>, RegExp][] = [
      ['a device name of 65 bytes', { deviceName: 'd'.repeat(65) }, /videos\[1\]\.deviceName "d+" is 65 bytes, the field holds 64/],
      ['a zoom level below int16', { zoomLevel: -32769 }, /videos\[1\]\.zoomLevel must be an integer in -32768\.\.32767/],
      ['a fractional zoom level', { zoomLevel: 1.5 }, /zoomLevel/],
      ['a size over 65535', { size: [70000, 1, 1] }, /videos\[1\]\.size\[0\]/],
      ['a scalar type over 255', { scalarType: 256 }, /videos\[1\]\.scalarType/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        expectEncodeError(() => encode([stream, { ...stream, ...patch }]), pattern);
      });
    }
  });

  it('writes NaN and infinite focal lengths as strings in JSON and reads them back bit for bit', () => {
    const msg = createMessage('VIDEOMETA', { videos: [{ ...stream, focalLength: NaN }, { ...stream, focalLength: -Infinity }] }, { timestamp: Timestamp.ZERO });
    const json = videoMetaCodec.toJSON(msg.content);
    expect((json.videos as { focalLength: unknown }[]).map((v) => v.focalLength)).toEqual(['NaN', '-Infinity']);
    expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
  });

  it('rejects JSON with a zoom level out of the int16 range', () => {
    const json = videoMetaCodec.toJSON({ videos: [stream] });
    const videos = json.videos as Record<string, unknown>[];
    expect(() => videoMetaCodec.fromJSON({ videos: [{ ...videos[0]!, zoomLevel: 40000 }] } as never, '$.content')).toThrow(/\$\.content\.videos\[0\]\.zoomLevel/);
  });
});
