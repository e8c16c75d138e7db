// POLYDATA: a polygonal mesh (OpenIGTLink Documents/Protocol/polydata.md). A 40-byte header of counts and sizes, the
// points, four cell sections (VTK legacy connectivity), then the attributes: one 6-byte header
// each, their NUL-terminated names (padded to an even length), and their float32 data.
import type { ContentCodec } from '../codec.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { escapedText, escapedTextBytes } from '../text.js';
import { checkInt } from './encode-checks.js';
import { asArray, asInt, asNumbers, asObject, asString, nums } from './json-fields.js';

// Fixed header (polydata.md): ten uint32.
const OFFSET_NPOINTS = 0;
const OFFSET_NVERTICES = 4;
const OFFSET_SIZE_VERTICES = 8;
const OFFSET_NLINES = 12;
const OFFSET_SIZE_LINES = 16;
const OFFSET_NPOLYGONS = 20;
const OFFSET_SIZE_POLYGONS = 24;
const OFFSET_NTRIANGLE_STRIPS = 28;
const OFFSET_SIZE_TRIANGLE_STRIPS = 32;
const OFFSET_NATTRIBUTES = 36;
const HEADER_SIZE = 40;
/** Bytes per point (float32 x, y, z). */
const POINT_SIZE = 12;
/** Bytes per attribute header: uint8 TYPE, uint8 NCOMPONENTS, uint32 N. */
const ATTRIBUTE_HEADER_SIZE = 6;
/** Longest attribute name the C library accepts (polydata.md). */
const MAX_NAME_BYTES = 255;
const UINT32_MAX = 0xffffffff;

/** One attribute (point or cell data) of a POLYDATA message. */
export interface PolyDataAttribute {
  /** 0x00 point scalars, 0x01 vectors, 0x02 normals, 0x03 tensors, 0x04 RGBA, 0x05 texture coords; 0x10-0x15 the same for cells. */
  readonly type: number;
  /** Components per tuple, as on the wire (the C library writes 9 for some types; polydata.md). */
  readonly ncomponents: number;
  /** Number of tuples. */
  readonly n: number;
  readonly name: string;
  /** ncomponents x n float32, tuple-major. */
  readonly data: Float32Array;
}

/** Content of a POLYDATA message. */
export interface PolyDataContent {
  /** x, y, z of each point, flat (3 x npoints float32). */
  readonly points: Float32Array;
  /** Vertex cells: each an array of point indices. */
  readonly vertices: readonly (readonly number[])[];
  readonly lines: readonly (readonly number[])[];
  readonly polygons: readonly (readonly number[])[];
  readonly triangleStrips: readonly (readonly number[])[];
  readonly attributes: readonly PolyDataAttribute[];
}

/** Attribute TYPE codes of POLYDATA (polydata.md); add 0x10 for cell data. */
export const PolyDataAttributeType = {
  POINT_SCALAR: 0x00,
  POINT_VECTOR: 0x01,
  POINT_NORMAL: 0x02,
  POINT_TENSOR: 0x03,
  POINT_RGBA: 0x04,
  POINT_TCOORDS: 0x05,
  CELL_SCALAR: 0x10,
  CELL_VECTOR: 0x11,
  CELL_NORMAL: 0x12,
  CELL_TENSOR: 0x13,
  CELL_RGBA: 0x14,
  CELL_TCOORDS: 0x15,
} as const;

// float32 arrays are big-endian on the wire. They are read and written as bytes (swapped on a
// little-endian host) rather than through getFloat32/setFloat32, so NaN payloads survive a
// round trip bit for bit. The wire bytes cannot be viewed as a Float32Array in place, so the
// points and attribute data are the one copy this codec makes.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readFloat32s(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  const dst = new Uint8Array(out.buffer);
  if (!LITTLE_ENDIAN_HOST) {
    dst.set(bytes.subarray(offset, offset + count * 4));
    return out;
  }
  for (let i = 0, s = offset; i < dst.length; i += 4, s += 4) {
    dst[i] = bytes[s + 3]!;
    dst[i + 1] = bytes[s + 2]!;
    dst[i + 2] = bytes[s + 1]!;
    dst[i + 3] = bytes[s]!;
  }
  return out;
}

