// Property tests over every message type (seeded, bounded):
// (1) valid messages survive encode -> decode -> encode and the canonical JSON text byte for byte;
// (2) hostile bytes (random, golden vectors and valid messages with bit flips, truncations,
//     insertions and lying size fields) never make a decoder throw, hang or allocate past the
//     limit: every result is a message or a typed IgtlError, and one push and random chunks agree.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BodyTooLargeError,
  crc64,
  decodeAll,
  decodeMessage,
  DesyncError,
  encodeMessage,
  fromJSON,
  IgtlError,
  MessageDecoder,
  standardCodecs,
  stringifyJSON,
  Timestamp,
  toJSON,
  wireType,
  type IgtlMessage,
} from '../../src/index.js';
import { ALL_TYPES, anyMessage, messageOf, metadata, unknownMessage, widen } from '../support/arbitraries.js';
import { manifest, vectorBytes } from '../support/vectors.js';

const SEED = Number(process.env.IGTL_FC_SEED ?? 20240601);
/** Runs per property: 200 in `npm test`; `npm run fuzz` raises it (IGTL_FC_RUNS). */
const RUNS = Number(process.env.IGTL_FC_RUNS ?? 200);
/** Cases executed (round trips and hostile inputs), reported by `npm run fuzz`. */
const cases = { roundTrips: 0, hostile: 0 };
afterAll(() => {
  if (process.env.IGTL_FC_REPORT) {
    process.stdout.write(`\nfuzz: seed ${SEED}, ${RUNS} runs per property, ${cases.roundTrips} round trips, ${cases.hostile} hostile inputs decoded\n`);
  }
});
/** A small body-size limit, so that lying sizes are refused instead of waited for. */
const LIMIT = 1 << 20;
const HEADER = 58;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function hexDiff(a: Uint8Array, b: Uint8Array): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `lengths ${a.length}/${b.length}, first difference at byte ${i}`;
}

function expectSameBytes(got: Uint8Array, expected: Uint8Array, what: string): void {
  if (!sameBytes(got, expected)) expect.fail(`${what}: ${hexDiff(got, expected)}`);
}

// -------------------------------------------------------------------------------------------
// (1) Round trips

function roundTrip(msg: IgtlMessage): void {
  cases.roundTrips++;
  const bytes = encodeMessage(msg);
  const decoded = decodeMessage(bytes);
  expectSameBytes(encodeMessage(decoded), bytes, 'encode(decode(bytes))');
  expectSameBytes(encodeMessage(fromJSON(stringifyJSON(toJSON(decoded)))), bytes, 'JSON text of the decoded message');
  expectSameBytes(encodeMessage(fromJSON(stringifyJSON(toJSON(msg)))), bytes, 'JSON text of the original message');
}

describe('valid messages re-encode byte for byte', () => {
  for (const type of ALL_TYPES) {
    it(`${type}: encode -> decode -> encode, and toJSON -> text -> fromJSON -> encode`, () => {
      fc.assert(fc.property(messageOf(type), (msg) => roundTrip(widen(msg))), { seed: SEED, numRuns: RUNS });
    });
  }

  it('unknown types pass through byte for byte', () => {
    fc.assert(fc.property(unknownMessage, (msg) => roundTrip(msg)), { seed: SEED, numRuns: RUNS });
  });

  it('every standard codec has an arbitrary', () => {
    expect([...ALL_TYPES].sort()).toEqual(standardCodecs.map((c) => c.type).sort());
  });

  it('both header versions are generated, with metadata and message IDs in v2', () => {
    const samples = fc.sample(messageOf('TRANSFORM'), { seed: SEED, numRuns: 200 });
    expect(samples.some((m) => m.headerVersion === 1)).toBe(true);
    expect(samples.some((m) => m.headerVersion === 2 && m.metadata.size > 0 && m.messageId !== 0)).toBe(true);
    expect(fc.sample(metadata, { seed: SEED, numRuns: 200 }).some((m) => [...m.values()].some((v) => /[^\x00-\xff]/.test(v.value)))).toBe(true);
  });
});

