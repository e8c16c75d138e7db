// The framer and the streaming decoder: chunk boundaries never change what comes out, bad
// messages are reported with their header and do not stop the stream, end() and reset() do what
// they say, and a message inside one chunk is decoded without a copy.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  CrcMismatchError,
  createMessage,
  DesyncError,
  decodeAll,
  encodeMessage,
  Framer,
  IDENTITY,
  IgtlError,
  MalformedMessageError,
  MessageDecoder,
  Timestamp,
  TruncatedMessageError,
  UnsupportedHeaderVersionError,
  type FrameHeader,
  type IgtlMessage,
} from '../../src/index.js';
import { manifest, vectorBytes } from '../support/vectors.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240601);
const HEADER = 58;

type Result = IgtlMessage | IgtlError;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Feeds the chunks to a MessageDecoder, then ends the stream; returns what it reported. */
function feed(chunks: Iterable<Uint8Array>, options: { maxBodySize?: number; resync?: 'stop' | 'skip' } = {}): Result[] {
  const out: Result[] = [];
  const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, options);
  for (const c of chunks) decoder.push(c);
  decoder.end();
  return out;
}

function split(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

function* oneByteChunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
}

function* sizedChunks(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield bytes.subarray(off, off + n);
    off += n;
  }
}

/** The reason `results` are not the messages whose encodings are `parts`, or undefined. */
function mismatch(results: readonly Result[], parts: readonly Uint8Array[]): string | undefined {
  if (results.length !== parts.length) return `${results.length} results, expected ${parts.length}`;
  for (let i = 0; i < parts.length; i++) {
    const r = results[i]!;
    if (r instanceof IgtlError) return `result ${i} is ${r.name}: ${r.message}`;
    if (!sameBytes(encodeMessage(r), parts[i]!)) return `message ${i} (${r.type}) re-encodes differently`;
  }
  return undefined;
}

function expectMessages(results: readonly Result[], parts: readonly Uint8Array[], how: string): void {
  const problem = mismatch(results, parts);
  if (problem) expect.fail(`${how}: ${problem}`);
}

const streamEntry = manifest.find((e) => e.kind === 'stream')!;
const stream = vectorBytes(streamEntry.file);
const streamParts = streamEntry.messages!.map((m) => vectorBytes(m.file));

const goodFiles = manifest.filter((e) => e.kind === 'message').map((e) => e.file);
const goodParts = goodFiles.map((f) => vectorBytes(f));
const allGood = concat(goodParts);

describe('chunk boundaries do not change the messages', () => {
  it('the stream vector is its parts, byte for byte, in one push', () => {
    expect(streamEntry.messages!.map((m) => m.offset + m.length)).toContain(stream.length);
    expectMessages(feed([stream]), streamParts, 'one push');
  });

  it('the stream vector split in two at every byte offset gives the same messages', () => {
    for (let at = 0; at <= stream.length; at++) {
      const problem = mismatch(feed(split(stream, at)), streamParts);
      if (problem) expect.fail(`split at ${at}: ${problem}`);
    }
  });

  it('the stream vector in one-byte chunks gives the same messages', () => {
    expectMessages(feed(oneByteChunks(stream)), streamParts, 'one-byte chunks');
  });

  it('the stream vector in random chunk sizes gives the same messages', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }), (sizes) => {
      expectMessages(feed(sizedChunks(stream, sizes)), streamParts, `chunks ${sizes.join(',')}`);
    }), { seed: SEED, numRuns: 200 });
  });

  it(`all ${goodFiles.length} good vectors concatenated: one push, one-byte chunks and random chunks agree`, () => {
    expectMessages(feed([allGood]), goodParts, 'one push');
    expectMessages(feed(oneByteChunks(allGood)), goodParts, 'one-byte chunks');
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), (sizes) => {
      expectMessages(feed(sizedChunks(allGood, sizes)), goodParts, `chunks ${sizes.join(',')}`);
    }), { seed: SEED, numRuns: 50 });
  });

  it('the good vectors concatenated, split in two at every byte offset, frame the same messages', () => {
    // Every offset of 160 kB through the whole decoder would take minutes, so this runs the
    // Framer alone (decoding is a function of the frame bytes, checked above) and leaves out the
    // two 64 kB COLORT vectors (uint16 index), which the chunked tests above cover.
    const parts = goodParts.filter((_, i) => !goodFiles[i]!.startsWith('colort-uint16index'));
    const bytes = concat(parts);
    const starts: number[] = [];
    parts.reduce((o, p) => (starts.push(o), o + p.length), 0);
    for (let at = 0; at <= bytes.length; at++) {
      const chunks = split(bytes, at);
      let k = 0;
      let ci = 0;
      let problem: string | undefined;
      const framer = new Framer({
        frame(header: FrameHeader, frameBytes: Uint8Array, _view: DataView, offset: number) {
          const start = starts[k];
          const part = parts[k++];
          if (problem || start === undefined || part === undefined) return void (problem ??= 'an extra frame');
          if (HEADER + header.bodySize !== part.length) return void (problem = `frame ${k - 1} has ${HEADER + header.bodySize} bytes, expected ${part.length}`);
          const chunk = chunks[ci]!;
          if (frameBytes === chunk) {
            // In place: it must sit where the message is in the stream.
            const chunkStart = ci === 0 ? 0 : at;
            if (chunkStart + offset !== start) problem = `frame ${k - 1} at stream offset ${chunkStart + offset}, expected ${start}`;
          } else if (!sameBytes(frameBytes.subarray(offset, offset + part.length), part)) {
            problem = `assembled frame ${k - 1} differs`;
          }
        },
        error(err) {
          problem ??= `error ${err.message}`;
        },
      });
      framer.push(chunks[0]!);
      ci = 1;
      framer.push(chunks[1]!);
      framer.end();
      if (!problem && k !== parts.length) problem = `${k} frames, expected ${parts.length}`;
      if (problem) expect.fail(`split at ${at}: ${problem}`);
    }
  });
});

