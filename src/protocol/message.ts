// Building messages to send.
import { EMPTY_METADATA, metadataOf, type Metadata, type MetadataValue } from './metadata.js';
import { defaultRegistry } from './messages/index.js';
import { Timestamp } from './timestamp.js';
import type { HeaderVersion, IgtlContentMap, IgtlMessageOf, IgtlType } from './types.js';

/** Header fields of a new message; every one has a default. */
export interface MessageOptions {
  /** DEVICE_NAME (default empty). */
  readonly deviceName?: string;
  /** TIMESTAMP (default: now). Pass `Timestamp.ZERO` for "not set". */
  readonly timestamp?: Timestamp;
  /** Metadata as a Map or a plain record of strings (sent only in v3 framing). */
  readonly metadata?: Metadata | Record<string, string | MetadataValue>;
  /** v3 MSG_ID (default 0). */
  readonly messageId?: number;
  /**
   * Framing (default: 2 if there is metadata, a message ID, or the type is COMMAND/RTS_COMMAND;
   * otherwise 1, which every peer reads).
   */
  readonly headerVersion?: HeaderVersion;
}

/**
 * Creates a message of a known type.
 *
 * @example
 * const pose = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'StylusToTracker' });
 */
export function createMessage<K extends IgtlType>(type: K, content: IgtlContentMap[K], options: MessageOptions = {}): IgtlMessageOf<K> {
  const metadata = options.metadata === undefined
    ? EMPTY_METADATA
    : options.metadata instanceof Map ? options.metadata : metadataOf(options.metadata as Record<string, string | MetadataValue>);
  const messageId = options.messageId ?? 0;
  const headerVersion = options.headerVersion
    ?? (metadata.size > 0 || messageId !== 0 ? 2 : (defaultRegistry.get(type)?.defaultHeaderVersion ?? 1));
  return {
    type,
    headerVersion,
    deviceName: options.deviceName ?? '',
    timestamp: options.timestamp ?? Timestamp.now(),
    messageId,
    metadata,
    content,
  };
}

/** The 4x4 identity, row-major. */
export const IDENTITY: readonly number[] = Object.freeze([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
