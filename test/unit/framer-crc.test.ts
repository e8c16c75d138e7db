// A message split across chunks is hashed as it arrives (framer option `crc`, which
// MessageDecoder turns on when it verifies CRCs): the CRC handed on is the body's at every split
// and through every growth step, the decoder checks it instead of hashing the body again, and it
// still reports a corrupted body. Also: the default limit admits a 256 MiB image with its headers,
// a large split message does not take a last growth step of a few bytes, and the Node allocation
// that skips zero-filling gives plain, exact, unshared buffers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  CrcMismatchError,
  DEFAULT_MAX_BODY_SIZE,
  crc64,
  decodeMessage,
  encodeMessage,
  Framer,
  IgtlError,
  imagePixels,
  MessageDecoder,
  readHeader,
  type FrameHeader,
  type IgtlMessage,
} from '../../src/index.js';
import type { Crc64Halves } from '../../src/protocol/crc64.js';
import { decodeFrame } from '../../src/protocol/decode.js';
import { defaultRegistry } from '../../src/protocol/messages/index.js';
import { allocateUninitialized } from '../../src/transport/socket-channel.js';
import { chunked, testImage } from '../support/split-messages.js';
import { vectorBytes } from '../support/vectors.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240611);
const MiB = 1024 * 1024;
type Result = IgtlMessage | IgtlError;

/** The wire bytes of the test IMAGE (side x side x depth uint16). */
const image = (side: number, depth: number): Uint8Array => testImage(side, depth).wire;
const asBig = (c: Crc64Halves): bigint => (BigInt(c.hi) << 32n) | BigInt(c.lo);

/** What a framer with `crc` on hands to frame(): type and CRC (as a bigint, or undefined) per message. */
function framedCrcs(chunks: Iterable<Uint8Array>, crc = true): { type: string; crc: bigint | undefined; body: bigint }[] {
  const out: { type: string; crc: bigint | undefined; body: bigint }[] = [];
  const framer = new Framer(
    {
      frame(header: FrameHeader, bytes, _view, offset, bodyCrc) {
        out.push({ type: header.type, crc: bodyCrc && asBig(bodyCrc), body: crc64(bytes, offset + 58, offset + 58 + header.bodySize) });
      },
      error(err) {
        throw err;
      },
    },
    { crc },
  );
  for (const c of chunks) framer.push(c);
  framer.end();
  return out;
}

describe('the CRC of a split message is computed as it arrives', () => {
  const wire = vectorBytes('image-uint8-3d.v3.igtl');
  const small = vectorBytes('transform.v1.igtl');

  it('is the body CRC at every split offset (the header split too)', () => {
    for (let at = 1; at < wire.length; at++) {
      const got = framedCrcs([wire.subarray(0, at), wire.subarray(at)]);
      expect(got, `split at ${at}`).toHaveLength(1);
      expect(got[0]!.crc, `split at ${at}`).toBe(got[0]!.body);
      expect(got[0]!.crc).toBe(readHeader(wire, new DataView(wire.buffer, wire.byteOffset, wire.byteLength), 0).crc);
    }
  });

  it('is the body CRC for random chunkings of several messages; none for a message within one chunk', () => {
    const stream = new Uint8Array(wire.length * 2 + small.length);
    stream.set(wire, 0);
    stream.set(small, wire.length);
    stream.set(wire, wire.length + small.length);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const chunks: Uint8Array[] = [];
        for (let off = 0, i = 0; off < stream.length; i++) {
          const n = sizes[i % sizes.length]!;
          chunks.push(stream.subarray(off, off + n));
          off += n;
        }
        const got = framedCrcs(chunks);
        expect(got.map((g) => g.type)).toEqual(['IMAGE', 'TRANSFORM', 'IMAGE']);
        for (const g of got) if (g.crc !== undefined) expect(g.crc).toBe(g.body);
      }),
      { seed: SEED, numRuns: 200 },
    );
    expect(framedCrcs([stream]).map((g) => g.crc)).toEqual([undefined, undefined, undefined]);
  });

  it('is not computed without the option', () => {
    expect(framedCrcs(chunked(wire, 7), false).map((g) => g.crc)).toEqual([undefined]);
  });

  it('covers the body exactly once through every growth step (1.5 MiB and 5 MiB images, odd chunk sizes)', () => {
    for (const [msg, size] of [[image(512, 3), 7], [image(512, 3), 65_537], [image(1024, 5), 64 * 1024], [image(1024, 5), 1_000_003]] as const) {
      const got = framedCrcs(chunked(msg, size));
      expect(got, `chunks of ${size}`).toHaveLength(1);
      expect(got[0]!.crc, `chunks of ${size}`).toBe(got[0]!.body);
    }
  });
});