describe('text that starts with U+FEFF', () => {
  it('survives as a device name and as a metadata key in messages of every type', () => {
    fc.assert(fc.property(anyMessage, fc.boolean(), (msg, asKey) => {
      if (asKey) roundTrip({ ...msg, headerVersion: 2, metadata: new Map([['\uFEFFkey', { value: 'v', encoding: 3 }]]) });
      else roundTrip({ ...msg, deviceName: '\uFEFFdevice' });
    }), { seed: SEED, numRuns: RUNS, endOnFailure: true });
  });
});

// -------------------------------------------------------------------------------------------
// (2) Hostile input

/** A field that declares a size or a count, where a lie is most likely to hurt. */
interface Field {
  readonly offset: number;
  readonly width: 1 | 2 | 4 | 8;
}

function readU(bytes: Uint8Array, offset: number, width: number): bigint {
  let v = 0n;
  for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

function writeU(bytes: Uint8Array, offset: number, width: number, value: bigint): void {
  let v = BigInt.asUintN(width * 8, value);
  for (let i = width - 1; i >= 0; i--) {
    bytes[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function typeAt(bytes: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 2; i < 14 && bytes[offset + i] !== 0; i++) s += String.fromCharCode(bytes[offset + i]!);
  return s;
}

/**
 * The size and count fields of every message in `bytes` (walking by BODY_SIZE while it is
 * plausible): BODY_SIZE, the extended header and metadata sizes, and per type the element
 * counts and sizes (POLYDATA, BIND, GET_BIND, STT_BIND, NDARRAY, IMAGE, VIDEO, SENSOR, STRING,
 * COMMAND, COLORT).
 */
function sizeFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  const add = (offset: number, width: Field['width']): void => {
    if (offset >= 0 && offset + width <= bytes.length) fields.push({ offset, width });
  };
  let off = 0;
  while (off + HEADER <= bytes.length) {
    const version = Number(readU(bytes, off, 2));
    const bodySize = readU(bytes, off + 42, 8);
    add(off, 2);
    add(off + 42, 8);
    const bodyStart = off + HEADER;
    const bodyEnd = bodyStart + Number(bodySize);
    if (bodySize > BigInt(bytes.length) || bodyEnd > bytes.length) break;
    let cs = bodyStart;
    let ce = bodyEnd;
    if (version === 2 && bodySize >= 12n) {
      add(bodyStart, 2);
      add(bodyStart + 2, 2);
      add(bodyStart + 4, 4);
      const ext = Number(readU(bytes, bodyStart, 2));
      const mh = Number(readU(bytes, bodyStart + 2, 2));
      const ms = Number(readU(bytes, bodyStart + 4, 4));
      if (ext + mh + ms <= Number(bodySize)) {
        cs = bodyStart + ext;
        ce = bodyEnd - mh - ms;
        if (mh >= 2) {
          add(ce, 2);
          const count = Math.min(Number(readU(bytes, ce, 2)), (mh - 2) / 8, 16);
          for (let i = 0; i < count; i++) {
            add(ce + 2 + 8 * i, 2);
            add(ce + 2 + 8 * i + 4, 4);
          }
        }
      }
    }
    const clen = ce - cs;
    const u16At = (o: number): number => (o + 2 <= ce ? Number(readU(bytes, o, 2)) : 0);
    const type = typeAt(bytes, off);
    switch (type) {
      case 'POLYDATA':
        for (let i = 0; i < 40; i += 4) add(cs + i, 4);
        break;
      case 'BIND': {
        add(cs, 2);
        const n = Math.min(u16At(cs), Math.floor(clen / 20), 32);
        for (let i = 0; i < n; i++) add(cs + 2 + 20 * i + 12, 8);
        add(cs + 2 + 20 * u16At(cs), 2);
        break;
      }
      case 'STT_BIND':
      case 'GET_BIND': {
        // STT_BIND: the GET_BIND layout after the 8-byte resolution.
        const list = type === 'STT_BIND' ? cs + 8 : cs;
        add(list, 2);
        add(list + 2 + 12 * u16At(list), 2);
        break;
      }
      case 'NDARRAY': {
        add(cs, 1);
        add(cs + 1, 1);
        const dim = cs + 2 <= ce ? bytes[cs + 1]! : 0;
        for (let i = 0; i < Math.min(dim, 8); i++) add(cs + 2 + 2 * i, 2);
        break;
      }
      case 'IMAGE':
        add(cs, 2);
        add(cs + 2, 1);
        add(cs + 3, 1);
        for (let i = 6; i < 12; i += 2) add(cs + i, 2);
        for (let i = 60; i < 72; i += 2) add(cs + i, 2);
        break;
      case 'VIDEO':
        add(cs, 2);
        for (let i = 10; i < 16; i += 2) add(cs + i, 2);
        for (let i = 64; i < 76; i += 2) add(cs + i, 2);
        break;
      case 'SENSOR':
        add(cs, 1);
        break;
      case 'STRING':
        add(cs, 2);
        add(cs + 2, 2);
        break;
      case 'COMMAND':
      case 'RTS_COMMAND':
        add(cs + 132, 2);
        add(cs + 134, 4);
        break;
      case 'COLORT':
      case 'COLORTABLE':
        add(cs, 1);
        add(cs + 1, 1);
        break;
      default:
        break;
    }
    off = bodyEnd;
  }
  return fields;
}

/** Recomputes the CRC of every message whose declared body is present, so mutations reach the codecs. */
function fixCrcs(bytes: Uint8Array): void {
  let off = 0;
  while (off + HEADER <= bytes.length) {
    const bodySize = readU(bytes, off + 42, 8);
    if (bodySize > BigInt(bytes.length - off - HEADER)) return;
    const end = off + HEADER + Number(bodySize);
    writeU(bytes, off + 50, 8, crc64(bytes, off + HEADER, end));
    off = end;
  }
}

/** A new value for a field: a boundary, a random value, or a small change of the true one. */
type Lie = { readonly set: bigint } | { readonly delta: number } | { readonly times: number };
const lie: fc.Arbitrary<Lie> = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 3n, 0x7fn, 0xffn, 0x100n, 0xfffen, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, BigInt(LIMIT), BigInt(LIMIT + 1), (1n << 53n) + 1n, (1n << 64n) - 1n).map((set) => ({ set })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((set) => ({ set })),
  fc.integer({ min: -3, max: 3 }).map((delta) => ({ delta })),
  fc.constantFrom(2, 3, 1000).map((times) => ({ times })),
);

function tell(bytes: Uint8Array, field: Field, l: Lie): void {
  const old = readU(bytes, field.offset, field.width);
  const value = 'set' in l ? l.set : 'delta' in l ? old + BigInt(l.delta) : old * BigInt(l.times);
  writeU(bytes, field.offset, field.width, value);
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'field'; readonly pick: number; readonly lie: Lie }
  | { readonly kind: 'overwrite'; readonly at: number; readonly width: 1 | 2 | 4 | 8; readonly lie: Lie };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('field' as const), pick: fc.nat(), lie }) },
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), width: fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8), lie }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = input.slice();
  for (const m of mutations) {
    if (bytes.length === 0) break;
    switch (m.kind) {
      case 'flip':
        bytes[m.at % bytes.length]! ^= 1 << m.bit;
        break;
      case 'truncate':
        bytes = bytes.slice(0, m.at % bytes.length);
        break;
      case 'insert': {
        const at = m.at % (bytes.length + 1);
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(m.bytes, at);
        out.set(bytes.subarray(at), at + m.bytes.length);
        bytes = out;
        break;
      }
      case 'field': {
        const fields = sizeFields(bytes);
        if (fields.length > 0) tell(bytes, fields[m.pick % fields.length]!, m.lie);
        break;
      }
      case 'overwrite': {
        if (bytes.length >= m.width) tell(bytes, { offset: m.at % (bytes.length - m.width + 1), width: m.width }, m.lie);
        break;
      }
    }
  }
  return bytes;
}

