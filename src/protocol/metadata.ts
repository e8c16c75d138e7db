import { defaultEncodingFor } from './text.js';

/** One metadata value: text plus its IANA MIBenum encoding (3 = US-ASCII, 106 = UTF-8, ...). */
export interface MetadataValue {
  readonly value: string;
  readonly encoding: number;
  /** The received bytes, only when re-encoding `value` would not reproduce them (see `decodeText`). */
  readonly raw?: Uint8Array;
}

/**
 * v3 metadata: key -> value, in wire order (a `Map` keeps insertion order, and keys from the
 * wire can never reach an object prototype). Re-encoding writes entries in this order.
 */
export type Metadata = ReadonlyMap<string, MetadataValue>;

/** The shared empty metadata of every message that has none (never mutate it). */
export const EMPTY_METADATA: Metadata = new Map();

/**
 * Builds metadata from plain strings or full values. Strings get US-ASCII (3) when they are
 * ASCII and UTF-8 (106) otherwise.
 *
 * @example metadataOf({ TransformStatus: 'OK' })
 */
export function metadataOf(entries: Iterable<readonly [string, string | MetadataValue]> | Record<string, string | MetadataValue>): Metadata {
  const map = new Map<string, MetadataValue>();
  const list: Iterable<readonly [string, string | MetadataValue]> =
    Symbol.iterator in entries ? (entries as Iterable<readonly [string, string | MetadataValue]>) : Object.entries(entries);
  for (const [key, v] of list) {
    map.set(key, typeof v === 'string' ? { value: v, encoding: defaultEncodingFor(v) } : v);
  }
  return map;
}
