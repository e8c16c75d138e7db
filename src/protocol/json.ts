// The canonical JSON form of a message (docs/json.md): the manifest's field names, payloads as
// base64, 64-bit integers as decimal strings. `toJSON` and `fromJSON` round-trip byte for byte.
import { InvalidJsonMessageError } from './errors.js';
import type { JsonObject, JsonValue } from './json-types.js';
import { EMPTY_METADATA, type Metadata, type MetadataValue } from './metadata.js';
import { asBigInt, asInt, asObject, asString, bytesToJSON } from './messages/json-fields.js';
import { defaultRegistry } from './messages/index.js';
import type { CodecRegistry } from './registry.js';
import { Timestamp } from './timestamp.js';
import { fromBase64 } from './base64.js';
import { wireType, type IgtlMessage } from './types.js';

/**
 * The canonical JSON object of a message: `type` (wire name), `headerVersion`, `deviceName`,
 * `timestampRaw` (decimal string), and for v3 framing `messageId` and `metadata` (wire order),
 * then `content` (the schema of the type; unknown types give `{rawBase64}`).
 */
export function toJSON(msg: IgtlMessage, options: { registry?: CodecRegistry } = {}): JsonObject {
  const registry = options.registry ?? defaultRegistry;
  const type = wireType(msg);
  const out: JsonObject = {
    type,
    headerVersion: msg.headerVersion,
    deviceName: msg.deviceName,
    timestampRaw: msg.timestamp.toRaw().toString(),
  };
  if (msg.headerVersion === 2) {
    out.messageId = msg.messageId;
    out.metadata = metadataToJSON(msg.metadata);
  }
  if (msg.type === 'UNKNOWN') {
    out.content = { rawBase64: bytesToJSON(msg.content.raw) };
  } else {
    const codec = registry.get(type);
    if (!codec) throw new InvalidJsonMessageError('type', `no codec for ${type}`);
    out.content = codec.toJSON(msg.content);
  }
  return out;
}

function metadataToJSON(metadata: Metadata): JsonObject[] {
  const list: JsonObject[] = [];
  for (const [key, v] of metadata) {
    const entry: JsonObject = { key, encoding: v.encoding, value: v.value };
    if (v.raw) entry.valueBase64 = bytesToJSON(v.raw);
    list.push(entry);
  }
  return list;
}

/**
 * Rebuilds a message from its canonical JSON form (an object, or its text). A type with no
 * codec becomes an unknown message, which needs `content.rawBase64`.
 * Throws an {@link InvalidJsonMessageError} that names the offending field.
 */
export function fromJSON(json: JsonValue | string, options: { registry?: CodecRegistry } = {}): IgtlMessage {
  const registry = options.registry ?? defaultRegistry;
  let value: JsonValue;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as JsonValue;
    } catch (err) {
      throw new InvalidJsonMessageError('$', `not JSON: ${(err as Error).message}`);
    }
  } else value = json;
  const o = asObject(value, '$');
  const type = asString(o.type, '$.type');
  const headerVersion = asInt(o.headerVersion, '$.headerVersion', 1, 2) as 1 | 2;
  const deviceName = asString(o.deviceName ?? '', '$.deviceName');
  const timestamp = o.timestampRaw === undefined ? Timestamp.ZERO : Timestamp.fromRaw(asBigInt(o.timestampRaw, '$.timestampRaw'));
  if (headerVersion === 1) refuseV3Fields(o);
  const messageId = headerVersion === 2 && o.messageId !== undefined ? asInt(o.messageId, '$.messageId') : 0;
  const metadata = headerVersion === 2 && o.metadata !== undefined ? metadataFromJSON(o.metadata) : EMPTY_METADATA;
  const content = asObject(o.content ?? {}, '$.content');
  const codec = registry.get(type);
  if (!codec) {
    const raw = fromBase64(asString(content.rawBase64, '$.content.rawBase64'));
    if (!raw) throw new InvalidJsonMessageError('$.content.rawBase64', 'not valid base64');
    return { type: 'UNKNOWN', typeName: type, headerVersion, deviceName, timestamp, messageId, metadata, content: { raw } };
  }
  return { type, headerVersion, deviceName, timestamp, messageId, metadata, content: codec.fromJSON(content, '$.content') } as IgtlMessage;
}

/**
 * Legacy framing has no message ID and no metadata: a JSON message in header version 1 that
 * gives either would lose it without a word (encodeMessage refuses such a message the same way).
 * `messageId: 0` and `metadata: []` say there is none, and pass.
 */
function refuseV3Fields(o: Readonly<Record<string, JsonValue>>): void {
  if (o.metadata !== undefined && !(Array.isArray(o.metadata) && o.metadata.length === 0)) {
    throw new InvalidJsonMessageError('$.metadata', 'metadata needs headerVersion 2 (v3 framing); headerVersion 1 has none');
  }
  if (o.messageId !== undefined && o.messageId !== 0) {
    throw new InvalidJsonMessageError('$.messageId', 'a message ID needs headerVersion 2 (v3 framing); headerVersion 1 has none');
  }
}

function metadataFromJSON(v: JsonValue): Metadata {
  if (!Array.isArray(v)) throw new InvalidJsonMessageError('$.metadata', 'expected an array of {key, encoding, value}');
  const map = new Map<string, MetadataValue>();
  v.forEach((item, i) => {
    const path = `$.metadata[${i}]`;
    const e = asObject(item, path);
    const key = asString(e.key, `${path}.key`);
    // As on the wire (metadata-codec.ts): a key twice would leave one value dropped without a word.
    if (map.has(key)) throw new InvalidJsonMessageError(`${path}.key`, `the key ${JSON.stringify(key)} is already in the metadata`);
    const encoding = asInt(e.encoding ?? 3, `${path}.encoding`, 0, 0xffff);
    const value = asString(e.value ?? '', `${path}.value`);
    if (e.valueBase64 !== undefined) {
      const raw = fromBase64(asString(e.valueBase64, `${path}.valueBase64`));
      if (!raw) throw new InvalidJsonMessageError(`${path}.valueBase64`, 'not valid base64');
      map.set(key, { value, encoding, raw });
    } else map.set(key, { value, encoding });
  });
  return map;
}

/**
 * Serializes a JSON value as text, like `JSON.stringify` but keeping the sign of -0 (written
 * `-0`), so float fields survive a text round trip bit for bit. BigInts are written as decimal
 * strings.
 */
export function stringifyJSON(value: JsonValue | bigint | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map((v) => stringifyJSON(v)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) parts.push(`${JSON.stringify(k)}:${stringifyJSON(v)}`);
  }
  return `{${parts.join(',')}}`;
}
