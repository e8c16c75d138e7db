// From a parsed header to the layout of the pixel data: frame size, scalar type, where frames
// are, how they are encoded, and the image geometry. One place for both formats' rules.
import { dirname, resolve } from 'node:path';
import { field, SequenceFormatError, type SequenceHeader } from './header.js';

/** How the pixel data of a sequence is laid out on disk. */
export interface SequenceLayout {
  /** Number of frames (the list/time axis size; 1 without one). */
  readonly frameCount: number;
  /** Frame size in voxels (i, j, k); k is 1 for 2-D frames; 0 0 0 when there is no image data. */
  readonly size: readonly [number, number, number];
  /** Components per voxel. */
  readonly components: number;
  /** OpenIGTLink scalar type code (2 int8 ... 11 float64). */
  readonly scalarType: number;
  /** Bytes per scalar. */
  readonly scalarBytes: number;
  /** Byte order of the data: 1 big, 2 little (OpenIGTLink's codes). */
  readonly endian: 1 | 2;
  /** Bytes of one frame. */
  readonly frameBytes: number;
  /** File that holds the pixels and where they start in it. */
  readonly dataPath: string;
  readonly dataOffset: number;
  /** 'none', 'zlib' (MetaIO CompressedData, one stream over all frames) or 'gzip' (NRRD). */
  readonly compression: 'none' | 'zlib' | 'gzip';
  /**
   * Where the frame axis is: 'last' (frames are contiguous: PLUS, current Slicer) or 'first'
   * (older Slicer .seq.nrrd: `kinds: list domain domain domain`, each voxel holds all frames).
   */
  readonly listAxis: 'last' | 'first';
  /** IJK -> image space, row-major 4x4 (spacing, axis directions and origin from the header). */
  readonly ijkToImage: readonly number[];
  /** Ultrasound image orientation in the file (`MF`, `UFA`, ...), upper case, or undefined. */
  readonly orientation: string | undefined;
  /** Ultrasound image type (`BRIGHTNESS`, `RF_REAL`, ...), upper case, or undefined. */
  readonly imageType: string | undefined;
}

// MetaIO element types (IGSIO ConvertMetaElementTypeToVtkPixelType) -> OpenIGTLink scalar types.
const META_TYPES: Record<string, [number, number]> = {
  MET_CHAR: [2, 1], MET_ASCII_CHAR: [2, 1], MET_UCHAR: [3, 1], MET_SHORT: [4, 2], MET_USHORT: [5, 2],
  MET_INT: [6, 4], MET_UINT: [7, 4], MET_LONG: [6, 4], MET_ULONG: [7, 4], MET_FLOAT: [10, 4], MET_DOUBLE: [11, 8],
};
// NRRD type names (format §5 "type"; IGSIO ConvertNrrdTypeToVtkPixelType) -> OpenIGTLink scalar types.
const NRRD_TYPES: Record<string, [number, number]> = {
  'signed char': [2, 1], int8: [2, 1], int8_t: [2, 1],
  uchar: [3, 1], 'unsigned char': [3, 1], uint8: [3, 1], uint8_t: [3, 1],
  short: [4, 2], 'short int': [4, 2], 'signed short': [4, 2], 'signed short int': [4, 2], int16: [4, 2], int16_t: [4, 2],
  ushort: [5, 2], 'unsigned short': [5, 2], 'unsigned short int': [5, 2], uint16: [5, 2], uint16_t: [5, 2],
  int: [6, 4], 'signed int': [6, 4], int32: [6, 4], int32_t: [6, 4],
  uint: [7, 4], 'unsigned int': [7, 4], uint32: [7, 4], uint32_t: [7, 4],
  float: [10, 4], double: [11, 8],
};

/** OpenIGTLink scalar type -> MetaIO element type and NRRD type name (what the writer writes). */
export const WRITE_TYPES: Record<number, { meta: string; nrrd: string }> = {
  2: { meta: 'MET_CHAR', nrrd: 'int8' }, 3: { meta: 'MET_UCHAR', nrrd: 'uint8' }, 4: { meta: 'MET_SHORT', nrrd: 'int16' },
  5: { meta: 'MET_USHORT', nrrd: 'uint16' }, 6: { meta: 'MET_INT', nrrd: 'int32' }, 7: { meta: 'MET_UINT', nrrd: 'uint32' },
  10: { meta: 'MET_FLOAT', nrrd: 'float' }, 11: { meta: 'MET_DOUBLE', nrrd: 'double' },
};

