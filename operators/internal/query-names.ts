// Query type names and their base types (OpenIGTLink Documents/Protocol/query.md): GET_TRANS <-> TRANSFORM, GET_CAPABIL
// <-> CAPABILITY, GET_VMETA <-> VIDEOMETA, the rest strip the 4-character prefix.
import { STATUS_REPLY_TYPES } from '../../src/protocol/messages/query.js';
import { wireType, type IgtlMessage, type IgtlMessageOf, type StatusReplyType } from '../../src/index.js';

/** The four query prefixes. */
export type QueryPrefix = 'GET_' | 'STT_' | 'STP_' | 'RTS_';

// Shortened base names (the 12-byte type field), and the docs' `TRANSFOR` that a lenient
// receiver accepts too (query.md).
const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['TRANS', 'TRANSFORM'],
  ['TRANSFOR', 'TRANSFORM'],
  ['CAPABIL', 'CAPABILITY'],
  ['VMETA', 'VIDEOMETA'],
]);
// Two names of one data type (the C++ class is COLORT; the docs also say COLORTABLE).
const ALIASES: ReadonlyMap<string, string> = new Map([['COLORTABLE', 'COLORT']]);

/** The prefix of a query type name, or undefined for a data type. */
export function queryPrefix(typeName: string): QueryPrefix | undefined {
  const p = typeName.slice(0, 4);
  return p === 'GET_' || p === 'STT_' || p === 'STP_' || p === 'RTS_' ? p : undefined;
}

/** The base type of any type name: `GET_TRANS` -> `TRANSFORM`, `RTS_IMAGE` -> `IMAGE`, `IMAGE` -> `IMAGE`. */
export function baseType(typeName: string): string {
  if (queryPrefix(typeName) === undefined) return ALIASES.get(typeName) ?? typeName;
  const rest = typeName.slice(4);
  return SHORT_NAMES.get(rest) ?? ALIASES.get(rest) ?? rest;
}

/** The base type of a message (`wireType`, so unknown types count too). */
export function baseTypeOf(msg: IgtlMessage): string {
  return baseType(wireType(msg));
}

/**
 * The status byte of an RTS_ reply, or undefined when the message is not one. Unknown RTS_
 * types (RTS_VMETA, say: no codec) are read from their one raw byte.
 */
export function rtsStatus(msg: IgtlMessage): number | undefined {
  if (isStatusReply(msg)) return msg.content.status;
  if (msg.type === 'UNKNOWN' && msg.typeName.startsWith('RTS_') && msg.content.raw.length === 1) return msg.content.raw[0];
  return undefined;
}

const STATUS_REPLIES: ReadonlySet<string> = new Set(STATUS_REPLY_TYPES);

function isStatusReply(msg: IgtlMessage): msg is IgtlMessageOf<StatusReplyType> {
  return STATUS_REPLIES.has(msg.type);
}