describe('the decoder checks the CRC computed on arrival', () => {
  it('trusts the CRC it is given instead of hashing the body again', () => {
    const wire = vectorBytes('transform.v1.igtl');
    const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
    const header = readHeader(wire, view, 0);
    expect(decodeFrame(header, wire, view, 0, defaultRegistry, true, { hi: header.crcHi, lo: header.crcLo })).toEqual(decodeMessage(wire));
    const wrong = { hi: header.crcHi, lo: (header.crcLo ^ 1) >>> 0 };
    let thrown: unknown;
    try {
      decodeFrame(header, wire, view, 0, defaultRegistry, true, wrong);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CrcMismatchError);
    expect(thrown instanceof CrcMismatchError && thrown.actual).toBe(asBig(wrong));
    // verifyCrc false: nothing is checked.
    expect(decodeFrame(header, wire, view, 0, defaultRegistry, false, wrong)).toEqual(decodeMessage(wire));
  });

  it('reports a corrupted byte of a split message as a CRC mismatch with the real CRC, then decodes the next one', () => {
    const wire = image(512, 3).slice();
    const next = vectorBytes('transform.v1.igtl');
    const at = 58 + 72 + 700_001;
    wire[at] ^= 0x5a;
    for (const size of [1000, 64 * 1024]) {
      const out: Result[] = [];
      const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) });
      for (const c of chunked(wire, size)) decoder.push(c);
      decoder.push(next);
      decoder.end();
      expect(out, `chunks of ${size}`).toHaveLength(2);
      expect(out[0]).toBeInstanceOf(CrcMismatchError);
      expect(out[0] instanceof CrcMismatchError && out[0].actual).toBe(crc64(wire, 58));
      expect(out[1]).toEqual(decodeMessage(next));
    }
  });

  it('with verifyCrc false decodes a corrupted split message as it is', () => {
    const wire = image(256, 1).slice();
    wire[58 + 100] ^= 1;
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, { verifyCrc: false });
    for (const c of chunked(wire, 4096)) decoder.push(c);
    decoder.end();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'IMAGE' });
  });
});

describe('the default limit', () => {
  /** A v3 IMAGE header declaring `bodySize` (BODY_SIZE only: nothing after it is needed here). */
  function imageHeader(bodySize: number): Uint8Array {
    const h = image(16, 1).slice(0, 58);
    const view = new DataView(h.buffer);
    view.setUint32(42, 0);
    view.setUint32(46, bodySize);
    return h;
  }

  it('admits a 256 MiB image with its content header, v3 extended header and metadata', () => {
    // 256 MiB of pixels (512 x 512 x 512 uint16), IMAGE's 72-byte content header, the 12-byte
    // extended header and a few KB of metadata.
    const bodySize = 256 * MiB + 72 + 12 + 4096;
    expect(DEFAULT_MAX_BODY_SIZE).toBe(256 * MiB + 64 * 1024);
    expect(bodySize).toBeLessThanOrEqual(DEFAULT_MAX_BODY_SIZE);
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) });
    decoder.push(imageHeader(bodySize));
    expect([out, decoder.buffered, decoder.skipping]).toEqual([[], 58, false]);
  });

  it('refuses one byte more from the header alone, typed body-too-large', () => {
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) });
    decoder.push(imageHeader(DEFAULT_MAX_BODY_SIZE + 1));
    expect(out).toHaveLength(1);
    expect(out[0]).toBeInstanceOf(BodyTooLargeError);
    expect(out[0]).toMatchObject({ code: 'body-too-large', limit: DEFAULT_MAX_BODY_SIZE });
    expect([decoder.buffered, decoder.skipRemaining]).toEqual([0, DEFAULT_MAX_BODY_SIZE + 1]);
  });
});

