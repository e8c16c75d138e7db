/**
 * igtl-rx: reactive OpenIGTLink for TypeScript. This entry point is isomorphic (browser and
 * Node): the protocol codec, the framer and the message types. Operators are in
 * `igtl-rx/operators`, Node transports (TCP, TLS, UDP, server) in `igtl-rx/node`.
 *
 * @module igtl-rx
 */
export {
  registerCodec, HEADER_SIZE, EXTENDED_HEADER_SIZE, DEFAULT_MAX_BODY_SIZE, MAX_BODY_SIZE_LIMIT,
  TYPE_NAME_SIZE, DEVICE_NAME_SIZE, DEFAULT_PORT, IgtlError, CrcMismatchError, TruncatedMessageError,
  BodyTooLargeError, UnsupportedHeaderVersionError, MalformedMessageError, EmptyContentError, EncodeError,
  InvalidJsonMessageError, QueueFullError, ConnectionError, DesyncError, PeerClosedError,
  DeadPeerError, UnconfirmedDeliveryError, InvalidOptionError, TimeoutError, DatagramTooLargeError, DatagramsDroppedError,
  Timestamp, nanosecondsToFraction, fractionToNanoseconds, crc64, type Crc64Halves, Encoding, escapedUtf8,
  escapedUtf8Bytes, readFixedString, writeFixedString, decodeText, encodeText, defaultEncodingFor,
  EMPTY_METADATA, metadataOf, poseStatus, isPoseValid, invalidPoses, POSE_OK, FrameHeader, readHeader, writeHeader, CodecRegistry, wireType,
  decodeFrame, decodeMessage, checkHeader, isSupportedHeaderVersion, DEVICE_NAME_METADATA_KEY,
  fullDeviceName, isLongDeviceName, encodedSize, encodeMessage, encodeMessageInto, encodeMessageParts,
  Framer, MessageDecoder, decodeAll, createMessage, IDENTITY, toJSON, fromJSON, stringifyJSON,
  toBase64, fromBase64, ScalarType, Endian, Coordinate, scalarSize, transformCodec, positionCodec,
  positionQuaternion, HOST_ENDIAN, scalarTypeOf, readScalars, scalarBytes, imageCodec, imagePixels,
  imageGeometry, createImageContent, StatusCode, statusCodec, stringCodec, pointCodec, trajectoryCodec,
  TrackingType, trackingDataCodec, quaternionTrackingDataCodec, imageMetaCodec, labelMetaCodec,
  colorTableCodec, legacyColorTableCodec, SensorPrefix, SensorUnit, decodeSensorUnit, encodeSensorUnit,
  sensorCodec, ndArrayCodec, ndarrayValues, createNdArrayContent, PolyDataAttributeType,
  polyDataHeader, polyDataCodec, bindCodec, getBindCodec, startBindCodec, capabilityCodec,
  commandCodec, rtsCommandCodec, escapeXmlAttribute, commandXml, commandReplyXml, videoCodec,
  videoMetaCodec, isRtsSuccess, startVideoCodec, startPolyDataCodec, queryCodecs, standardCodecs,
  defaultRegistry, summarizeContent, summarize, type IgtlErrorCode, type IgtlErrorCodes, type DeadPeerRule,
  type DecodedText, type MetadataValue, type Metadata, type DecodeContext, type ContentCodec, type CodecLookup,
  type IgtlContentMap, type IgtlType, type HeaderVersion, type MessageFields, type IgtlMessageOf,
  type UnknownContent, type UnknownMessage, type KnownMessage, type IgtlMessage, type TransformMessage,
  type PositionMessage, type ImageMessage, type StatusMessage, type StringMessage, type PointMessage,
  type TrajectoryMessage, type TrackingDataMessage, type QuaternionTrackingDataMessage,
  type ImageMetaMessage, type LabelMetaMessage, type ColorTableMessage, type SensorMessage,
  type NdArrayMessage, type PolyDataMessage, type BindMessage, type CapabilityMessage,
  type CommandMessage, type RtsCommandMessage, type VideoMessage, type VideoMetaMessage,
  type JsonValue, type JsonObject, type DecodeOptions, type EncodeOptions, type FrameHandler,
  type ResyncMode, type FramerOptions, type SplitAllocation, type ResizableBuffer, type MessageHandler, type MessageOptions, type Vec3, type Vec4,
  type Matrix4, type EmptyContent, type ScalarTypeCode, type TransformContent, type PositionContent,
  type ImageContent, type ScalarArray, type ImageGeometry, type CreateImageOptions, type StatusContent,
  type StringContent, type PointElement, type PointContent, type TrajectoryElement,
  type TrajectoryContent, type TrackingElement, type TrackingDataContent,
  type QuaternionTrackingElement, type QuaternionTrackingDataContent, type ImageMetaElement,
  type ImageMetaContent, type LabelMetaElement, type LabelMetaContent, type ColorTableContent,
  type SensorUnitTerm, type SensorUnitFields, type SensorContent, type NdArrayContent,
  type PolyDataAttribute, type PolyDataContent, type BindContent, type BindRequestEntry,
  type BindRequestForm, type GetBindContent, type StartBindContent, type CapabilityContent,
  type CommandContent, type VideoContent, type VideoMetaElement, type VideoMetaContent,
  type EmptyQueryType, type StatusReplyType, type RtsContent, type StartTrackingContent,
  type StartVideoContent, type StartPolyDataContent,
} from './protocol/index.js';
export { monotonicNow, wallClockMs } from './protocol/clock.js';
export { monotonicScheduler, freshnessNow, freshnessScheduler, WAKE_CHECK_MS } from './connection/scheduler.js';
export { type ByteChannel, type ChannelEvent, type ChannelFactory } from './connection/channel.js';
export { isOpen, type ConnectionState, type ConnectionStateKind } from './connection/state.js';
export { type ReconnectOptions } from './connection/backoff.js';
export {
  type SendPolicy, type SendResult, type QueueLimits, type QueueStatus,
} from './connection/send-queue.js';
export { type PullOptions } from './connection/pull.js';
export {
  HEARTBEAT_DEVICE_NAME, IgtlConnection, type ConnectionOptions, type SendOptions,
} from './connection/connection.js';
export type { HeartbeatOptions } from './connection/liveness.js';
export { CLIENT_HEARTBEAT, SESSION_HEARTBEAT } from './connection/options.js';
export { type HousekeepingOptions } from './connection/housekeeping.js';
export {
  webSocketChannel, connectWebSocket, BRIDGE_FRAME_VERSION, UNKNOWN_PEER_STATE, peerStateOfConnection,
  encodeBridgeFrame, parseBridgeFrame, trackPeerState, type WebSocketLike, type WebSocketConstructor,
  type WebSocketUrl, type WebSocketFlowOptions, type WebSocketOptions, type WebSocketConnection,
  type PeerStateReason, type PeerState, type PeerStateKind, type PeerStateFrame, type SendRefusal,
  type BridgeFrame, type WebSocketTlsOptions, type WebSocketTlsClientOptions, type TlsMaterial,
} from './transport/websocket.js';
// For pages that open their own WebSocket to a bridge: the token as a subprotocol, out of the URL.
export { BRIDGE_SUBPROTOCOL, tokenSubprotocols } from './transport/bridge-token.js';
