// CAPABILITY: the list of type names a peer understands (OpenIGTLink Documents/Protocol/capability.md).
// The C++ library refuses to pack an empty list and reports an empty one as an unpack failure.
// We accept an empty list on receive (it is well-formed: zero 12-byte entries) but refuse to
// send one, since C++ receivers would reject it.
import type { ContentCodec } from '../codec.js';
import { EncodeError } from '../errors.js';
import { readFixedString, writeFixedString } from '../text.js';
import { asArray, asObject, asString, checkFixedString, expectElements } from './common.js';

const ENTRY_SIZE = 12; // char[12] TYPE_i

/** Content of a CAPABILITY message. */
export interface CapabilityContent {
  /** Type names, each at most 12 bytes. */
  readonly types: readonly string[];
}

/** Codec of CAPABILITY. */
export const capabilityCodec: ContentCodec<'CAPABILITY', CapabilityContent> = {
  type: 'CAPABILITY',
  decode(bytes, _view, offset, length) {
    const n = expectElements('CAPABILITY', length, ENTRY_SIZE);
    const types = new Array<string>(n);
    for (let i = 0; i < n; i++) types[i] = readFixedString(bytes, offset + i * ENTRY_SIZE, ENTRY_SIZE);
    return { types };
  },
  size(content) {
    if (content.types.length === 0) throw new EncodeError('CAPABILITY', 'types is empty; C++ receivers reject a CAPABILITY with no entries (OpenIGTLink Documents/Protocol/capability.md)');
    content.types.forEach((t, i) => checkFixedString('CAPABILITY', `types[${i}]`, t, ENTRY_SIZE));
    return content.types.length * ENTRY_SIZE;
  },
  encode(content, bytes, _view, offset) {
    content.types.forEach((t, i) => writeFixedString(bytes, offset + i * ENTRY_SIZE, ENTRY_SIZE, t, 'CAPABILITY', `types[${i}]`));
  },
  toJSON: (c) => ({ types: [...c.types] }),
  fromJSON(json, path) {
    const types = asArray(asObject(json, path).types, `${path}.types`).map((t, i) => asString(t, `${path}.types[${i}]`));
    return { types };
  },
};
