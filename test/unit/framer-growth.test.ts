// How a large split message grows: in place, in one resizable ArrayBuffer, when the allocation
// offers one (SplitAllocation.resizable; Node transports do above 128 MiB), or in segments
// otherwise (the fallback, forced here by an allocation that offers none or declines). Both give
// the same messages and CRC checks at any chunking, hold about twice what arrived (a lying header
// costs only what follows it), report a failed resize like a failed allocation, and a message a
// little over 1 MiB takes one exact allocation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  CrcMismatchError,
  crc64,
  decodeMessage,
  encodeMessage,
  Framer,
  IgtlError,
  imagePixels,
  MessageDecoder,
  TruncatedMessageError,
  type FrameHeader,
  type IgtlMessage,
  type ResizableBuffer,
  type SplitAllocation,
} from '../../src/index.js';
import { allocateUninitialized } from '../../src/transport/socket-channel.js';
import { chunked, headerDeclaring, testImage as image } from '../support/split-messages.js';
import { vectorBytes } from '../support/vectors.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240612);
const MiB = 1024 * 1024;
type Result = IgtlMessage | IgtlError;

/** The ES2024 constructor (the project's lib is ES2022). */
const Resizable = ArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => ResizableBuffer;

/** What an allocation was asked for: plain buffers (sizes), resizable ones, and their resizes. */
interface Trace {
  plain: number[];
  resizable: { size: number; max: number; buffer: ResizableBuffer }[];
  resizes: number[];
}

/**
 * An allocation that records what it gives. `inPlace` false: no `resizable` at all (the fallback);
 * 'decline': offers it but returns undefined; 'refuse': offers it but the reservation throws (as
 * `new ArrayBuffer(n, { maxByteLength })` does past an address-space limit). `failResizeAbove`: a
 * resize past it throws.
 */
function traced(inPlace: boolean | 'decline' | 'refuse', failResizeAbove = Infinity): { allocate: SplitAllocation; trace: Trace } {
  const trace: Trace = { plain: [], resizable: [], resizes: [] };
  const plain = (n: number): Uint8Array => (trace.plain.push(n), new Uint8Array(n));
  if (inPlace === false) return { allocate: plain, trace };
  const resizable = (size: number, max: number): ResizableBuffer | undefined => {
    if (inPlace === 'decline') return undefined;
    if (inPlace === 'refuse') throw new RangeError('Array buffer allocation failed');
    const buffer = new Resizable(size, { maxByteLength: max });
    const resize = buffer.resize.bind(buffer);
    // Recorded, and refused past `failResizeAbove` as V8 refuses a commit it cannot make.
    Object.defineProperty(buffer, 'resize', {
      value: (n: number) => {
        trace.resizes.push(n);
        if (n > failResizeAbove) throw new RangeError('Array buffer allocation failed');
        resize(n);
      },
    });
    trace.resizable.push({ size, max, buffer });
    return buffer;
  };
  return { allocate: Object.assign(plain, { resizable }), trace };
}

