// COLORT: colour table (spec messages.md §12). Also accepted under its pre-2013 name COLORTABLE.
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of a COLORT message. */
export interface ColorTableContent {
  /** 3 = uint8 index (256 entries), 5 = uint16 index (65536 entries). */
  readonly indexType: number;
  /** 3 = uint8 value, 5 = uint16 value (big-endian), 19 = RGB (3 x uint8). */
  readonly mapType: number;
  /** The table bytes exactly as on the wire (a view). */
  readonly table: Uint8Array;
}

/** Codec of COLORT. */
export const colorTableCodec: ContentCodec<'COLORT', ColorTableContent> = stubCodec('COLORT');
/** Codec of COLORTABLE (the name used before 2013; same layout). */
export const legacyColorTableCodec: ContentCodec<'COLORTABLE', ColorTableContent> = stubCodec('COLORTABLE');
