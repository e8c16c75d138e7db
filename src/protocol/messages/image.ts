// IMAGE: 72-byte image header + pixel data (OpenIGTLink Documents/Protocol/image.md).
//
// Also home of the scalar-array helpers shared by the imaging types (IMAGE pixels, NDARRAY
// elements): wire bytes in a given byte order <-> typed arrays in host order.
import type { ContentCodec } from '../codec.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { EncodeError, MalformedMessageError } from '../errors.js';
import { checkInt, checkTuple, checkU16x3 } from './encode-checks.js';
import { asBytes, asInt, asObject, bytesToJSON, nums } from './json-fields.js';
import { Endian, scalarSize, type ScalarTypeCode } from './scalar-type.js';
import type { Matrix4, Vec3 } from './vectors.js';
import { checkGrid, gridFromJSON, gridToJSON, readGrid, writeGrid } from './voxel-grid.js';

// Offsets of the image header (OpenIGTLink Documents/Protocol/image.md table).
const OFFSET_VERSION = 0; // uint16, must be 1
const OFFSET_COMPONENTS = 2; // uint8 T
const OFFSET_SCALAR_TYPE = 3; // uint8 S
const OFFSET_ENDIAN = 4; // uint8 E
const OFFSET_COORDINATE = 5; // uint8 O
const OFFSET_SIZE = 6; // uint16[3] RI RJ RK
// Then, from OFFSET_SIZE: the voxel grid block shared with VIDEO (common.ts readGrid):
// matrix float32[12] at 12, sub-volume offset uint16[3] at 60, sub-volume size uint16[3] at 66.
const HEADER_SIZE = 72; // pixel data starts here
const IMAGE_HEADER_VERSION = 1;
const AXES = ['i', 'j', 'k'] as const;

/** Content of an IMAGE message. */
export interface ImageContent {
  /** Components per voxel (1 = scalar, 3 = RGB or vector, ...). */
  readonly numComponents: number;
  /** Scalar type code (see `ScalarType`): 2 int8 ... 11 float64. */
  readonly scalarType: number;
  /** Byte order of `data` (1 big, 2 little): pixels are never swapped on the wire. */
  readonly endian: number;
  /** 1 = RAS, 2 = LPS. */
  readonly coordinate: number;
  /** Full image size in voxels (i, j, k). */
  readonly size: Vec3;
  /**
   * Row-major 4x4: columns 0-2 are the i, j, k axes scaled by their spacing (TX..TZ, SX..SZ,
   * NX..NZ on the wire), column 3 the position P (PX..PZ), bottom row 0 0 0 1.
   */
  readonly matrix: Matrix4;
  /** Sub-volume start index (0,0,0 for a full image). */
  readonly subvolumeOffset: Vec3;
  /** Sub-volume size (= size for a full image). */
  readonly subvolumeSize: Vec3;
  /** Pixel bytes of the sub-volume exactly as on the wire: a view on the received bytes, not a copy. */
  readonly data: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Scalar arrays

/** A typed array of one of the OpenIGTLink scalar types. */
export type ScalarArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Byte order of this platform as an {@link Endian} code (2 on x86 and ARM, 1 on big-endian hosts). */
export const HOST_ENDIAN: 1 | 2 = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? Endian.LITTLE : Endian.BIG;

/** Bytes per scalar of an IMAGE scalar type (complex, 13, is NDARRAY only). */
function imageScalarSize(code: number): number | undefined {
  return code === 13 ? undefined : scalarSize(code);
}

/**
 * The scalar type code of a typed array's element kind: Int8Array 2, Uint8Array 3, Int16Array 4,
 * Uint16Array 5, Int32Array 6, Uint32Array 7, Float32Array 10, Float64Array 11.
 */
export function scalarTypeOf(a: ScalarArray): ScalarTypeCode {
  if (a instanceof Int8Array) return 2;
  if (a instanceof Uint8Array) return 3;
  if (a instanceof Int16Array) return 4;
  if (a instanceof Uint16Array) return 5;
  if (a instanceof Int32Array) return 6;
  if (a instanceof Uint32Array) return 7;
  if (a instanceof Float32Array) return 10;
  return 11;
}

/** Whether `a` is one of the typed arrays IMAGE pixels can be. */
function isScalarArray(a: unknown): a is ScalarArray {
  return a instanceof Int8Array || a instanceof Uint8Array || a instanceof Int16Array || a instanceof Uint16Array ||
    a instanceof Int32Array || a instanceof Uint32Array || a instanceof Float32Array || a instanceof Float64Array;
}

/** A typed array of `scalarType` (complex: Float64Array of re, im pairs) over `buffer`. */
function typedArray(scalarType: number, buffer: ArrayBufferLike, byteOffset: number, byteLength: number): ScalarArray {
  switch (scalarType) {
    case 2: return new Int8Array(buffer, byteOffset, byteLength);
    case 3: return new Uint8Array(buffer, byteOffset, byteLength);
    case 4: return new Int16Array(buffer, byteOffset, byteLength / 2);
    case 5: return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case 6: return new Int32Array(buffer, byteOffset, byteLength / 4);
    case 7: return new Uint32Array(buffer, byteOffset, byteLength / 4);
    case 10: return new Float32Array(buffer, byteOffset, byteLength / 4);
    default: return new Float64Array(buffer, byteOffset, byteLength / 8); // 11, 13
  }
}

/**
 * A copy of `bytes` in a new ArrayBuffer of exactly its length. Not `bytes.slice()`: on a Node
 * Buffer (what sockets and files deliver) `slice` returns a view, and swapping it in place
 * would corrupt the received bytes.
 */
function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** Reverses the byte order of every `width`-byte word of a whole buffer, in place. */
function swapInPlace(buffer: ArrayBufferLike, width: number): void {
  // Word-wide integer views and shifts: several times faster than a byte loop on large images.
  if (width === 2) {
    const w = new Uint16Array(buffer);
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      w[i] = (v >>> 8) | ((v & 0xff) << 8);
    }
    return;
  }
  const w = new Uint32Array(buffer);
  const swap32 = (v: number): number => ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v & 0xff00) << 8) | (v << 24)) >>> 0;
  if (width === 4) {
    for (let i = 0; i < w.length; i++) w[i] = swap32(w[i]!);
    return;
  }
  for (let i = 0; i < w.length; i += 2) {
    const a = w[i]!;
    w[i] = swap32(w[i + 1]!);
    w[i + 1] = swap32(a);
  }
}

