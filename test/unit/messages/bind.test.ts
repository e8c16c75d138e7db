// BIND, GET_BIND and STT_BIND edge cases the golden vectors do not cover: hand-built layouts
// with their padding, children of unknown and nested types, every malformed size, encode
// validation and the JSON form.
import { describe, expect, it } from 'vitest';
import {
  bindCodec,
  createMessage,
  decodeMessage,
  defaultRegistry,
  encodeMessage,
  EncodeError,
  fromJSON,
  IDENTITY,
  InvalidJsonMessageError,
  MalformedMessageError,
  startBindCodec,
  stringifyJSON,
  Timestamp,
  toBase64,
  toJSON,
  type BindContent,
  type IgtlMessage,
} from '../../../src/index.js';
import { MAX_BIND_NESTING } from '../../../src/protocol/messages/bind.js';
import { ascii, decodeFailure, expectEncodeError, expectInvalidJsonAt, hex, messageViaJSON, rawFrame } from '../../support/codec.js';
import { vectorBytes } from '../../support/vectors.js';

/** char[12] type name in hex. */
function type12(name: string): string {
  return ascii(name).padEnd(24, '0');
}

/** A whole v1 message of wire type `type` (valid header and CRC) from device Bundle around `content`. */
function frame(type: string, content: Uint8Array): Uint8Array {
  return rawFrame(type, content, 'Bundle');
}

/** The MalformedMessageError decoding `content` as `type` must throw, with the header attached. */
function malformed(type: string, content: Uint8Array): MalformedMessageError {
  return decodeFailure(frame(type, content), { type, deviceName: 'Bundle' });
}

function bindOf(msg: IgtlMessage): BindContent {
  if (msg.type !== 'BIND') throw new Error(`decoded as ${msg.type}`);
  return msg.content;
}

const RTS_OK = createMessage('RTS_TRANS', { status: 0 }, { deviceName: 'ab', timestamp: Timestamp.ZERO });
const POSE = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Pose', timestamp: Timestamp.ZERO });

// Two children: RTS_TRANS "ab" (1 byte, odd: padded) and MYTYPE "xyz" (3 bytes, unknown type,
// odd: padded). Names "ab\0xyz\0" = 7 bytes, padded to 8.
const TWO_CHILDREN = hex(`
  0002
  ${type12('RTS_TRANS')} 0000000000000001
  ${type12('MYTYPE')} 0000000000000003
  0008 ${ascii('ab')}00 ${ascii('xyz')}00 00
  05 00
  0a0b0c 00`);

