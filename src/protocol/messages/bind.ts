// BIND (several messages in one) and its queries GET_BIND and STT_BIND (spec messages.md §16).
import type { ContentCodec } from '../codec.js';
import type { IgtlMessage } from '../types.js';
import { stubCodec } from './_stub.js';

/**
 * Content of a BIND message. Each child is a whole message: its `type`, its `deviceName` (the
 * name from the BIND name table) and its `content`; on the wire only the child's content travels
 * (in v1 form), so the child's timestamp is the BIND's and it has no metadata.
 */
export interface BindContent {
  readonly children: readonly IgtlMessage[];
}

/** One requested child of GET_BIND / STT_BIND. */
export interface BindRequestEntry {
  readonly type: string;
  readonly name: string;
}

/** Content of GET_BIND: the children wanted (empty = all). */
export interface GetBindContent {
  readonly children: readonly BindRequestEntry[];
}

/** Content of STT_BIND. */
export interface StartBindContent {
  /** Minimum interval (ns per the docs; the C++ sender never fills it in). */
  readonly resolution: bigint;
  readonly children: readonly BindRequestEntry[];
}

/** Codec of BIND. */
export const bindCodec: ContentCodec<'BIND', BindContent> = stubCodec('BIND');
/** Codec of GET_BIND. */
export const getBindCodec: ContentCodec<'GET_BIND', GetBindContent> = stubCodec('GET_BIND');
/** Codec of STT_BIND. */
export const startBindCodec: ContentCodec<'STT_BIND', StartBindContent> = stubCodec('STT_BIND');
