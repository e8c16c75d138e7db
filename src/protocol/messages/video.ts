// VIDEO (protocol 3.1): 76-byte frame header + encoded frame (spec messages.md §19).
import type { ContentCodec } from '../codec.js';
import type { Matrix4, Vec3 } from './common.js';
import { stubCodec } from './_stub.js';

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

/** Codec of VIDEO. */
export const videoCodec: ContentCodec<'VIDEO', VideoContent> = stubCodec('VIDEO');