// A stream with a bad message of every kind between good ones.
const LIMIT = 2048;
function withCrcFlipped(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[out.length - 1]! ^= 0x01; // a body byte: the CRC no longer matches
  return out;
}
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint16(0, version);
  return out;
}
const bigImage = encodeMessage(createMessage('IMAGE', {
  numComponents: 1, scalarType: 3, endian: 1, coordinate: 1, size: [50, 50, 1], matrix: IDENTITY,
  subvolumeOffset: [0, 0, 0], subvolumeSize: [50, 50, 1], data: new Uint8Array(2500),
}, { deviceName: 'BigImage', timestamp: Timestamp.ZERO }));
// A TRANSFORM of 47 bytes with a valid CRC: framed fine, refused by the codec.
const shortTransform = encodeMessage({
  type: 'UNKNOWN', typeName: 'TRANSFORM', headerVersion: 1, deviceName: 'Short', timestamp: Timestamp.ZERO,
  messageId: 0, metadata: new Map(), content: { raw: new Uint8Array(47) },
});
const crcBad = withCrcFlipped(vectorBytes('status.v3.igtl'));
const versionBad = withVersion(vectorBytes('point.v1.igtl'), 0x0099);
const good = ['transform.v1.igtl', 'string-utf8.v3.igtl', 'tdata.v3.igtl', 'command.v3.igtl', 'sensor.v1.igtl'].map((f) => vectorBytes(f));
const mixed = concat([good[0]!, crcBad, good[1]!, bigImage, good[2]!, versionBad, good[3]!, shortTransform, good[4]!]);

/** What went wrong in `results` compared with the expected mixed stream, or undefined. */
function mixedMismatch(results: readonly Result[]): string | undefined {
  if (results.length !== 9) return `${results.length} results, expected 9`;
  for (const [i, part] of [[0, good[0]], [2, good[1]], [4, good[2]], [6, good[3]], [8, good[4]]] as const) {
    const problem = mismatch([results[i]!], [part!]);
    if (problem) return `at ${i}: ${problem}`;
  }
  const [crc, big, version, short] = [results[1], results[3], results[5], results[7]];
  if (!(crc instanceof CrcMismatchError) || crc.header?.type !== 'STATUS' || crc.header.deviceName !== 'TrackingCamera' || !sameBytes(crc.frame!, crcBad)) {
    return `at 1: expected the STATUS CrcMismatchError with its frame, got ${String(crc)}`;
  }
  if (!(big instanceof BodyTooLargeError) || big.header?.deviceName !== 'BigImage' || big.bodySize !== BigInt(bigImage.length - HEADER) || big.limit !== LIMIT) {
    return `at 3: expected the IMAGE BodyTooLargeError, got ${String(big)}`;
  }
  if (!(version instanceof UnsupportedHeaderVersionError) || version.version !== 0x0099 || version.header?.type !== 'POINT') {
    return `at 5: expected the POINT UnsupportedHeaderVersionError, got ${String(version)}`;
  }
  if (!(short instanceof MalformedMessageError) || short.header?.type !== 'TRANSFORM' || short.header.deviceName !== 'Short' || !sameBytes(short.frame!, shortTransform)) {
    return `at 7: expected the TRANSFORM MalformedMessageError with its frame, got ${String(short)}`;
  }
  return undefined;
}

