// Which header version a message goes out in: a pure function of the message, what the peer has
// shown it understands, and the connection's rules. Kept apart from the connection so the rule
// lives in one place and can be tested as a table.
import { isLongDeviceName } from '../protocol/encode.js';
import { queryPrefix } from '../protocol/query-names.js';
import type { CodecRegistry } from '../protocol/registry.js';
import type { HeaderVersion, IgtlMessage } from '../protocol/types.js';

/** The framing rules of one connection (see `ConnectionOptions`). */
export interface FramingRules {
  /** Highest header version to send. */
  readonly maxHeaderVersion: HeaderVersion;
  /** Cap at the highest version the peer has sent (PLUS's rule for servers). */
  readonly followPeerHeaderVersion: boolean;
  /** Send every message in this framing regardless of how it was built (still capped). */
  readonly forceHeaderVersion: HeaderVersion | undefined;
  /**
   * Empty GET_/STT_/STP_ queries without metadata go in legacy framing: the C++ library does
   * not unpack 14-byte v3 bodies (OpenIGTLink Documents/Protocol/header.md, "Header version number").
   */
  readonly legacyEmptyQueries: boolean;
}

/**
 * The header version `msg` is sent in to a peer that has sent at most `peerVersion` so far.
 * Never above `maxHeaderVersion`; under `followPeerHeaderVersion` never above the peer's. A
 * message whose device name exceeds 20 bytes goes in v3 framing when the cap allows it.
 */
export function outgoingHeaderVersion(msg: IgtlMessage, peerVersion: HeaderVersion, rules: FramingRules, registry: CodecRegistry): HeaderVersion {
  const max: HeaderVersion = rules.followPeerHeaderVersion && peerVersion < rules.maxHeaderVersion ? peerVersion : rules.maxHeaderVersion;
  let version: HeaderVersion = rules.forceHeaderVersion ?? msg.headerVersion;
  if (version > max) version = max;
  // A device name over 20 bytes travels in IGTL_DEVICE_NAME metadata (as PLUS sends it), which
  // only v3 framing has; in legacy framing the encoder refuses it and says why.
  else if (version === 1 && max === 2 && rules.forceHeaderVersion === undefined && isLongDeviceName(msg.deviceName)) return 2;
  if (version === 2 && rules.legacyEmptyQueries && msg.metadata.size === 0 && isEmptyQuery(msg, registry)) version = 1;
  return version;
}

/** True for GET_/STT_/STP_ messages whose content encodes to nothing. */
export function isEmptyQuery(msg: IgtlMessage, registry: CodecRegistry): boolean {
  if (msg.type === 'UNKNOWN') return false;
  const t = msg.type;
  const prefix = queryPrefix(t);
  if (prefix === undefined || prefix === 'RTS_') return false;
  return registry.get(t)?.size(msg.content) === 0;
}
