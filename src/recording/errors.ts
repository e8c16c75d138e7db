// Typed errors of recordings and sequence files. Each extends IgtlError, so `err.code` works as
// everywhere in igtl-rx (the CLI, an `instanceof IgtlError` check); their codes are added to the
// core's list here, as igtl-rx/operators adds its own (the core names no recording error).
import { IgtlError, type IgtlErrorCode } from '../protocol/errors.js';

declare module '../protocol/errors.js' {
  interface IgtlErrorCodes {
    /** {@link RecordingFormatError}: a recording or its index cannot be read or written as it should. */
    'recording-format': true;
    /** {@link RecordingCutShortError}: a recording ends inside a message, or before messages its index lists. */
    'recording-cut-short': true;
    /** {@link SequenceFormatError}: a sequence file's header or pixel data is not what the format says. */
    'sequence-format': true;
    /** {@link SequenceWriteError}: a frame does not fit the sequence being written, or its file cannot be written. */
    'sequence-write': true;
  }
}

/** A recording or its index is not what it should be, or cannot be written (the message names the file and the problem). */
export class RecordingFormatError extends IgtlError {
  override name = 'RecordingFormatError';
  constructor(message: string, options?: { cause?: unknown }, code: IgtlErrorCode = 'recording-format') {
    super(code, message, options);
  }
}

/**
 * A recording that is cut short (a copy that stopped, a disk that filled, a recorder killed
 * mid-write): its data file ends inside a message, or ends at a message boundary before messages
 * its index lists. Everything before `offset` was read; the message numbered `index` (the cut one,
 * or the first one missing) and any after it were not. A RecordingFormatError, so code that
 * handles those handles this one; its code is `recording-cut-short`.
 */
export class RecordingCutShortError extends RecordingFormatError {
  override name = 'RecordingCutShortError';
  constructor(
    message: string,
    /** Byte offset in the data file where its whole messages end. */
    readonly offset: number,
    /** Number (from 0) of the first message not read: the cut one, or the first the index lists that is missing. */
    readonly index: number,
  ) {
    super(message, undefined, 'recording-cut-short');
  }
}

/** A sequence file's header does not parse, or its pixel data is not what the header says (the message says what and where). */
export class SequenceFormatError extends IgtlError {
  override name = 'SequenceFormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('sequence-format', message, options);
  }
}

/** A frame does not fit the sequence (another size or type than the first image, a sub-volume), or a file cannot be written. */
export class SequenceWriteError extends IgtlError {
  override name = 'SequenceWriteError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('sequence-write', message, options);
  }
}