// With resync 'skip' (files, decodeAll): the header version 0x0099 is reported as such and skipped.
// With 'stop' (the MessageDecoder default, network streams) it means the stream is lost: see
// 'resync stop' below.
const SKIP = { maxBodySize: LIMIT, resync: 'skip' } as const;

describe('a bad message in the middle is reported with its header and the stream goes on (resync skip)', () => {
  it('in one push (CRC flipped, BODY_SIZE over the limit, header version 0x0099, malformed body)', () => {
    expect(mixedMismatch(feed([mixed], SKIP))).toBeUndefined();
    expect(mixedMismatch(decodeAll(mixed, { maxBodySize: LIMIT }))).toBeUndefined();
  });

  it('split in two at every byte offset', () => {
    for (let at = 0; at <= mixed.length; at++) {
      const problem = mixedMismatch(feed(split(mixed, at), SKIP));
      if (problem) expect.fail(`split at ${at}: ${problem}`);
    }
  });

  it('in one-byte chunks and in random chunks', () => {
    expect(mixedMismatch(feed(oneByteChunks(mixed), SKIP))).toBeUndefined();
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 1, maxLength: 10 }), (sizes) => {
      expect(mixedMismatch(feed(sizedChunks(mixed, sizes), SKIP))).toBeUndefined();
    }), { seed: SEED, numRuns: 200 });
  });

  it('with resync stop, the same stream is lost at the header version 0x0099, whatever the chunks', () => {
    const stop = { maxBodySize: LIMIT, resync: 'stop' } as const;
    for (const chunks of [[mixed], [...oneByteChunks(mixed)], [...sizedChunks(mixed, [7, 300, 64])]]) {
      const out = feed(chunks, stop);
      expect(mixedMismatch([...out.slice(0, 5), ...decodeAll(mixed, { maxBodySize: LIMIT }).slice(5)])).toBeUndefined();
      expect(out).toHaveLength(6);
      const lost = out[5];
      expect(lost).toBeInstanceOf(DesyncError);
      if (!(lost instanceof DesyncError)) return;
      expect(lost.header?.type).toBe('POINT');
      expect(sameBytes(lost.bytes, versionBad.subarray(0, HEADER))).toBe(true);
    }
  });

  it('refuses the oversized body from its header, before any of it arrives, and holds none of it', () => {
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, { maxBodySize: LIMIT });
    decoder.push(bigImage.subarray(0, HEADER));
    expect(out).toHaveLength(1);
    expect(out[0]).toBeInstanceOf(BodyTooLargeError);
    decoder.push(bigImage.subarray(HEADER));
    expect(decoder.buffered).toBe(0);
    decoder.push(good[0]!);
    decoder.end();
    expect(out).toHaveLength(2);
    expectMessages(out.slice(1), [good[0]!], 'after the refused message');
  });
});

describe('end()', () => {
  const msg = vectorBytes('transform.v3.igtl');

  it('reports a partial header as a TruncatedMessageError with the bytes that arrived', () => {
    for (const chunks of [[msg.subarray(0, 30)], [...oneByteChunks(msg.subarray(0, 30))]]) {
      const out = feed(chunks);
      expect(out).toHaveLength(1);
      const err = out[0];
      expect(err).toBeInstanceOf(TruncatedMessageError);
      if (!(err instanceof TruncatedMessageError)) return;
      expect([err.expectedBytes, err.receivedBytes, err.header]).toEqual([58, 30, undefined]);
      expect(sameBytes(err.frame!, msg.subarray(0, 30))).toBe(true);
    }
  });

  it('reports a partial body as a TruncatedMessageError with its header and the bytes that arrived', () => {
    for (let at = 0; at <= 100; at += 7) {
      const out = feed([good[0]!, ...split(msg.subarray(0, 100), at)]);
      expect(out).toHaveLength(2);
      expectMessages(out.slice(0, 1), [good[0]!], 'before the partial message');
      const err = out[1];
      expect(err).toBeInstanceOf(TruncatedMessageError);
      if (!(err instanceof TruncatedMessageError)) return;
      expect([err.expectedBytes, err.receivedBytes]).toEqual([msg.length, 100]);
      expect([err.header?.type, err.header?.deviceName]).toEqual(['TRANSFORM', 'Stylus2Reference']);
      expect(sameBytes(err.frame!, msg.subarray(0, 100))).toBe(true);
    }
  });

  it('reports nothing when nothing is pending, and leaves the decoder ready for a new stream', () => {
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) });
    decoder.end();
    expect(out).toEqual([]);
    decoder.push(msg.subarray(0, 100));
    decoder.end();
    expect(out).toHaveLength(1);
    expect(decoder.buffered).toBe(0);
    decoder.push(msg);
    decoder.end();
    expect(out).toHaveLength(2);
    expectMessages(out.slice(1), [msg], 'after end()');
  });
});