function numbers(text: string | undefined): number[] {
  if (text === undefined) return [];
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/**
 * The whole numbers >= `min` of a size or count field (DimSize, NRRD sizes, a channel count).
 * Anything else is refused: read as NaN or a negative size, a frame has no bytes, and the images
 * would be dropped without a word (the sequence would look like tracking only).
 */
function counts(text: string | undefined, name: string, file: string, min = 0): number[] {
  const values = numbers(text);
  if (values.some((v) => !Number.isInteger(v) || v < min)) {
    throw new SequenceFormatError(`${file}: ${name} is ${JSON.stringify(text)}, not whole numbers >= ${min}`);
  }
  return values;
}

/** A single count field (absent: `fallback`). */
function count(text: string | undefined, name: string, file: string, fallback: number, min: number): number {
  return text === undefined ? fallback : (counts(text, name, file, min)[0] ?? fallback);
}

/**
 * Splits the axes by kind: spatial domains, the frame axis, a vector axis (PLUS: "vector" kinds
 * hold channels). Each axis needs its size: an axis without one was taken as size 1, so a
 * `DimSize = 200 150` under `Kinds = domain domain list` read as one frame (the other frames'
 * pixels never read), and no DimSize at all as a 1 x 1 x 1 image.
 */
function axes(kinds: string[], sizes: number[], file: string, sizeField: string): { domain: number[]; frames: number; listAt: number; vector: number } {
  if (sizes.length < kinds.length) {
    throw new SequenceFormatError(`${file}: ${sizeField} gives ${sizes.length} size${sizes.length === 1 ? '' : 's'} for ${kinds.length} axes (${kinds.join(' ')})`);
  }
  const domain: number[] = [];
  let frames = 1;
  let listAt = -1;
  let vector = 0;
  kinds.forEach((kind, i) => {
    const n = sizes[i] ?? 1;
    const k = kind.toLowerCase();
    // time = resampling ok, list = resampling not ok (IGSIO ReadImageHeader): both are the frame axis.
    if (k === 'time' || k === 'list') {
      frames = n;
      listAt = i;
    } else if (k === 'vector' || k === '3-vector' || k === 'rgb-color' || k === 'rgba-color' || k === '4-vector') vector = n;
    else domain.push(n);
  });
  if (domain.length > 3 && domain.slice(3).some((n) => n > 1)) throw new SequenceFormatError(`${file}: more than 3 spatial axes`);
  return { domain, frames, listAt, vector };
}

function vec3(values: number[]): [number, number, number] {
  return [values[0] ?? 0, values[1] ?? 0, values[2] ?? 0];
}

/** Row-major 4x4 from three axis vectors (already scaled by spacing) and an origin. */
function ijkMatrix(ax: [number, number, number][], origin: [number, number, number]): number[] {
  const [i, j, k] = ax as [[number, number, number], [number, number, number], [number, number, number]];
  return [i[0], j[0], k[0], origin[0], i[1], j[1], k[1], origin[1], i[2], j[2], k[2], origin[2], 0, 0, 0, 1];
}

function metaioLayout(header: SequenceHeader, file: string): SequenceLayout {
  const nDims = count(field(header, 'NDims'), 'NDims', file, 3, 1);
  const sizes = counts(field(header, 'DimSize'), 'DimSize', file);
  const kindsText = field(header, 'Kinds');
  // Without Kinds the last axis is the frame axis (IGSIO ReadImageHeader: "Treating the last
  // dimension as time"), but not with NDims = 2: IGSIO writes NDims = 2 only for a single 2-D frame
  // (WriteInitialImageHeader: 2 or 3 spatial axes, one more for a time series), and as frames of
  // one row each (DimSize 640 480 read as 480 frames of 640 x 1) the image would be lost.
  const kinds = kindsText !== undefined ? kindsText.trim().split(/\s+/)
    : nDims === 2 ? ['domain', 'domain'] : [...Array.from({ length: nDims - 1 }, () => 'domain'), 'list'];
  const { domain, frames } = axes(kinds, sizes, file, 'DimSize');
  const size = vec3([domain[0] ?? 1, domain[1] ?? 1, domain[2] ?? 1]);
  if (size[0] === 0 || size[1] === 0) size[2] = 0; // no image data (IGSIO ReadImageHeader post-process)
  const elementType = (field(header, 'ElementType') ?? 'MET_UCHAR').toUpperCase();
  const type = META_TYPES[elementType];
  if (!type) throw new SequenceFormatError(`${file}: ElementType ${elementType} is not supported`);
  const components = count(field(header, 'ElementNumberOfChannels'), 'ElementNumberOfChannels', file, 1, 1);
  const compressed = (field(header, 'CompressedData') ?? 'false').toLowerCase() === 'true';
  const binary = (field(header, 'BinaryData') ?? 'true').toLowerCase() === 'true';
  if (!binary) throw new SequenceFormatError(`${file}: BinaryData = False (text pixel data) is not supported, as in PLUS`);
  const spacing = vec3(numbers(field(header, 'ElementSpacing') ?? field(header, 'ElementSize')).concat([1, 1, 1]));
  const offset = vec3(numbers(field(header, 'Offset') ?? field(header, 'Origin') ?? field(header, 'Position')));
  const tm = numbers(field(header, 'TransformMatrix') ?? field(header, 'Rotation') ?? field(header, 'Orientation'));
  // TransformMatrix holds the axis directions column by column in an n x n matrix (n = spatial dims).
  const n = Math.round(Math.sqrt(tm.length));
  const dir = (axis: number): [number, number, number] => {
    const v: [number, number, number] = [axis === 0 ? 1 : 0, axis === 1 ? 1 : 0, axis === 2 ? 1 : 0];
    if (n >= 2 && axis < n) for (let r = 0; r < Math.min(n, 3); r++) v[r] = tm[axis * n + r] ?? v[r]!;
    return [v[0] * spacing[axis]!, v[1] * spacing[axis]!, v[2] * spacing[axis]!];
  };
  return finish(header, file, {
    frameCount: frames, size, components, scalarType: type[0], scalarBytes: type[1],
    endian: (field(header, 'BinaryDataByteOrderMSB') ?? field(header, 'ElementByteOrderMSB') ?? 'false').toLowerCase() === 'true' ? 1 : 2,
    compression: compressed ? 'zlib' : 'none', listAxis: 'last',
    ijkToImage: ijkMatrix([dir(0), dir(1), dir(2)], offset),
    orientation: field(header, 'UltrasoundImageOrientation')?.toUpperCase(),
    imageType: field(header, 'UltrasoundImageType')?.toUpperCase(),
  });
}

function nrrdVectors(text: string | undefined): ([number, number, number] | undefined)[] {
  if (text === undefined) return [];
  return (text.match(/\([^)]*\)|none/g) ?? []).map((t) => (t === 'none' ? undefined : vec3(t.slice(1, -1).split(',').map(Number))));
}