function isMessage(r: unknown): r is IgtlMessage {
  if (r === null || typeof r !== 'object' || r instanceof Error) return false;
  const m = r as Partial<IgtlMessage>;
  return typeof m.type === 'string' && (m.headerVersion === 1 || m.headerVersion === 2) && typeof m.deviceName === 'string' &&
    m.timestamp instanceof Timestamp && m.metadata instanceof Map && typeof m.messageId === 'number' && m.content !== undefined;
}

function summary(r: IgtlMessage | IgtlError): string {
  return r instanceof IgtlError ? `${r.code} ${r.header?.type ?? '-'} ${r.header?.bodySizeBig ?? '-'}` : `${wireType(r)} ${r.deviceName}`;
}

/**
 * Checks that `msg`, decoded from `bytes`, re-encodes to them but for what docs/json.md ("What
 * does not re-encode byte for byte") lets go: bytes that hold no value (after a name's NUL,
 * reserved, pad) written as zero, and a NaN's bits. Same length, same values, any other byte kept.
 */
function expectReencoded(bytes: Uint8Array, msg: IgtlMessage, what: string): void {
  const again = encodeMessage(msg);
  expect(again.length).toBe(bytes.length);
  const values = stringifyJSON(toJSON(msg));
  expect(stringifyJSON(toJSON(decodeMessage(again)))).toBe(values);
  const changed: number[] = [];
  // Bytes 50..57 are the CRC, which changes with the body.
  for (let i = 0; i < again.length; i++) if (again[i] !== bytes[i] && again[i] !== 0 && (i < 50 || i >= HEADER)) changed.push(i);
  if (changed.length > 0 && !values.includes('"NaN"')) expect.fail(`${what}: bytes ${changed.slice(0, 8).join(', ')} re-encoded to other non-zero values`);
}

