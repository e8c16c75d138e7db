// Reading and writing the v3 metadata header and body (OpenIGTLink Documents/Protocol/header.md, Metadata Fields).
import { EncodeError, MalformedMessageError } from './errors.js';
import type { Metadata, MetadataValue } from './metadata.js';
import { decodeTextIn, encodeText, escapedText, escapedTextBytes } from './text.js';

const ENTRY_SIZE = 8;

/**
 * Reads `count` entries: the metadata header at `headerOffset` (`headerSize` bytes) and the
 * metadata body right after it (`size` bytes). Every byte of both must belong to an entry
 * (header: 2 + 8 x count bytes; body: the keys and values), as the C++ library writes them:
 * bytes no entry accounts for would be dropped without a word, and the message would not
 * re-encode (or be recorded) as received, so they are a MalformedMessageError, as extra bytes
 * after IMAGE pixels are; so is a key that appears twice. Both sizes 0 is a message without metadata.
 */
export function readMetadata(bytes: Uint8Array, view: DataView, headerOffset: number, headerSize: number, size: number, type: string): Metadata {
  if (headerSize === 0 && size === 0) return new Map();
  if (headerSize < 2) {
    throw new MalformedMessageError(type, `metadata header of ${headerSize} bytes cannot hold its 2-byte entry count (metadata body ${size} bytes)`);
  }
  const count = view.getUint16(headerOffset);
  if (2 + count * ENTRY_SIZE !== headerSize) {
    throw new MalformedMessageError(type, `metadata header of ${headerSize} bytes for ${count} entries (2 + 8 x ${count} = ${2 + count * ENTRY_SIZE} bytes)`);
  }
  const map = new Map<string, MetadataValue>();
  let data = headerOffset + headerSize;
  const dataEnd = data + size;
  for (let i = 0; i < count; i++) {
    const e = headerOffset + 2 + i * ENTRY_SIZE;
    const keySize = view.getUint16(e);
    const encoding = view.getUint16(e + 2);
    const valueSize = view.getUint32(e + 4);
    if (data + keySize + valueSize > dataEnd) {
      throw new MalformedMessageError(type, `metadata entry ${i} (key ${keySize} + value ${valueSize} bytes) runs past the ${size}-byte metadata body`);
    }
    const key = escapedText(bytes, data, data + keySize);
    data += keySize;
    // A key twice: a map holds one value per key, so one entry would be dropped without a word
    // (the C++ library keeps the later one, in a std::map) and the message would not re-encode as
    // received. The spec's INDEX_COUNT counts entries, not distinct keys, so no reading is right.
    if (map.has(key)) throw new MalformedMessageError(type, `metadata entries ${keyIndexOf(map, key)} and ${i} have the same key ${JSON.stringify(key)}`);
    const text = decodeTextIn(bytes, view, data, data + valueSize, encoding);
    data += valueSize;
    map.set(key, text.raw ? { value: text.value, encoding, raw: text.raw } : { value: text.value, encoding });
  }
  if (data !== dataEnd) {
    throw new MalformedMessageError(type, `metadata entries take ${size - (dataEnd - data)} of the ${size}-byte metadata body`);
  }
  return map;
}

function keyIndexOf(map: ReadonlyMap<string, unknown>, key: string): number {
  let i = 0;
  for (const k of map.keys()) {
    if (k === key) return i;
    i++;
  }
  return -1;
}

/** Metadata encoded for writing: keys and values as bytes, sizes summed. */
export interface EncodedMetadata {
  readonly keys: Uint8Array[];
  readonly values: Uint8Array[];
  readonly encodings: number[];
  /** META_HEADER_SIZE: 2 + 8 N. */
  readonly headerSize: number;
  /** META_SIZE: sum of key and value sizes. */
  readonly size: number;
}

const EMPTY_ENCODED: EncodedMetadata = { keys: [], values: [], encodings: [], headerSize: 2, size: 0 };

/** Encodes metadata (in map order) ahead of writing it. */
export function encodeMetadata(metadata: Metadata, type: string): EncodedMetadata {
  if (metadata.size === 0) return EMPTY_ENCODED;
  if (metadata.size > 8191) throw new EncodeError(type, `${metadata.size} metadata entries; at most 8191 fit the header`);
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const encodings: number[] = [];
  let size = 0;
  for (const [key, v] of metadata) {
    const k = escapedTextBytes(key);
    if (k.length > 0xffff) throw new EncodeError(type, `metadata key of ${k.length} bytes (max 65535)`);
    const value = encodeText(v.value, v.encoding, v.raw, type, `metadata "${key}"`);
    keys.push(k);
    values.push(value);
    encodings.push(v.encoding);
    size += k.length + value.length;
  }
  return { keys, values, encodings, headerSize: 2 + ENTRY_SIZE * keys.length, size };
}

/** Writes the metadata header and body at `offset`. */
export function writeMetadata(encoded: EncodedMetadata, bytes: Uint8Array, view: DataView, offset: number): void {
  const n = encoded.keys.length;
  view.setUint16(offset, n);
  let data = offset + encoded.headerSize;
  for (let i = 0; i < n; i++) {
    const e = offset + 2 + i * ENTRY_SIZE;
    const k = encoded.keys[i]!;
    const v = encoded.values[i]!;
    view.setUint16(e, k.length);
    view.setUint16(e + 2, encoded.encodings[i]!);
    view.setUint32(e + 4, v.length);
    bytes.set(k, data);
    data += k.length;
    bytes.set(v, data);
    data += v.length;
  }
}
