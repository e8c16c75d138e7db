// The message types: one content type per OpenIGTLink type name, and the discriminated union.
import type { MalformedMessageError } from './errors.js';
import type { Metadata } from './metadata.js';
import type { Timestamp } from './timestamp.js';
import type { BindContent, GetBindContent, StartBindContent } from './messages/bind.js';
import type { CapabilityContent } from './messages/capability.js';
import type { ColorTableContent } from './messages/colort.js';
import type { CommandContent } from './messages/command.js';
import type { ImageContent } from './messages/image.js';
import type { ImageMetaContent } from './messages/imgmeta.js';
import type { LabelMetaContent } from './messages/lbmeta.js';
import type { NdArrayContent } from './messages/ndarray.js';
import type { PointContent } from './messages/point.js';
import type { PolyDataContent } from './messages/polydata.js';
import type { PositionContent } from './messages/position.js';
import type { QuaternionTrackingDataContent } from './messages/qtdata.js';
import type {
  EmptyContent, EmptyQueryType, RtsContent, StartPolyDataContent, StartTrackingContent, StartVideoContent, StatusReplyType,
} from './messages/query.js';
import type { SensorContent } from './messages/sensor.js';
import type { StatusContent } from './messages/status.js';
import type { StringContent } from './messages/string.js';
import type { TrackingDataContent } from './messages/tdata.js';
import type { TrajectoryContent } from './messages/traj.js';
import type { TransformContent } from './messages/transform.js';
import type { VideoContent } from './messages/video.js';
import type { VideoMetaContent } from './messages/videometa.js';

/**
 * Wire type name -> content type, for every type igtl-rx knows. Add your own types by
 * augmenting this interface (and registering a codec, see `registerCodec`):
 *
 * ```ts
 * declare module 'igtl-rx' {
 *   interface IgtlContentMap { MYPOSE: { x: number } }
 * }
 * ```
 */
export interface IgtlContentMap extends Record<EmptyQueryType, EmptyContent>, Record<StatusReplyType, RtsContent> {
  TRANSFORM: TransformContent;
  POSITION: PositionContent;
  IMAGE: ImageContent;
  STATUS: StatusContent;
  STRING: StringContent;
  POINT: PointContent;
  TRAJ: TrajectoryContent;
  TDATA: TrackingDataContent;
  QTDATA: QuaternionTrackingDataContent;
  IMGMETA: ImageMetaContent;
  LBMETA: LabelMetaContent;
  COLORT: ColorTableContent;
  COLORTABLE: ColorTableContent;
  SENSOR: SensorContent;
  NDARRAY: NdArrayContent;
  POLYDATA: PolyDataContent;
  BIND: BindContent;
  GET_BIND: GetBindContent;
  STT_BIND: StartBindContent;
  CAPABILITY: CapabilityContent;
  COMMAND: CommandContent;
  RTS_COMMAND: CommandContent;
  VIDEO: VideoContent;
  VIDEOMETA: VideoMetaContent;
  STT_TDATA: StartTrackingContent;
  STT_QTDATA: StartTrackingContent;
  STT_VIDEO: StartVideoContent;
  STT_POLYDATA: StartPolyDataContent;
}

/** A type name igtl-rx has a content type for. */
export type IgtlType = Extract<keyof IgtlContentMap, string>;

/** 1 = legacy framing (protocol 1 and 2), 2 = v3 framing with extended header and metadata. */
export type HeaderVersion = 1 | 2;

/** The fields every message has besides its type and content. */
export interface MessageFields {
  /** Framing it travels in: 1 legacy, 2 v3 (the first uint16 of the header). */
  readonly headerVersion: HeaderVersion;
  /** DEVICE_NAME (at most 20 bytes); empty in a GET_ query means "any". */
  readonly deviceName: string;
  /** TIMESTAMP, exact (zero means "not set"). */
  readonly timestamp: Timestamp;
  /** v3 MSG_ID (0 in legacy framing). */
  readonly messageId: number;
  /** v3 metadata, in wire order (empty in legacy framing). */
  readonly metadata: Metadata;
}

/** A message of one known type: `IgtlMessageOf<'TRANSFORM'>`. */
export interface IgtlMessageOf<K extends IgtlType> extends MessageFields {
  readonly type: K;
  readonly content: IgtlContentMap[K];
}

