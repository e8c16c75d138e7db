// NDARRAY: an N-dimensional array (OpenIGTLink Documents/Protocol/ndarray.md). Elements are big-endian, C order.
import type { ContentCodec } from '../codec.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import { checkInt } from './encode-checks.js';
import { asArray, asBytes, asInt, asObject, bytesToJSON } from './json-fields.js';
import { Endian, scalarSize } from './scalar-type.js';
import { readScalars, scalarBytes, scalarTypeOf, type ScalarArray } from './image.js';

// Offsets (OpenIGTLink Documents/Protocol/ndarray.md table).
const OFFSET_TYPE = 0; // uint8 scalar type
const OFFSET_DIM = 1; // uint8 DIM
const OFFSET_SIZE = 2; // uint16[DIM], then the data
const FIXED_SIZE = 2;
const COMPLEX = 13;

/** Content of an NDARRAY message. */
export interface NdArrayContent {
  /** Scalar type code (IMAGE codes plus 13 = complex). */
  readonly scalarType: number;
  /** Size of each dimension (DIM = size.length). */
  readonly size: readonly number[];
  /** Elements in C order, big-endian, exactly as on the wire (a view). See `ndarrayValues`. */
  readonly data: Uint8Array;
}

/** Number of elements: the product of the sizes (1 for DIM = 0, as in the C code). */
function elementCount(size: readonly number[]): number {
  let n = 1;
  for (const s of size) n *= s;
  return n;
}

/** Writes the content before the data (the data is last). */
function writeNdArrayHead(c: NdArrayContent, bytes: Uint8Array, view: DataView, offset: number): void {
  view.setUint8(offset + OFFSET_TYPE, c.scalarType);
  view.setUint8(offset + OFFSET_DIM, c.size.length);
  c.size.forEach((s, d) => view.setUint16(offset + OFFSET_SIZE + 2 * d, s));
}

/**
 * Codec of NDARRAY. Valid iff the type is known (2-7, 10, 11, 13) and the content is exactly
 * 2 + 2·DIM + ΠSIZE·bytes(type) bytes (ndarray.md).
 */
export const ndArrayCodec: ContentCodec<'NDARRAY', NdArrayContent> = {
  type: 'NDARRAY',
  decode(bytes, view, offset, length) {
    if (length < FIXED_SIZE) throw new MalformedMessageError('NDARRAY', `content is ${length} bytes, shorter than the 2-byte type and dim`);
    const scalarType = view.getUint8(offset + OFFSET_TYPE);
    const bytesPer = scalarSize(scalarType);
    if (bytesPer === undefined) throw new MalformedMessageError('NDARRAY', `type ${scalarType} is not a scalar type (2-7, 10, 11, 13)`);
    const dim = view.getUint8(offset + OFFSET_DIM);
    const dataStart = OFFSET_SIZE + 2 * dim;
    if (length < dataStart) {
      throw new MalformedMessageError('NDARRAY', `content is ${length} bytes, too short for dim ${dim} (2 + 2x${dim} = ${dataStart} header bytes)`);
    }
    const size = new Array<number>(dim);
    for (let d = 0; d < dim; d++) size[d] = view.getUint16(offset + OFFSET_SIZE + 2 * d);
    const count = elementCount(size);
    const expected = dataStart + count * bytesPer;
    if (length !== expected) {
      throw new MalformedMessageError('NDARRAY', `content is ${length} bytes, expected ${expected} ` +
        `(2 + 2x${dim} + ${size.join('x') || '1'} elements x ${bytesPer} bytes)`);
    }
    return { scalarType, size, data: bytes.subarray(offset + dataStart, offset + length) };
  },
  size(c) {
    const bytesPer = scalarSize(c.scalarType);
    if (bytesPer === undefined) throw new EncodeError('NDARRAY', `scalarType ${c.scalarType} is not a scalar type (2-7, 10, 11, 13)`);
    if (c.size.length > 255) throw new EncodeError('NDARRAY', `size has ${c.size.length} dimensions, at most 255 fit the DIM field`);
    c.size.forEach((s, d) => checkInt('NDARRAY', `size[${d}]`, s, 0, 0xffff));
    const dataBytes = elementCount(c.size) * bytesPer;
    if (!(c.data instanceof Uint8Array)) throw new EncodeError('NDARRAY', 'data must be a Uint8Array of big-endian wire bytes (see createNdArrayContent for typed arrays)');
    if (c.data.length !== dataBytes) {
      throw new EncodeError('NDARRAY', `data is ${c.data.length} bytes, expected ${dataBytes} (${c.size.join('x') || '1'} elements x ${bytesPer} bytes)`);
    }
    return OFFSET_SIZE + 2 * c.size.length + dataBytes;
  },
  encode(c, bytes, view, offset) {
    writeNdArrayHead(c, bytes, view, offset);
    bytes.set(c.data, offset + OFFSET_SIZE + 2 * c.size.length);
  },
  // The data goes last: encodeMessageParts can send it from where it is (no copy).
  payload: (c) => c.data,
  encodeHead: (c, bytes, view, offset) => writeNdArrayHead(c, bytes, view, offset),
  toJSON(c) {
    // The manifest's inline `data` array is replaced by dataBase64 (the checker accepts it).
    return { type: c.scalarType, dim: c.size.length, size: [...c.size], dataBase64: bytesToJSON(c.data) };
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    // `dim` is derived from `size` and ignored.
    const size = asArray(o.size, `${path}.size`).map((s, d) => asInt(s, `${path}.size[${d}]`, 0, 0xffff));
    if (size.length > 255) throw new InvalidJsonMessageError(`${path}.size`, `${size.length} dimensions, at most 255`);
    return { scalarType: asInt(o.type, `${path}.type`, 0, 255), size, data: asBytes(o, 'data', path) };
  },
};