/**
 * Reads scalars stored in `bytes` with byte order `endian` (1 big, 2 little) as a typed array in
 * host byte order: Int8Array for 2 ... Float64Array for 11, and for complex (13, NDARRAY) a
 * Float64Array of interleaved real, imaginary values.
 *
 * Zero-copy when it can be: the result is a view on `bytes`' buffer when the scalars are one
 * byte wide, or when `endian` is the host's ({@link HOST_ENDIAN}) and `bytes.byteOffset` is a
 * multiple of the word size. Otherwise it is a copy (byte-swapped when the orders differ), so
 * writing into the result changes the message only in the zero-copy case.
 *
 * @param bytes  the scalars as on the wire; its length must be a whole number of scalars
 * @param scalarType  a scalar type code (2-7, 10, 11, 13)
 * @param endian  byte order of `bytes` (ignored for one-byte scalars)
 * @param messageType  message type named in errors (default `'scalars'`)
 * @throws MalformedMessageError for an unknown scalar type or byte order, or a partial scalar
 */
export function readScalars(bytes: Uint8Array, scalarType: number, endian: number, messageType = 'scalars'): ScalarArray {
  const bytesPer = scalarSize(scalarType);
  if (bytesPer === undefined) throw new MalformedMessageError(messageType, `scalar type ${scalarType} is not one of 2-7, 10, 11, 13`);
  // Complex values are pairs of float64: swap and align them as 8-byte words.
  const width = Math.min(bytesPer, 8);
  if (bytes.length % bytesPer !== 0) {
    throw new MalformedMessageError(messageType, `${bytes.length} bytes is not a whole number of ${bytesPer}-byte scalars`);
  }
  if (width === 1) return typedArray(scalarType, bytes.buffer, bytes.byteOffset, bytes.length);
  if (endian !== Endian.BIG && endian !== Endian.LITTLE) {
    throw new MalformedMessageError(messageType, `byte order (endian) ${endian} is neither 1 (big) nor 2 (little)`);
  }
  if (endian === HOST_ENDIAN && bytes.byteOffset % width === 0) {
    return typedArray(scalarType, bytes.buffer, bytes.byteOffset, bytes.length);
  }
  const copy = copyBytes(bytes); // a buffer of its own at offset 0, so it is aligned
  if (endian !== HOST_ENDIAN) swapInPlace(copy.buffer, width);
  return typedArray(scalarType, copy.buffer, 0, copy.length);
}

