// COMMAND and RTS_COMMAND (protocol 3): id, 128-byte name, encoding, length, text (spec messages.md §18).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of COMMAND and RTS_COMMAND. */
export interface CommandContent {
  /** Correlates a reply with its request (the reply repeats it). */
  readonly commandId: number;
  /** Command name, at most 128 bytes (127 for C++ receivers). */
  readonly commandName: string;
  /** IANA MIBenum of the text (3 US-ASCII default, 106 UTF-8). */
  readonly encoding: number;
  /** The command or reply text, usually XML. */
  readonly command: string;
  /** Received bytes, only when `command` would not re-encode to them. */
  readonly raw?: Uint8Array;
}

/** Codec of COMMAND. */
export const commandCodec: ContentCodec<'COMMAND', CommandContent> = stubCodec('COMMAND');
/** Codec of RTS_COMMAND. */
export const rtsCommandCodec: ContentCodec<'RTS_COMMAND', CommandContent> = stubCodec('RTS_COMMAND');
