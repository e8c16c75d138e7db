// VIDEO (protocol 3.1): 76-byte frame header + encoded frame (OpenIGTLink Documents/Protocol/video.md).
// The struct in the C++ library (and the 76-byte total) has a uint8 COORD and a uint16[3] SIZE;
// video.md swaps their types (vectors README, quirk 15).
import type { ContentCodec } from '../codec.js';
import { MalformedMessageError } from '../errors.js';
import { readFixedString, writeFixedString } from '../text.js';
import { checkFixedString, checkInt } from './encode-checks.js';
import { asBytes, asInt, asObject, asString, bytesToJSON } from './json-fields.js';
import type { Matrix4, Vec3 } from './vectors.js';
import { checkGrid, gridFromJSON, gridToJSON, readGrid, writeGrid } from './voxel-grid.js';

// Offsets of the frame header (OpenIGTLink Documents/Protocol/video.md table).
const OFFSET_VERSION = 0; // uint16, must be 1
const OFFSET_ENDIAN = 2; // uint8
const OFFSET_CODEC = 3; // char[4] FourCC
const CODEC_SIZE = 4;
const OFFSET_FRAME_TYPE = 7; // uint16
const OFFSET_COORDINATE = 9; // uint8
const OFFSET_SIZE = 10; // uint16[3]
// Then, from OFFSET_SIZE: the voxel grid block shared with IMAGE (common.ts readGrid):
// matrix float32[12] at 16, sub-volume offset uint16[3] at 64, sub-volume size uint16[3] at 70.
const HEADER_SIZE = 76; // the encoded frame starts here
const FRAME_HEADER_VERSION = 1;

/** Content of a VIDEO message. */
export interface VideoContent {
  /** Byte order of the frame data (1 big, 2 little). */
  readonly endian: number;
  /** FourCC: I420, H264, VP90, X265, O265, AV10. */
  readonly codec: string;
  /** Low byte: 1 key, 2 intra, 3 inter, ...; > 0xFF: greyscale with the type in the high byte. */
  readonly frameType: number;
  /** 1 RAS, 2 LPS. */
  readonly coordinate: number;
  /** width, height, depth. */
  readonly size: Vec3;
  /** Same layout and meaning as IMAGE's matrix. */
  readonly matrix: Matrix4;
  readonly subvolumeOffset: Vec3;
  readonly subvolumeSize: Vec3;
  /** The encoded frame exactly as on the wire: a view on the received bytes. */
  readonly data: Uint8Array;
}

/** Writes the content before the data (the data is last). */
function writeVideoHead(c: VideoContent, bytes: Uint8Array, view: DataView, offset: number): void {
  view.setUint16(offset + OFFSET_VERSION, FRAME_HEADER_VERSION);
  view.setUint8(offset + OFFSET_ENDIAN, c.endian);
  writeFixedString(bytes, offset + OFFSET_CODEC, CODEC_SIZE, c.codec, 'VIDEO', 'codec');
  view.setUint16(offset + OFFSET_FRAME_TYPE, c.frameType);
  view.setUint8(offset + OFFSET_COORDINATE, c.coordinate);
  writeGrid(view, offset + OFFSET_SIZE, c);
}

/**
 * Codec of VIDEO. The content is the 76-byte frame header (version must be 1, as in C++) and
 * the encoded frame, which may have any length (0 included) and is carried as an opaque view.
 */
export const videoCodec: ContentCodec<'VIDEO', VideoContent> = {
  type: 'VIDEO',
  decode(bytes, view, offset, length) {
    if (length < HEADER_SIZE) {
      throw new MalformedMessageError('VIDEO', `content is ${length} bytes, shorter than the ${HEADER_SIZE}-byte frame header`);
    }
    const version = view.getUint16(offset + OFFSET_VERSION);
    if (version !== FRAME_HEADER_VERSION) throw new MalformedMessageError('VIDEO', `frame header version ${version}, expected 1`);
    return {
      endian: view.getUint8(offset + OFFSET_ENDIAN),
      codec: readFixedString(bytes, offset + OFFSET_CODEC, CODEC_SIZE),
      frameType: view.getUint16(offset + OFFSET_FRAME_TYPE),
      coordinate: view.getUint8(offset + OFFSET_COORDINATE),
      ...readGrid(view, offset + OFFSET_SIZE),
      data: bytes.subarray(offset + HEADER_SIZE, offset + length),
    };
  },
  size(c) {
    checkInt('VIDEO', 'endian', c.endian, 0, 255);
    checkFixedString('VIDEO', 'codec', c.codec, CODEC_SIZE);
    checkInt('VIDEO', 'frameType', c.frameType, 0, 0xffff);
    checkInt('VIDEO', 'coordinate', c.coordinate, 0, 255);
    checkGrid('VIDEO', c);
    return HEADER_SIZE + c.data.length;
  },
  encode(c, bytes, view, offset) {
    writeVideoHead(c, bytes, view, offset);
    bytes.set(c.data, offset + HEADER_SIZE);
  },
  // The data goes last: encodeMessageParts can send it from where it is (no copy).
  payload: (c) => c.data,
  encodeHead: (c, bytes, view, offset) => writeVideoHead(c, bytes, view, offset),
  toJSON(c) {
    return {
      version: FRAME_HEADER_VERSION,
      endian: c.endian,
      codec: c.codec,
      frameType: c.frameType,
      coordinate: c.coordinate,
      ...gridToJSON(c),
      dataBase64: bytesToJSON(c.data),
    };
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    if (o.version !== undefined) asInt(o.version, `${path}.version`, FRAME_HEADER_VERSION, FRAME_HEADER_VERSION);
    return {
      endian: asInt(o.endian, `${path}.endian`, 0, 255),
      codec: asString(o.codec, `${path}.codec`),
      frameType: asInt(o.frameType, `${path}.frameType`, 0, 0xffff),
      coordinate: asInt(o.coordinate ?? 1, `${path}.coordinate`, 0, 255),
      ...gridFromJSON(o, path),
      data: asBytes(o, 'data', path),
    };
  },
};