function decode(chunks: Iterable<Uint8Array>, allocate: SplitAllocation, verifyCrc = true): { out: Result[]; frames: Uint8Array[] } {
  const out: Result[] = [];
  const frames: Uint8Array[] = [];
  const decoder = new MessageDecoder({ message: (m, bytes, offset, length) => (out.push(m), frames.push(bytes.subarray(offset, offset + length))), error: (e) => out.push(e) }, { allocate, verifyCrc });
  for (const c of chunks) decoder.push(c);
  decoder.end();
  return { out, frames };
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function expectImage(r: Result | undefined, wire: Uint8Array, pixels: Uint16Array): void {
  if (r === undefined || r instanceof IgtlError || r.type !== 'IMAGE') return void expect.fail(`expected an IMAGE, got ${String(r)}`);
  expect(sameBytes(imagePixels(r.content), pixels)).toBe(true);
  // One buffer of exactly the message: the payload views end where it ends.
  expect(r.content.data.buffer.byteLength).toBe(wire.length);
  expect(r.content.data.byteOffset + r.content.data.byteLength).toBe(wire.length);
  expect(sameBytes(encodeMessage(r), wire)).toBe(true);
}

describe('growing in place', () => {
  const { wire, pixels } = image(1024, 5); // 10 MiB of pixels
  const next = vectorBytes('transform.v1.igtl');

  it('one resizable buffer reserving the message, resized to about twice what arrived, handed on whole', () => {
    const { allocate, trace } = traced(true);
    const { out, frames } = decode([...chunked(wire, 64 * 1024), next], allocate);
    expect(out).toHaveLength(2);
    expectImage(out[0], wire, pixels);
    expect(out[1]).toEqual(decodeMessage(next));
    // No plain allocation, no segment, no copy: 1 MiB, then 2, 4, 8 MiB, then the message.
    expect(trace.plain).toEqual([]);
    expect(trace.resizable.map(({ size, max }) => [size, max])).toEqual([[MiB, wire.length]]);
    expect(trace.resizes).toEqual([2 * MiB, 4 * MiB, 8 * MiB, wire.length]);
    const { buffer } = trace.resizable[0]!;
    expect([buffer.byteLength, buffer.maxByteLength]).toEqual([wire.length, wire.length]);
    // The frame a relay would send on, and what Node's APIs make of views on that buffer.
    expect(frames[0]!.buffer).toBe(buffer);
    expect(Buffer.from(frames[0]!.buffer, frames[0]!.byteOffset, frames[0]!.byteLength).equals(Buffer.from(wire))).toBe(true);
    expect(new TextDecoder().decode(frames[0]!.subarray(14, 20))).toBe('Volume'); // DEVICE_NAME
    expect(sameBytes(structuredClone(frames[0]!), wire)).toBe(true);
  });

  it('decodes as the segments do, at every chunk size from 1 byte to the whole message', () => {
    const small = image(512, 3); // 1.5 MiB: past the one-allocation size
    const total = small.wire.length;
    // 1-byte chunks across the header, the first growth step (1 MiB) and the last byte; then
    // uniform sizes.
    const bytewise = [...new Array<number>(100).fill(1), MiB - 200, ...new Array<number>(200).fill(1), total - MiB - 200 - 1, 1];
    const chunkings: [string, number[]][] = [['1-byte windows', bytewise], ...[7, 4096, 65_537, 300_000, total].map((n): [string, number[]] => [`chunks of ${n}`, [n]])];
    for (const [what, sizes] of chunkings) {
      const chunks: Uint8Array[] = [];
      for (let off = 0, i = 0; off < total; i++) {
        const n = sizes[Math.min(i, sizes.length - 1)]!;
        chunks.push(small.wire.subarray(off, off + n));
        off += n;
      }
      const inPlace = traced(true);
      const segments = traced(false);
      const a = decode([...chunks, next], inPlace.allocate);
      const b = decode([...chunks, next], segments.allocate);
      // The same messages (compared as their encodings: deep equality over 1.5 MiB views is slow).
      const kind = (m: Result): string => (m instanceof IgtlError ? m.code : m.type);
      expect(a.out.map(kind), what).toEqual(b.out.map(kind));
      expect(b.out.every((m, i) => !(m instanceof IgtlError) && sameBytes(encodeMessage(m), encodeMessage(a.out[i] as IgtlMessage))), what).toBe(true);
      expectImage(a.out[0], small.wire, small.pixels);
      expect(a.out[1]).toEqual(decodeMessage(next));
      // A message in one chunk is decoded where it lies: nothing allocated.
      const grows = chunks.length > 1;
      expect([inPlace.trace.resizable.length, inPlace.trace.plain.length], what).toEqual([grows ? 1 : 0, 0]);
      expect(segments.trace.plain.length > 0, what).toBe(grows);
    }
  });

  it('hands on the body CRC at any random chunking of several messages', () => {
    const small = image(512, 3).wire;
    const stream = Buffer.concat([small, next, small]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const chunks: Uint8Array[] = [];
        for (let off = 0, i = 0; off < stream.length; i++) {
          const n = sizes[i % sizes.length]!;
          chunks.push(stream.subarray(off, off + n));
          off += n;
        }
        const crcs: { crc: bigint | undefined; want: bigint }[] = [];
        const framer = new Framer(
          {
            frame(header: FrameHeader, _bytes, _view, _offset, bodyCrc) {
              crcs.push({ crc: bodyCrc && ((BigInt(bodyCrc.hi) << 32n) | BigInt(bodyCrc.lo)), want: header.crc });
            },
            error(err) {
              throw err;
            },
          },
          { allocate: traced(true).allocate, crc: true },
        );
        for (const c of chunks) framer.push(c);
        framer.end();
        expect(crcs).toHaveLength(3);
        for (const { crc, want } of crcs) if (crc !== undefined) expect(crc).toBe(want);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('reports a corrupted byte as a CRC mismatch with the real CRC, then decodes the next message', () => {
    const bad = wire.slice();
    bad[58 + 72 + 7_000_001] ^= 0x5a;
    for (const size of [1000, 64 * 1024]) {
      const { out } = decode([...chunked(bad, size), next], traced(true).allocate);
      expect(out, `chunks of ${size}`).toHaveLength(2);
      expect(out[0]).toBeInstanceOf(CrcMismatchError);
      expect(out[0] instanceof CrcMismatchError && [out[0].expected, out[0].actual]).toEqual([crc64(wire, 58), crc64(bad, 58)]);
      expect(out[1]).toEqual(decodeMessage(next));
    }
  });

  it('a resize that fails is a BodyTooLargeError holding what it had; the rest is skipped, the next message framed', () => {
    const { allocate, trace } = traced(true, 4 * MiB);
    const errors: IgtlError[] = [];
    const frames: string[] = [];
    const framer = new Framer({ frame: (h: FrameHeader) => frames.push(h.type), error: (e) => errors.push(e) }, { allocate });
    for (const c of chunked(wire, 64 * 1024)) expect(() => framer.push(c)).not.toThrow();
    framer.push(next);
    framer.end();
    expect(trace.resizes).toEqual([2 * MiB, 4 * MiB, 8 * MiB]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BodyTooLargeError);
    expect(errors[0] instanceof BodyTooLargeError && errors[0].limit).toBe(4 * MiB);
    expect(frames).toEqual(['TRANSFORM']);
  });

  it('a message cut short is reported with exactly the bytes that arrived', () => {
    const errors: IgtlError[] = [];
    const framer = new Framer({ frame() {}, error: (e) => errors.push(e) }, { allocate: traced(true).allocate });
    framer.push(wire.subarray(0, 3 * MiB + 5));
    framer.end();
    expect(errors).toHaveLength(1);
    const e = errors[0];
    if (!(e instanceof TruncatedMessageError)) return void expect.fail(String(e));
    expect([e.expectedBytes, e.receivedBytes]).toEqual([wire.length, 3 * MiB + 5]);
    expect(e.frame && sameBytes(e.frame, wire.subarray(0, 3 * MiB + 5))).toBe(true);
  });
});

describe('growing in segments (no resizable buffer offered, declined, or its reservation refused)', () => {
  const { wire, pixels } = image(1024, 5);

  for (const inPlace of [false, 'decline', 'refuse'] as const) {
    it(`segments, then one exact buffer (resizable ${inPlace === false ? 'not offered' : inPlace === 'decline' ? 'declined' : 'refused'})`, () => {
      const { allocate, trace } = traced(inPlace);
      const { out } = decode(chunked(wire, 64 * 1024), allocate);
      expect(out).toHaveLength(1);
      expectImage(out[0], wire, pixels);
      expect(trace.plain).toEqual([MiB, MiB, 2 * MiB, 4 * MiB, wire.length]);
      expect(trace.resizable).toEqual([]);
    });
  }
});

describe('the one memory rule: about twice what arrived, at least 1 MiB', () => {
  it('a message within a quarter of 1 MiB takes one exact allocation, in place or not; just past it grows', () => {
    for (const inPlace of [true, false]) {
      const fits = traced(inPlace);
      const framer = new Framer({ frame() {}, error(e) { throw e; } }, { allocate: fits.allocate });
      framer.push(headerDeclaring(1.25 * MiB - 58));
      expect([fits.trace.plain, fits.trace.resizable.length]).toEqual([[1.25 * MiB], 0]);
      const grows = traced(inPlace);
      const g = new Framer({ frame() {}, error(e) { throw e; } }, { allocate: grows.allocate });
      g.push(headerDeclaring(1.25 * MiB - 57));
      expect(inPlace ? grows.trace.resizable.map((r) => r.size) : grows.trace.plain).toEqual([MiB]);
    }
  });

  it('a first chunk larger than half a MiB sets the first capacity to twice itself', () => {
    const { wire } = image(1024, 10); // 20 MiB
    const segments = traced(false);
    decode(chunked(wire, 3 * MiB), segments.allocate);
    expect(segments.trace.plain).toEqual([6 * MiB, 6 * MiB, wire.length]);
    const inPlace = traced(true);
    decode(chunked(wire, 3 * MiB), inPlace.allocate);
    expect([inPlace.trace.resizable[0]!.size, ...inPlace.trace.resizes]).toEqual([6 * MiB, 12 * MiB, wire.length]);
  });

  it('a lying header (declares 256 MiB, sends 64 KiB at a time) commits only about twice what arrived', () => {
    const { allocate, trace } = traced(true);
    const framer = new Framer({ frame() {}, error(e) { throw e; } }, { allocate });
    framer.push(headerDeclaring(256 * MiB));
    const chunk = new Uint8Array(64 * 1024);
    const seen: [number, number][] = [];
    for (let i = 0; i < 160; i++) {
      framer.push(chunk); // 10 MiB in all
      const arrived = framer.buffered;
      const committed = trace.resizable[0]!.buffer.byteLength;
      expect(committed, `at ${arrived} bytes`).toBeGreaterThanOrEqual(arrived);
      expect(committed, `at ${arrived} bytes`).toBeLessThanOrEqual(Math.max(MiB, 2 * arrived));
      seen.push([arrived, committed]);
    }
    expect(trace.resizable[0]!.buffer.maxByteLength).toBe(58 + 256 * MiB);
    expect(trace.resizable[0]!.buffer.byteLength).toBe(16 * MiB);
    expect(seen.at(-1)).toEqual([58 + 10 * MiB, 16 * MiB]);
  });
});

describe('allocateUninitialized grows messages over 128 MiB in place', () => {
  it('offers a resizable buffer reserving the message above 128 MiB, none up to it', () => {
    const resizable = allocateUninitialized.resizable;
    expect(resizable).toBeTypeOf('function');
    expect(resizable!(MiB, 128 * MiB)).toBeUndefined();
    const ab = resizable!(MiB, 128 * MiB + 1);
    expect([ab?.byteLength, ab?.maxByteLength]).toEqual([MiB, 128 * MiB + 1]);
  });

  it('a lying header declaring 200 MiB: the message is held in place in about twice what arrived, and reported as it arrived', () => {
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, { allocate: allocateUninitialized });
    decoder.push(headerDeclaring(200 * MiB));
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    for (let i = 0; i < 48; i++) decoder.push(chunk); // 3 MiB
    decoder.end();
    expect(out).toHaveLength(1);
    const e = out[0];
    if (!(e instanceof TruncatedMessageError) || !e.frame) return void expect.fail(String(e));
    expect([e.expectedBytes, e.receivedBytes, e.frame.length]).toEqual([58 + 200 * MiB, 58 + 3 * MiB, 58 + 3 * MiB]);
    // The frame is a view on the buffer the message grew in: 200 MiB of address space, 4 MiB
    // committed (2, then 4 MiB) for the 3 MiB that arrived.
    const buffer = e.frame.buffer as ResizableBuffer;
    expect([buffer.maxByteLength, buffer.byteLength]).toEqual([58 + 200 * MiB, 4 * MiB]);
    expect(sameBytes(e.frame.subarray(58), new Uint8Array(3 * MiB).fill(0x41))).toBe(true);
  });
});