function writeFloat32s(bytes: Uint8Array, offset: number, data: Float32Array): void {
  const src = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (!LITTLE_ENDIAN_HOST) {
    bytes.set(src, offset);
    return;
  }
  for (let i = 0, d = offset; i < src.length; i += 4, d += 4) {
    bytes[d] = src[i + 3]!;
    bytes[d + 1] = src[i + 2]!;
    bytes[d + 2] = src[i + 1]!;
    bytes[d + 3] = src[i]!;
  }
}

const SECTION_NAMES = ['vertices', 'lines', 'polygons', 'triangleStrips'] as const;
type SectionName = (typeof SECTION_NAMES)[number];
// Header offsets of each cell section's count and byte size, in wire order.
const SECTION_FIELDS: readonly (readonly [SectionName, number, number])[] = [
  ['vertices', OFFSET_NVERTICES, OFFSET_SIZE_VERTICES],
  ['lines', OFFSET_NLINES, OFFSET_SIZE_LINES],
  ['polygons', OFFSET_NPOLYGONS, OFFSET_SIZE_POLYGONS],
  ['triangleStrips', OFFSET_NTRIANGLE_STRIPS, OFFSET_SIZE_TRIANGLE_STRIPS],
];

/** Reads `count` cells that must fill exactly `size` bytes at `offset`. */
function readCells(view: DataView, offset: number, count: number, size: number, section: SectionName): number[][] {
  // Every cell takes at least 4 bytes, which bounds `count` before anything is allocated.
  if (size % 4 !== 0) throw new MalformedMessageError('POLYDATA', `${section} section size ${size} is not a multiple of 4`);
  if (count * 4 > size) throw new MalformedMessageError('POLYDATA', `${count} ${section} cells cannot fit in ${size} bytes`);
  const cells = new Array<number[]>(count);
  const end = offset + size;
  let p = offset;
  for (let c = 0; c < count; c++) {
    const k = view.getUint32(p);
    p += 4;
    if (k > (end - p) / 4) {
      throw new MalformedMessageError('POLYDATA', `${section} cell ${c} has ${k} indices, only ${(end - p) / 4} remain in the ${size}-byte section`);
    }
    const cell = new Array<number>(k);
    for (let i = 0; i < k; i++, p += 4) cell[i] = view.getUint32(p);
    cells[c] = cell;
  }
  if (p !== end) {
    throw new MalformedMessageError('POLYDATA', `${count} ${section} cells take ${p - offset} bytes, SIZE says ${size}`);
  }
  return cells;
}

/** Bytes a cell section takes: 4 x sum(1 + k). */
function cellSectionSize(cells: readonly (readonly number[])[]): number {
  let n = 0;
  for (const cell of cells) n += 1 + cell.length;
  return n * 4;
}

function checkCells(cells: readonly (readonly number[])[] | undefined, section: SectionName): number {
  if (!Array.isArray(cells)) throw new EncodeError('POLYDATA', `${section} must be an array of cells`);
  checkInt('POLYDATA', `number of ${section} cells`, cells.length, 0, UINT32_MAX);
  cells.forEach((cell, c) => {
    if (!Array.isArray(cell)) throw new EncodeError('POLYDATA', `${section}[${c}] must be an array of point indices`);
    for (let i = 0; i < cell.length; i++) checkInt('POLYDATA', `${section}[${c}][${i}]`, cell[i]!, 0, UINT32_MAX);
  });
  const size = cellSectionSize(cells);
  if (size > UINT32_MAX) throw new EncodeError('POLYDATA', `${section} section is ${size} bytes; SIZE is a uint32`);
  return size;
}

