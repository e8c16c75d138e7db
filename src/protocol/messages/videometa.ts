// VIDEOMETA (protocol 3.1): a list of 322-byte video stream descriptions (OpenIGTLink Documents/Protocol/videometa.md).
//
//   Offset  Type        Field
//   0       char[64]    NAME_1
//   64      char[64]    DEVICE_NAME_1   id of the VIDEO stream (64 here, though header device names are 20)
//   128     char[64]    PATIENT_NAME_1
//   192     char[64]    PATIENT_ID_1
//   256     int16       ZOOM_LEVEL_1
//   258     float64     FOCAL_LENGTH_1  mm
//   266     uint16[3]   SIZE_1
//   272     float32[12] MATRIX_1        IMAGE layout
//   320     uint8       SCALAR_TYPE_1
//   321     uint8       -               reserved, written 0
//   322 ... element 2 ...
import type { ContentCodec } from '../codec.js';
import { f64, fixedString, i16, matrix, u16x3, u8 } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Matrix4, Vec3 } from './vectors.js';

/** One stream description of a VIDEOMETA message. */
export interface VideoMetaElement {
  readonly name: string;
  /** Id of the VIDEO stream; at most 64 bytes. */
  readonly deviceName: string;
  readonly patientName: string;
  readonly patientId: string;
  readonly zoomLevel: number;
  /** mm (float64). */
  readonly focalLength: number;
  readonly size: Vec3;
  readonly matrix: Matrix4;
  readonly scalarType: number;
}

/** Content of a VIDEOMETA message. */
export interface VideoMetaContent {
  readonly videos: readonly VideoMetaElement[];
}

// Missing text in JSON is empty text, a missing zoom level or focal length 0.
const video = record<VideoMetaElement>([
  { name: 'name', kind: fixedString(64), jsonDefault: '' },
  { name: 'deviceName', kind: fixedString(64), jsonDefault: '' },
  { name: 'patientName', kind: fixedString(64), jsonDefault: '' },
  { name: 'patientId', kind: fixedString(64), jsonDefault: '' },
  { name: 'zoomLevel', kind: i16, jsonDefault: 0 },
  { name: 'focalLength', kind: f64, jsonDefault: 0 },
  { name: 'size', kind: u16x3 },
  { name: 'matrix', kind: matrix },
  { name: 'scalarType', kind: u8 },
  pad(1),
]);

/** Codec of VIDEOMETA. The content is a whole number of 322-byte elements (none is valid). */
export const videoMetaCodec: ContentCodec<'VIDEOMETA', VideoMetaContent> = recordListCodec('VIDEOMETA', 'videos', video);
