// The fast paths added for speed (bench/results.md) must never change what comes out:
// - the framer's allocation-free path (FrameHandler.frameAt) and the classic frame() path agree;
// - the intern caches of decoded text and header names return exactly the decoding of the bytes,
//   whatever collides in them;
// - the encoder's name caches and its legacy-framing fast path write exactly the bytes of the
//   general path, and still refuse what does not fit, every time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMessage,
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  EncodeError,
  Framer,
  MessageDecoder,
  escapedUtf8,
  readFixedString,
  readHeader,
  Timestamp,
  type FrameHeader,
  type IgtlError,
  type IgtlMessage,
  type ResyncMode,
} from '../../src/index.js';
import { escapedText } from '../../src/protocol/text.js';
import { implausibleHeader } from '../../src/protocol/framer.js';
import { anyMessage } from '../support/arbitraries.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240607);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** True when the header of an encoded message passes the stream sanity rules (resync 'stop'). */
function plausible(wire: Uint8Array): boolean {
  return implausibleHeader(wire, new DataView(wire.buffer, wire.byteOffset, wire.byteLength), 0) === undefined;
}

function chunks(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    out.push(bytes.subarray(off, off + n));
    off += n;
  }
  return out;
}

describe('framer fast path', () => {
  // Both resync modes: the arbitrary messages include device names with control bytes, which
  // 'stop' refuses (as a DesyncError, on both paths alike) and 'skip' frames.
  for (const resync of ['skip', 'stop'] as ResyncMode[]) {
    it(`frameAt and frame see the same messages at the same offsets (resync ${resync})`, () => {
      fc.assert(
        fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 5 }), (msgs, sizes) => {
          const parts = msgs.map((m) => encodeMessage(m));
          const wire = concat(parts);
          const fast: string[] = [];
          const slow: string[] = [];
          const withFast = new Framer({
            frame: (h: FrameHeader, bytes, _v, off) => fast.push(`frame ${h.type} ${h.deviceName} ${bytes.length - off >= 58 + h.bodySize}`),
            frameAt: (bytes, _v, off, size) => {
              const h = readHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), off);
              fast.push(`frame ${h.type} ${h.deviceName} ${h.bodySize === size}`);
            },
            error: (e: IgtlError) => fast.push(`error ${e.code}`),
          }, { resync });
          const classic = new Framer({
            frame: (h: FrameHeader, bytes, _v, off) => slow.push(`frame ${h.type} ${h.deviceName} ${bytes.length - off >= 58 + h.bodySize}`),
            error: (e: IgtlError) => slow.push(`error ${e.code}`),
          }, { resync });
          for (const c of chunks(wire, sizes)) {
            withFast.push(c);
            classic.push(c);
          }
          withFast.end();
          classic.end();
          expect(fast).toEqual(slow);
          const lost = resync === 'stop' ? parts.findIndex((p) => !plausible(p)) : -1;
          expect(fast.length).toBe(lost < 0 ? msgs.length : lost + 1);
          if (lost >= 0) expect(fast[lost]).toBe('error desync');
        }),
        { seed: SEED, numRuns: 150 },
      );
    });

    it(`MessageDecoder (fast path) decodes what decodeMessage decodes, whole or in chunks (resync ${resync})`, () => {
      fc.assert(
        fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 4 }), (msgs, sizes) => {
          const parts = msgs.map((m) => encodeMessage(m)).filter((p) => resync === 'skip' || plausible(p));
          const wire = concat(parts);
          const expected = parts.map((p) => encodeMessage(decodeMessage(p)));
          for (const feed of [[wire], chunks(wire, sizes)]) {
            const got: IgtlMessage[] = [];
            const d = new MessageDecoder({ message: (m) => got.push(m), error: (e) => { throw e; } }, { resync });
            for (const c of feed) d.push(c);
            d.end();
            expect(got.map((m) => encodeMessage(m))).toEqual(expected);
          }
        }),
        { seed: SEED, numRuns: 60 },
      );
    });
  }
});

describe('intern caches', () => {
  it('readFixedString and escapedText return the decoding of the bytes, for many colliding texts', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 200 }), (texts) => {
        // Each text twice (a miss then a hit), interleaved with the others.
        for (const round of [0, 1]) {
          for (const t of texts) {
            const field = new Uint8Array(t.length + 3);
            field.set(t, 1);
            const nul = t.indexOf(0);
            const upto = nul < 0 ? t : t.subarray(0, nul);
            // Both keep bytes that are not UTF-8 as escapes (issue 14); readFixedString stops at a NUL.
            expect(readFixedString(field, 1, t.length), `round ${round}`).toBe(escapedUtf8(upto, 0, upto.length));
            expect(escapedText(field, 1, 1 + t.length)).toBe(escapedUtf8(t, 0, t.length));
          }
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('header names are right for thousands of distinct (type, device) pairs, read twice', () => {
    const names: [string, string][] = [];
    for (let i = 0; i < 3000; i++) names.push([`T${i % 37}`, `Device-${i}-${(i * 7919) % 1000}`]);
    const wires = names.map(([t, d]) => encodeMessage({ type: 'UNKNOWN', typeName: t, headerVersion: 1, deviceName: d, timestamp: Timestamp.ZERO, messageId: 0, metadata: new Map(), content: { raw: new Uint8Array(0) } }));
    for (let round = 0; round < 2; round++) {
      wires.forEach((w, i) => {
        const h = readHeader(w, new DataView(w.buffer), 0);
        expect([h.type, h.deviceName]).toEqual(names[i]);
        const m = decodeMessage(w);
        expect(m.deviceName).toBe(names[i]![1]);
      });
    }
  });
});

describe('encoder fast paths', () => {
  it('encodeMessageInto writes the bytes of encodeMessage, for any message', () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(13), (msg, at) => {
        const want = encodeMessage(msg);
        const out = new Uint8Array(want.length + at + 5);
        expect(encodeMessageInto(msg, out, at)).toBe(want.length);
        expect(out.subarray(at, at + want.length)).toEqual(want);
      }),
      { seed: SEED, numRuns: 120 },
    );
  });

  it('device names beyond the caches (thousands of them) are written right', () => {
    const out = new Uint8Array(106);
    for (let i = 0; i < 6000; i++) {
      const name = `Tool${i}`;
      const msg = createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: name, timestamp: Timestamp.ZERO });
      encodeMessageInto(msg, out, 0);
      expect(decodeMessage(out).deviceName).toBe(name);
    }
  });

  it('a name that does not fit is refused every time, not only the first', () => {
    const long = 'X'.repeat(21);
    const msg = createMessage('TRANSFORM', { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: long });
    for (let i = 0; i < 3; i++) {
      expect(() => encodeMessage(msg)).toThrow(EncodeError);
      expect(() => encodeMessageInto(msg, new Uint8Array(200), 0)).toThrow(EncodeError);
    }
  });
});