function nrrdLayout(header: SequenceHeader, file: string): SequenceLayout {
  const f = (name: string) => header.fields.get(name);
  const sizes = counts(f('sizes'), 'sizes', file);
  const dimension = count(f('dimension'), 'dimension', file, sizes.length, 1);
  const kindsText = f('kinds');
  const kinds = kindsText !== undefined ? kindsText.trim().split(/\s+/) : [...Array.from({ length: dimension - 1 }, () => 'domain'), 'list'];
  const { domain, frames, listAt, vector } = axes(kinds, sizes, file, 'sizes');
  const size = vec3([domain[0] ?? 1, domain[1] ?? 1, domain[2] ?? 1]);
  const type = NRRD_TYPES[(f('type') ?? '').toLowerCase()];
  if (!type) throw new SequenceFormatError(`${file}: NRRD type "${f('type')}" is not supported`);
  const encoding = (f('encoding') ?? 'raw').toLowerCase();
  if (encoding !== 'raw' && encoding !== 'gz' && encoding !== 'gzip') throw new SequenceFormatError(`${file}: NRRD encoding "${encoding}" is not supported (raw, gzip)`);
  // The frame axis is first only when it comes before every other axis (older Slicer files).
  const listFirst = listAt === 0 && kinds.length > 1;
  // Space directions: one entry per axis, "none" for non-spatial ones.
  const dirs = nrrdVectors(f('space directions')).filter((d): d is [number, number, number] => d !== undefined);
  const spacings = numbers(f('spacings'));
  const axesVec: [number, number, number][] = [0, 1, 2].map((a) => dirs[a] ?? ([a === 0 ? 1 : 0, a === 1 ? 1 : 0, a === 2 ? 1 : 0].map((v) => v * (Number.isFinite(spacings[a]) ? spacings[a]! : 1)) as [number, number, number]));
  let origin = vec3(nrrdVectors(f('space origin'))[0] ?? [0, 0, 0]);
  // OpenIGTLink IMAGE geometry is sent in RAS (what PLUS and Slicer send): LPS spaces flip x and y.
  const space = (f('space') ?? '').toLowerCase();
  if (space === 'left-posterior-superior' || space === 'lps') {
    for (const v of axesVec) {
      v[0] = -v[0];
      v[1] = -v[1];
    }
    origin = [-origin[0], -origin[1], origin[2]];
  }
  const orientation = header.fields.get('ultrasound image orientation');
  const imageType = header.fields.get('ultrasound image type');
  return finish(header, file, {
    frameCount: frames, size, components: vector > 0 ? vector : 1, scalarType: type[0], scalarBytes: type[1],
    endian: (f('endian') ?? 'little').toLowerCase() === 'big' ? 1 : 2,
    compression: encoding === 'raw' ? 'none' : 'gzip', listAxis: listFirst ? 'first' : 'last',
    ijkToImage: ijkMatrix(axesVec, origin),
    orientation: orientation?.trim().toUpperCase(), imageType: imageType?.trim().toUpperCase(),
  });
}