describe('BIND', () => {
  it('decodes children of known and unknown types from a hand-built table with padding', () => {
    const children = bindOf(decodeMessage(frame('BIND', TWO_CHILDREN))).children;
    expect(children).toHaveLength(2);
    expect(children[0]).toMatchObject({ type: 'RTS_TRANS', deviceName: 'ab', headerVersion: 1, messageId: 0, content: { status: 5 } });
    const unknown = children[1]!;
    expect(unknown.type).toBe('UNKNOWN');
    if (unknown.type !== 'UNKNOWN') return;
    expect(unknown.typeName).toBe('MYTYPE');
    expect(unknown.deviceName).toBe('xyz');
    expect([...unknown.content.raw]).toEqual([0x0a, 0x0b, 0x0c]);
    expect(unknown.metadata.size).toBe(0);
  });

  it('keeps an unknown child as a view on the received bytes', () => {
    const bytes = frame('BIND', TWO_CHILDREN);
    const unknown = bindOf(decodeMessage(bytes)).children[1]!;
    expect(unknown.type === 'UNKNOWN' && unknown.content.raw.buffer).toBe(bytes.buffer);
  });

  it('re-encodes the hand-built table byte for byte, pads included', () => {
    const bytes = frame('BIND', TWO_CHILDREN);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it('encodes children built with createMessage into the same bytes', () => {
    const unknown: IgtlMessage = {
      type: 'UNKNOWN', typeName: 'MYTYPE', headerVersion: 1, deviceName: 'xyz', timestamp: Timestamp.ZERO,
      messageId: 0, metadata: new Map(), content: { raw: hex('0a0b0c') },
    };
    const msg = createMessage('BIND', { children: [{ ...RTS_OK, content: { status: 5 } }, unknown] }, { deviceName: 'Bundle', timestamp: Timestamp.ZERO });
    expect(encodeMessage(msg)).toEqual(frame('BIND', TWO_CHILDREN));
  });

  it('gives children the timestamp the decoder passes in its context', () => {
    const view = new DataView(TWO_CHILDREN.buffer);
    const timestamp = new Timestamp(1700000000, 42);
    const ctx = { registry: defaultRegistry, timestamp };
    const withTs = bindCodec.decode(TWO_CHILDREN, view, 0, TWO_CHILDREN.length, ctx);
    expect(withTs.children.every((c) => c.timestamp.equals(timestamp))).toBe(true);
  });

  it('decodes children with the registry of the context', () => {
    const view = new DataView(TWO_CHILDREN.buffer);
    const registry = defaultRegistry.clone().register({ ...defaultRegistry.get('RTS_TRANS')!, type: 'MYTYPE', decode: () => ({ mine: true }) });
    const { children } = bindCodec.decode(TWO_CHILDREN, view, 0, TWO_CHILDREN.length, { registry, timestamp: Timestamp.ZERO });
    expect(children[1]).toMatchObject({ type: 'MYTYPE', content: { mine: true } });
  });

  it('decodes and re-encodes an empty BIND (no children, empty table)', () => {
    const bytes = frame('BIND', hex('0000 0000'));
    expect(bindOf(decodeMessage(bytes)).children).toEqual([]);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
    expect(encodeMessage(createMessage('BIND', { children: [] }, { deviceName: 'Bundle', timestamp: Timestamp.ZERO }))).toEqual(bytes);
  });

  it('round-trips a BIND nested in a BIND, and a child name of exactly 20 bytes', () => {
    const inner = createMessage('BIND', { children: [POSE, RTS_OK] }, { deviceName: 'x'.repeat(20), timestamp: Timestamp.ZERO });
    const outer = createMessage('BIND', { children: [inner, POSE] }, { timestamp: Timestamp.ZERO });
    const bytes = encodeMessage(outer);
    const back = decodeMessage(bytes);
    const children = bindOf(back).children;
    expect(children[0]!.deviceName).toBe('x'.repeat(20));
    expect(bindOf(children[0]!).children.map((c) => c.deviceName)).toEqual(['Pose', 'ab']);
    expect(encodeMessage(back)).toEqual(bytes);
  });

  describe(`nesting is bounded at MAX_BIND_NESTING (${MAX_BIND_NESTING}) BINDs`, () => {
    /** A BIND whose only child is a BIND ..., `levels` BINDs in all, the innermost empty. */
    function nestedContent(levels: number): Uint8Array {
      // Each level: NCHILD 1, entry (BIND, size of the rest), NTABLE_SIZE 2, name "" + pad; the
      // innermost BIND is 0000 0000. Every level is even, so there is no child padding.
      const prefix = hex(`0001 ${type12('BIND')} 0000000000000000 0002 0000`);
      const out = new Uint8Array(prefix.length * (levels - 1) + 4);
      const view = new DataView(out.buffer);
      for (let i = 0; i < levels - 1; i++) {
        const at = i * prefix.length;
        out.set(prefix, at);
        view.setUint32(at + 2 + 12 + 4, out.length - at - prefix.length);
      }
      return out;
    }
    function nestedMessage(levels: number): IgtlMessage {
      let msg: IgtlMessage = createMessage('BIND', { children: [] }, { timestamp: Timestamp.ZERO });
      for (let i = 1; i < levels; i++) msg = createMessage('BIND', { children: [msg] }, { timestamp: Timestamp.ZERO });
      return msg;
    }

    it('decodes and encodes the deepest allowed nesting', () => {
      const bytes = frame('BIND', nestedContent(MAX_BIND_NESTING));
      expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
      expect(encodeMessage(nestedMessage(MAX_BIND_NESTING)).subarray(58)).toEqual(bytes.subarray(58));
    });

    /** The child BIND at `levels` below `msg`, through each level's only child. */
    function levelBelow(msg: IgtlMessage, levels: number): IgtlMessage {
      let at = msg;
      for (let i = 0; i < levels; i++) at = bindOf(at).children[0]!;
      return at;
    }

    it('keeps the BIND one level too deep as its raw bytes with the nesting error, and re-encodes byte for byte', () => {
      const bytes = frame('BIND', nestedContent(MAX_BIND_NESTING + 1));
      const msg = decodeMessage(bytes);
      const deepest = levelBelow(msg, MAX_BIND_NESTING);
      expect(deepest.type === 'UNKNOWN' && deepest.typeName).toBe('BIND');
      expect(deepest.type === 'UNKNOWN' && deepest.content.error?.detail).toBe(`BIND nested more than ${MAX_BIND_NESTING} levels deep`);
      expect(encodeMessage(msg)).toEqual(bytes);
    });

    it('stops at the bound in a hostile nesting thousands deep, quickly and without a stack overflow', () => {
      const started = performance.now();
      const bytes = frame('BIND', nestedContent(5000));
      const deepest = levelBelow(decodeMessage(bytes), MAX_BIND_NESTING);
      expect(deepest.type === 'UNKNOWN' && deepest.content.error?.detail).toMatch(/nested more than/);
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('refuses one level more on encode with an EncodeError', () => {
      expectEncodeError(() => encodeMessage(nestedMessage(MAX_BIND_NESTING + 1)), /nested more than/);
    });
  });

  it('keeps a leading U+FEFF of a child name (TextDecoder would drop it)', () => {
    const msg = createMessage('BIND', { children: [{ ...POSE, deviceName: '\uFEFFPose' }] }, { timestamp: Timestamp.ZERO });
    const bytes = encodeMessage(msg);
    const back = decodeMessage(bytes);
    expect(bindOf(back).children[0]!.deviceName).toBe('\uFEFFPose');
    expect(encodeMessage(back)).toEqual(bytes);
    const get = createMessage('GET_BIND', { children: [{ type: 'TRANSFORM', name: '\uFEFF' }] }, { timestamp: Timestamp.ZERO });
    expect(encodeMessage(decodeMessage(encodeMessage(get)))).toEqual(encodeMessage(get));
  });

  it('accepts a header-version-2 child without metadata (only its content travels)', () => {
    const v2 = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Pose', headerVersion: 2, timestamp: Timestamp.ZERO });
    const a = encodeMessage(createMessage('BIND', { children: [v2] }, { timestamp: Timestamp.ZERO }));
    const b = encodeMessage(createMessage('BIND', { children: [POSE] }, { timestamp: Timestamp.ZERO }));
    expect(a).toEqual(b);
  });

  describe('a child whose content its codec refuses', () => {
    // Three children: RTS_TRANS "ab" (1 byte, padded), TRANSFORM "Pose" (48 bytes, good) and
    // TRANSFORM "Bad" with 2 bytes, which transform.md's 48 refuses. Names "ab\0Pose\0Bad\0" = 12 bytes, even.
    const THIRD_BAD = hex(`
      0003
      ${type12('RTS_TRANS')} 0000000000000001
      ${type12('TRANSFORM')} 0000000000000030
      ${type12('TRANSFORM')} 0000000000000002
      000c ${ascii('ab')}00 ${ascii('Pose')}00 ${ascii('Bad')}00
      05 00
      ${'3f800000 00000000 00000000 00000000 3f800000 00000000 00000000 00000000 3f800000 00000000 00000000 00000000'}
      0102`);

    it('is kept as its raw bytes with the codec error; the other children are decoded', () => {
      const bytes = frame('BIND', THIRD_BAD);
      const children = bindOf(decodeMessage(bytes)).children;
      expect(children.map((c) => [c.type, c.deviceName])).toEqual([['RTS_TRANS', 'ab'], ['TRANSFORM', 'Pose'], ['UNKNOWN', 'Bad']]);
      expect(children[1]).toMatchObject({ content: { matrix: IDENTITY } });
      const bad = children[2]!;
      if (bad.type !== 'UNKNOWN') throw new Error('not kept raw');
      expect(bad.typeName).toBe('TRANSFORM');
      expect(bad.content.raw).toEqual(hex('0102'));
      expect(bad.content.error).toBeInstanceOf(MalformedMessageError);
      expect(bad.content.error?.messageType).toBe('TRANSFORM');
      expect(bad.content.error?.detail).toMatch(/content is 2 bytes, expected 48/);
    });

    it('re-encodes byte for byte, also through the JSON text', () => {
      const bytes = frame('BIND', THIRD_BAD);
      const msg = decodeMessage(bytes);
      expect(encodeMessage(msg)).toEqual(bytes);
      const child = (toJSON(msg).content as { children: Record<string, unknown>[] }).children[2];
      expect(child).toEqual({ type: 'TRANSFORM', name: 'Bad', size: 2, bodyBase64: toBase64(hex('0102')), content: { rawBase64: toBase64(hex('0102')), error: 'content is 2 bytes, expected 48' } });
      const back = messageViaJSON(msg);
      expect(encodeMessage(back)).toEqual(bytes);
      const again = bindOf(back).children[2]!;
      expect(again.type === 'UNKNOWN' && again.content.error?.detail).toMatch(/content is 2 bytes, expected 48/);
    });

    it('wraps anything else a codec throws as a MalformedMessageError with it as the cause', () => {
      const registry = defaultRegistry.clone();
      const boom = new RangeError('user codec bug');
      registry.register({ ...defaultRegistry.get('RTS_TRANS')!, decode: () => { throw boom; } });
      const bytes = frame('BIND', THIRD_BAD);
      const children = bindOf(decodeMessage(bytes, { registry })).children;
      const first = children[0]!;
      expect(first.type === 'UNKNOWN' && first.content.error).toBeInstanceOf(MalformedMessageError);
      expect(first.type === 'UNKNOWN' && first.content.error?.cause).toBe(boom);
      expect(children[1]!.type).toBe('TRANSFORM');
    });
  });

  describe('refuses malformed content with a MalformedMessageError carrying the header', () => {
    const cases: [string, string, RegExp][] = [
      ['content shorter than 4 bytes', '000000', /3 bytes, shorter than the 4-byte minimum/],
      ['more child entries than the content holds', `0002 ${type12('RTS_TRANS')} 0000000000000001 0000`, /2 child entries \(40 bytes\) do not fit/],
      ['an odd name table size', `0001 ${type12('RTS_TRANS')} 0000000000000001 0003 ${ascii('ab')}00 0500`, /name table size 3 is odd/],
      ['a name table running past the content', `0001 ${type12('RTS_TRANS')} 0000000000000001 0010 ${ascii('ab')}00 00`, /name table of 16 bytes runs past/],
      ['a table with fewer names than children', `0002 ${type12('RTS_TRANS')} 0000000000000001 ${type12('RTS_TRANS')} 0000000000000001 0004 ${ascii('abc')}00 0500 0500`, /holds fewer than the 2 NUL-terminated names/],
      ['a table larger than its names and pad', `0001 ${type12('RTS_TRANS')} 0000000000000001 0006 ${ascii('ab')}00 000000 0500`, /name table size is 6, the 1 names take 3 bytes \+ 1 pad/],
      ['a child name over 20 bytes', `0001 ${type12('RTS_TRANS')} 0000000000000001 0016 ${ascii('n'.repeat(21))}00 0500`, /child 0 name is 21 bytes/],
      ['a child size over 2^32', `0001 ${type12('RTS_TRANS')} 0000000100000001 0004 ${ascii('ab')}00 00 0500`, /child 0 \(RTS_TRANS\) size 4294967297 exceeds/],
      ['a child size larger than the content', `0001 ${type12('RTS_TRANS')} 00000000000000ff 0004 ${ascii('ab')}00 00 0500`, /child 0 \(RTS_TRANS\) size 255 exceeds/],
      ['a missing pad after an odd child', `0001 ${type12('RTS_TRANS')} 0000000000000001 0004 ${ascii('ab')}00 00 05`, /take 2 bytes, 1 remain/],
      ['bytes after the last child', `0001 ${type12('RTS_TRANS')} 0000000000000001 0004 ${ascii('ab')}00 00 0500 00`, /take 2 bytes, 3 remain/],
      ['an empty child type name', `0001 ${type12('')} 0000000000000000 0004 ${ascii('ab')}00 00`, /child 0 has an empty type name/],
    ];
    for (const [what, content, detail] of cases) {
      it(what, () => {
        expect(malformed('BIND', hex(content)).detail).toMatch(detail);
      });
    }
  });

  describe('encode validation', () => {
    const cases: [string, IgtlMessage[], RegExp][] = [
      ['a child with metadata', [createMessage('TRANSFORM', { matrix: IDENTITY }, { metadata: { a: 'b' } })], /children\[0\] \(TRANSFORM\) has metadata/],
      ['a child with a message ID', [createMessage('TRANSFORM', { matrix: IDENTITY }, { messageId: 7 })], /children\[0\] \(TRANSFORM\) has a message ID/],
      ['a child name over 20 bytes', [{ ...POSE, deviceName: 'n'.repeat(21) }], /children\[0\] name "n{21}" is 21 bytes/],
      ['a child name with a NUL', [{ ...POSE, deviceName: 'a\0b' }], /children\[0\] name must be a string without NUL/],
      ['a child type name over 12 bytes', [{ ...RTS_OK, type: 'UNKNOWN', typeName: 'T'.repeat(13), content: { raw: new Uint8Array(0) } }], /type "T{13}" is longer than 12 bytes/],
      ['a child whose content cannot be encoded', [{ ...POSE, content: { matrix: [1, 2, 3] } }], /TRANSFORM.*matrix must have 16 numbers/],
      ['a name table over 65535 bytes', Array.from({ length: 3121 }, () => ({ ...RTS_OK, deviceName: 'n'.repeat(20) })), /name table is 65542 bytes; NTABLE_SIZE is a uint16/],
    ];
    for (const [what, children, message] of cases) {
      it(`refuses ${what} with an EncodeError`, () => {
        const msg = createMessage('BIND', { children });
        expectEncodeError(() => encodeMessage(msg), message);
      });
    }

    it('refuses 65536 children', () => {
      const children = Array.from({ length: 65536 }, () => RTS_OK);
      expect(() => bindCodec.size({ children })).toThrow(/65536 children; NCHILD is a uint16/);
    });
  });

  describe('JSON form', () => {
    it('gives each child its type, name, size, content bytes as bodyBase64 and content JSON', () => {
      const json = toJSON(decodeMessage(frame('BIND', TWO_CHILDREN)));
      expect(json.content).toEqual({
        nchild: 2,
        children: [
          { type: 'RTS_TRANS', name: 'ab', size: 1, bodyBase64: toBase64(hex('05')), content: { status: 5 } },
          { type: 'MYTYPE', name: 'xyz', size: 3, bodyBase64: toBase64(hex('0a0b0c')), content: { rawBase64: toBase64(hex('0a0b0c')) } },
        ],
      });
    });

    it('round-trips the golden BIND vector through JSON text byte for byte', () => {
      const bytes = vectorBytes('bind.v1.igtl');
      expect(encodeMessage(messageViaJSON(decodeMessage(bytes)))).toEqual(bytes);
    });

    it('rebuilds a child from bodyBase64 rather than its content JSON', () => {
      const msg = fromJSON({
        type: 'BIND', headerVersion: 1,
        content: { children: [{ type: 'RTS_TRANS', name: 'ab', bodyBase64: toBase64(hex('05')), content: { status: 9 } }] },
      });
      expect(bindOf(msg).children[0]!.content).toEqual({ status: 5 });
    });

    it('rebuilds a child from its content JSON when bodyBase64 is absent', () => {
      const msg = fromJSON({ type: 'BIND', headerVersion: 1, content: { children: [{ type: 'RTS_TRANS', name: 'ab', content: { status: 9 } }] } });
      expect(bindOf(msg).children[0]).toMatchObject({ type: 'RTS_TRANS', deviceName: 'ab', headerVersion: 1, content: { status: 9 } });
    });

    const bad: [string, Record<string, unknown>, string][] = [
      ['a child without a type', { children: [{ name: 'a', bodyBase64: '' }] }, '$.content.children[0].type'],
      ['bodyBase64 that is not base64', { children: [{ type: 'RTS_TRANS', name: 'a', bodyBase64: '!!!' }] }, '$.content.children[0].bodyBase64'],
      ['a body that is not valid content of its type', { children: [{ type: 'RTS_TRANS', name: 'a', bodyBase64: toBase64(hex('0102')) }] }, '$.content.children[0].bodyBase64'],
      ['an unknown child without bytes', { children: [{ type: 'MYTYPE', name: 'a', content: {} }] }, '$.content.children[0].content.rawBase64'],
      ['children that is not an array', { children: 3 }, '$.content.children'],
    ];
    for (const [what, content, path] of bad) {
      it(`rejects ${what} naming ${path}`, () => {
        expectInvalidJsonAt(() => fromJSON({ type: 'BIND', headerVersion: 1, content: JSON.parse(JSON.stringify(content)) }), path);
      });
    }
  });
});

// Two entries, names "NeedleToRef\0" + "Ann\0" = 16 bytes... made odd on purpose: "Ann" -> "An".
const GET_ODD_UNPADDED = hex(`0002 ${type12('TRANSFORM')} ${type12('STRING')} 000f ${ascii('NeedleToRef')}00 ${ascii('An')}00`);
const GET_ODD_PADDED = hex(`0002 ${type12('TRANSFORM')} ${type12('STRING')} 0010 ${ascii('NeedleToRef')}00 ${ascii('An')}00 00`);

describe('GET_BIND', () => {
  it('reads empty content as a request for every child and writes it back empty', () => {
    const bytes = frame('GET_BIND', new Uint8Array(0));
    const msg = decodeMessage(bytes);
    expect(msg.type === 'GET_BIND' && msg.content.children).toEqual([]);
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('reads an odd, unpadded name table (as C++ writes it) and re-encodes it byte for byte', () => {
    const bytes = frame('GET_BIND', GET_ODD_UNPADDED);
    const msg = decodeMessage(bytes);
    expect(msg.type === 'GET_BIND' && msg.content.children).toEqual([{ type: 'TRANSFORM', name: 'NeedleToRef' }, { type: 'STRING', name: 'An' }]);
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('reads a padded name table (as the spec says), re-encodes it padded, and writes new ones unpadded like C++', () => {
    const msg = decodeMessage(frame('GET_BIND', GET_ODD_PADDED));
    expect(msg.type === 'GET_BIND' && msg.content.children).toEqual([{ type: 'TRANSFORM', name: 'NeedleToRef' }, { type: 'STRING', name: 'An' }]);
    expect(msg.type === 'GET_BIND' && msg.content.form).toBe('padded');
    // Issue 14: what arrived re-encodes byte for byte.
    expect(encodeMessage(msg)).toEqual(frame('GET_BIND', GET_ODD_PADDED));
    if (msg.type !== 'GET_BIND') throw new Error('GET_BIND expected');
    expect(encodeMessage({ ...msg, content: { children: msg.content.children } })).toEqual(frame('GET_BIND', GET_ODD_UNPADDED));
  });

  it('has the manifest JSON schema', () => {
    expect(toJSON(decodeMessage(frame('GET_BIND', GET_ODD_UNPADDED))).content).toEqual({
      nchild: 2, children: [{ type: 'TRANSFORM', name: 'NeedleToRef' }, { type: 'STRING', name: 'An' }],
    });
  });

  describe('refuses malformed content with a MalformedMessageError carrying the header', () => {
    const cases: [string, string, RegExp][] = [
      ['content of 1 to 3 bytes', '0001', /child list is 2 bytes, shorter than the 4-byte minimum/],
      ['more types than the content holds', `0003 ${type12('TRANSFORM')} 0000`, /3 child types \(36 bytes\) do not fit/],
      ['a table size that does not reach the end', `0001 ${type12('TRANSFORM')} 0002 ${ascii('a')}00 00`, /name table size is 2, 3 bytes remain/],
      ['a table with fewer names than types', `0002 ${type12('A')} ${type12('B')} 0002 ${ascii('a')}00`, /fewer than the 2 NUL-terminated names/],
      ['a table longer than its names plus one pad', `0001 ${type12('A')} 0004 ${ascii('a')}00 0000`, /name table size is 4, the 1 names take 2 bytes/],
      ['a name over 20 bytes', `0001 ${type12('A')} 0016 ${ascii('n'.repeat(21))}00`, /child 0 name is 21 bytes/],
    ];
    for (const [what, content, detail] of cases) {
      it(what, () => {
        expect(malformed('GET_BIND', hex(content)).detail).toMatch(detail);
      });
    }
  });

  it('refuses a name over 20 bytes and a type over 12 bytes with an EncodeError', () => {
    expect(() => encodeMessage(createMessage('GET_BIND', { children: [{ type: 'A', name: 'n'.repeat(21) }] }))).toThrow(EncodeError);
    expect(() => encodeMessage(createMessage('GET_BIND', { children: [{ type: 'T'.repeat(13), name: 'a' }] }))).toThrow(/type "T{13}" is longer than 12 bytes/);
  });
});

describe('STT_BIND', () => {
  it('reads 8 bytes as a resolution with every child requested', () => {
    const bytes = frame('STT_BIND', hex('0000000005f5e100'));
    const msg = decodeMessage(bytes);
    expect(msg.type === 'STT_BIND' && msg.content).toEqual({ resolution: 100_000_000n, children: [] });
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('reads a resolution followed by the GET_BIND layout and re-encodes it', () => {
    const content = new Uint8Array(8 + GET_ODD_UNPADDED.length);
    content.set(hex('ffffffffffffffff'));
    content.set(GET_ODD_UNPADDED, 8);
    const bytes = frame('STT_BIND', content);
    const msg = decodeMessage(bytes);
    expect(msg.type === 'STT_BIND' && msg.content.resolution).toBe(0xffffffffffffffffn);
    expect(msg.type === 'STT_BIND' && msg.content.children).toHaveLength(2);
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('writes the resolution as a decimal string in JSON and reads it back exactly', () => {
    const msg = createMessage('STT_BIND', { resolution: 0xffffffffffffffffn, children: [{ type: 'TRANSFORM', name: 'Pose' }] });
    const json = toJSON(msg);
    expect(json.content).toEqual({ resolution: '18446744073709551615', nchild: 1, children: [{ type: 'TRANSFORM', name: 'Pose' }] });
    expect(encodeMessage(fromJSON(stringifyJSON(json)))).toEqual(encodeMessage(msg));
  });

  it('refuses content shorter than the resolution', () => {
    expect(malformed('STT_BIND', hex('00000000000000')).detail).toMatch(/7 bytes, shorter than the 8-byte resolution/);
  });

  it('refuses a malformed child list after the resolution', () => {
    expect(malformed('STT_BIND', hex('0000000000000000 0001')).detail).toMatch(/child list is 2 bytes/);
  });

  it('refuses a resolution outside uint64 with an EncodeError, and in JSON with an InvalidJsonMessageError', () => {
    expect(() => startBindCodec.size({ resolution: -1n, children: [] })).toThrow(EncodeError);
    expect(() => startBindCodec.size({ resolution: 1n << 64n, children: [] })).toThrow(/resolution must be a uint64/);
    expect(() => startBindCodec.fromJSON({ resolution: '-1' }, '$.content')).toThrow(InvalidJsonMessageError);
  });
});

describe('BIND through the decoder', () => {
  it('gives each child the BIND message timestamp', () => {
    const bind = decodeMessage(vectorBytes('bind.v1.igtl'));
    expect(bind.type).toBe('BIND');
    if (bind.type !== 'BIND') return;
    expect(bind.timestamp.isZero).toBe(false);
    expect(bind.content.children.every((c) => c.timestamp.equals(bind.timestamp))).toBe(true);
  });
});
