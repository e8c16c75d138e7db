import { describe, it, expect } from 'vitest';
import {
  createMessage, decodeMessage, encodeMessage, labelMetaCodec,
  InvalidJsonMessageError, Timestamp, type LabelMetaElement, type LabelMetaMessage,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';

const liver: LabelMetaElement = { name: 'Liver', deviceName: 'Seg_Liver', label: 1, rgba: [221, 130, 101, 255], size: [210, 180, 96], owner: 'CT_Abdomen' };

function encode(labels: LabelMetaElement[]): Uint8Array {
  return encodeMessage(createMessage('LBMETA', { labels }, { deviceName: 'Labels', timestamp: Timestamp.ZERO }));
}

function decode(bytes: Uint8Array): readonly LabelMetaElement[] {
  return (decodeMessage(bytes) as LabelMetaMessage).content.labels;
}

describe('LBMETA codec', () => {
  it('writes 116-byte elements with label, reserved 0, RGBA, size and owner at their offsets', () => {
    const wire = encode([liver, { ...liver, label: 255, owner: '' }]);
    expect(wire.length).toBe(58 + 232);
    const e = wire.subarray(58);
    expect(e[84]).toBe(1);
    expect(e[85]).toBe(0);
    expect(Array.from(e.subarray(86, 90))).toEqual([221, 130, 101, 255]);
    expect(new DataView(wire.buffer, 58).getUint16(90)).toBe(210);
    expect(String.fromCharCode(...e.subarray(96, 106))).toBe('CT_Abdomen');
    expect(decode(wire)).toEqual([liver, { ...liver, label: 255, owner: '' }]);
  });

  it('accepts an empty list', () => {
    expect(decode(encode([]))).toEqual([]);
  });

  it('round-trips names that fill their fields exactly (no NUL)', () => {
    const e = { ...liver, name: 'n'.repeat(64), deviceName: 'd'.repeat(20), owner: 'o'.repeat(20) };
    expect(decode(encode([e]))).toEqual([e]);
  });

  it('rejects content that is not a whole number of elements, with the header', () => {
    const wire = rawFrame('LBMETA', new Uint8Array(117), 'Labels');
    expectMalformed(wire, /117 bytes, not a multiple of the 116-byte element/, { deviceName: 'Labels' });
  });

  describe('refuses to encode', () => {
    const cases: [string, Partial<LabelMetaElement>, RegExp][] = [
      ['an owner of 21 bytes', { owner: 'o'.repeat(21) }, /labels\[1\]\.owner "o+" is 21 bytes, the field holds 20/],
      ['a name of 65 bytes', { name: 'n'.repeat(65) }, /labels\[1\]\.name/],
      ['a label over 255', { label: 256 }, /labels\[1\]\.label must be an integer in 0\.\.255/],
      ['a colour component over 255', { rgba: [0, 0, 300, 0] }, /labels\[1\]\.rgba\[2\]/],
      ['three colour components', { rgba: [0, 0, 0] as unknown as LabelMetaElement['rgba'] }, /labels\[1\]\.rgba must have 4 numbers/],
      ['a size over 65535', { size: [1, 65536, 1] }, /labels\[1\]\.size\[1\]/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        expectEncodeError(() => encode([liver, { ...liver, ...patch }]), pattern);
      });
    }
  });

  describe('canonical JSON', () => {
    it('gives each element the manifest fields', () => {
      expect(labelMetaCodec.toJSON({ labels: [liver] })).toEqual({ labels: [{ ...liver, rgba: [...liver.rgba], size: [...liver.size] }] });
    });

    it('round-trips through JSON text byte for byte', () => {
      const msg = createMessage('LBMETA', { labels: [liver, { ...liver, rgba: [0, 0, 0, 0], owner: '' }] }, { timestamp: Timestamp.ZERO });
      expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
    });

    it('rejects colours out of range and sizes of the wrong length, naming the field', () => {
      expect(() => labelMetaCodec.fromJSON({ labels: [{ ...liver, rgba: [0, 0, 0, 256], size: [1, 1, 1] }] }, '$.content'))
        .toThrow(/\$\.content\.labels\[0\]\.rgba\[3\]/);
      expect(() => labelMetaCodec.fromJSON({ labels: [{ ...liver, rgba: [0, 0, 0, 0], size: [1, 1] }] }, '$.content')).toThrow(InvalidJsonMessageError);
      expect(() => labelMetaCodec.fromJSON({ labels: {} }, '$.content')).toThrow(/\$\.content\.labels/);
    });
  });
});