describe('reset()', () => {
  const msg = vectorBytes('transform.v3.igtl');

  function afterReset(pending: Uint8Array, options: { maxBodySize?: number } = {}): Result[] {
    const out: Result[] = [];
    const decoder = new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, options);
    decoder.push(pending);
    const reported = out.length;
    decoder.reset();
    expect(decoder.buffered).toBe(0);
    decoder.push(msg);
    decoder.end();
    return out.slice(reported);
  }

  it('drops a partial header without reporting it', () => {
    expectMessages(afterReset(msg.subarray(0, 30)), [msg], 'after reset');
  });

  it('drops a partial body without reporting it', () => {
    expectMessages(afterReset(msg.subarray(0, 100)), [msg], 'after reset');
  });

  it('stops skipping the body of a refused message', () => {
    expectMessages(afterReset(bigImage.subarray(0, 100), { maxBodySize: LIMIT }), [msg], 'after reset');
  });

  it('clears the Framer state it reports through buffered and skipping', () => {
    const framer = new Framer({ frame() {}, error() {} }, { maxBodySize: LIMIT });
    framer.push(bigImage.subarray(0, 100));
    expect(framer.skipping).toBe(true);
    framer.reset();
    expect([framer.skipping, framer.buffered]).toEqual([false, 0]);
    framer.push(msg.subarray(0, 100));
    expect(framer.buffered).toBe(100);
    framer.reset();
    expect(framer.buffered).toBe(0);
  });
});

describe('zero copy', () => {
  const image = vectorBytes('image-uint8-3d.v3.igtl');

  it('decodes a message that lies wholly in one chunk in place: IMAGE data shares the chunk buffer', () => {
    // The chunk is a view in the middle of a larger buffer, as socket chunks often are.
    const backing = new Uint8Array(1000 + good[0]!.length + image.length + 1000);
    backing.set(good[0]!, 1000);
    backing.set(image, 1000 + good[0]!.length);
    const chunk = backing.subarray(1000, 1000 + good[0]!.length + image.length);
    const out = feed([chunk]);
    expect(out).toHaveLength(2);
    const msg = out[1];
    expect(msg !== undefined && !(msg instanceof IgtlError) && msg.type).toBe('IMAGE');
    if (msg === undefined || msg instanceof IgtlError || msg.type !== 'IMAGE') return;
    expect(msg.content.data.buffer).toBe(backing.buffer);
    // v3: 58-byte header, 12-byte extended header, 72-byte image header, then the pixels.
    expect(msg.content.data.byteOffset).toBe(1000 + good[0]!.length + HEADER + 12 + 72);
    expect(sameBytes(encodeMessage(msg), image)).toBe(true);
  });

  it('assembles a message split across chunks into its own buffer, with the same content', () => {
    const first = image.slice(0, 100);
    const second = image.slice(100);
    const out = feed([first, second]);
    const msg = out[0];
    if (msg === undefined || msg instanceof IgtlError || msg.type !== 'IMAGE') return expect.fail('expected an IMAGE');
    expect(msg.content.data.buffer).not.toBe(first.buffer);
    expect(msg.content.data.buffer).not.toBe(second.buffer);
    expect(sameBytes(encodeMessage(msg), image)).toBe(true);
  });
});

describe('a handler that throws', () => {
  // The framer finishes the chunk before it rethrows, so its state stays right for the next one.
  it('does not desynchronise the stream: the messages after it still arrive', () => {
    const [a, b, c] = ['transform.v1.igtl', 'status.v3.igtl', 'sensor.v1.igtl'].map((f) => vectorBytes(f)) as [Uint8Array, Uint8Array, Uint8Array];
    const out: Result[] = [];
    let first = true;
    const decoder = new MessageDecoder({
      message(m) {
        if (first) {
          first = false;
          throw new Error('subscriber bug');
        }
        out.push(m);
      },
      error: (e) => out.push(e),
    });
    const stream = concat([a, b, c]);
    const at = a.length + 100; // inside STATUS
    expect(() => decoder.push(stream.subarray(0, at))).toThrow('subscriber bug');
    decoder.push(stream.subarray(at));
    decoder.end();
    expectMessages(out, [b, c], 'after the throwing handler');
  });
});
