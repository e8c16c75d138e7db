// CAPABILITY: the list of type names a peer understands (spec messages.md §17).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of a CAPABILITY message. */
export interface CapabilityContent {
  /** Type names, each at most 12 bytes. */
  readonly types: readonly string[];
}

/** Codec of CAPABILITY. */
export const capabilityCodec: ContentCodec<'CAPABILITY', CapabilityContent> = stubCodec('CAPABILITY');
