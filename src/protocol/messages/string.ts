// STRING: encoding, length and text (spec messages.md §5).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of a STRING message. */
export interface StringContent {
  /** IANA MIBenum of the text: 3 US-ASCII (default), 106 UTF-8, ... */
  readonly encoding: number;
  /** The text. */
  readonly value: string;
  /** Received bytes, only when `value` would not re-encode to them (see `decodeText`). */
  readonly raw?: Uint8Array;
}

/** Codec of STRING. */
export const stringCodec: ContentCodec<'STRING', StringContent> = stubCodec('STRING');
