import type { FrameHeader } from './header.js';

/**
 * The codes an {@link IgtlError} can carry, one property per code (the values are unused; the
 * property names are the codes). The core lists its own; other layers add theirs by declaration
 * merging, as `igtl-rx/operators` does with `'query-failed'` and `'command-failed'`, so the core
 * names no error of a layer above it and `err.code` is still one typed union everywhere:
 *
 * ```ts
 * declare module 'igtl-rx' {
 *   interface IgtlErrorCodes { 'my-failure': true }
 * }
 * ```
 */
export interface IgtlErrorCodes {
  /** {@link CrcMismatchError}: the header's CRC-64 does not match the body. */
  'crc-mismatch': true;
  /** {@link TruncatedMessageError}: the input ended inside a header or a body. */
  'truncated': true;
  /** {@link BodyTooLargeError}: BODY_SIZE is over the configured limit. */
  'body-too-large': true;
  /** {@link UnsupportedHeaderVersionError}: a header version other than 1 or 2. */
  'unsupported-header-version': true;
  /** {@link MalformedMessageError} (and replies that cannot be read): the body's layout is wrong. */
  'malformed': true;
  /** {@link EncodeError}: a message cannot be encoded. */
  'encode': true;
  /** {@link InvalidJsonMessageError}: canonical JSON that is not a valid message. */
  'invalid-json': true;
  /** {@link TimeoutError}: a query, command or negotiation got no answer in time. */
  'timeout': true;
  /** {@link ConnectionError}: the connection failed or was given up on. */
  'connection': true;
  /** {@link QueueFullError}: a `lossless` send met a full queue. */
  'queue-full': true;
  /** {@link DatagramTooLargeError}: a message does not fit a UDP datagram. */
  'datagram-too-large': true;
  /** {@link DatagramsDroppedError}: received datagrams dropped while reading was paused, by the OS at a full receive buffer, or from a sender not allowed (UDP). */
  'datagrams-dropped': true;
  /** {@link DesyncError}: the byte stream cannot be trusted any more. */
  'desync': true;
  /** {@link PeerClosedError}: the peer closed the connection cleanly. */
  'peer-closed': true;
  /** {@link DeadPeerError}: the peer is gone or not answering. */
  'dead-peer': true;
  /** {@link UnconfirmedDeliveryError}: written messages whose arrival was never confirmed. */
  'delivery-unconfirmed': true;
  /** {@link InvalidOptionError}: an option igtl-rx cannot honour. */
  'invalid-option': true;
}

/**
 * Machine-readable kind of an {@link IgtlError}; the CLI prints it as `{"error": code}`. The
 * union of {@link IgtlErrorCodes}' names: the core's codes plus those the layers in the program
 * add (`igtl-rx/operators`: `'query-failed'`, `'command-failed'`).
 */
export type IgtlErrorCode = keyof IgtlErrorCodes;

/**
 * Base class of every error igtl-rx raises or reports. Decoders never throw anything else.
 * When the error concerns a received message, `header` is the decoded 58-byte header and
 * `frame` holds the raw bytes that were received for it (so nothing is lost).
 */
export class IgtlError extends Error {
  override name = 'IgtlError';
  readonly code: IgtlErrorCode;
  readonly header: FrameHeader | undefined;
  readonly frame: Uint8Array | undefined;

