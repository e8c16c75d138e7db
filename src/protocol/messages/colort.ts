// COLORT: colour table (OpenIGTLink Documents/Protocol/colortable.md). Also accepted under its pre-2013 name COLORTABLE.
import type { ContentCodec } from '../codec.js';
import type { JsonValue } from '../json-types.js';
import { EncodeError, MalformedMessageError } from '../errors.js';
import { asBytes, asInt, asObject, bytesToJSON } from './json-fields.js';

// Offsets (OpenIGTLink Documents/Protocol/colortable.md table).
const OFFSET_INDEX_TYPE = 0; // int8: 3 uint8 index, 5 uint16 index
const OFFSET_MAP_TYPE = 1; // int8: 3 uint8, 5 uint16, 19 RGB
const OFFSET_TABLE = 2;
const PREVIEW_ENTRIES = 8;

/** Content of a COLORT message. */
export interface ColorTableContent {
  /** 3 = uint8 index (256 entries), 5 = uint16 index (65536 entries). */
  readonly indexType: number;
  /** 3 = uint8 value, 5 = uint16 value (big-endian), 19 = RGB (3 x uint8). */
  readonly mapType: number;
  /** The table bytes exactly as on the wire (a view). */
  readonly table: Uint8Array;
}

/** Number of table entries for an index type. The C helper reads any type but 3 as 65536; we reject them. */
function entryCount(indexType: number): number | undefined {
  return indexType === 3 ? 256 : indexType === 5 ? 65536 : undefined;
}

/** Bytes per table entry for a map type. The C helper reads any type but 3 and 5 as RGB; we reject them. */
function entrySize(mapType: number): number | undefined {
  return mapType === 3 ? 1 : mapType === 5 ? 2 : mapType === 19 ? 3 : undefined;
}

/** The first entries of the table (manifest `tablePreview`): numbers, or [r, g, b]. */
function preview(c: ColorTableContent, width: number): JsonValue[] {
  const out: JsonValue[] = [];
  const t = c.table;
  for (let e = 0; e < PREVIEW_ENTRIES && (e + 1) * width <= t.length; e++) {
    const at = e * width;
    out.push(width === 1 ? t[at]! : width === 2 ? (t[at]! << 8) | t[at + 1]! : [t[at]!, t[at + 1]!, t[at + 2]!]);
  }
  return out;
}

/** Writes the two type bytes before the table. */
function writeColorTableHead(c: ColorTableContent, view: DataView, offset: number): void {
  view.setUint8(offset + OFFSET_INDEX_TYPE, c.indexType);
  view.setUint8(offset + OFFSET_MAP_TYPE, c.mapType);
}

function colorTableCodecFor<T extends 'COLORT' | 'COLORTABLE'>(type: T): ContentCodec<T, ColorTableContent> {
  return {
    type,
    decode(bytes, view, offset, length) {
      if (length < OFFSET_TABLE) throw new MalformedMessageError(type, `content is ${length} bytes, shorter than the 2-byte index and map types`);
      const indexType = view.getUint8(offset + OFFSET_INDEX_TYPE);
      const mapType = view.getUint8(offset + OFFSET_MAP_TYPE);
      const entries = entryCount(indexType);
      if (entries === undefined) throw new MalformedMessageError(type, `indexType ${indexType}, expected 3 (uint8) or 5 (uint16)`);
      const width = entrySize(mapType);
      if (width === undefined) throw new MalformedMessageError(type, `mapType ${mapType}, expected 3 (uint8), 5 (uint16) or 19 (RGB)`);
      const expected = OFFSET_TABLE + entries * width;
      if (length !== expected) {
        throw new MalformedMessageError(type, `content is ${length} bytes, expected ${expected} (2 + ${entries} entries x ${width} bytes)`);
      }
      return { indexType, mapType, table: bytes.subarray(offset + OFFSET_TABLE, offset + length) };
    },
    size(c) {
      const entries = entryCount(c.indexType);
      if (entries === undefined) throw new EncodeError(type, `indexType ${c.indexType}, expected 3 (uint8) or 5 (uint16)`);
      const width = entrySize(c.mapType);
      if (width === undefined) throw new EncodeError(type, `mapType ${c.mapType}, expected 3 (uint8), 5 (uint16) or 19 (RGB)`);
      if (c.table.length !== entries * width) {
        throw new EncodeError(type, `table is ${c.table.length} bytes, expected ${entries * width} (${entries} entries x ${width} bytes)`);
      }
      return OFFSET_TABLE + c.table.length;
    },
    encode(c, bytes, view, offset) {
      writeColorTableHead(c, view, offset);
      bytes.set(c.table, offset + OFFSET_TABLE);
    },
    // The table goes last: encodeMessageParts can send it from where it is (no copy).
    payload: (c) => c.table,
    encodeHead: (c, _bytes, view, offset) => writeColorTableHead(c, view, offset),
    toJSON(c) {
      return {
        indexType: c.indexType,
        mapType: c.mapType,
        tableBase64: bytesToJSON(c.table),
        tablePreview: preview(c, entrySize(c.mapType) ?? 1),
      };
    },
    fromJSON(json, path) {
      const o = asObject(json, path);
      // tablePreview is derived from the table and ignored here.
      return {
        indexType: asInt(o.indexType, `${path}.indexType`, 0, 255),
        mapType: asInt(o.mapType, `${path}.mapType`, 0, 255),
        table: asBytes(o, 'table', path),
      };
    },
  };
}

/**
 * Codec of COLORT. Index type 3 (256 entries) or 5 (65536 entries), map type 3 (uint8),
 * 5 (uint16, big-endian) or 19 (RGB); the content is exactly 2 + entries x entry size bytes.
 */
export const colorTableCodec: ContentCodec<'COLORT', ColorTableContent> = colorTableCodecFor('COLORT');
/**
 * Codec of COLORTABLE, the name library versions before March 2013 sent (the upstream C test
 * vector still does); same layout as COLORT, accepted on receive (colortable.md).
 */
export const legacyColorTableCodec: ContentCodec<'COLORTABLE', ColorTableContent> = colorTableCodecFor('COLORTABLE');