/**
 * The bytes of a typed array in byte order `endian` (1 big, 2 little): a view on the array's
 * own buffer when `endian` is the host's or the elements are one byte wide, otherwise a
 * byte-swapped copy.
 */
export function scalarBytes(values: ScalarArray, endian: number): Uint8Array {
  const view = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (values.BYTES_PER_ELEMENT === 1 || endian === HOST_ENDIAN) return view;
  const copy = copyBytes(view);
  swapInPlace(copy.buffer, values.BYTES_PER_ELEMENT);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Validation shared by decode and size()

function product(v: Vec3): number {
  return v[0] * v[1] * v[2];
}

/** Why a sub-volume is not inside the image, or undefined when it is. */
function subvolumeProblem(size: Vec3, offset: Vec3, sub: Vec3): string | undefined {
  for (let a = 0; a < 3; a++) {
    if (offset[a]! + sub[a]! > size[a]!) {
      return `sub-volume ${AXES[a]} offset ${offset[a]} + size ${sub[a]} exceeds the image size ${size[a]}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON

/** The first <= 8 scalar values, decoded with the message's own byte order (manifest `dataPreview`). */
function preview(c: ImageContent): JsonValue[] | undefined {
  const bytesPer = imageScalarSize(c.scalarType);
  if (bytesPer === undefined || (bytesPer > 1 && c.endian !== Endian.BIG && c.endian !== Endian.LITTLE)) return undefined;
  const n = Math.min(8, Math.floor(c.data.length / bytesPer));
  return nums(readScalars(c.data.subarray(0, n * bytesPer), c.scalarType, c.endian, 'IMAGE'));
}

// ---------------------------------------------------------------------------------------------
// Codec

/** Writes the content before the data (the data is last). */
function writeImageHead(c: ImageContent, bytes: Uint8Array, view: DataView, offset: number): void {
  view.setUint16(offset + OFFSET_VERSION, IMAGE_HEADER_VERSION);
  view.setUint8(offset + OFFSET_COMPONENTS, c.numComponents);
  view.setUint8(offset + OFFSET_SCALAR_TYPE, c.scalarType);
  view.setUint8(offset + OFFSET_ENDIAN, c.endian);
  view.setUint8(offset + OFFSET_COORDINATE, c.coordinate);
  writeGrid(view, offset + OFFSET_SIZE, c);
}

/**
 * Codec of IMAGE. Decoding checks the header version (1), the scalar type (2-7, 10, 11), the
 * component count (>= 1), that the sub-volume lies inside the image, and that the content is
 * exactly 72 + DRI·DRJ·DRK·T·size(S) bytes. The C++ library ignores extra bytes after the
 * pixels (image.md); they are refused here because they could not be relayed byte for byte.
 * E (byte order) and O (coordinate system) are carried as received, without checks.
 */
export const imageCodec: ContentCodec<'IMAGE', ImageContent> = {
  type: 'IMAGE',
  decode(bytes, view, offset, length) {
    if (length < HEADER_SIZE) {
      throw new MalformedMessageError('IMAGE', `content is ${length} bytes, shorter than the ${HEADER_SIZE}-byte image header`);
    }
    const version = view.getUint16(offset + OFFSET_VERSION);
    if (version !== IMAGE_HEADER_VERSION) throw new MalformedMessageError('IMAGE', `image header version ${version}, expected 1`);
    const numComponents = view.getUint8(offset + OFFSET_COMPONENTS);
    if (numComponents === 0) throw new MalformedMessageError('IMAGE', 'numComponents is 0, expected 1..255');
    const scalarType = view.getUint8(offset + OFFSET_SCALAR_TYPE);
    const bytesPer = imageScalarSize(scalarType);
    if (bytesPer === undefined) {
      throw new MalformedMessageError('IMAGE', `scalarType ${scalarType} is not an image scalar type (2-7, 10, 11)`);
    }
    const grid = readGrid(view, offset + OFFSET_SIZE);
    const { subvolumeSize } = grid;
    const problem = subvolumeProblem(grid.size, grid.subvolumeOffset, subvolumeSize);
    if (problem) throw new MalformedMessageError('IMAGE', problem);
    const pixelBytes = product(subvolumeSize) * numComponents * bytesPer;
    if (length !== HEADER_SIZE + pixelBytes) {
      throw new MalformedMessageError('IMAGE', `content is ${length} bytes, expected ${HEADER_SIZE + pixelBytes} ` +
        `(72-byte header + ${subvolumeSize.join('x')} voxels x ${numComponents} components x ${bytesPer} bytes)`);
    }
    return {
      numComponents,
      scalarType,
      endian: view.getUint8(offset + OFFSET_ENDIAN),
      coordinate: view.getUint8(offset + OFFSET_COORDINATE),
      ...grid,
      data: bytes.subarray(offset + HEADER_SIZE, offset + length),
    };
  },
  size(c) {
    checkInt('IMAGE', 'numComponents', c.numComponents, 1, 255);
    const bytesPer = imageScalarSize(c.scalarType);
    if (bytesPer === undefined) throw new EncodeError('IMAGE', `scalarType ${c.scalarType} is not an image scalar type (2-7, 10, 11)`);
    // Any byte is carried for E and O so that a received image relays unchanged.
    checkInt('IMAGE', 'endian', c.endian, 0, 255);
    checkInt('IMAGE', 'coordinate', c.coordinate, 0, 255);
    checkGrid('IMAGE', c);
    const problem = subvolumeProblem(c.size, c.subvolumeOffset, c.subvolumeSize);
    if (problem) throw new EncodeError('IMAGE', problem);
    const pixelBytes = product(c.subvolumeSize) * c.numComponents * bytesPer;
    if (!(c.data instanceof Uint8Array)) throw new EncodeError('IMAGE', 'data must be a Uint8Array of wire bytes (see createImageContent for typed arrays)');
    if (c.data.length !== pixelBytes) {
      throw new EncodeError('IMAGE', `data is ${c.data.length} bytes, expected ${pixelBytes} ` +
        `(${c.subvolumeSize.join('x')} voxels x ${c.numComponents} components x ${bytesPer} bytes)`);
    }
    return HEADER_SIZE + pixelBytes;
  },
  encode(c, bytes, view, offset) {
    writeImageHead(c, bytes, view, offset);
    bytes.set(c.data, offset + HEADER_SIZE);
  },
  // The data goes last: encodeMessageParts can send it from where it is (no copy).
  payload: (c) => c.data,
  encodeHead: (c, bytes, view, offset) => writeImageHead(c, bytes, view, offset),
  toJSON(c) {
    const json: JsonObject = {
      version: IMAGE_HEADER_VERSION,
      numComponents: c.numComponents,
      scalarType: c.scalarType,
      endian: c.endian,
      coordinate: c.coordinate,
      ...gridToJSON(c),
      dataBase64: bytesToJSON(c.data),
    };
    const p = preview(c);
    if (p) json.dataPreview = p;
    return json;
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    if (o.version !== undefined) asInt(o.version, `${path}.version`, IMAGE_HEADER_VERSION, IMAGE_HEADER_VERSION);
    // dataPreview is derived from the data and ignored here.
    return {
      numComponents: asInt(o.numComponents ?? 1, `${path}.numComponents`, 1, 255),
      scalarType: asInt(o.scalarType, `${path}.scalarType`, 0, 255),
      endian: asInt(o.endian, `${path}.endian`, 0, 255),
      coordinate: asInt(o.coordinate ?? 1, `${path}.coordinate`, 0, 255),
      ...gridFromJSON(o, path),
      data: asBytes(o, 'data', path),
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers for applications

/**
 * The pixels of an IMAGE (its sub-volume) as a typed array of the image's scalar type, in host
 * byte order: Int8Array (2), Uint8Array (3), Int16Array (4), Uint16Array (5), Int32Array (6),
 * Uint32Array (7), Float32Array (10) or Float64Array (11). Components are interleaved, then i
 * varies fastest, then j, then k (length = DRI·DRJ·DRK·T).
 *
 * Zero-copy when possible: for one-byte scalars, and for wider ones when the image's byte order
 * (`endian`) equals the host's and the pixel data starts at an aligned address, the result is a
 * view on the message's bytes (`result.buffer === content.data.buffer`). Otherwise, e.g. a
 * big-endian image on an x86 host, or pixels at an odd offset in the received buffer, it is a
 * byte-swapped and/or aligned copy.
 *
 * @throws MalformedMessageError when the scalar type is not an image type, or `endian` is
 *   neither 1 nor 2 for multi-byte scalars
 */
export function imagePixels(content: ImageContent): ScalarArray {
  if (imageScalarSize(content.scalarType) === undefined) {
    throw new MalformedMessageError('IMAGE', `scalarType ${content.scalarType} is not an image scalar type (2-7, 10, 11)`);
  }
  return readScalars(content.data, content.scalarType, content.endian, 'IMAGE');
}

/** The geometry of an IMAGE in world coordinates (mm), from its matrix and size. */
export interface ImageGeometry {
  /** Voxel spacing along i, j, k: the lengths of the matrix's axis columns. */
  readonly spacing: Vec3;
  /**
   * Unit direction of the i, j and k axes (matrix columns 0-2 divided by their spacing). An
   * axis whose column is all zeros (spacing 0) has no direction and is given as (0, 0, 0).
   */
  readonly directions: readonly [Vec3, Vec3, Vec3];
  /** P as sent (matrix column 3): the centre of the full voxel grid, as Slicer, PLUS and pyigtl read it. */
  readonly origin: Vec3;
  /** Centre of voxel (0, 0, 0) of the full image: `P - Σ axis·(R - 1)/2` (image.md, PX/PY/PZ). */
  readonly corner: Vec3;
  /**
   * Row-major 4x4 mapping full-image voxel indices (i, j, k, 1) to world coordinates: columns
   * 0-2 are the spaced axes, column 3 is `corner`. For a sub-volume voxel (i', j', k') use
   * (DI + i', DJ + j', DK + k').
   */
  readonly ijkToWorld: Matrix4;
}

/**
 * Spacing, unit directions, P, and the centre of voxel (0, 0, 0) of an IMAGE (or VIDEO), as OpenIGTLink
 * Documents/Protocol/image.md describes (PX, PY, PZ: "center position of the image"): P is taken as the centre of the full voxel grid (RI, RJ,
 * RK), the way 3D Slicer, PLUS and pyigtl treat it, so
 * `corner = P - axis_i·(RI-1)/2 - axis_j·(RJ-1)/2 - axis_k·(RK-1)/2`.
 *
 * @param content  anything with IMAGE's `matrix` and `size` (ImageContent, VideoContent)
 */
export function imageGeometry(content: { readonly matrix: Matrix4; readonly size: Vec3 }): ImageGeometry {
  const m = content.matrix;
  const column = (c: number): Vec3 => [m[c]!, m[4 + c]!, m[8 + c]!];
  const axes = [column(0), column(1), column(2)] as const;
  const spacing = axes.map((v) => Math.hypot(v[0], v[1], v[2]));
  const directions = axes.map((v, a): Vec3 => {
    const s = spacing[a]!;
    return s === 0 ? [0, 0, 0] : [v[0] / s, v[1] / s, v[2] / s];
  });
  const origin = column(3);
  const corner: [number, number, number] = [origin[0], origin[1], origin[2]];
  for (let a = 0; a < 3; a++) {
    const half = (content.size[a]! - 1) / 2;
    for (let r = 0; r < 3; r++) corner[r] -= axes[a]![r]! * half;
  }
  return {
    spacing: [spacing[0]!, spacing[1]!, spacing[2]!],
    directions: [directions[0]!, directions[1]!, directions[2]!],
    origin,
    corner,
    ijkToWorld: [
      m[0]!, m[1]!, m[2]!, corner[0],
      m[4]!, m[5]!, m[6]!, corner[1],
      m[8]!, m[9]!, m[10]!, corner[2],
      0, 0, 0, 1,
    ],
  };
}

/** Input of {@link createImageContent}. */
export interface CreateImageOptions {
  /**
   * The pixels of the sub-volume (the whole image by default): components interleaved, i
   * fastest, then j, then k. A typed array of the scalar type, or a Uint8Array of raw bytes
   * (in byte order `endian`) when `scalarType` names a wider type.
   */
  readonly data: ScalarArray;
  /** Full image size in voxels (i, j, k). */
  readonly size: Vec3;
  /** Scalar type code; default: the kind of `data` (Uint8Array -> 3, ..., Float64Array -> 11). */
  readonly scalarType?: number;
  /** Components per voxel (default 1). */
  readonly numComponents?: number;
  /**
   * Byte order to send (default: the host's, {@link HOST_ENDIAN}, so the typed array's bytes are
   * used as they are, without a copy; any other order makes a byte-swapped copy).
   */
  readonly endian?: number;
  /** 1 RAS (default), 2 LPS. */
  readonly coordinate?: number;
  /** Voxel spacing in mm along i, j, k (default 1, 1, 1). */
  readonly spacing?: Vec3;
  /** Unit directions of the i, j, k axes (default: the identity, x, y, z). */
  readonly directions?: readonly [Vec3, Vec3, Vec3];
  /** P: the centre of the full voxel grid, as sent (default 0, 0, 0). Give this or `corner`. */
  readonly origin?: Vec3;
  /** Centre of voxel (0, 0, 0), converted to P as in {@link imageGeometry}. Give this or `origin`. */
  readonly corner?: Vec3;
  /** Sub-volume start index (default 0, 0, 0). */
  readonly subvolumeOffset?: Vec3;
  /** Sub-volume size (default: `size`). */
  readonly subvolumeSize?: Vec3;
}

/**
 * Builds IMAGE content from a typed array and the image geometry. With the default byte order
 * (the host's), `data` of the result is a view on the typed array's buffer: no pixel is copied.
 *
 * @example
 * const content = createImageContent({ data: new Uint16Array(256 * 256), size: [256, 256, 1], spacing: [0.5, 0.5, 1] });
 * const msg = createMessage('IMAGE', content, { deviceName: 'Ultrasound' });
 * @throws EncodeError when the options do not describe a valid image (a data length that does
 *   not match the sub-volume, a scalar type that does not match the array, ...)
 */
export function createImageContent(options: CreateImageOptions): ImageContent {
  const { data } = options;
  // From untyped JavaScript: without this, a missing or plain-array `data` was a TypeError from
  // deep inside (or taken for float64 pixels).
  if (!isScalarArray(data)) {
    throw new EncodeError('IMAGE', `data must be a typed array (Int8Array ... Float64Array), got ${data === null ? 'null' : typeof data === 'object' ? (data as object).constructor?.name ?? 'an object' : typeof data}`);
  }
  const kind = scalarTypeOf(data);
  const scalarType: number = options.scalarType ?? kind;
  const rawBytes = kind === 3 && scalarType !== 3;
  if (scalarType !== kind && !rawBytes) {
    throw new EncodeError('IMAGE', `scalarType ${scalarType} does not match the ${data.constructor.name} data (scalar type ${kind})`);
  }
  if (options.origin && options.corner) throw new EncodeError('IMAGE', 'give either origin (P) or corner, not both');
  const endian = options.endian ?? HOST_ENDIAN;
  if (endian !== Endian.BIG && endian !== Endian.LITTLE) throw new EncodeError('IMAGE', `endian must be 1 (big) or 2 (little), got ${endian}`);
  checkU16x3('IMAGE', 'size', options.size);
  const spacing = options.spacing ?? [1, 1, 1];
  checkTuple('IMAGE', 'spacing', spacing, 3);
  const directions = options.directions ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  if (directions.length !== 3) throw new EncodeError('IMAGE', `directions must be 3 vectors, got ${directions.length}`);
  directions.forEach((d, a) => checkTuple('IMAGE', `directions[${a}]`, d, 3));
  const axis = (a: number, r: number): number => directions[a]![r]! * spacing[a]!;
  const matrix = [
    axis(0, 0), axis(1, 0), axis(2, 0), 0,
    axis(0, 1), axis(1, 1), axis(2, 1), 0,
    axis(0, 2), axis(1, 2), axis(2, 2), 0,
    0, 0, 0, 1,
  ];
  if (options.corner) {
    checkTuple('IMAGE', 'corner', options.corner, 3);
    for (let r = 0; r < 3; r++) {
      let p = options.corner[r]!;
      for (let a = 0; a < 3; a++) p += axis(a, r) * (options.size[a]! - 1) / 2;
      matrix[r * 4 + 3] = p;
    }
  } else {
    const origin = options.origin ?? [0, 0, 0];
    checkTuple('IMAGE', 'origin', origin, 3);
    for (let r = 0; r < 3; r++) matrix[r * 4 + 3] = origin[r]!;
  }
  const content: ImageContent = {
    numComponents: options.numComponents ?? 1,
    scalarType,
    endian,
    coordinate: options.coordinate ?? 1,
    size: options.size,
    matrix,
    subvolumeOffset: options.subvolumeOffset ?? [0, 0, 0],
    subvolumeSize: options.subvolumeSize ?? options.size,
    // Raw bytes are already in `endian` order; a typed array is in host order.
    data: rawBytes ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : scalarBytes(data, endian),
  };
  imageCodec.size(content); // every remaining check, with the codec's own messages
  return content;
}
