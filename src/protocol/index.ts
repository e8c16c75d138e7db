// The protocol core: pure codec, no I/O, no Node built-ins, no RxJS.
export {
  HEADER_SIZE, EXTENDED_HEADER_SIZE, DEFAULT_MAX_BODY_SIZE, MAX_BODY_SIZE_LIMIT, TYPE_NAME_SIZE,
  DEVICE_NAME_SIZE, DEFAULT_PORT,
} from './constants.js';
export {
  IgtlError, CrcMismatchError, TruncatedMessageError, BodyTooLargeError, UnsupportedHeaderVersionError,
  MalformedMessageError, EncodeError, InvalidJsonMessageError, QueueFullError, ConnectionError,
  DesyncError, PeerClosedError, DeadPeerError, UnconfirmedDeliveryError, InvalidOptionError,
  TimeoutError, DatagramTooLargeError, DatagramsDroppedError, type IgtlErrorCode, type IgtlErrorCodes, type DeadPeerRule,
} from './errors.js';
export { EmptyContentError } from './empty-content.js';
export { Timestamp, nanosecondsToFraction, fractionToNanoseconds } from './timestamp.js';
// Explicit lists: what is not named here (header offsets, CRC kernels, text helpers, plausibility
// checks) is internal and imported from its own module.
export { crc64, type Crc64Halves } from './crc64.js';
export {
  Encoding, escapedUtf8, escapedUtf8Bytes, readFixedString, writeFixedString, decodeText, encodeText,
  defaultEncodingFor, type DecodedText,
} from './text.js';
export { EMPTY_METADATA, metadataOf, type MetadataValue, type Metadata } from './metadata.js';
export { poseStatus, isPoseValid, invalidPoses, POSE_OK } from './pose-status.js';
export { FrameHeader, readHeader, writeHeader } from './header.js';
export { type DecodeContext, type ContentCodec, type CodecLookup } from './codec.js';
export { CodecRegistry } from './registry.js';
export {
  wireType, type IgtlContentMap, type IgtlType, type HeaderVersion, type MessageFields,
  type IgtlMessageOf, type UnknownContent, type UnknownMessage, type KnownMessage, type IgtlMessage,
  type TransformMessage, type PositionMessage, type ImageMessage, type StatusMessage,
  type StringMessage, type PointMessage, type TrajectoryMessage, type TrackingDataMessage,
  type QuaternionTrackingDataMessage, type ImageMetaMessage, type LabelMetaMessage,
  type ColorTableMessage, type SensorMessage, type NdArrayMessage, type PolyDataMessage,
  type BindMessage, type CapabilityMessage, type CommandMessage, type RtsCommandMessage,
  type VideoMessage, type VideoMetaMessage,
} from './types.js';
export { type JsonValue, type JsonObject } from './json-types.js';
export { decodeFrame, decodeMessage, checkHeader, isSupportedHeaderVersion, type DecodeOptions } from './decode.js';
export {
  DEVICE_NAME_METADATA_KEY, fullDeviceName, isLongDeviceName, encodedSize, encodeMessage,
  encodeMessageInto, encodeMessageParts, type EncodeOptions,
} from './encode.js';
export {
  Framer, MessageDecoder, decodeAll, type FrameHandler, type ResyncMode, type FramerOptions,
  type MessageHandler, type SplitAllocation, type ResizableBuffer,
} from './framer.js';
export { createMessage, IDENTITY, type MessageOptions } from './message.js';
export { toJSON, fromJSON, stringifyJSON } from './json.js';
export { toBase64, fromBase64 } from './base64.js';
export { ScalarType, Endian, Coordinate, scalarSize, type ScalarTypeCode } from './messages/scalar-type.js';
export { type Vec3, type Vec4, type Matrix4 } from './messages/vectors.js';
export { type EmptyContent } from './messages/query.js';
export { transformCodec, type TransformContent } from './messages/transform.js';
export { positionCodec, positionQuaternion, type PositionContent } from './messages/position.js';
export {
  HOST_ENDIAN, scalarTypeOf, readScalars, scalarBytes, imageCodec, imagePixels, imageGeometry,
  createImageContent, type ImageContent, type ScalarArray, type ImageGeometry, type CreateImageOptions,
} from './messages/image.js';
export { StatusCode, statusCodec, type StatusContent } from './messages/status.js';
export { stringCodec, type StringContent } from './messages/string.js';
export { pointCodec, type PointElement, type PointContent } from './messages/point.js';
export { trajectoryCodec, type TrajectoryElement, type TrajectoryContent } from './messages/traj.js';
export {
  TrackingType, trackingDataCodec, type TrackingElement, type TrackingDataContent,
} from './messages/tdata.js';
export {
  quaternionTrackingDataCodec, type QuaternionTrackingElement, type QuaternionTrackingDataContent,
} from './messages/qtdata.js';
export { imageMetaCodec, type ImageMetaElement, type ImageMetaContent } from './messages/imgmeta.js';
export { labelMetaCodec, type LabelMetaElement, type LabelMetaContent } from './messages/lbmeta.js';
export { colorTableCodec, legacyColorTableCodec, type ColorTableContent } from './messages/colort.js';
export {
  SensorPrefix, SensorUnit, decodeSensorUnit, encodeSensorUnit, sensorCodec, type SensorUnitTerm,
  type SensorUnitFields, type SensorContent,
} from './messages/sensor.js';
export {
  ndArrayCodec, ndarrayValues, createNdArrayContent, type NdArrayContent,
} from './messages/ndarray.js';
export {
  PolyDataAttributeType, polyDataHeader, polyDataCodec, type PolyDataAttribute, type PolyDataContent,
} from './messages/polydata.js';
export {
  bindCodec, getBindCodec, startBindCodec, type BindContent, type BindRequestEntry,
  type BindRequestForm, type GetBindContent, type StartBindContent,
} from './messages/bind.js';
export { capabilityCodec, type CapabilityContent } from './messages/capability.js';
export {
  commandCodec, rtsCommandCodec, escapeXmlAttribute, commandXml, commandReplyXml, type CommandContent,
} from './messages/command.js';
export { videoCodec, type VideoContent } from './messages/video.js';
export { videoMetaCodec, type VideoMetaElement, type VideoMetaContent } from './messages/videometa.js';
export {
  isRtsSuccess, startVideoCodec, startPolyDataCodec, queryCodecs, type EmptyQueryType,
  type StatusReplyType, type RtsContent, type StartTrackingContent, type StartVideoContent,
  type StartPolyDataContent,
} from './messages/query.js';
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
export { summarizeContent, summarize } from './summary.js';
