// Logging of the protocol core (`DEBUG=igtl-rx:codec,igtl-rx:framer`). Only off the hot path:
// refused headers, bad messages, the first message of an unknown type.
import createDebug from 'debug';

/** Decode and encode problems, unknown types. */
export const codecLog = createDebug('igtl-rx:codec');
/** Headers refused before their body, truncated streams. */
export const framerLog = createDebug('igtl-rx:framer');

const unknownTypesSeen = new Set<string>();

/** Logs the first message of each unknown type name (they pass through as raw bytes). */
export function logUnknownType(type: string): void {
  if (!codecLog.enabled || unknownTypesSeen.has(type) || unknownTypesSeen.size > 1000) return;
  unknownTypesSeen.add(type);
  codecLog('no codec for type %s: passed through as raw bytes', JSON.stringify(type));
}
