// Keys and strings from the wire are data, never code paths: prototypes stay untouched, invalid
// text decodes without throwing, and relaying it is byte-exact.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMessage, decodeMessage, DesyncError, encodeMessage, fromJSON, IgtlError, MessageDecoder, stringifyJSON, toJSON, Timestamp, type IgtlMessage,
} from '../../src/index.js';

describe('hostile metadata keys', () => {
  it('keeps __proto__, constructor and friends as plain Map keys', () => {
    const keys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];
    const msg = createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { metadata: new Map(keys.map((k) => [k, { value: `v-${k}`, encoding: 3 }])) });
    const decoded = decodeMessage(encodeMessage(msg));
    expect([...decoded.metadata.keys()]).toEqual(keys);
    expect(decoded.metadata.get('__proto__')?.value).toBe('v-__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    const again = fromJSON(JSON.parse(stringifyJSON(toJSON(decoded))));
    expect([...again.metadata.keys()]).toEqual(keys);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'v-__proto__')).toBe(false);
  });

  it('does not let a JSON message with __proto__ fields touch prototypes', () => {
    const text = '{"type":"STATUS","headerVersion":1,"deviceName":"d","timestampRaw":"0","__proto__":{"polluted":1},"content":{"code":1,"subcode":"0","errorName":"","statusMessage":"","__proto__":{"polluted":2}}}';
    const msg = fromJSON(text);
    expect(msg.type).toBe('STATUS');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('invalid or unknown text encodings', () => {
  const cases: [string, number, number[]][] = [
    ['invalid UTF-8', 106, [0x41, 0xc3, 0x28, 0xff, 0x42]],
    ['a UTF-8 BOM', 106, [0xef, 0xbb, 0xbf, 0x41]],
    ['non-ASCII bytes declared US-ASCII', 3, [0x41, 0xe9, 0x42]],
    ['an encoding no platform knows', 9999, [0x00, 0x80, 0xfe, 0x41]],
    ['Latin-1', 4, [0x63, 0x61, 0x66, 0xe9]],
  ];
  for (const [name, encoding, bytes] of cases) {
    it(`decodes ${name} without throwing and relays the exact bytes`, () => {
      const msg = createMessage('STRING', { encoding, value: '', raw: new Uint8Array(bytes) }, { timestamp: Timestamp.ZERO, metadata: new Map([['k', { value: '', encoding, raw: new Uint8Array(bytes) }]]) });
      const wire = encodeMessage(msg);
      const decoded = decodeMessage(wire) as IgtlMessage & { type: 'STRING' };
      expect(typeof decoded.content.value).toBe('string');
      expect(Buffer.from(encodeMessage(decoded)).equals(Buffer.from(wire))).toBe(true);
      const viaJson = fromJSON(JSON.parse(stringifyJSON(toJSON(decoded))));
      expect(Buffer.from(encodeMessage(viaJson)).equals(Buffer.from(wire))).toBe(true);
    });
  }

  it('shows replacement characters for invalid UTF-8', () => {
    const msg = createMessage('STRING', { encoding: 106, value: '', raw: new Uint8Array([0x41, 0xff, 0x42]) }, { timestamp: Timestamp.ZERO });
    const decoded = decodeMessage(encodeMessage(msg)) as IgtlMessage & { type: 'STRING' };
    expect(decoded.content.value).toBe('A\ufffdB');
  });

  it('reads names with invalid UTF-8 without throwing', () => {
    const wire = encodeMessage(createMessage('GET_STATUS', {}, { deviceName: 'abcd', timestamp: Timestamp.ZERO }));
    wire[14] = 0xff;
    wire[15] = 0xc3;
    // Kept as escapes of the two bytes (issue 14), so the name re-encodes to them.
    expect(decodeMessage(wire).deviceName).toBe('\udcff\udcc3cd');
    expect(encodeMessage(decodeMessage(wire))).toEqual(wire);
  });
});

// OpenIGTLink has no sync marker: a header no peer would send means the byte stream is lost. A
// network decoder (resync 'stop', the default) says so once, as a DesyncError, and turns nothing
// after it into messages until reset(); a file decoder (resync 'skip') goes on as before. Neither
// ever throws anything but the handler's own errors.
describe('a lost byte stream', () => {
  const SEED = Number(process.env.IGTL_FC_SEED ?? 20240612);
  const good = encodeMessage(createMessage('TRANSFORM', { matrix: [1, 0, 0, 5, 0, 1, 0, 6, 0, 0, 1, 7, 0, 0, 0, 1] }, { deviceName: 'Stylus', timestamp: Timestamp.ZERO }));

  function collect(options: { resync?: 'stop' | 'skip'; verifyCrc?: boolean } = {}): { out: (IgtlMessage | IgtlError)[]; decoder: MessageDecoder } {
    const out: (IgtlMessage | IgtlError)[] = [];
    return { out, decoder: new MessageDecoder({ message: (m) => out.push(m), error: (e) => out.push(e) }, options) };
  }

  /** A header with BODY_SIZE 2^64 - 1 and a TYPE of garbage bytes. */
  function hostileHeader(): Uint8Array {
    const h = good.slice(0, 58);
    h.set([0x01, 0xfe, 0x41, 0x00, 0x13], 2);
    new DataView(h.buffer).setBigUint64(42, 2n ** 64n - 1n);
    return h;
  }

  it('BODY_SIZE 2^64-1 with a garbage TYPE: one DesyncError, later messages ignored until reset(), then decoded', () => {
    const { out, decoder } = collect();
    decoder.push(good);
    decoder.push(hostileHeader());
    expect(out).toHaveLength(2);
    const lost = out[1];
    expect(lost).toBeInstanceOf(DesyncError);
    if (!(lost instanceof DesyncError)) return;
    expect(lost.code).toBe('desync');
    expect(lost.reason).toMatch(/TYPE byte 0 is 0x01/);
    expect(Buffer.from(lost.bytes).equals(Buffer.from(hostileHeader()))).toBe(true);
    expect(lost.header?.bodySizeBig).toBe(2n ** 64n - 1n);
    expect([decoder.desynced, decoder.skipping, decoder.skipRemaining, decoder.buffered]).toEqual([true, false, 0, 0]);

    for (const c of [good, good.subarray(0, 30), good, hostileHeader()]) decoder.push(c);
    decoder.end(); // a lost stream is not reported again, nor truncated
    expect(out).toHaveLength(2);

    decoder.reset();
    expect(decoder.desynced).toBe(false);
    decoder.push(good);
    decoder.push(good.subarray(0, 70));
    decoder.push(good.subarray(70));
    expect(out).toHaveLength(4);
    expect(out.slice(2).every((r) => !(r instanceof IgtlError) && r.type === 'TRANSFORM')).toBe(true);
  });

  it('the same header arriving in pieces is the same loss, reported once', () => {
    const { out, decoder } = collect();
    const wire = Buffer.concat([good, hostileHeader(), good]);
    for (let i = 0; i < wire.length; i += 5) decoder.push(wire.subarray(i, i + 5));
    expect(out.map((r) => (r instanceof IgtlError ? r.code : r.type))).toEqual(['TRANSFORM', 'desync']);
  });

  it('header version 0 is a lost stream for a network decoder, read as 1 in a file (as the C++ library does)', () => {
    const v0 = good.slice();
    new DataView(v0.buffer).setUint16(0, 0);
    const stop = collect();
    stop.decoder.push(v0);
    expect(stop.out.map((r) => (r instanceof IgtlError ? r.code : r.type))).toEqual(['desync']);
    const skip = collect({ resync: 'skip' });
    skip.decoder.push(v0);
    expect(skip.out.map((r) => (r instanceof IgtlError ? r.code : r.type))).toEqual(['TRANSFORM']);
  });

  it('a plausible header over the limit is still a BodyTooLargeError, skipped, in both modes', () => {
    for (const resync of ['stop', 'skip'] as const) {
      const { out, decoder } = collect({ resync });
      const big = good.slice(0, 58);
      new DataView(big.buffer).setBigUint64(42, 2n ** 64n - 1n);
      decoder.push(big);
      expect(out.map((r) => (r instanceof IgtlError ? r.code : r.type))).toEqual(['body-too-large']);
      expect([decoder.desynced, decoder.skipping, decoder.skipRemaining]).toEqual([false, true, 2 ** 64]);
    }
  });

  const garbage = fc.uint8Array({ minLength: 0, maxLength: 4000 });
  const chunkSizes = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 6 });

  function pushAll(decoder: MessageDecoder, bytes: Uint8Array, sizes: readonly number[]): void {
    for (let off = 0, i = 0; off < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      expect(() => decoder.push(bytes.subarray(off, off + n))).not.toThrow();
      off += n;
    }
    expect(() => decoder.end()).not.toThrow();
  }

  it('random garbage after good messages, resync stop: the good ones, at most one DesyncError, nothing after it', () => {
    fc.assert(fc.property(fc.nat(3), garbage, chunkSizes, (before, junk, sizes) => {
      const { out, decoder } = collect();
      const wire = Buffer.concat([...new Array<Uint8Array>(before).fill(good), junk, good, good]);
      pushAll(decoder, wire, sizes);
      expect(out.slice(0, before).every((r) => !(r instanceof IgtlError) && r.type === 'TRANSFORM')).toBe(true);
      const rest = out.slice(before);
      const lost = rest.findIndex((r) => r instanceof DesyncError);
      expect(rest.filter((r) => r instanceof DesyncError).length).toBeLessThanOrEqual(1);
      if (lost >= 0) expect(rest).toHaveLength(lost + 1);
      for (const r of rest) expect(r instanceof IgtlError || r.type === 'TRANSFORM').toBe(true);
    }), { seed: SEED, numRuns: 300 });
  });

  it('random garbage alone, resync stop: only IgtlErrors, at most one DesyncError, and it is the last report', () => {
    fc.assert(fc.property(garbage, chunkSizes, fc.boolean(), (junk, sizes, verifyCrc) => {
      const { out, decoder } = collect({ verifyCrc });
      pushAll(decoder, junk, sizes);
      expect(out.every((r) => r instanceof IgtlError)).toBe(true);
      const lost = out.findIndex((r) => r instanceof DesyncError);
      if (lost >= 0) expect(out).toHaveLength(lost + 1);
      // A stream of at least one header's worth of random bytes is lost at its first header.
      if (junk.length >= 58) expect(lost).toBe(0);
    }), { seed: SEED, numRuns: 500 });
  });

  it('random garbage, resync skip: only IgtlErrors, never a throw', () => {
    fc.assert(fc.property(garbage, chunkSizes, (junk, sizes) => {
      const { out, decoder } = collect({ resync: 'skip' });
      pushAll(decoder, junk, sizes);
      expect(out.every((r) => r instanceof IgtlError)).toBe(true);
      expect(out.some((r) => r instanceof DesyncError)).toBe(false);
    }), { seed: SEED, numRuns: 500 });
  });
});
