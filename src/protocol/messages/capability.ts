// CAPABILITY: the list of type names a peer understands (OpenIGTLink Documents/Protocol/capability.md):
// TYPE_1 ... TYPE_N, each char[12].
// The C++ library refuses to pack an empty list and reports an empty one as an unpack failure.
// We accept an empty list on receive (it is well-formed: zero 12-byte entries) but refuse to
// send one, since C++ receivers would reject it.
import type { ContentCodec } from '../codec.js';
import { EncodeError } from '../errors.js';
import { fixedString } from './record-fields.js';
import { recordListCodec } from './record-list.js';

/** Content of a CAPABILITY message. */
export interface CapabilityContent {
  /** Type names, each at most 12 bytes. */
  readonly types: readonly string[];
}

/** Codec of CAPABILITY. */
export const capabilityCodec: ContentCodec<'CAPABILITY', CapabilityContent> = recordListCodec('CAPABILITY', 'types', fixedString(12), {
  checkList(types) {
    if (types.length === 0) throw new EncodeError('CAPABILITY', 'types is empty; C++ receivers reject a CAPABILITY with no entries (OpenIGTLink Documents/Protocol/capability.md)');
  },
});
