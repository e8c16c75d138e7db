// POLYDATA edge cases the golden vectors do not cover: byte layouts held next to their
// expectations, every malformed section size, encode validation and the JSON form.
import { describe, expect, it } from 'vitest';
import {
  createMessage,
  decodeMessage,
  encodeMessage,
  EncodeError,
  fromJSON,
  MalformedMessageError,
  polyDataCodec,
  polyDataHeader,
  stringifyJSON,
  Timestamp,
  toJSON,
  type PolyDataContent,
} from '../../../src/index.js';
import { decodeFailure, expectInvalidJsonAt, hex, rawFrame } from '../../support/codec.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A whole v1 POLYDATA message (valid header and CRC) around `content`. */
function frame(content: Uint8Array): Uint8Array {
  return rawFrame('POLYDATA', content, 'Mesh');
}

function contentOf(bytes: Uint8Array): PolyDataContent {
  const msg = decodeMessage(bytes);
  if (msg.type !== 'POLYDATA') throw new Error(`decoded as ${msg.type}`);
  return msg.content;
}

/** The MalformedMessageError decoding `content` must throw, with the header attached. */
function malformed(content: Uint8Array): MalformedMessageError {
  return decodeFailure(frame(content), { type: 'POLYDATA', deviceName: 'Mesh' });
}

// A mesh of 2 points, one line (0 1), one vertex cell (1), and two attributes whose names
// ("t" and "ab": 2 + 3 = 5 bytes) need the pad byte.
const HEADER = hex(`
  00000002 00000001 00000008 00000001 0000000c
  00000000 00000000 00000000 00000000 00000002`);
const POINTS = hex('3f800000 40000000 40400000  bf800000 00000000 80000000');
const VERTICES = hex('00000001 00000001');
const LINES = hex('00000002 00000000 00000001');
const ATTR_HEADERS = hex('00 01 00000002  01 03 00000001');
const NAMES = hex('7400 616200 00');
const DATA = hex('3f000000 3e800000  41200000 41300000 41400000');
const MESH = concat(HEADER, POINTS, VERTICES, LINES, ATTR_HEADERS, NAMES, DATA);

const EMPTY_MESH: PolyDataContent = {
  points: new Float32Array(0), vertices: [], lines: [], polygons: [], triangleStrips: [], attributes: [],
};