/**
 * The elements of an NDARRAY as a typed array in host byte order, in C order (the last index
 * varies fastest): Int8Array (2) ... Float64Array (11), and for complex (13) a Float64Array of
 * interleaved real, imaginary values (twice as long as the element count).
 *
 * The wire is big-endian, so on little-endian hosts (x86, ARM) this is a byte-swapped copy; on a
 * big-endian host, or for one-byte types, it is a view on the message's bytes when aligned.
 *
 * @throws MalformedMessageError for an unknown scalar type or a partial element
 */
export function ndarrayValues(content: NdArrayContent): ScalarArray {
  return readScalars(content.data, content.scalarType, Endian.BIG, 'NDARRAY');
}

/**
 * Builds NDARRAY content from a typed array in host byte order and C order (the last index
 * varies fastest). The elements are converted to the wire's big-endian order: a copy on
 * little-endian hosts, a view on big-endian ones (and for one-byte types).
 *
 * @param values  the elements; for complex (13) a Float64Array of interleaved real, imaginary
 * @param size  size of each dimension (at most 255 dimensions of at most 65535)
 * @param scalarType  default: the kind of `values` (Int8Array 2 ... Float64Array 11); pass 13
 *   with a Float64Array for complex values
 * @throws EncodeError when `values` does not hold ΠSIZE elements, or its kind does not match
 *   `scalarType`
 */
export function createNdArrayContent(values: ScalarArray, size: readonly number[], scalarType?: number): NdArrayContent {
  const kind = scalarTypeOf(values);
  const type: number = scalarType ?? kind;
  if (type !== kind && !(type === COMPLEX && kind === 11)) {
    throw new EncodeError('NDARRAY', `scalarType ${type} does not match the ${values.constructor.name} values (scalar type ${kind})`);
  }
  const perElement = type === COMPLEX ? 2 : 1;
  const count = elementCount(size);
  if (values.length !== count * perElement) {
    throw new EncodeError('NDARRAY', `${values.length} values for ${size.join('x') || '1'} = ${count} elements` +
      (perElement === 2 ? ' (complex: 2 values each)' : ''));
  }
  const content: NdArrayContent = { scalarType: type, size: [...size], data: scalarBytes(values, Endian.BIG) };
  ndArrayCodec.size(content); // every remaining check (dimension count and sizes)
  return content;
}