/** Bytes of the attribute-name block: each name plus its NUL, plus one pad byte if odd. */
function namesBlockSize(nameBytes: readonly Uint8Array[]): number {
  let n = 0;
  for (const b of nameBytes) n += b.length + 1;
  return n + (n % 2);
}

/**
 * The sizes of a mesh's sections, as the 40-byte header gives them (the `header` of the JSON
 * form). Sizes are in bytes.
 */
export function polyDataHeader(content: PolyDataContent): {
  npoints: number; nvertices: number; sizeVertices: number; nlines: number; sizeLines: number;
  npolygons: number; sizePolygons: number; ntriangleStrips: number; sizeTriangleStrips: number; nattributes: number;
} {
  return {
    npoints: content.points.length / 3,
    nvertices: content.vertices.length,
    sizeVertices: cellSectionSize(content.vertices),
    nlines: content.lines.length,
    sizeLines: cellSectionSize(content.lines),
    npolygons: content.polygons.length,
    sizePolygons: cellSectionSize(content.polygons),
    ntriangleStrips: content.triangleStrips.length,
    sizeTriangleStrips: cellSectionSize(content.triangleStrips),
    nattributes: content.attributes.length,
  };
}

function cellsToJSON(cells: readonly (readonly number[])[]): number[][] {
  return cells.map((c) => [...c]);
}

function cellsFromJSON(v: JsonValue | undefined, path: string): number[][] {
  if (v === undefined) return [];
  return asArray(v, path).map((cell, c) => asArray(cell, `${path}[${c}]`).map((x, i) => asInt(x, `${path}[${c}][${i}]`, 0, UINT32_MAX)));
}

