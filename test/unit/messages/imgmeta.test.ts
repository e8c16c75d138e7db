import { describe, it, expect } from 'vitest';
import {
  createMessage, decodeMessage, encodeMessage, imageMetaCodec,
  InvalidJsonMessageError, Timestamp, type ImageMetaElement, type ImageMetaMessage,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';

const ct: ImageMetaElement = {
  name: 'Head CT',
  deviceName: 'CT_Head',
  modality: 'CT',
  patientName: 'Doe^John',
  patientId: 'MRN-1',
  timestamp: new Timestamp(1600000000, 0x80000001),
  size: [512, 512, 120],
  scalarType: 4,
};

function encode(images: ImageMetaElement[]): Uint8Array {
  return encodeMessage(createMessage('IMGMETA', { images }, { deviceName: 'Meta', timestamp: Timestamp.ZERO }));
}

function decode(bytes: Uint8Array): readonly ImageMetaElement[] {
  return (decodeMessage(bytes) as ImageMetaMessage).content.images;
}

describe('IMGMETA codec', () => {
  it('writes 260-byte elements with the scan time as seconds then fraction at offset 244', () => {
    const wire = encode([ct, { ...ct, deviceName: 'MR', timestamp: Timestamp.ZERO }]);
    expect(wire.length).toBe(58 + 520);
    const e = new DataView(wire.buffer, 58);
    expect(e.getUint32(244)).toBe(1600000000);
    expect(e.getUint32(248)).toBe(0x80000001);
    expect([e.getUint16(252), e.getUint16(254), e.getUint16(256)]).toEqual([512, 512, 120]);
    expect(e.getUint8(258)).toBe(4);
    expect(e.getUint8(259)).toBe(0);
    expect(String.fromCharCode(...wire.subarray(58 + 84, 58 + 86))).toBe('CT');
    const back = decode(wire);
    expect(back[0]).toEqual(ct);
    expect(back[0]!.timestamp).toBeInstanceOf(Timestamp);
    expect(back[1]!.timestamp.isZero).toBe(true);
  });

  it('accepts an empty list', () => {
    expect(decode(encode([]))).toEqual([]);
  });

  it('round-trips text fields that fill their fields exactly (no NUL)', () => {
    const e = { ...ct, name: 'n'.repeat(64), deviceName: 'd'.repeat(20), modality: 'm'.repeat(32), patientName: 'p'.repeat(64), patientId: 'i'.repeat(64) };
    expect(decode(encode([e]))[0]).toEqual(e);
  });

  it('rejects content that is not a whole number of elements, with the header', () => {
    const wire = rawFrame('IMGMETA', new Uint8Array(259), 'Meta');
    expectMalformed(wire, /259 bytes, not a multiple of the 260-byte element/, { type: 'IMGMETA' });
  });

  describe('refuses to encode', () => {
    const cases: [string, Partial<ImageMetaElement>, RegExp][] = [
      ['a device name of 21 bytes', { deviceName: 'd'.repeat(21) }, /images\[1\]\.deviceName "d+" is 21 bytes, the field holds 20/],
      ['a modality of 33 bytes', { modality: 'm'.repeat(33) }, /images\[1\]\.modality/],
      ['a UTF-8 patient name over 64 bytes', { patientName: 'é'.repeat(33) }, /patientName "é+" is 66 bytes, the field holds 64/],
      ['a timestamp whose seconds are not a uint32', { timestamp: new Timestamp(2 ** 32, 0) }, /images\[1\]\.timestamp\.seconds/],
      ['a size over 65535', { size: [65536, 1, 1] }, /images\[1\]\.size\[0\]/],
      ['a scalar type over 255', { scalarType: 300 }, /images\[1\]\.scalarType/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        expectEncodeError(() => encode([ct, { ...ct, ...patch }]), pattern);
      });
    }
  });

  describe('canonical JSON', () => {
    it('gives each element the manifest fields, the timestamp as raw decimal string, seconds and fraction', () => {
      const json = imageMetaCodec.toJSON({ images: [{ ...ct, timestamp: Timestamp.fromRaw(0xffffffffffffffffn) }] });
      expect(json.images).toEqual([{
        name: 'Head CT', deviceName: 'CT_Head', modality: 'CT', patientName: 'Doe^John', patientId: 'MRN-1',
        timestampRaw: '18446744073709551615', timestampSeconds: 4294967295, timestampFraction: 4294967295,
        size: [512, 512, 120], scalarType: 4,
      }]);
    });

    it('needs only timestampRaw and ignores the derived seconds and fraction', () => {
      const back = imageMetaCodec.fromJSON({
        images: [{ name: 'x', deviceName: 'y', size: [1, 2, 3], scalarType: 3, timestampRaw: '6871947674673741824', timestampSeconds: 1, timestampFraction: 2 }],
      }, '$.content');
      expect(back.images[0]!.timestamp).toEqual(new Timestamp(1600000000, 1073741824));
      expect(back.images[0]!.modality).toBe('');
    });

    it('rejects a timestampRaw outside uint64 or not an integer', () => {
      const element = { size: [1, 1, 1], scalarType: 3 };
      expect(() => imageMetaCodec.fromJSON({ images: [{ ...element, timestampRaw: '18446744073709551616' }] }, '$.content'))
        .toThrow(/\$\.content\.images\[0\]\.timestampRaw: 18446744073709551616 is not a uint64/);
      expect(() => imageMetaCodec.fromJSON({ images: [{ ...element, timestampRaw: '-1' }] }, '$.content')).toThrow(InvalidJsonMessageError);
      expect(() => imageMetaCodec.fromJSON({ images: [{ ...element, timestampRaw: '1.5' }] }, '$.content')).toThrow(InvalidJsonMessageError);
    });

    it('round-trips through JSON text byte for byte', () => {
      const msg = createMessage('IMGMETA', { images: [ct, { ...ct, timestamp: new Timestamp(4294967295, 4294967295) }] }, { timestamp: Timestamp.ZERO });
      expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
    });
  });
});
