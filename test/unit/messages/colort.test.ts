import { describe, it, expect } from 'vitest';
import {
  colorTableCodec, createMessage, decodeMessage, encodeMessage, legacyColorTableCodec, type ColorTableContent, type IgtlMessage,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';
import { vectorBytes } from '../../support/vectors.js';

/** A whole v1 frame of wire type `type` from device Lut around `content`. */
function frame(type: string, content: Uint8Array): Uint8Array {
  return rawFrame(type, content, 'Lut');
}

function table(indexType: number, mapType: number, length: number): Uint8Array {
  const b = new Uint8Array(2 + length);
  b[0] = indexType;
  b[1] = mapType;
  for (let i = 2; i < b.length; i++) b[i] = i * 7;
  return b;
}

describe('COLORT codec', () => {
  for (const [indexType, entries] of [[3, 256], [5, 65536]]) {
    for (const [mapType, width] of [[3, 1], [5, 2], [19, 3]]) {
      it(`round-trips index type ${indexType} with map type ${mapType} (${entries} x ${width} bytes)`, () => {
        const bytes = frame('COLORT', table(indexType!, mapType!, entries! * width!));
        const msg = decodeMessage(bytes);
        if (msg.type !== 'COLORT') throw new Error(msg.type);
        expect(msg.content.indexType).toBe(indexType);
        expect(msg.content.mapType).toBe(mapType);
        expect(msg.content.table.length).toBe(entries! * width!);
        expect(msg.content.table.buffer).toBe(bytes.buffer);
        expectSameBytes(encodeMessage(msg), bytes);
      });
    }
  }

  it('reads the pre-2013 COLORTABLE name with the same layout', () => {
    const bytes = frame('COLORTABLE', table(3, 19, 768));
    const msg = decodeMessage(bytes);
    expect(msg.type).toBe('COLORTABLE');
    expect((msg.content as ColorTableContent).mapType).toBe(19);
    expectSameBytes(encodeMessage(msg), bytes);
    expect(legacyColorTableCodec.toJSON(msg.content as ColorTableContent)).toEqual(colorTableCodec.toJSON(msg.content as ColorTableContent));
  });

  describe('rejects malformed content with the header attached', () => {
    it('content shorter than the two type bytes', () => {
      expectMalformed(frame('COLORT', new Uint8Array([3])), /1 bytes, shorter than the 2-byte index and map types/, { deviceName: 'Lut' });
    });
    it('an index type other than 3 or 5 (the C helper would read it as 65536 entries)', () => {
      expectMalformed(frame('COLORT', table(4, 3, 65536)), /indexType 4, expected 3 \(uint8\) or 5 \(uint16\)/, { deviceName: 'Lut' });
    });
    it('a map type other than 3, 5 or 19 (the C helper would read it as RGB)', () => {
      expectMalformed(frame('COLORT', table(3, 7, 768)), /mapType 7, expected 3 \(uint8\), 5 \(uint16\) or 19 \(RGB\)/, { deviceName: 'Lut' });
    });
    it('a table one byte short', () => {
      expectMalformed(frame('COLORT', table(3, 5, 511)), /content is 513 bytes, expected 514 \(2 \+ 256 entries x 2 bytes\)/, { deviceName: 'Lut' });
    });
    it('a table one byte long, under the legacy name too', () => {
      const bytes = frame('COLORTABLE', table(3, 3, 257));
      expectMalformed(bytes, /content is 259 bytes, expected 258/, { deviceName: 'Lut' });
      expect(() => decodeMessage(bytes)).toThrow(/malformed COLORTABLE/);
    });
  });

  describe('refuses to encode', () => {
    const cases: [string, ColorTableContent, RegExp][] = [
      ['a table of the wrong length', { indexType: 3, mapType: 19, table: new Uint8Array(767) }, /table is 767 bytes, expected 768 \(256 entries x 3 bytes\)/],
      ['an unknown index type', { indexType: 2, mapType: 3, table: new Uint8Array(256) }, /indexType 2/],
      ['an unknown map type', { indexType: 3, mapType: 4, table: new Uint8Array(256) }, /mapType 4/],
    ];
    for (const [name, content, pattern] of cases) {
      it(name, () => {
        expectEncodeError(() => encodeMessage(createMessage('COLORT', content)), pattern);
      });
    }
  });

  describe('canonical JSON', () => {
    it('gives tableBase64 and a preview of the first 8 entries (RGB as triples, uint16 big-endian)', () => {
      const rgb = colorTableCodec.toJSON({ indexType: 3, mapType: 19, table: Uint8Array.from({ length: 768 }, (_, i) => i % 256) });
      expect(Object.keys(rgb)).toEqual(['indexType', 'mapType', 'tableBase64', 'tablePreview']);
      expect((rgb.tablePreview as number[][])[1]).toEqual([3, 4, 5]);
      expect(rgb.tablePreview).toHaveLength(8);
      const u16 = colorTableCodec.toJSON({ indexType: 3, mapType: 5, table: Uint8Array.from({ length: 512 }, (_, i) => i % 256) });
      expect((u16.tablePreview as number[]).slice(0, 2)).toEqual([0x0001, 0x0203]);
    });

    it('round-trips a golden vector through JSON text byte for byte, under both names', () => {
      const bytes = vectorBytes('colort-uint16index.v1.igtl');
      const msg = decodeMessage(bytes);
      expectSameBytes(encodeMessage(messageViaJSON(msg)), bytes);
      const legacy: IgtlMessage = { ...msg, type: 'COLORTABLE', content: msg.content as ColorTableContent };
      const again = messageViaJSON(legacy);
      expect(again.type).toBe('COLORTABLE');
      expectSameBytes(encodeMessage(again).subarray(58), bytes.subarray(58));
    });

    it('rejects a missing tableBase64', () => {
      expect(() => colorTableCodec.fromJSON({ indexType: 3, mapType: 3 }, '$.content')).toThrow(/\$\.content\.tableBase64/);
    });
  });
});