/**
 * Feeds `bytes` to decodeAll and, in `chunks`-sized pieces, to a MessageDecoder, and checks
 * everything a hostile input must not break. Returns the results.
 */
function feedHostile(bytes: Uint8Array, chunks: readonly number[], verifyCrc: boolean): (IgtlMessage | IgtlError)[] {
  cases.hostile++;
  // The streaming decoder reads like decodeAll (resync 'skip', files) so the two must agree; a
  // third, with 'stop' (network streams), must agree with them up to where it reports the stream
  // lost (at most once), then report nothing more.
  const options = { maxBodySize: LIMIT, verifyCrc, resync: 'skip' as const };
  const started = performance.now();
  let whole: (IgtlMessage | IgtlError)[] = [];
  expect(() => { whole = decodeAll(bytes, options); }).not.toThrow();

  const streamed: (IgtlMessage | IgtlError)[] = [];
  const decoder = new MessageDecoder({ message: (m) => streamed.push(m), error: (e) => streamed.push(e) }, options);
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = chunks.length === 0 ? bytes.length : chunks[i % chunks.length]!;
    expect(() => decoder.push(bytes.subarray(off, off + n))).not.toThrow();
    // Never more held than one header and a body under the limit.
    expect(decoder.buffered).toBeLessThanOrEqual(HEADER + LIMIT);
    off += n;
  }
  expect(() => decoder.end()).not.toThrow();
  expect(performance.now() - started).toBeLessThan(2000);

  for (const r of [...whole, ...streamed]) {
    expect(r instanceof IgtlError || isMessage(r)).toBe(true);
    if (r instanceof IgtlError && r.header) {
      // Oversized frames are refused from the header, as BodyTooLargeError, and only they are.
      const over = r.header.bodySizeBig > BigInt(LIMIT);
      expect(r instanceof BodyTooLargeError).toBe(over);
    }
  }
  expect(streamed.map(summary)).toEqual(whole.map(summary));

  const stopped: (IgtlMessage | IgtlError)[] = [];
  const stopDecoder = new MessageDecoder({ message: (m) => stopped.push(m), error: (e) => stopped.push(e) }, { ...options, resync: 'stop' });
  off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = chunks.length === 0 ? bytes.length : chunks[i % chunks.length]!;
    expect(() => stopDecoder.push(bytes.subarray(off, off + n))).not.toThrow();
    off += n;
  }
  expect(() => stopDecoder.end()).not.toThrow();
  const lost = stopped.findIndex((r) => r instanceof DesyncError);
  expect(stopped.filter((r) => r instanceof DesyncError).length).toBeLessThanOrEqual(1);
  if (lost < 0) expect(stopped.map(summary)).toEqual(whole.map(summary));
  else {
    expect(stopped).toHaveLength(lost + 1);
    expect(stopped.slice(0, lost).map(summary)).toEqual(whole.slice(0, lost).map(summary));
  }
  return whole;
}

