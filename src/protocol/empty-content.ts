// The error of a message whose content is empty where its type has none (a module of its own:
// it carries the message, and errors.ts, which every codec imports, stays free of the message types).
import { MalformedMessageError } from './errors.js';
import type { FrameHeader } from './header.js';
import type { UnknownMessage } from './types.js';

/**
 * A message of a known type with empty content, which its type has no form for: how a peer
 * answers a `GET_<type>` for data it does not have ("If data is not available, a returned message
 * must be null body (data size = 0)", OpenIGTLink Documents/Protocol/query.md). A
 * MalformedMessageError (code `malformed`) on `errors$`, as such a message always was; `answer`
 * is the message itself, as an {@link UnknownMessage} with its empty content, which `query` takes
 * for the answer "not available" instead of waiting for its timeout.
 */
export class EmptyContentError extends MalformedMessageError {
  override name = 'EmptyContentError';
  constructor(
    /** The message as received: type name, device, timestamp, message ID, metadata, empty content. */
    readonly answer: UnknownMessage,
    detail: string,
    options?: { header?: FrameHeader; frame?: Uint8Array; cause?: unknown },
  ) {
    super(answer.typeName, detail, options);
  }
}
