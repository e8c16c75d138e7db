// Memory follows the bytes that arrived, not the bytes a header declares: a 58-byte header that
// declares gigabytes costs no more than what follows it, maxBodySize is refused at construction
// when no typed array could hold such a message, an allocation that fails is a typed report (not
// an exception out of push), and a message assembled in growing steps decodes exactly as in one
// piece (payload views included).
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  createImageContent,
  createMessage,
  decodeMessage,
  encodeMessage,
  Framer,
  IgtlError,
  imagePixels,
  InvalidOptionError,
  MAX_BODY_SIZE_LIMIT,
  MessageDecoder,
  Timestamp,
  type FrameHeader,
  type IgtlMessage,
} from '../../src/index.js';
import { chunked, headerDeclaring } from '../support/split-messages.js';
import { vectorBytes } from '../support/vectors.js';

const MiB = 1024 * 1024;
type Result = IgtlMessage | IgtlError;

function collector(): { out: Result[]; decoder: (options?: ConstructorParameters<typeof MessageDecoder>[1]) => MessageDecoder } {
  const out: Result[] = [];
  return { out, decoder: (options) => new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, options) };
}

function arrayBuffersNow(): number {
  return process.memoryUsage().arrayBuffers;
}

describe('maxBodySize is checked at construction', () => {
  it('refuses what no typed array can hold with its header, and what is not a byte count', () => {
    for (const maxBodySize of [6e9, MAX_BODY_SIZE_LIMIT + 1, 2 ** 32, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MessageDecoder({ message() {}, error() {} }, { maxBodySize }), String(maxBodySize)).toThrow(InvalidOptionError);
      expect(() => new Framer({ frame() {}, error() {} }, { maxBodySize }), String(maxBodySize)).toThrow(InvalidOptionError);
    }
    try {
      new MessageDecoder({ message() {}, error() {} }, { maxBodySize: 6e9 });
    } catch (err) {
      expect(err instanceof InvalidOptionError && [err.code, err.option]).toEqual(['invalid-option', 'maxBodySize']);
    }
  });

  it('accepts 0 and every integer up to 2^32 - 1 - 58', () => {
    expect(MAX_BODY_SIZE_LIMIT).toBe(2 ** 32 - 1 - 58);
    for (const maxBodySize of [0, 1, 256 * MiB, MAX_BODY_SIZE_LIMIT]) {
      expect(() => new MessageDecoder({ message() {}, error() {} }, { maxBodySize })).not.toThrow();
    }
  });

  it('refuses a resync mode it does not know', () => {
    expect(() => new MessageDecoder({ message() {}, error() {} }, { resync: 'maybe' as 'stop' })).toThrow(InvalidOptionError);
  });
});

describe('a header declaring gigabytes costs only what arrives', () => {
  it('at the largest limit, a 4 GiB declaration and 100 bytes: no throw, no 4 GiB allocation', () => {
    const { out, decoder } = collector();
    const d = decoder({ maxBodySize: MAX_BODY_SIZE_LIMIT });
    const before = arrayBuffersNow();
    expect(() => {
      d.push(headerDeclaring(MAX_BODY_SIZE_LIMIT));
      d.push(new Uint8Array(100));
    }).not.toThrow();
    expect(arrayBuffersNow() - before).toBeLessThan(16 * MiB);
    expect(d.buffered).toBe(158);
    expect(out).toEqual([]);
    d.end();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ code: 'truncated', expectedBytes: 58 + MAX_BODY_SIZE_LIMIT, receivedBytes: 158 });
  });

  it('a 5 GB declaration is refused from its header and skipped, without a throw', () => {
    const { out, decoder } = collector();
    const d = decoder({ maxBodySize: MAX_BODY_SIZE_LIMIT });
    expect(() => d.push(headerDeclaring(5e9))).not.toThrow();
    expect(out).toHaveLength(1);
    expect(out[0]).toBeInstanceOf(BodyTooLargeError);
    expect([d.skipping, d.skipRemaining, d.buffered]).toEqual([true, 5e9, 0]);
    d.push(new Uint8Array(1000));
    expect(d.skipRemaining).toBe(5e9 - 1000);
  });

  it('16 decoders each holding a header that declares 200 MiB plus a few KB use well under 64 MiB', () => {
    const before = arrayBuffersNow();
    const decoders: MessageDecoder[] = [];
    const reports: Result[] = [];
    for (let i = 0; i < 16; i++) {
      const d = new MessageDecoder({ message: (m) => reports.push(m), error: (e) => reports.push(e) }, { maxBodySize: 256 * MiB });
      d.push(headerDeclaring(200 * MiB));
      d.push(new Uint8Array(4096));
      decoders.push(d);
    }
    expect(arrayBuffersNow() - before).toBeLessThan(64 * MiB);
    expect(decoders.map((d) => d.buffered)).toEqual(new Array<number>(16).fill(58 + 4096));
    expect(reports).toEqual([]);
  });

  it('grows as bytes arrive: buffered is what arrived, memory at most about twice that', () => {
    const d = new MessageDecoder({ message() {}, error() {} }, { maxBodySize: 256 * MiB });
    const before = arrayBuffersNow();
    d.push(headerDeclaring(200 * MiB));
    const chunk = new Uint8Array(64 * 1024);
    for (let i = 0; i < 64; i++) d.push(chunk); // 4 MiB
    expect(d.buffered).toBe(58 + 4 * MiB);
    // The 8 MiB buffer, plus its smaller predecessors (1 + 2 + 4 MiB) if not collected yet.
    expect(arrayBuffersNow() - before).toBeLessThan(16 * MiB + 64 * 1024);
  });
});