const chunkSizes = fc.oneof(fc.constant<number[]>([]), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }));

const goodFiles = manifest.filter((e) => e.kind === 'message').map((e) => e.file);
const allFiles = manifest.map((e) => e.file);

/** Concatenated encodings of 1-3 valid messages of any type. */
const validStream = fc.array(anyMessage, { minLength: 1, maxLength: 3 }).map((msgs) => {
  const parts = msgs.map((m) => encodeMessage(m));
  return Buffer.concat(parts);
});

describe('hostile input never breaks the decoders', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 400 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })), chunkSizes, fc.boolean(), (bytes, chunks, crc) => {
      feedHostile(bytes, chunks, crc);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('well-framed messages of every known type with random content', () => {
    const frames = fc.tuple(fc.constantFrom(...ALL_TYPES), fc.uint8Array({ maxLength: 300 }), fc.constantFrom<1 | 2>(1, 2), metadata).map(([typeName, raw, headerVersion, meta]) => encodeMessage({
      type: 'UNKNOWN', typeName, headerVersion, deviceName: 'Fuzz', timestamp: Timestamp.ZERO,
      messageId: 0, metadata: headerVersion === 2 ? meta : new Map(), content: { raw },
    }));
    fc.assert(fc.property(fc.array(frames, { minLength: 1, maxLength: 3 }), chunkSizes, (parts, chunks) => {
      feedHostile(Buffer.concat(parts), chunks, true);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('golden vectors with bit flips, truncations, insertions and lying size fields', () => {
    fc.assert(fc.property(
      fc.constantFrom(...allFiles), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), chunkSizes, fc.boolean(),
      (file, mutations, fix, chunks, crc) => {
        const bytes = mutate(vectorBytes(file), mutations);
        if (fix) fixCrcs(bytes);
        feedHostile(bytes, chunks, crc);
      },
    ), { seed: SEED, numRuns: RUNS });
  });

  it('valid messages of every type with the same mutations, CRCs recomputed so the codecs see them', () => {
    fc.assert(fc.property(validStream, fc.array(mutation, { minLength: 1, maxLength: 3 }), chunkSizes, (stream, mutations, chunks) => {
      const bytes = mutate(stream, mutations);
      fixCrcs(bytes);
      feedHostile(bytes, chunks, true);
    }), { seed: SEED, numRuns: RUNS });
  });

  it('a mutated message that decodes re-encodes to its bytes, but for bytes that hold no value (written as zero) and NaN bits', () => {
    // docs/json.md, "What does not re-encode byte for byte": padding after a name's NUL, reserved
    // and pad bytes are written as zeros, a NaN may come back as another NaN; header VERSION 0 and
    // the two v3 layouts re-encoded in the canonical form (a longer extended header, no metadata
    // header) are skipped.
    fc.assert(fc.property(fc.constantFrom(...goodFiles), fc.array(mutation, { minLength: 1, maxLength: 3 }), (file, mutations) => {
      const bytes = mutate(vectorBytes(file), mutations);
      fixCrcs(bytes);
      let msg: IgtlMessage;
      try {
        msg = decodeMessage(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(IgtlError);
        return;
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      // Header VERSION 0 is read as 1 and written as 1.
      if (view.getUint16(0) === 0) return;
      if (msg.headerVersion === 2) {
        if (view.getUint16(HEADER) !== 12 || (view.getUint16(HEADER + 2) === 0 && view.getUint32(HEADER + 4) === 0)) return;
      }
      expectReencoded(bytes, msg, file);
    }), { seed: SEED, numRuns: RUNS * 5 });
  });

  it('a BIND whose child contents are damaged keeps every child and re-encodes byte for byte', () => {
    // bind.md frames each child by its size: damage inside one child's content is that child's
    // alone. It decodes (a refused child kept raw with its error) and re-encodes to the bytes.
    fc.assert(fc.property(messageOf('BIND'), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (built, damage) => {
      const bytes = encodeMessage(widen(built)).slice();
      const view = new DataView(bytes.buffer);
      const content = bytes.length - view.getUint32(42 + 4) + (built.headerVersion === 2 ? 12 : 0);
      const nchild = view.getUint16(content);
      if (nchild === 0) return;
      const tableAt = content + 2 + 20 * nchild;
      let at = tableAt + 2 + view.getUint16(tableAt);
      const regions: [number, number][] = [];
      for (let i = 0; i < nchild; i++) {
        const size = view.getUint32(content + 2 + 20 * i + 16);
        regions.push([at, size]);
        at += size + (size % 2);
      }
      for (const [pick, value] of damage) {
        const [start, size] = regions[pick % nchild]!;
        if (size > 0) bytes[start + (Math.floor(pick / nchild) % size)] = value;
      }
      fixCrcs(bytes);
      const msg = decodeMessage(bytes);
      expect(msg.type === 'BIND' && msg.content.children.length).toBe(nchild);
      expectReencoded(bytes, msg, 'damaged BIND');
      expectReencoded(bytes, fromJSON(stringifyJSON(toJSON(msg))), 'JSON text of the damaged BIND');
    }), { seed: SEED, numRuns: RUNS });
  });

  it('a BODY_SIZE over the limit is refused from the header; the messages before it arrive', () => {
    fc.assert(fc.property(
      fc.array(fc.constantFrom(...goodFiles), { minLength: 1, maxLength: 4 }), fc.bigInt({ min: BigInt(LIMIT) + 1n, max: (1n << 64n) - 1n }), chunkSizes,
      (files, bodySize, chunks) => {
        const parts = files.map((f) => vectorBytes(f));
        const last = parts[parts.length - 1]!.slice();
        writeU(last, 42, 8, bodySize);
        const results = feedHostile(Buffer.concat([...parts.slice(0, -1), last]), chunks, true);
        expect(results).toHaveLength(parts.length);
        results.slice(0, -1).forEach((r, i) => expect(isMessage(r) && sameBytes(encodeMessage(r), parts[i]!)).toBe(true));
        const refused = results[results.length - 1];
        expect(refused).toBeInstanceOf(BodyTooLargeError);
        expect(refused instanceof BodyTooLargeError && refused.bodySize).toBe(bodySize);
        expect(refused instanceof BodyTooLargeError && refused.header?.type).toBe(typeAt(last, 0));
      },
    ), { seed: SEED, numRuns: RUNS });
  });
});
