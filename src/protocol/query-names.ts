// The one home of the query-name rules (OpenIGTLink Documents/Protocol/query.md): the GET_/STT_/
// STP_/RTS_ prefixes, the shortened base names the 12-byte type field forces (GET_TRANS <->
// TRANSFORM, GET_CAPABIL <-> CAPABILITY, GET_VMETA <-> VIDEOMETA; the rest keep the base name),
// the aliases of one data type, and which RTS_ replies carry a status byte. The codec, the
// framing policy, the operators (query, stream) and the simulator all use these.
import { STATUS_REPLY_TYPES, type StatusReplyType } from './messages/query.js';
import { wireType, type IgtlMessage, type IgtlMessageOf } from './types.js';

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

/** Type-level `baseType` of the part after the prefix: `TRANS` -> `TRANSFORM`. Keep in step with SHORT_NAMES. */
export type QueryBaseName<B extends string> = B extends 'TRANS' | 'TRANSFOR'
  ? 'TRANSFORM'
  : B extends 'CAPABIL'
    ? 'CAPABILITY'
    : B extends 'VMETA'
      ? 'VIDEOMETA'
      : B;

/** Type-level short name of a base type in a query type name: `TRANSFORM` -> `TRANS`. */
export type QueryShortName<B extends string> = B extends 'TRANSFORM'
  ? 'TRANS'
  : B extends 'CAPABILITY'
    ? 'CAPABIL'
    : B extends 'VIDEOMETA'
      ? 'VMETA'
      : B;

/** The query type name of a prefix and a base type: `queryType('STP_', 'TRANSFORM')` -> `STP_TRANS`. */
export function queryType<P extends QueryPrefix, B extends string>(prefix: P, base: B): `${P}${QueryShortName<B>}` {
  const short = base === 'TRANSFORM' ? 'TRANS' : base === 'CAPABILITY' ? 'CAPABIL' : base === 'VIDEOMETA' ? 'VMETA' : base;
  return `${prefix}${short}` as `${P}${QueryShortName<B>}`;
}

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

const STATUS_REPLIES: ReadonlySet<string> = new Set(STATUS_REPLY_TYPES);

/**
 * The RTS_ type (with a status byte) that answers a GET_/STT_/STP_ of this type name, or
 * undefined when the protocol defines none: `STT_TRANSFOR` -> `RTS_TRANS`, `GET_VMETA` -> undefined.
 */
export function rtsReplyType(typeName: string): StatusReplyType | undefined {
  if (queryPrefix(typeName) === undefined) return undefined;
  const rest = typeName.slice(4);
  const name = `RTS_${rest === 'TRANSFOR' ? 'TRANS' : rest}`;
  return STATUS_REPLIES.has(name) ? (name as StatusReplyType) : undefined;
}

function isStatusReply(msg: IgtlMessage): msg is IgtlMessageOf<StatusReplyType> {
  return STATUS_REPLIES.has(msg.type);
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
