// encodeMessageParts: the parts of a message with a large payload, written back to back, are
// exactly the bytes encodeMessage gives, and the payload part is the content's own view.
import { describe, expect, it } from 'vitest';
import {
  Timestamp,
  createImageContent,
  createMessage,
  createNdArrayContent,
  decodeMessage,
  encodeMessage,
  encodeMessageParts,
  type IgtlMessage,
} from '../../src/index.js';

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

function image(voxels: number, metadata?: Record<string, string>): IgtlMessage {
  const pixels = new Uint16Array(voxels);
  for (let i = 0; i < voxels; i++) pixels[i] = (i * 2654435761) >>> 16;
  return createMessage('IMAGE', createImageContent({ data: pixels, size: [voxels / 100, 100, 1] }), {
    deviceName: 'US', timestamp: new Timestamp(1700000000, 5), ...(metadata ? { metadata } : {}),
  });
}

describe('encodeMessageParts', () => {
  for (const [name, msg] of [
    ['a legacy-framed IMAGE', image(100_000)],
    ['a v3 IMAGE with metadata', image(100_000, { Probe: 'C5-2', Depth: '120mm' })],
    ['an NDARRAY', createMessage('NDARRAY', createNdArrayContent(new Float64Array(20_000).map((_, i) => i / 7), [100, 200]), { timestamp: Timestamp.ZERO })],
    ['a COLORT with a 65536-entry RGB table', createMessage('COLORT', { indexType: 5, mapType: 19, table: new Uint8Array(65536 * 3).map((_, i) => i * 31) }, { timestamp: Timestamp.ZERO })],
  ] as const) {
    it(`splits ${name} around its payload and hashes across the parts`, () => {
      const parts = encodeMessageParts(msg);
      expect(parts.length).toBeGreaterThanOrEqual(2);
      expect(concat(parts).equals(Buffer.from(encodeMessage(msg)))).toBe(true);
      const payload = msg.type === 'COLORT' ? msg.content.table : (msg.content as { data: Uint8Array }).data;
      // The payload is sent from where it is: the same bytes of the same buffer, no copy.
      expect(parts[1]!.buffer).toBe(payload.buffer);
      expect(parts[1]!.byteOffset).toBe(payload.byteOffset);
      expect(decodeMessage(new Uint8Array(concat(parts))).type).toBe(msg.type);
    });
  }

  it('gives one part for small payloads and types without one', () => {
    expect(encodeMessageParts(image(1000))).toHaveLength(1);
    const status = createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: '' }, { timestamp: Timestamp.ZERO });
    const parts = encodeMessageParts(status);
    expect(parts).toHaveLength(1);
    expect(Buffer.from(parts[0]!).equals(Buffer.from(encodeMessage(status)))).toBe(true);
  });
});