/** Codec of POLYDATA. */
export const polyDataCodec: ContentCodec<'POLYDATA', PolyDataContent> = {
  type: 'POLYDATA',
  decode(bytes, view, offset, length) {
    if (length < HEADER_SIZE) throw new MalformedMessageError('POLYDATA', `content is ${length} bytes, shorter than the ${HEADER_SIZE}-byte header`);
    const end = offset + length;
    const npoints = view.getUint32(offset + OFFSET_NPOINTS);
    const nattributes = view.getUint32(offset + OFFSET_NATTRIBUTES);
    let p = offset + HEADER_SIZE;
    // Every section is checked against what remains before it is read or allocated.
    const need = (bytesNeeded: number, what: string): void => {
      if (bytesNeeded > end - p) {
        throw new MalformedMessageError('POLYDATA', `${what} needs ${bytesNeeded} bytes, only ${end - p} remain of the ${length}-byte content`);
      }
    };
    need(npoints * POINT_SIZE, `${npoints} points`);
    const points = readFloat32s(bytes, p, npoints * 3);
    p += npoints * POINT_SIZE;
    const sections = new Map<SectionName, number[][]>();
    for (const [name, countOffset, sizeOffset] of SECTION_FIELDS) {
      const count = view.getUint32(offset + countOffset);
      const size = view.getUint32(offset + sizeOffset);
      need(size, `${name} section (SIZE ${size})`);
      sections.set(name, readCells(view, p, count, size, name));
      p += size;
    }
    need(nattributes * ATTRIBUTE_HEADER_SIZE, `${nattributes} attribute headers`);
    const headers = p;
    p += nattributes * ATTRIBUTE_HEADER_SIZE;
    const names = new Array<string>(nattributes);
    const namesStart = p;
    for (let a = 0; a < nattributes; a++) {
      const start = p;
      while (p < end && bytes[p] !== 0) p++;
      if (p >= end) throw new MalformedMessageError('POLYDATA', `attribute ${a} name has no NUL terminator before the end of the content`);
      if (p - start > MAX_NAME_BYTES) throw new MalformedMessageError('POLYDATA', `attribute ${a} name is ${p - start} bytes (max ${MAX_NAME_BYTES})`);
      names[a] = escapedText(bytes, start, p);
      p++;
    }
    if ((p - namesStart) % 2 === 1) {
      need(1, 'attribute name padding');
      p++;
    }
    // Data length per attribute is NCOMPONENTS x N x 4, right both for the C library's
    // 9-component quirk and for correct encoders (polydata.md).
    const attributes = new Array<PolyDataAttribute>(nattributes);
    for (let a = 0; a < nattributes; a++) {
      const h = headers + a * ATTRIBUTE_HEADER_SIZE;
      const type = view.getUint8(h);
      const ncomponents = view.getUint8(h + 1);
      const n = view.getUint32(h + 2);
      need(ncomponents * n * 4, `attribute ${a} ("${names[a]}", ${ncomponents} x ${n} float32)`);
      attributes[a] = { type, ncomponents, n, name: names[a]!, data: readFloat32s(bytes, p, ncomponents * n) };
      p += ncomponents * n * 4;
    }
    if (p !== end) throw new MalformedMessageError('POLYDATA', `sections add up to ${p - offset} bytes, content is ${length}`);
    return {
      points,
      vertices: sections.get('vertices')!,
      lines: sections.get('lines')!,
      polygons: sections.get('polygons')!,
      triangleStrips: sections.get('triangleStrips')!,
      attributes,
    };
  },
  size(content) {
    if (!(content.points instanceof Float32Array)) throw new EncodeError('POLYDATA', 'points must be a Float32Array');
    if (content.points.length % 3 !== 0) throw new EncodeError('POLYDATA', `points has ${content.points.length} floats, not a multiple of 3`);
    checkInt('POLYDATA', 'number of points', content.points.length / 3, 0, UINT32_MAX);
    let size = HEADER_SIZE + content.points.length * 4;
    for (const name of SECTION_NAMES) size += checkCells(content[name], name);
    const attributes = content.attributes;
    if (!Array.isArray(attributes)) throw new EncodeError('POLYDATA', 'attributes must be an array');
    checkInt('POLYDATA', 'number of attributes', attributes.length, 0, UINT32_MAX);
    const nameBytes: Uint8Array[] = [];
    attributes.forEach((a, i) => {
      checkInt('POLYDATA', `attributes[${i}].type`, a.type, 0, 0xff);
      checkInt('POLYDATA', `attributes[${i}].ncomponents`, a.ncomponents, 0, 0xff);
      checkInt('POLYDATA', `attributes[${i}].n`, a.n, 0, UINT32_MAX);
      if (!(a.data instanceof Float32Array)) throw new EncodeError('POLYDATA', `attributes[${i}].data must be a Float32Array`);
      if (a.data.length !== a.ncomponents * a.n) {
        throw new EncodeError('POLYDATA', `attributes[${i}].data has ${a.data.length} floats, ncomponents x n = ${a.ncomponents * a.n}`);
      }
      if (typeof a.name !== 'string' || a.name.includes('\0')) throw new EncodeError('POLYDATA', `attributes[${i}].name must be a string without NUL`);
      const b = escapedTextBytes(a.name);
      if (b.length > MAX_NAME_BYTES) throw new EncodeError('POLYDATA', `attributes[${i}].name is ${b.length} bytes (max ${MAX_NAME_BYTES})`);
      nameBytes.push(b);
      size += ATTRIBUTE_HEADER_SIZE + a.data.length * 4;
    });
    return size + namesBlockSize(nameBytes);
  },
  encode(content, bytes, view, offset) {
    const h = polyDataHeader(content);
    view.setUint32(offset + OFFSET_NPOINTS, h.npoints);
    view.setUint32(offset + OFFSET_NVERTICES, h.nvertices);
    view.setUint32(offset + OFFSET_SIZE_VERTICES, h.sizeVertices);
    view.setUint32(offset + OFFSET_NLINES, h.nlines);
    view.setUint32(offset + OFFSET_SIZE_LINES, h.sizeLines);
    view.setUint32(offset + OFFSET_NPOLYGONS, h.npolygons);
    view.setUint32(offset + OFFSET_SIZE_POLYGONS, h.sizePolygons);
    view.setUint32(offset + OFFSET_NTRIANGLE_STRIPS, h.ntriangleStrips);
    view.setUint32(offset + OFFSET_SIZE_TRIANGLE_STRIPS, h.sizeTriangleStrips);
    view.setUint32(offset + OFFSET_NATTRIBUTES, h.nattributes);
    let p = offset + HEADER_SIZE;
    writeFloat32s(bytes, p, content.points);
    p += content.points.length * 4;
    for (const name of SECTION_NAMES) {
      for (const cell of content[name]) {
        view.setUint32(p, cell.length);
        p += 4;
        for (const index of cell) {
          view.setUint32(p, index);
          p += 4;
        }
      }
    }
    for (const a of content.attributes) {
      view.setUint8(p, a.type);
      view.setUint8(p + 1, a.ncomponents);
      view.setUint32(p + 2, a.n);
      p += ATTRIBUTE_HEADER_SIZE;
    }
    const namesStart = p;
    for (const a of content.attributes) {
      const b = escapedTextBytes(a.name);
      bytes.set(b, p);
      p += b.length;
      bytes[p++] = 0;
    }
    if ((p - namesStart) % 2 === 1) bytes[p++] = 0;
    for (const a of content.attributes) {
      writeFloat32s(bytes, p, a.data);
      p += a.data.length * 4;
    }
  },
  toJSON(content) {
    const points: (number | string)[][] = [];
    for (let i = 0; i + 2 < content.points.length; i += 3) points.push(nums(content.points.subarray(i, i + 3)));
    return {
      header: polyDataHeader(content),
      points,
      vertices: cellsToJSON(content.vertices),
      lines: cellsToJSON(content.lines),
      polygons: cellsToJSON(content.polygons),
      triangleStrips: cellsToJSON(content.triangleStrips),
      attributes: content.attributes.map((a): JsonObject => ({
        type: a.type,
        ncomponents: a.ncomponents,
        n: a.n,
        name: a.name,
        data: nums(a.data),
      })),
    };
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    // `header` is derived from the sections and ignored here.
    const pointList = o.points === undefined ? [] : asArray(o.points, `${path}.points`);
    const points = new Float32Array(pointList.length * 3);
    pointList.forEach((pt, i) => points.set(asNumbers(pt, `${path}.points[${i}]`, 3), i * 3));
    const attributes = (o.attributes === undefined ? [] : asArray(o.attributes, `${path}.attributes`)).map((item, i): PolyDataAttribute => {
      const ap = `${path}.attributes[${i}]`;
      const a = asObject(item, ap);
      const ncomponents = asInt(a.ncomponents, `${ap}.ncomponents`, 0, 0xff);
      const n = asInt(a.n, `${ap}.n`, 0, UINT32_MAX);
      const data = asNumbers(a.data, `${ap}.data`);
      if (data.length !== ncomponents * n) throw new InvalidJsonMessageError(`${ap}.data`, `has ${data.length} numbers, ncomponents x n = ${ncomponents * n}`);
      const name = asString(a.name ?? '', `${ap}.name`);
      if (name.includes('\0') || escapedTextBytes(name).length > MAX_NAME_BYTES) {
        throw new InvalidJsonMessageError(`${ap}.name`, `must be at most ${MAX_NAME_BYTES} UTF-8 bytes without NUL`);
      }
      return { type: asInt(a.type, `${ap}.type`, 0, 0xff), ncomponents, n, name, data: Float32Array.from(data) };
    });
    return {
      points,
      vertices: cellsFromJSON(o.vertices, `${path}.vertices`),
      lines: cellsFromJSON(o.lines, `${path}.lines`),
      polygons: cellsFromJSON(o.polygons, `${path}.polygons`),
      triangleStrips: cellsFromJSON(o.triangleStrips, `${path}.triangleStrips`),
      attributes,
    };
  },
};