function finish(header: SequenceHeader, file: string, partial: Omit<SequenceLayout, 'frameBytes' | 'dataPath' | 'dataOffset'>): SequenceLayout {
  const [i, j, k] = partial.size;
  const frameBytes = i * j * k * partial.components * partial.scalarBytes;
  if (header.dataFile !== undefined) checkOneDataFile(header, file);
  // A separate data file is named relative to the header's folder (IGSIO GetPixelDataFilePath).
  const dataPath = header.dataFile === undefined ? file : resolve(dirname(file), header.dataFile);
  const skip = header.format === 'nrrd' ? Number(header.fields.get('byte skip') ?? '0') : 0;
  return { ...partial, frameBytes, dataPath, dataOffset: header.dataOffset + (skip > 0 ? skip : 0) };
}

/**
 * Refuses the multi-file forms of a detached header: MetaIO `ElementDataFile = LIST` (file names
 * on the lines that follow) or a printf pattern with its range (`slice%03d.raw 1 100 1`), and
 * NRRD `data file: LIST` or `data file: <format> <min> <max> <step>` (NRRD format §3, "data
 * file"). IGSIO reads one data file only (LOCAL or a name); taken as a name, these gave a plain
 * ENOENT for a file called "LIST" that said nothing of why.
 */
function checkOneDataFile(header: SequenceHeader, file: string): void {
  const value = header.dataFile!;
  const what = header.format === 'metaio' ? 'ElementDataFile' : '"data file"';
  if (value.toUpperCase() === 'LIST' || value.toUpperCase().startsWith('LIST ') || /^\S*%\S*\s+-?\d+\s+-?\d+/.test(value)) {
    throw new SequenceFormatError(`${file}: ${what} = ${JSON.stringify(value)} spreads the pixels over several data files, one per slice; ` +
      'igtl-rx (as PLUS/IGSIO) reads a sequence whose pixels are in the header file (LOCAL) or in one data file');
  }
}

/** The pixel layout described by a header. */
export function layoutOf(header: SequenceHeader, file: string): SequenceLayout {
  return header.format === 'metaio' ? metaioLayout(header, file) : nrrdLayout(header, file);
}
