// Fixtures of the framer tests that feed messages split across chunks (framer-crc, framer-growth,
// framer-memory): one chunking, one test image, one lying header.
import { createImageContent, createMessage, encodeMessage, Timestamp } from '../../src/index.js';
import { vectorBytes } from './vectors.js';

/** `bytes` cut into chunks of `size` bytes (the last one shorter), as views. */
export function* chunked(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

/** An IMAGE of side x side x depth uint16 pixels (a fixed pattern, device "Volume", no timestamp): its wire bytes and pixels. */
export function testImage(side: number, depth: number): { wire: Uint8Array; pixels: Uint16Array } {
  const pixels = new Uint16Array(side * side * depth);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) & 0xffff;
  const msg = createMessage('IMAGE', createImageContent({ data: pixels, size: [side, side, depth] }), { deviceName: 'Volume', timestamp: Timestamp.ZERO });
  return { wire: encodeMessage(msg), pixels };
}

/** A real TRANSFORM header (golden vector) declaring `bodySize` bytes (up to 2^53), with no body after it. */
export function headerDeclaring(bodySize: number): Uint8Array {
  const h = vectorBytes('transform.v1.igtl').slice(0, 58);
  const view = new DataView(h.buffer);
  view.setUint32(42, Math.floor(bodySize / 2 ** 32));
  view.setUint32(46, bodySize >>> 0);
  return h;
}
