// The protocol core: pure codec, no I/O, no Node built-ins, no RxJS.
export * from './constants.js';
export * from './errors.js';
export * from './timestamp.js';
// Explicit lists where a module also holds internals (name caches, kernel variants).
export { crc64, crc64Parts, crcResult, crc64Backend } from './crc64.js';
export * from './text.js';
export * from './metadata.js';
export { FrameHeader, readHeader, writeHeader } from './header.js';
export * from './codec.js';
export * from './registry.js';
export * from './types.js';
export * from './json-types.js';
export { decodeFrame, decodeMessage, checkHeader, isSupportedHeaderVersion, type DecodeOptions } from './decode.js';
export * from './encode.js';
export * from './framer.js';
export * from './message.js';
export * from './json.js';
export { toBase64, fromBase64 } from './base64.js';
export {
  ScalarType, Endian, Coordinate, scalarSize,
  type Vec3, type Vec4, type Matrix4, type EmptyContent, type ScalarTypeCode,
} from './messages/common.js';
export * from './messages/transform.js';
export * from './messages/position.js';
export * from './messages/image.js';
export * from './messages/status.js';
export * from './messages/string.js';
export * from './messages/point.js';
export * from './messages/traj.js';
export * from './messages/tdata.js';
export * from './messages/qtdata.js';
export * from './messages/imgmeta.js';
export * from './messages/lbmeta.js';
export * from './messages/colort.js';
export * from './messages/sensor.js';
export * from './messages/ndarray.js';
export * from './messages/polydata.js';
export * from './messages/bind.js';
export * from './messages/capability.js';
export * from './messages/command.js';
export * from './messages/video.js';
export * from './messages/videometa.js';
export * from './messages/query.js';
export { standardCodecs, defaultRegistry } from './messages/index.js';

import type { ContentCodec } from './codec.js';
import { defaultRegistry } from './messages/index.js';

/**
 * Registers a codec for your own message type in the default registry, so every decoder and
 * encoder that uses the default registry knows it. Declare its content type by augmenting
 * `IgtlContentMap` (docs/custom-types.md).
 */
export function registerCodec<T extends string, C>(codec: ContentCodec<T, C>): void {
  defaultRegistry.register(codec);
}
export * from './summary.js';
