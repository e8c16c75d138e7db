// Typed errors of the request/reply operators (query, command, stream). Each extends IgtlError,
// so `err.code` works the same everywhere in igtl-rx; the two codes that only these operators
// raise are added to the core's code list here (the core names no operator error).
import { ConnectionError, IgtlError, TimeoutError, wireType, type IgtlMessage, type Metadata } from '../src/index.js';

declare module '../src/protocol/errors.js' {
  interface IgtlErrorCodes {
    /** {@link QueryFailedError}: a query's RTS_ reply reports failure. */
    'query-failed': true;
    /** {@link CommandFailedError}: a command's reply says `Status="FAIL"`. */
    'command-failed': true;
    /** {@link DataNotAvailableError}: a `GET_` query was answered with an empty message: no such data. */
    'not-available': true;
  }
}

/**
 * A query, command or stream start got no reply in time. Also an instance of the library's
 * `TimeoutError` (code `'timeout'`), so one `instanceof TimeoutError` check covers connection
 * and request timeouts alike.
 */
export class QueryTimeoutError extends TimeoutError {
  override name = 'QueryTimeoutError';
  constructor(
    /** The request as it was sent (with the message ID or command ID it was given). */
    readonly request: IgtlMessage,
    timeoutMs: number,
  ) {
    super(`${describe(request)} got no reply within ${timeoutMs} ms`, timeoutMs);
  }
}

/**
 * A query or command was written on a channel that was lost before its reply came (the
 * connection is reconnecting): a reply is read only from the channel the request went out on, so
 * none can come any more. A `ConnectionError` (code `'connection'`); whether to send the request
 * again on the new channel is the caller's decision (a COMMAND such as `StartRecording` is not
 * safe to repeat blindly).
 */
export class ReplyLostError extends ConnectionError {
  override name = 'ReplyLostError';
  constructor(
    /** The request as it was sent. */
    readonly request: IgtlMessage,
    /** Why the channel was lost (the `reason` of the `reconnecting` state), when known. */
    reason: Error | undefined,
  ) {
    super(`${describe(request)}: the connection lost the channel it was sent on before the reply came${reason ? ` (${reason.message})` : ''}`, reason);
  }
}

/**
 * A query was answered with an RTS_ reply whose status reports failure (OpenIGTLink Documents/Protocol/query.md:
 * status 0 is success except for RTS_POLYDATA, where it is 1).
 */
export class QueryFailedError extends IgtlError {
  override name = 'QueryFailedError';
  constructor(
    /** The request as it was sent. */
    readonly request: IgtlMessage,
    /** The RTS_ reply. */
    readonly reply: IgtlMessage,
    /** The reply's status byte. */
    readonly status: number,
  ) {
    super('query-failed', `${describe(request)} failed: ${wireType(reply)} status ${status}`);
  }
}

/**
 * A `GET_<T>` query was answered with a `<T>` of empty content: the peer has no such data ("If data
 * is not available, a returned message must be null body (data size = 0)", OpenIGTLink
 * Documents/Protocol/query.md). Said at once, where waiting for the timeout would only hide it.
 */
export class DataNotAvailableError extends IgtlError {
  override name = 'DataNotAvailableError';
  constructor(
    /** The request as it was sent. */
    readonly request: IgtlMessage,
    /** The empty answer, as an UnknownMessage (its type has no empty form; see EmptyContentError). */
    readonly reply: IgtlMessage,
  ) {
    super('not-available', `${describe(request)}: the peer has no such data (it answered an empty ${wireType(reply)})`);
  }
}

/** What a command's reply says, parsed from its XML text and its metadata (see `command`). */
export interface CommandResult {
  /**
   * `Status` of the reply: the XML attribute, else the metadata entry, else (XML that does not
   * parse) the attribute read leniently in PLUS's reply form. Never empty-handed: a reply without
   * a status is a {@link CommandReplyError}.
   */
  readonly status: 'SUCCESS' | 'FAIL' | (string & {});
  /** `Message` (XML attribute, else metadata). */
  readonly message?: string;
  /** `Error` (XML attribute, else metadata). */
  readonly error?: string;
  /** Attributes of the reply's root XML element (empty when the text is not XML). */
  readonly attributes: ReadonlyMap<string, string>;
  /** The reply's metadata (PLUS puts command-specific results here, e.g. `PlusVersion`). */
  readonly metadata: Metadata;
  /** The reply text as received. */
  readonly text: string;
  /** The RTS_COMMAND (or, for a legacy command, the STRING `ACK_<id>`). */
  readonly reply: IgtlMessage;
}

/** A command was answered with `Status="FAIL"` (in its XML or its metadata). */
export class CommandFailedError extends IgtlError {
  override name = 'CommandFailedError';
  constructor(
    /** The request as it was sent. */
    readonly request: IgtlMessage,
    /** The parsed reply. */
    readonly result: CommandResult,
  ) {
    super('command-failed', `${describe(request)} failed${result.error ? `: ${result.error}` : result.message ? `: ${result.message}` : ''}`);
  }

  /** The RTS_COMMAND (or legacy STRING) reply. */
  get reply(): IgtlMessage {
    return this.result.reply;
  }
}

/**
 * A command's reply gave no status: its text is not a `<CommandReply Status=".."/>` igtl-rx can
 * read (not XML, nor PLUS's unescaped form) and its metadata has no `Status` (PLUS sends none to a
 * v1 client). The raw reply and its text are kept, so nothing of the answer is lost.
 */
export class CommandReplyError extends IgtlError {
  override name = 'CommandReplyError';
  constructor(
    /** The request as it was sent. */
    readonly request: IgtlMessage,
    /** The reply as received (RTS_COMMAND, or the legacy STRING `ACK_<id>`). */
    readonly reply: IgtlMessage,
    /** The reply's text (command text or string value) as received. */
    readonly text: string,
  ) {
    super('malformed', `${describe(request)}: the reply has no status (its text is not a CommandReply igtl-rx can read and its metadata has no Status): ${JSON.stringify(text.slice(0, 200))}`);
  }
}

function describe(request: IgtlMessage): string {
  if (request.type === 'COMMAND') return `COMMAND ${request.content.commandName} (id ${request.content.commandId})`;
  const device = request.deviceName === '' ? '' : ` "${request.deviceName}"`;
  const id = request.messageId === 0 ? '' : ` (message ID ${request.messageId})`;
  return `${wireType(request)}${device}${id}`;
}
