// The stream sanity rules (src/protocol/plausibility.ts): every header a real peer sends passes,
// each rule refuses what it names, and the framer's word-wise fast check agrees with the
// byte-wise rules on every field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { implausibleHeader } from '../../src/protocol/framer.js';
import { namesPlausible } from '../../src/protocol/plausibility.js';
import { readNames, slotPlausible } from '../../src/protocol/header.js';
import { manifest, vectorBytes } from '../support/vectors.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240611);

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A copy of a real header (TRANSFORM v1, "Stylus2Reference") with some fields changed. */
function header(edit: { version?: number; type?: number[]; device?: number[]; sizeHi?: number; sizeLo?: number } = {}): Uint8Array {
  const h = vectorBytes('transform.v1.igtl').slice(0, 58);
  const view = viewOf(h);
  if (edit.version !== undefined) view.setUint16(0, edit.version);
  if (edit.type) {
    h.fill(0, 2, 14);
    h.set(edit.type, 2);
  }
  if (edit.device) {
    h.fill(0, 14, 34);
    h.set(edit.device, 14);
  }
  if (edit.sizeHi !== undefined) view.setUint32(42, edit.sizeHi);
  if (edit.sizeLo !== undefined) view.setUint32(46, edit.sizeLo);
  return h;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const check = (h: Uint8Array): string | undefined => implausibleHeader(h, viewOf(h), 0);

describe('implausibleHeader', () => {
  it('passes the header of every golden vector a peer could send (messages, stream, CRC and size errors)', () => {
    for (const entry of manifest) {
      const bytes = vectorBytes(entry.file);
      if (bytes.length < 58 || entry.error === 'unsupported-header-version') continue;
      expect(check(bytes.subarray(0, 58)), entry.file).toBeUndefined();
    }
  });

  it('refuses header versions other than 1 and 2', () => {
    for (const version of [0, 3, 0x99, 0xffff]) expect(check(header({ version }))).toMatch(/header version/);
    for (const version of [1, 2]) expect(check(header({ version }))).toBeUndefined();
  });

  it('refuses an empty TYPE, a non-printable TYPE byte, and bytes after its NUL padding', () => {
    expect(check(header({ type: [] }))).toBe('TYPE is empty');
    expect(check(header({ type: [...ascii('TRANS'), 0x01] }))).toMatch(/TYPE byte 5/);
    expect(check(header({ type: [...ascii('TRANS'), 0x7f] }))).toMatch(/TYPE byte 5/);
    expect(check(header({ type: [...ascii('TRANS'), 0xc3, 0xa9] }))).toMatch(/TYPE byte 5/);
    expect(check(header({ type: [...ascii('TRANS'), 0, 0x41] }))).toMatch(/after its NUL padding/);
  });

  it('accepts a TYPE of 12 printable characters, custom ones included', () => {
    for (const t of ['ABCDEFGHIJKL', 'my type~!', 'X']) expect(check(header({ type: ascii(t) })), t).toBeUndefined();
  });

  it('refuses control bytes in DEVICE_NAME and bytes after its NUL, accepts UTF-8, Latin-1 and empty names', () => {
    expect(check(header({ device: [0x41, 0x0a, 0x42] }))).toMatch(/control byte 0x0a/);
    expect(check(header({ device: [0x41, 0x7f] }))).toMatch(/control byte 0x7f/);
    expect(check(header({ device: [0x41, 0, 0x42] }))).toMatch(/after its NUL terminator/);
    for (const device of [[], [...new TextEncoder().encode('Sonde-é→')], [0x63, 0x61, 0x66, 0xe9], new Array<number>(20).fill(0x5a)]) {
      expect(check(header({ device })), String(device)).toBeUndefined();
    }
  });

  it('accepts a BODY_SIZE of 4 GiB or more alone, not with a non-standard TYPE or a non-ASCII name', () => {
    expect(check(header({ sizeHi: 0xffffffff, sizeLo: 0xffffffff }))).toBeUndefined();
    expect(check(header({ sizeHi: 0xffffffff, type: ascii('transform') }))).toMatch(/BODY_SIZE 0xffffffff.*TYPE/);
    expect(check(header({ sizeHi: 1, device: [0xc3, 0xa9] }))).toMatch(/DEVICE_NAME/);
    expect(check(header({ sizeHi: 0, type: ascii('transform'), device: [0xc3, 0xa9] }))).toBeUndefined();
  });

  it('reads the header at its offset, in a view on a larger buffer', () => {
    const backing = new Uint8Array(200);
    backing.set(header({ version: 7 }), 100);
    const bytes = backing.subarray(3);
    expect(implausibleHeader(bytes, viewOf(bytes), 97)).toMatch(/header version 7/);
  });
});

describe('namesPlausible (the framer fast path) agrees with implausibleHeader', () => {
  // Bytes biased towards the boundaries of the rules: NUL, controls, 0x7f, printable, >= 0x80.
  const byte = fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x1f }) },
    { weight: 1, arbitrary: fc.constantFrom(0x7f, 0x80, 0x9f, 0xa0, 0xff, 0x20, 0x1f, 0x7e) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  );
  // A field is mostly "text then NULs", sometimes anything.
  const field = (size: number): fc.Arbitrary<number[]> => fc.oneof(
    fc.tuple(fc.array(byte.filter((b) => b !== 0), { maxLength: size }), fc.array(byte, { maxLength: 2 })).map(([text, tail]) => [...text, 0, ...tail].slice(0, size)),
    fc.array(byte, { minLength: size, maxLength: size }),
  );

  it('on random TYPE and DEVICE_NAME fields', () => {
    fc.assert(fc.property(field(12), field(20), fc.nat(5), (type, device, at) => {
      const h = header({ type, device });
      const backing = new Uint8Array(at + 58);
      backing.set(h, at);
      const slow = implausibleHeader(backing, viewOf(backing), at) === undefined;
      expect(namesPlausible(viewOf(backing), at), `type ${type} device ${device}`).toBe(slow);
    }), { seed: SEED, numRuns: 20_000 });
  });

  it('on every single byte value at every position of each field', () => {
    for (const [start, size] of [[2, 12], [14, 20]] as const) {
      for (let pos = 0; pos < size; pos++) {
        for (let b = 0; b < 256; b++) {
          const h = header({ type: ascii('ABCDEFGHIJKL'), device: new Array<number>(20).fill(0x61) });
          h[start + pos] = b;
          expect(namesPlausible(viewOf(h), 0), `offset ${start + pos} byte ${b}`).toBe(check(h) === undefined);
          h.fill(0, start + pos + 1, start + size);
          expect(namesPlausible(viewOf(h), 0), `offset ${start + pos} byte ${b} then NULs`).toBe(check(h) === undefined);
        }
      }
    }
  });

  it('behind the name cache (header.ts), on streams that repeat, collide and mix good and bad names', () => {
    fc.assert(fc.property(fc.array(fc.tuple(field(12), field(20)), { minLength: 1, maxLength: 300 }), fc.array(fc.nat(299), { maxLength: 600 }), (pairs, order) => {
      for (const i of [...pairs.keys(), ...order]) {
        const [type, device] = pairs[i % pairs.length]!;
        const h = header({ type, device });
        const slot = readNames(h, viewOf(h), 0);
        expect(slotPlausible(slot)).toBe(namesPlausible(viewOf(h), 0));
      }
    }), { seed: SEED, numRuns: 300 });
  });
});