describe('a message assembled in steps decodes as in one piece', () => {
  function image(side: number, depth: number): { wire: Uint8Array; pixels: Uint16Array } {
    const pixels = new Uint16Array(side * side * depth);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919) & 0xffff;
    const msg = createMessage('IMAGE', createImageContent({ data: pixels, size: [side, side, depth], spacing: [1, 1, 1] }), { deviceName: 'Volume', timestamp: Timestamp.ZERO });
    return { wire: encodeMessage(msg), pixels };
  }

  function decodeIn(wire: Uint8Array, size: number, extra: Uint8Array[] = []): Result[] {
    const { out, decoder } = collector();
    const d = decoder();
    for (const c of chunked(wire, size)) d.push(c);
    for (const c of extra) d.push(c);
    d.end();
    return out;
  }

  function expectImage(r: Result | undefined, wire: Uint8Array, pixels: Uint16Array): void {
    if (r === undefined || r instanceof IgtlError || r.type !== 'IMAGE') return void expect.fail(`expected an IMAGE, got ${String(r)}`);
    const got = imagePixels(r.content);
    expect(got.length).toBe(pixels.length);
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(pixels.buffer))).toBe(true);
    // The assembled buffer is exactly the message: the payload views end where it ends.
    expect(r.content.data.buffer.byteLength).toBe(wire.length);
    expect(r.content.data.byteOffset + r.content.data.byteLength).toBe(wire.length);
    expect(Buffer.from(encodeMessage(r)).equals(Buffer.from(wire))).toBe(true);
  }

  it('a 1.5 MiB IMAGE (past the one-allocation size) in 1-byte, 7-byte and 64 KiB chunks', () => {
    const { wire, pixels } = image(512, 3);
    expect(wire.length).toBeGreaterThan(MiB);
    const next = vectorBytes('transform.v1.igtl');
    for (const size of [1, 7, 64 * 1024]) {
      const out = decodeIn(wire, size, [next]);
      expect(out, `chunks of ${size}`).toHaveLength(2);
      expectImage(out[0], wire, pixels);
      expect(out[1]).toEqual(decodeMessage(next));
    }
  });

  it('a 20 MiB IMAGE in 64 KiB chunks', () => {
    const { wire, pixels } = image(1024, 10);
    expect(wire.length).toBeGreaterThan(20 * MiB);
    const out = decodeIn(wire, 64 * 1024);
    expect(out).toHaveLength(1);
    expectImage(out[0], wire, pixels);
  });

  it('small messages split across chunks still get one buffer of exactly their size', () => {
    const wire = vectorBytes('image-uint8-3d.v3.igtl');
    const sizes: number[] = [];
    const framer = new Framer({ frame() {}, error() {} }, { allocate: (n) => (sizes.push(n), new Uint8Array(n)) });
    for (const c of chunked(wire, 7)) framer.push(c);
    expect(sizes).toEqual([wire.length]);
  });
});

describe('an allocation that fails is reported, not thrown', () => {
  const big = new Uint8Array(3 * MiB);
  const bigMessage = encodeMessage({
    type: 'UNKNOWN', typeName: 'BLOB', headerVersion: 1, deviceName: 'Big', timestamp: Timestamp.ZERO, messageId: 0, metadata: new Map(), content: { raw: big.fill(0x41) },
  });
  const after = vectorBytes('transform.v1.igtl');

  function run(allocate: (n: number) => Uint8Array, chunk: number): { frames: string[]; errors: IgtlError[]; framer: Framer } {
    const frames: string[] = [];
    const errors: IgtlError[] = [];
    const framer = new Framer({
      frame: (h: FrameHeader) => frames.push(`${h.type} ${h.deviceName}`),
      error: (e) => errors.push(e),
    }, { maxBodySize: MAX_BODY_SIZE_LIMIT, allocate });
    for (const c of chunked(bigMessage, chunk)) expect(() => framer.push(c)).not.toThrow();
    framer.push(after);
    framer.end();
    return { frames, errors, framer };
  }

  it('when growing: a BodyTooLargeError with the header, the rest of the message skipped, the next one framed', () => {
    const { frames, errors } = run((n) => {
      if (n > 2 * MiB) throw new RangeError('Array buffer allocation failed');
      return new Uint8Array(n);
    }, 64 * 1024);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(BodyTooLargeError);
    expect(errors[0]!.header?.deviceName).toBe('Big');
    expect(errors[0] instanceof BodyTooLargeError && errors[0].limit).toBe(2 * MiB);
    expect(frames).toEqual(['TRANSFORM Stylus2Reference']);
  });

  it('at the first allocation: the message skipped from there, the next one framed', () => {
    const { frames, errors } = run(() => {
      throw new RangeError('Invalid typed array length');
    }, MiB);
    expect(errors.map((e) => e.code)).toEqual(['body-too-large']);
    expect(errors[0] instanceof BodyTooLargeError && errors[0].limit).toBe(0);
    expect(frames).toEqual(['TRANSFORM Stylus2Reference']);
  });

  it('a handler that throws is still rethrown (its own error), after the chunk', () => {
    const framer = new Framer({ frame() { throw new Error('handler bug'); }, error() {} });
    const wire = vectorBytes('transform.v1.igtl');
    expect(() => framer.push(wire.subarray(0, 70))).not.toThrow();
    expect(() => framer.push(wire.subarray(70))).toThrow('handler bug');
    expect(framer.buffered).toBe(0);
  });
});