  constructor(code: IgtlErrorCode, message: string, options?: { header?: FrameHeader; frame?: Uint8Array; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.header = options?.header;
    this.frame = options?.frame;
  }
}

/** The CRC-64 in the header does not match the body. The message is dropped, the stream goes on. */
export class CrcMismatchError extends IgtlError {
  override name = 'CrcMismatchError';
  constructor(
    readonly expected: bigint,
    readonly actual: bigint,
    header: FrameHeader,
    frame?: Uint8Array,
  ) {
    super('crc-mismatch', `CRC mismatch in ${header.type} "${header.deviceName}": header says ${hex64(expected)}, body hashes to ${hex64(actual)}`, { header, frame });
  }
}

/** The input ended inside a header or a body. */
export class TruncatedMessageError extends IgtlError {
  override name = 'TruncatedMessageError';
  constructor(
    /** Bytes that were expected (58 for a header, 58 + BODY_SIZE for a message). */
    readonly expectedBytes: number,
    /** Bytes that arrived. */
    readonly receivedBytes: number,
    header?: FrameHeader,
    frame?: Uint8Array,
  ) {
    super('truncated', header
      ? `truncated ${header.type} "${header.deviceName}": ${receivedBytes} of ${expectedBytes} bytes received`
      : `truncated header: ${receivedBytes} of ${expectedBytes} bytes received`, { header, frame });
  }
}

/** BODY_SIZE exceeds the configured limit; refused from the header alone, before any allocation. */
export class BodyTooLargeError extends IgtlError {
  override name = 'BodyTooLargeError';
  constructor(
    readonly bodySize: bigint,
    readonly limit: number,
    header: FrameHeader,
  ) {
    super('body-too-large', `${header.type} "${header.deviceName}" declares BODY_SIZE ${bodySize}, over the limit of ${limit} bytes`, { header });
  }
}

/** The header version field is neither 1 nor 2 (0 is read as 1); the body is skipped by BODY_SIZE. */
export class UnsupportedHeaderVersionError extends IgtlError {
  override name = 'UnsupportedHeaderVersionError';
  constructor(
    readonly version: number,
    header: FrameHeader,
    frame?: Uint8Array,
  ) {
    super('unsupported-header-version', `unsupported header version ${version} in ${header.type} "${header.deviceName}"`, { header, frame });
  }
}

/** The body does not have the layout its type requires (the message names the field and numbers). */
export class MalformedMessageError extends IgtlError {
  override name = 'MalformedMessageError';
  constructor(
    readonly messageType: string,
    readonly detail: string,
    options?: { header?: FrameHeader; frame?: Uint8Array; cause?: unknown },
  ) {
    super('malformed', `malformed ${messageType}: ${detail}`, options);
  }
}

/** A message could not be encoded (a name too long for its field, an array of the wrong length, ...). */
export class EncodeError extends IgtlError {
  override name = 'EncodeError';
  constructor(
    readonly messageType: string,
    readonly detail: string,
  ) {
    super('encode', `cannot encode ${messageType}: ${detail}`);
  }
}

/** A canonical-JSON message (see `fromJSON`) is not valid. */
export class InvalidJsonMessageError extends IgtlError {
  override name = 'InvalidJsonMessageError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super('invalid-json', `invalid message JSON at ${path}: ${detail}`);
  }
}

/** Formats a 64-bit value as 16 lowercase hex digits. */
export function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0');
}

/** A send was refused: the queue is over its high-water mark and the policy is `lossless`. */
export class QueueFullError extends IgtlError {
  override name = 'QueueFullError';
  constructor(
    readonly queuedMessages: number,
    readonly queuedBytes: number,
  ) {
    super('queue-full', `send queue full (${queuedMessages} messages, ${queuedBytes} bytes queued)`);
  }
}

/** The connection failed, closed, or was given up on; `cause` holds the transport's error. */
export class ConnectionError extends IgtlError {
  override name = 'ConnectionError';
  constructor(message: string, cause?: unknown, code: 'connection' | 'peer-closed' | 'dead-peer' | 'delivery-unconfirmed' = 'connection') {
    super(code, message, cause === undefined ? undefined : { cause });
  }
}

/**
 * The byte stream cannot be trusted any more: a header arrived that no OpenIGTLink peer would
 * send (OpenIGTLink has no sync marker, so after one such header every later boundary is a
 * guess). The decoder stops; a connection reports this and closes (clients then reconnect). Over
 * UDP, where each datagram is decoded on its own, only that datagram is lost.
 */
export class DesyncError extends IgtlError {
  override name = 'DesyncError';
  constructor(
    /** Why the header is not plausible (names the field and the value). */
    readonly reason: string,
    /** The offending bytes (the 58-byte header as received, or what arrived of it). */
    readonly bytes: Uint8Array,
    header?: FrameHeader,
  ) {
    super('desync', `byte stream lost: ${reason}`, header === undefined ? { frame: bytes } : { header, frame: bytes });
  }
}

/** The peer closed the connection cleanly (a FIN, a WebSocket close); clients reconnect. */
export class PeerClosedError extends ConnectionError {
  override name = 'PeerClosedError';
  constructor(remote: string) {
    super(`${remote}: closed by the peer`, undefined, 'peer-closed');
  }
}

