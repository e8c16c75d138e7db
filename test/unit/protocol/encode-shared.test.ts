// The send path's encoders (encodeMessageShared, encodeOutgoing): small messages are views into
// shared slabs, and they must stay exactly the bytes encodeMessage gives, for as long as anyone
// holds them, across slab boundaries and failed encodes.
import { describe, expect, it } from 'vitest';
import { EncodeError, Timestamp, createImageContent, createMessage, encodeMessage, type IgtlMessage } from '../../../src/index.js';
import { encodeMessageShared, encodeOutgoing } from '../../../src/protocol/encode.js';
import { SLAB_MAX_MESSAGE, SLAB_SIZE, Slab } from '../../../src/protocol/slab.js';

function transform(k: number): IgtlMessage {
  return createMessage('TRANSFORM', { matrix: [1, 0, 0, k, 0, 1, 0, -k, 0, 0, 1, k / 3, 0, 0, 0, 1] }, { deviceName: `Tool${k % 10}`, timestamp: new Timestamp(1700000000 + k, k) });
}

function status(k: number): IgtlMessage {
  return createMessage('STATUS', { code: 1 + (k % 19), subcode: BigInt(k), errorName: k % 2 ? 'E' : '', statusMessage: `text ${k} `.repeat(1 + (k % 9)) }, {
    deviceName: 'Tracker', timestamp: new Timestamp(k, 0), ...(k % 3 === 0 ? { metadata: { k: String(k) } } : {}),
  });
}

describe('Slab', () => {
  it('hands out disjoint views, and starts a new slab when the next one does not fit', () => {
    const slab = new Slab(64);
    slab.reserve(40);
    slab.bytes.fill(1, slab.offset, slab.offset + 40);
    const a = slab.take(40);
    slab.reserve(24);
    const b = slab.take(24);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(40);
    slab.reserve(1);
    slab.bytes[slab.offset] = 7;
    const c = slab.take(1);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.byteOffset).toBe(0);
    expect([...c]).toEqual([7]);
    // The old slab is never written again.
    expect(a.every((x) => x === 1)).toBe(true);
    expect(b.every((x) => x === 0)).toBe(true);
  });
});

describe('encodeMessageShared', () => {
  it('gives the bytes of encodeMessage, and they stay so while later messages fill new slabs', () => {
    const msgs: IgtlMessage[] = [];
    for (let k = 0; k < 2000; k++) msgs.push(k % 2 ? transform(k) : status(k));
    const shared = msgs.map((m) => encodeMessageShared(m));
    const buffers = new Set(shared.map((b) => b.buffer));
    // 2000 messages of about 100 bytes: several slabs, each holding many messages.
    expect(buffers.size).toBeGreaterThan(2);
    expect(buffers.size).toBeLessThan(shared.length / 10);
    for (let k = 0; k < msgs.length; k++) expect(shared[k]).toEqual(encodeMessage(msgs[k]!));
  });

  it('gives a message over SLAB_MAX_MESSAGE a buffer of its own', () => {
    const msg = createMessage('STRING', { encoding: 3, value: 'x'.repeat(SLAB_MAX_MESSAGE) }, { timestamp: Timestamp.ZERO });
    const bytes = encodeMessageShared(msg);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
    expect(bytes).toEqual(encodeMessage(msg));
    expect(SLAB_MAX_MESSAGE).toBeLessThanOrEqual(SLAB_SIZE);
  });

  it('leaves nothing of a failed encode in the slab', () => {
    const before = encodeMessageShared(transform(1));
    // A 30-byte name in legacy framing is refused while the header is written.
    const bad = { ...transform(2), deviceName: 'N'.repeat(30) };
    expect(() => encodeMessageShared(bad)).toThrow(EncodeError);
    const after = encodeMessageShared(transform(3));
    expect(after).toEqual(encodeMessage(transform(3)));
    expect(before).toEqual(encodeMessage(transform(1)));
    if (after.buffer === before.buffer) expect(after.byteOffset).toBe(before.byteOffset + before.length);
  });
});

describe('encodeOutgoing', () => {
  it('sends a large payload from where it is and a small message from a slab', () => {
    const pixels = new Uint8Array(200_000).map((_, i) => i * 7);
    const image = createMessage('IMAGE', createImageContent({ data: pixels, size: [400, 500, 1] }), { deviceName: 'US', timestamp: Timestamp.ZERO });
    const parts = encodeOutgoing(image);
    expect(Array.isArray(parts)).toBe(true);
    expect((parts as Uint8Array[])[1]!.buffer).toBe(pixels.buffer);
    const small = encodeOutgoing(transform(5));
    expect(small).toBeInstanceOf(Uint8Array);
    expect(small).toEqual(encodeMessage(transform(5)));
  });
});
