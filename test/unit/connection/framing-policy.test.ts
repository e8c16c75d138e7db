// The header-version rule as a table: (message, peer's version, rules) -> version.
import { describe, expect, it } from 'vitest';
import { outgoingHeaderVersion, type FramingRules } from '../../../src/connection/framing-policy.js';
import { IDENTITY, createMessage, defaultRegistry, type HeaderVersion, type IgtlMessage } from '../../../src/index.js';

const rules = (over: Partial<FramingRules> = {}): FramingRules => ({
  maxHeaderVersion: 2,
  followPeerHeaderVersion: false,
  forceHeaderVersion: undefined,
  legacyEmptyQueries: true,
  ...over,
});
const v1 = createMessage('TRANSFORM', { matrix: IDENTITY }, { headerVersion: 1 });
const v2 = createMessage('TRANSFORM', { matrix: IDENTITY }, { headerVersion: 2 });
const emptyQuery = createMessage('GET_STATUS', {}, { headerVersion: 2 });
const queryWithMeta = createMessage('GET_STATUS', {}, { headerVersion: 2, metadata: { k: 'v' } });

const cases: [string, IgtlMessage, HeaderVersion, Partial<FramingRules>, HeaderVersion][] = [
  ['v1 stays v1', v1, 1, {}, 1],
  ['v2 goes as built', v2, 1, {}, 2],
  ['capped by maxHeaderVersion', v2, 2, { maxHeaderVersion: 1 }, 1],
  ['followPeer caps at what the peer sent', v2, 1, { followPeerHeaderVersion: true }, 1],
  ['followPeer lets v2 through once the peer sent v2', v2, 2, { followPeerHeaderVersion: true }, 2],
  ['force raises a v1 message', v1, 1, { forceHeaderVersion: 2 }, 2],
  ['force is still capped', v1, 1, { forceHeaderVersion: 2, maxHeaderVersion: 1 }, 1],
  ['empty queries go legacy (the C++ library drops 14-byte v3 bodies)', emptyQuery, 2, {}, 1],
  ['unless told otherwise', emptyQuery, 2, { legacyEmptyQueries: false }, 2],
  ['a query with metadata keeps v3', queryWithMeta, 2, {}, 2],
];

describe('outgoingHeaderVersion', () => {
  for (const [name, msg, peer, over, expected] of cases) {
    it(name, () => expect(outgoingHeaderVersion(msg, peer, rules(over), defaultRegistry)).toBe(expected));
  }
});