describe('POLYDATA', () => {
  it('decodes points, cells, attribute headers, padded names and data of a hand-built mesh', () => {
    const c = contentOf(frame(MESH));
    expect([...c.points]).toEqual([1, 2, 3, -1, 0, -0]);
    expect(Object.is(c.points[5], -0)).toBe(true);
    expect(c.vertices).toEqual([[1]]);
    expect(c.lines).toEqual([[0, 1]]);
    expect(c.polygons).toEqual([]);
    expect(c.triangleStrips).toEqual([]);
    expect(c.attributes.map((a) => [a.type, a.ncomponents, a.n, a.name, [...a.data]])).toEqual([
      [0, 1, 2, 't', [0.5, 0.25]],
      [1, 3, 1, 'ab', [10, 11, 12]],
    ]);
  });

  it('re-encodes the hand-built mesh byte for byte, pad byte included', () => {
    const bytes = frame(MESH);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it('writes no pad byte when the names block is already even', () => {
    const content: PolyDataContent = {
      ...EMPTY_MESH,
      attributes: [{ type: 0, ncomponents: 1, n: 0, name: 'abc', data: new Float32Array(0) }],
    };
    const bytes = encodeMessage(createMessage('POLYDATA', content, { timestamp: Timestamp.ZERO }));
    // 40 header + 6 attribute header + "abc\0" (4, even): no pad.
    expect(bytes.length - 58).toBe(50);
    expect([...bytes.subarray(58 + 46)]).toEqual([0x61, 0x62, 0x63, 0]);
  });

  it('pads an odd names block with one zero byte', () => {
    const content: PolyDataContent = {
      ...EMPTY_MESH,
      attributes: [{ type: 0, ncomponents: 1, n: 0, name: 'ab', data: new Float32Array(0) }],
    };
    const bytes = encodeMessage(createMessage('POLYDATA', content, { timestamp: Timestamp.ZERO }));
    expect([...bytes.subarray(58 + 46)]).toEqual([0x61, 0x62, 0, 0]);
  });

  it('decodes an empty mesh (40 zero bytes) and re-encodes it', () => {
    const bytes = frame(new Uint8Array(40));
    const c = contentOf(bytes);
    expect(c.points.length).toBe(0);
    expect(c.attributes).toEqual([]);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it("reads the C library's 9-component cell attribute as NCOMPONENTS x N floats", () => {
    // The C packer sends a 1-component cell scalar with one tuple as 10 09 00000001 + 36 bytes.
    const content = concat(
      hex('00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001'),
      hex('10 09 00000001'),
      hex('6300'), // "c" + NUL = 2 bytes, even
      hex('3f800000'.repeat(9)),
    );
    const bytes = frame(content);
    const c = contentOf(bytes);
    expect(c.attributes[0]).toMatchObject({ type: 0x10, ncomponents: 9, n: 1, name: 'c' });
    expect(c.attributes[0]!.data.length).toBe(9);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it('keeps NaN payloads and -0 of points and attribute data bit for bit', () => {
    const content = concat(
      hex('00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001'),
      hex('7fc00001 ffffffff 80000000'),
      hex('00 01 00000001'),
      hex('7800'),
      hex('7f800001'),
    );
    const bytes = frame(content);
    expect(encodeMessage(decodeMessage(bytes))).toEqual(bytes);
  });

  it('returns cell indices as uint32 (0xFFFFFFFF included) and does not check them against npoints', () => {
    const content = concat(
      hex('00000000 00000000 00000000 00000000 00000000 00000001 0000000c 00000000 00000000 00000000'),
      hex('00000002 ffffffff 00000007'),
    );
    expect(contentOf(frame(content)).polygons).toEqual([[0xffffffff, 7]]);
  });

  describe('refuses malformed content with a MalformedMessageError carrying the header', () => {
    it('content shorter than the 40-byte header', () => {
      expect(malformed(new Uint8Array(39)).detail).toMatch(/39 bytes.*40-byte header/);
    });
    it('more points than the content holds', () => {
      const c = MESH.slice();
      c[3] = 0xff; // NPOINTS = 255
      expect(malformed(c).detail).toMatch(/255 points needs 3060 bytes/);
    });
    it('NPOINTS near 2^32 without allocating it', () => {
      const c = MESH.slice();
      c.set([0xff, 0xff, 0xff, 0xff], 0);
      expect(malformed(c).detail).toMatch(/4294967295 points/);
    });
    it('a section SIZE that is not a multiple of 4', () => {
      const c = new Uint8Array(40 + 6);
      c.set(hex('00000001 00000006'), 4);
      expect(malformed(c).detail).toMatch(/vertices section size 6 is not a multiple of 4/);
    });
    it('a section SIZE larger than what remains', () => {
      const c = MESH.slice();
      c.set(hex('00000100'), 8); // SIZE_VERTICES = 256
      expect(malformed(c).detail).toMatch(/vertices section \(SIZE 256\) needs 256 bytes/);
    });
    it('more cells than the section size can hold', () => {
      const c = MESH.slice();
      c.set(hex('00000003'), 4); // NVERTICES = 3 in 8 bytes
      expect(malformed(c).detail).toMatch(/3 vertices cells cannot fit in 8 bytes/);
    });
    it('a cell whose index count runs past its section', () => {
      const c = MESH.slice();
      c.set(hex('00000005'), 40 + 24 + 8); // the line cell claims 5 indices
      expect(malformed(c).detail).toMatch(/lines cell 0 has 5 indices, only 2 remain/);
    });
    it('cells that use fewer bytes than their SIZE', () => {
      const c = concat(
        hex('00000000 00000001 0000000c 00000000 00000000 00000000 00000000 00000000 00000000 00000000'),
        hex('00000001 00000000 00000000'),
      );
      expect(malformed(c).detail).toMatch(/1 vertices cells take 8 bytes, SIZE says 12/);
    });
    it('more attribute headers than the content holds', () => {
      const c = MESH.slice();
      c.set(hex('00010000'), 36);
      expect(malformed(c).detail).toMatch(/65536 attribute headers/);
    });
    it('an attribute name without a NUL terminator', () => {
      const c = concat(HEADER.slice(), POINTS, VERTICES, LINES, ATTR_HEADERS, hex('7400 6162'));
      expect(malformed(c).detail).toMatch(/attribute 1 name has no NUL terminator/);
    });
    it('an attribute name longer than 255 bytes', () => {
      const c = concat(
        hex('00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000001'),
        hex('00 01 00000000'),
        new Uint8Array(256).fill(0x61),
        hex('0000'),
      );
      expect(malformed(c).detail).toMatch(/attribute 0 name is 256 bytes \(max 255\)/);
    });
    it('a missing pad byte after an odd names block', () => {
      const c = concat(HEADER, POINTS, VERTICES, LINES, ATTR_HEADERS, hex('7400 616200'), DATA);
      expect(malformed(c).detail).toMatch(/attribute 1 \("ab", 3 x 1 float32\) needs 12 bytes, only 11 remain/);
    });
    it('attribute data shorter than NCOMPONENTS x N x 4', () => {
      const c = MESH.subarray(0, MESH.length - 4);
      expect(malformed(c).detail).toMatch(/attribute 1 \("ab", 3 x 1 float32\) needs 12 bytes, only 8 remain/);
    });
    it('bytes after the last attribute', () => {
      const c = concat(MESH, hex('00000000'));
      expect(malformed(c).detail).toMatch(/sections add up to 122 bytes, content is 126/);
    });
  });

  describe('encode validation', () => {
    const attr = { type: 0, ncomponents: 1, n: 1, name: 'a', data: new Float32Array(1) };
    const cases: [string, PolyDataContent, RegExp][] = [
      ['points not a multiple of 3', { ...EMPTY_MESH, points: new Float32Array(4) }, /points has 4 floats/],
      ['a negative point index', { ...EMPTY_MESH, lines: [[0, -1]] }, /lines\[0\]\[1\] must be an integer in 0\.\.4294967295, got -1/],
      ['a fractional point index', { ...EMPTY_MESH, polygons: [[0.5]] }, /polygons\[0\]\[0\]/],
      ['an index over uint32', { ...EMPTY_MESH, triangleStrips: [[2 ** 32]] }, /triangleStrips\[0\]\[0\]/],
      ['data length not ncomponents x n', { ...EMPTY_MESH, attributes: [{ ...attr, n: 2 }] }, /attributes\[0\]\.data has 1 floats, ncomponents x n = 2/],
      ['a type over 255', { ...EMPTY_MESH, attributes: [{ ...attr, type: 256 }] }, /attributes\[0\]\.type/],
      ['ncomponents over 255', { ...EMPTY_MESH, attributes: [{ ...attr, ncomponents: 256, data: new Float32Array(256) }] }, /attributes\[0\]\.ncomponents/],
      ['a name of 256 bytes', { ...EMPTY_MESH, attributes: [{ ...attr, name: 'x'.repeat(256) }] }, /attributes\[0\]\.name is 256 bytes \(max 255\)/],
      ['a name of 256 UTF-8 bytes in 128 characters', { ...EMPTY_MESH, attributes: [{ ...attr, name: 'é'.repeat(128) }] }, /is 256 bytes/],
      ['a name with a NUL', { ...EMPTY_MESH, attributes: [{ ...attr, name: 'a\0b' }] }, /without NUL/],
    ];
    for (const [what, content, message] of cases) {
      it(`refuses ${what} with an EncodeError`, () => {
        expect(() => encodeMessage(createMessage('POLYDATA', content))).toThrow(EncodeError);
        expect(() => polyDataCodec.size(content)).toThrow(message);
      });
    }

    it('accepts a name of exactly 255 bytes and decodes it back', () => {
      const name = 'n'.repeat(255);
      const msg = createMessage('POLYDATA', { ...EMPTY_MESH, attributes: [{ ...attr, name }] });
      const back = decodeMessage(encodeMessage(msg));
      expect(back.type === 'POLYDATA' && back.content.attributes[0]!.name).toBe(name);
    });

    it('keeps a leading U+FEFF of a name (TextDecoder would drop it)', () => {
      const msg = createMessage('POLYDATA', { ...EMPTY_MESH, attributes: [{ ...attr, name: '\uFEFFbom' }] });
      const bytes = encodeMessage(msg);
      const back = decodeMessage(bytes);
      expect(back.type === 'POLYDATA' && back.content.attributes[0]!.name).toBe('\uFEFFbom');
      expect(encodeMessage(back)).toEqual(bytes);
    });

    it('refuses points that are a plain array', () => {
      const content = { ...EMPTY_MESH, points: [1, 2, 3] as unknown as Float32Array };
      expect(() => polyDataCodec.size(content)).toThrow(/points must be a Float32Array/);
    });
  });

  it('polyDataHeader gives the counts and byte sizes of the 40-byte header', () => {
    const c = contentOf(frame(MESH));
    expect(polyDataHeader(c)).toEqual({
      npoints: 2, nvertices: 1, sizeVertices: 8, nlines: 1, sizeLines: 12, npolygons: 0, sizePolygons: 0,
      ntriangleStrips: 0, sizeTriangleStrips: 0, nattributes: 2,
    });
  });

  describe('JSON form', () => {
    it('has the manifest schema and round-trips through text byte for byte', () => {
      const bytes = frame(MESH);
      const json = toJSON(decodeMessage(bytes));
      expect(json.content).toEqual({
        header: polyDataHeader(contentOf(bytes)),
        points: [[1, 2, 3], [-1, 0, -0]],
        vertices: [[1]],
        lines: [[0, 1]],
        polygons: [],
        triangleStrips: [],
        attributes: [
          { type: 0, ncomponents: 1, n: 2, name: 't', data: [0.5, 0.25] },
          { type: 1, ncomponents: 3, n: 1, name: 'ab', data: [10, 11, 12] },
        ],
      });
      expect(encodeMessage(fromJSON(stringifyJSON(json)))).toEqual(bytes);
    });

    it('ignores the derived header on input', () => {
      const c = polyDataCodec.fromJSON({ header: { npoints: 99 }, points: [[1, 2, 3]] }, '$.content');
      expect([...c.points]).toEqual([1, 2, 3]);
      expect(c.lines).toEqual([]);
    });

    it('writes NaN and infinities as strings and reads them back', () => {
      const content: PolyDataContent = { ...EMPTY_MESH, points: new Float32Array([NaN, Infinity, -Infinity]) };
      const json = polyDataCodec.toJSON(content);
      expect(json.points).toEqual([['NaN', 'Infinity', '-Infinity']]);
      const back = polyDataCodec.fromJSON(JSON.parse(JSON.stringify(json)), '$.content');
      expect([...back.points]).toEqual([NaN, Infinity, -Infinity]);
    });

    const bad: [string, Record<string, unknown>, string][] = [
      ['a point with 2 numbers', { points: [[1, 2]] }, '$.content.points[0]'],
      ['a negative index', { lines: [[0, -1]] }, '$.content.lines[0][1]'],
      ['a cell that is not an array', { polygons: [3] }, '$.content.polygons[0]'],
      ['data of the wrong length', { attributes: [{ type: 0, ncomponents: 2, n: 1, name: 'a', data: [1] }] }, '$.content.attributes[0].data'],
      ['an attribute type over 255', { attributes: [{ type: 300, ncomponents: 1, n: 0, name: 'a', data: [] }] }, '$.content.attributes[0].type'],
      ['a name of 256 bytes', { attributes: [{ type: 0, ncomponents: 1, n: 0, name: 'x'.repeat(256), data: [] }] }, '$.content.attributes[0].name'],
    ];
    for (const [what, json, path] of bad) {
      it(`rejects ${what} naming ${path}`, () => {
        expectInvalidJsonAt(() => polyDataCodec.fromJSON(JSON.parse(JSON.stringify(json)), '$.content'), path);
      });
    }
  });
});