/** Content of an {@link UnknownMessage}. */
export interface UnknownContent {
  /** The content section exactly as received (a view), re-encoded as it is. */
  readonly raw: Uint8Array;
  /**
   * Only in a BIND child whose type has a codec that refused its content: why (the codec's
   * `MalformedMessageError`, naming the field and the numbers). The child is kept as its bytes
   * in `raw`, so the other children are still decoded and the BIND re-encodes byte for byte.
   * Absent for a type without a codec, which is not an error.
   */
  readonly error?: MalformedMessageError;
}

/**
 * A message whose type name has no codec. It is not an error: it passes through and re-encodes
 * byte for byte. Its discriminant is the literal `'UNKNOWN'` (so that `msg.type === 'TRANSFORM'`
 * narrows cleanly); the wire type name is `typeName`.
 */
export interface UnknownMessage extends MessageFields {
  readonly type: 'UNKNOWN';
  /** The TYPE field as received, e.g. `CLIENTINFO`. */
  readonly typeName: string;
  readonly content: UnknownContent;
}

/** Every known message type as a union, discriminated on `type`. */
export type KnownMessage = { [K in IgtlType]: IgtlMessageOf<K> }[IgtlType];

/** Any decoded message: `msg.type === 'TRANSFORM'` narrows it to a {@link TransformMessage}. */
export type IgtlMessage = KnownMessage | UnknownMessage;

/** The type name on the wire: `type`, or `typeName` for an unknown message. */
export function wireType(msg: IgtlMessage): string {
  return msg.type === 'UNKNOWN' ? msg.typeName : msg.type;
}

/** A TRANSFORM message: a 4x4 rigid transform (Documents/Protocol/transform.md). */
export type TransformMessage = IgtlMessageOf<'TRANSFORM'>;
/** A POSITION message: a position and an orientation quaternion. */
export type PositionMessage = IgtlMessageOf<'POSITION'>;
/** A IMAGE message: a 2D or 3D image with its geometry. */
export type ImageMessage = IgtlMessageOf<'IMAGE'>;
/** A STATUS message: a status code, subcode, error name and text. */
export type StatusMessage = IgtlMessageOf<'STATUS'>;
/** A STRING message: a text in a given encoding. */
export type StringMessage = IgtlMessageOf<'STRING'>;
/** A POINT message: named points (fiducials). */
export type PointMessage = IgtlMessageOf<'POINT'>;
/** A TRAJ message: named trajectories. */
export type TrajectoryMessage = IgtlMessageOf<'TRAJ'>;
/** A TDATA message: tracked tools, each a 4x4 matrix. */
export type TrackingDataMessage = IgtlMessageOf<'TDATA'>;
/** A QTDATA message: tracked tools, each a position and a quaternion. */
export type QuaternionTrackingDataMessage = IgtlMessageOf<'QTDATA'>;
/** A IMGMETA message: descriptions of images a peer holds. */
export type ImageMetaMessage = IgtlMessageOf<'IMGMETA'>;
/** A LBMETA message: descriptions of label maps. */
export type LabelMetaMessage = IgtlMessageOf<'LBMETA'>;
/** A COLORT message: a color table for label maps. */
export type ColorTableMessage = IgtlMessageOf<'COLORT'>;
/** A SENSOR message: sensor readings with their unit. */
export type SensorMessage = IgtlMessageOf<'SENSOR'>;
/** A NDARRAY message: an N-dimensional array. */
export type NdArrayMessage = IgtlMessageOf<'NDARRAY'>;
/** A POLYDATA message: a surface or line model (points, cells, attributes). */
export type PolyDataMessage = IgtlMessageOf<'POLYDATA'>;
/** A BIND message: several messages in one. */
export type BindMessage = IgtlMessageOf<'BIND'>;
/** A CAPABILITY message: the message types a peer supports. */
export type CapabilityMessage = IgtlMessageOf<'CAPABILITY'>;
/** A COMMAND message: a named command with an ID and an XML text. */
export type CommandMessage = IgtlMessageOf<'COMMAND'>;
/** A RTS_COMMAND message: the reply to a COMMAND. */
export type RtsCommandMessage = IgtlMessageOf<'RTS_COMMAND'>;
/** A VIDEO message: an encoded video frame. */
export type VideoMessage = IgtlMessageOf<'VIDEO'>;
/** A VIDEOMETA message: descriptions of video streams. */
export type VideoMetaMessage = IgtlMessageOf<'VIDEOMETA'>;