describe('growth steps', () => {
  function allocations(wire: Uint8Array, chunk: number): number[] {
    const sizes: number[] = [];
    const framer = new Framer({ frame() {}, error(e) { throw e; } }, { allocate: (n) => (sizes.push(n), new Uint8Array(n)), crc: true });
    for (const c of chunked(wire, chunk)) framer.push(c);
    framer.end();
    return sizes;
  }

  it('a message a little over a power of two takes no last step of a few bytes', () => {
    // 1 MiB of pixels plus headers: one exact allocation (not 1 MiB, then 1 MiB + 130).
    const oneMiB = image(512, 2);
    expect(oneMiB.length).toBe(MiB + 58 + 72);
    expect(allocations(oneMiB, 64 * 1024)).toEqual([oneMiB.length]);
    // 4 MiB plus headers: 1 MiB, one more 1 MiB, then the message (not 2 MiB more, then the
    // message).
    const fourMiB = image(1024, 2);
    expect(allocations(fourMiB, 64 * 1024)).toEqual([MiB, MiB, fourMiB.length]);
  });

  it('adds a buffer of what it holds until twice that reaches the size, then takes the exact one', () => {
    // 20 MiB plus headers: 1 + 1 + 2 + 4 + 8 (16 MiB held), then the message at 16 MiB received.
    const twenty = image(1024, 10);
    expect(allocations(twenty, 64 * 1024)).toEqual([MiB, MiB, 2 * MiB, 4 * MiB, 8 * MiB, twenty.length]);
    // A first chunk larger than half a MiB sets the first buffer to twice itself: 6 + 6, then
    // the message.
    expect(allocations(twenty, 3 * MiB)).toEqual([6 * MiB, 6 * MiB, twenty.length]);
  });
});

describe('allocateUninitialized (Node transports)', () => {
  it('gives a plain Uint8Array of exactly the size, on an ArrayBuffer of its own', () => {
    for (const n of [0, 1, 100, 4096, 65_666, 3 * MiB]) {
      const a = allocateUninitialized(n);
      expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
      expect([a.length, a.byteOffset, a.buffer.byteLength]).toEqual([n, 0, n]);
    }
    expect(allocateUninitialized(64).buffer).not.toBe(allocateUninitialized(64).buffer);
  });

  it('is the allocation igtl-rx/node exports for a MessageDecoder of ones own', async () => {
    const node = await import('../../src/node.js');
    expect(node.allocateUninitialized).toBe(allocateUninitialized);
    const wire = image(64, 2);
    const out: Result[] = [];
    const decoder = new node.MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, { allocate: node.allocateUninitialized });
    for (const c of chunked(wire, 1000)) decoder.push(c);
    decoder.end();
    const m = out[0];
    if (out.length !== 1 || m instanceof IgtlError || m?.type !== 'IMAGE') return void expect.fail(String(m));
    expect(Buffer.from(encodeMessage(m)).equals(Buffer.from(wire))).toBe(true);
  });

  it('decodes split messages exactly as the default allocation does', () => {
    const wire = image(512, 3);
    const decode = (allocate?: (n: number) => Uint8Array): Result[] => {
      const out: Result[] = [];
      const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, allocate ? { allocate } : {});
      for (const c of chunked(wire, 64 * 1024 + 3)) decoder.push(c);
      decoder.end();
      return out;
    };
    const got = decode(allocateUninitialized);
    expect(got).toHaveLength(1);
    const m = got[0]!;
    if (m instanceof IgtlError || m.type !== 'IMAGE') return void expect.fail(String(m));
    expect(m.content.data.buffer.byteLength).toBe(wire.length);
    const plain = decode()[0] as IgtlMessage & { type: 'IMAGE' };
    const bytesOf = (a: ReturnType<typeof imagePixels>): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytesOf(imagePixels(m.content)).equals(bytesOf(imagePixels(plain.content)))).toBe(true);
    expect(Buffer.from(encodeMessage(m)).equals(Buffer.from(wire))).toBe(true);
  });
});
