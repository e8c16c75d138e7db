import type { JsonObject } from './json-types.js';
import type { Timestamp } from './timestamp.js';

/**
 * Codecs by type name, as a decoder reads them: the reading side of a `CodecRegistry`, declared
 * here so that the codec interface does not depend on the registry that holds codecs.
 */
export interface CodecLookup {
  /** The codec for a wire type name, or undefined for an unknown type. */
  get(type: string): ContentCodec<string, unknown> | undefined;
  /** True when `type` has a codec. */
  has(type: string): boolean;
  /** Every type name with a codec. */
  types(): string[];
}

/** What a content decoder may need besides the bytes. */
export interface DecodeContext {
  /** The registry in use (BIND decodes its children with it). */
  readonly registry: CodecLookup;
  /** TIMESTAMP of the message being decoded (BIND gives it to its children). */
  readonly timestamp: Timestamp;
}

/**
 * Encoder and decoder of one message type's content (the part after the header, and in v3
 * framing between the extended header and the metadata). One per file in `messages/`.
 *
 * Offsets are absolute: `view` is a DataView over the same bytes as `bytes`, with the same
 * indexing (`view.getUint8(i) === bytes[i]`), so a codec reads fields at `offset + FIELD`.
 */
export interface ContentCodec<T extends string = string, C = unknown> {
  /** The wire type name (the 12-byte TYPE field), e.g. `'TRANSFORM'`. */
  readonly type: T;
  /**
   * Decodes `length` content bytes at `offset`. Throws {@link MalformedMessageError} when the
   * bytes do not have the type's layout. Large payloads are returned as views on `bytes`.
   */
  decode(bytes: Uint8Array, view: DataView, offset: number, length: number, ctx: DecodeContext): C;
  /** Encoded size of `content` in bytes; throws {@link EncodeError} when it cannot be encoded. */
  size(content: C): number;
  /** Writes exactly `size(content)` bytes at `offset`. */
  encode(content: C, bytes: Uint8Array, view: DataView, offset: number): void;
  /** The canonical JSON form of the content (see docs/json.md). */
  toJSON(content: C): JsonObject;
  /** Rebuilds content from its canonical JSON form; throws {@link InvalidJsonMessageError}. */
  fromJSON(json: JsonObject, path: string): C;
  /**
   * For content that ends with one large payload (IMAGE pixels, VIDEO frames, NDARRAY data,
   * COLORT tables): that payload, a view the content already holds. With {@link encodeHead} it
   * lets `encodeMessageParts` send the payload from where it is (hashed in place, written with
   * writev) instead of copying it into the message.
   */
  payload?(content: C): Uint8Array;
  /** With {@link payload}: writes the content except its payload, i.e. its first `size - payload.length` bytes. */
  encodeHead?(content: C, bytes: Uint8Array, view: DataView, offset: number): void;
  /** Header version a new message of this type gets by default (COMMAND and RTS_COMMAND: 2). */
  readonly defaultHeaderVersion?: 1 | 2;
}
