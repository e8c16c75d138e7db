// STATUS: code, sub-code, error name and a NUL-terminated message (spec messages.md §4).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** STATUS codes (spec messages.md §4). Unknown codes are accepted as numbers. */
export const StatusCode = {
  INVALID: 0,
  OK: 1,
  UNKNOWN_ERROR: 2,
  PANICK_MODE: 3,
  NOT_FOUND: 4,
  ACCESS_DENIED: 5,
  BUSY: 6,
  TIME_OUT: 7,
  OVERFLOW: 8,
  CHECKSUM_ERROR: 9,
  CONFIG_ERROR: 10,
  RESOURCE_ERROR: 11,
  UNKNOWN_INSTRUCTION: 12,
  NOT_READY: 13,
  MANUAL_MODE: 14,
  DISABLED: 15,
  NOT_PRESENT: 16,
  UNKNOWN_VERSION: 17,
  HARDWARE_FAILURE: 18,
  SHUT_DOWN: 19,
} as const;

/** Content of a STATUS message. */
export interface StatusContent {
  /** Status code (see {@link StatusCode}). */
  readonly code: number;
  /** Device-specific sub-code (int64). */
  readonly subcode: bigint;
  /** Short error name, at most 20 bytes. */
  readonly errorName: string;
  /** Message text (sent NUL-terminated; the NUL is not part of this string). */
  readonly statusMessage: string;
}

/** Codec of STATUS. */
export const statusCodec: ContentCodec<'STATUS', StatusContent> = stubCodec('STATUS');
