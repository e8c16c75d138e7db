// Shared plumbing of the stream verbs.
export { parseOptions, watchStdout } from './output.js';
import type { StreamType } from '../../operators/index.js';
import { CliError } from './output.js';

/** Types a server can be asked to stream (the `stream` operator's). */
export const STREAM_TYPES: readonly StreamType[] = ['TDATA', 'QTDATA', 'TRANSFORM', 'POSITION', 'IMAGE', 'SENSOR', 'NDARRAY', 'POLYDATA', 'VIDEO', 'BIND'];

/** Parses --stream values (TDATA, STT_TDATA, TRANS...) into stream types; usage error otherwise. */
export function parseStreamTypes(values: readonly string[]): StreamType[] {
  return values.map((s) => {
    const t = s.trim().toUpperCase().replace(/^STT_/, '');
    const name = t === 'TRANS' ? 'TRANSFORM' : t;
    if (!(STREAM_TYPES as readonly string[]).includes(name)) throw new CliError(`--stream: "${s}" is not a stream type (${STREAM_TYPES.join(', ')})`, 2);
    return name as StreamType;
  });
}