/** Which rule found a peer dead or silent (see docs/connections.md, "Liveness"). */
export type DeadPeerRule = 'idle' | 'read-timeout' | 'write-stall' | 'heartbeat' | 'keepalive' | 'skip-timeout';

/**
 * The peer is gone or not answering: nothing received for too long, bytes queued and not
 * drained, heartbeats unanswered, or an oversized message still being skipped. The connection
 * was closed because of it.
 */
export class DeadPeerError extends ConnectionError {
  override name = 'DeadPeerError';
  constructor(
    message: string,
    /** The rule that fired. */
    readonly rule: DeadPeerRule,
    /** How long the condition lasted when it fired, ms. */
    readonly elapsedMs: number,
  ) {
    super(message, undefined, 'dead-peer');
  }
}

/**
 * Reported when a channel ends: messages that were handed to it (their sends resolved
 * `written`) whose arrival the peer never confirmed. TCP acknowledges bytes to the kernel, not
 * to the application, so anything written after the last confirmation may be lost with the
 * connection. `frames` holds their bytes (up to the outbox's limit) so nothing is lost silently.
 */
export class UnconfirmedDeliveryError extends ConnectionError {
  override name = 'UnconfirmedDeliveryError';
  constructor(
    remote: string,
    /** Messages written after the last confirmation. */
    readonly messages: number,
    /** Their bytes. */
    readonly bytes: number,
    /** The encoded messages, oldest first (the newest ones when there were more than the limit). */
    readonly frames: readonly Uint8Array[],
    /** How delivery was being confirmed: by heartbeat replies, or not at all. */
    readonly confirmation: 'heartbeat' | 'none',
    /** True when `frames` are being sent again on the next channel (`resendUnconfirmed`). */
    readonly resent: boolean = false,
  ) {
    super(`${remote}: ${messages} message(s) (${bytes} bytes) written but not confirmed as received when the connection ended${resent ? '; sending them again' : ''}`, undefined, 'delivery-unconfirmed');
  }
}

/** An option has a value igtl-rx cannot honour (names the option and the value). */
export class InvalidOptionError extends IgtlError {
  override name = 'InvalidOptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super('invalid-option', `invalid option ${option}: ${detail}`);
  }
}

/** A query, command or negotiation got no answer in time. */
export class TimeoutError extends IgtlError {
  override name = 'TimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super('timeout', message);
  }
}

/** A message is larger than one datagram can carry (UDP). */
export class DatagramTooLargeError extends IgtlError {
  override name = 'DatagramTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('datagram-too-large', `message of ${size} bytes does not fit a datagram (limit ${limit})`);
  }
}

function droppedWhy(reason: DatagramsDroppedError['reason'], senders: readonly string[]): string {
  if (reason === 'paused') return 'dropped while reading was paused (UDP cannot hold a sender back)';
  if (reason === 'receive-buffer-full') return "dropped by the OS: the socket's receive buffer was full (a burst, or the reader fell behind)";
  return `dropped: their senders are not in the allow-list (${senders.join(', ')})`;
}

/**
 * Received datagrams were lost before they could be decoded: a UDP sender cannot be held back.
 * `reason` says where: `paused` -- dropped by igtl-rx while reading was paused (`pauseReading()`,
 * a `messages()` consumer behind by its high-water mark), reported when reading resumes, with
 * their size; `receive-buffer-full` -- dropped by the OS because the socket's receive buffer was
 * full (a burst, a busy event loop), reported within a second (Linux only: the kernel counts
 * datagrams, not bytes, so `bytes` is undefined); `sender-not-allowed` -- refused by igtl-rx
 * because their sender is not in the connection's `allow` list (`senders` names them), reported
 * at once, then at most once a second.
 */
export class DatagramsDroppedError extends IgtlError {
  override name = 'DatagramsDroppedError';
  constructor(
    readonly remote: string,
    readonly datagrams: number,
    readonly bytes: number | undefined,
    readonly reason: 'paused' | 'receive-buffer-full' | 'sender-not-allowed' = 'paused',
    /** With `sender-not-allowed`: the senders (`address:port`), the first few of them. */
    readonly senders: readonly string[] = [],
  ) {
    super('datagrams-dropped', `${remote}: ${datagrams} datagrams${bytes === undefined ? '' : ` (${bytes} bytes)`} ${droppedWhy(reason, senders)}`);
  }
}
