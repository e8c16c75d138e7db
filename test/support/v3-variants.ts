// Systematic variants of v3-framed (header version 2) messages, from the spec rather than a C++
// oracle (OpenIGTLink Documents/Protocol/header.md, "Extended Header Fields" and "Metadata
// Fields"): every size field of the extended header and of the metadata header bent, entries
// damaged, keys and values with odd bytes. Every variant is a sound frame (BODY_SIZE is the body's
// length, the CRC is the body's) unless its kind says otherwise, so a decoder that refuses it
// must still frame the next message.
import { crc64, EXTENDED_HEADER_SIZE as EXT, HEADER_SIZE } from '../../src/index.js';

/** The parts of a v3 frame as the spec lays them out. */
export interface V3Parts {
  readonly header: Uint8Array;
  readonly extSize: number;
  readonly metaHeaderSize: number;
  readonly metaSize: number;
  readonly messageId: number;
  /** The extended header's bytes after its 12 known ones (none in a message we write). */
  readonly extExtra: Uint8Array;
  readonly content: Uint8Array;
  readonly entries: readonly V3Entry[];
}

export interface V3Entry {
  readonly key: Uint8Array;
  readonly encoding: number;
  readonly value: Uint8Array;
}

/** Splits a well-formed v3 frame into its parts. */
export function v3Parts(frame: Uint8Array): V3Parts {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const b = HEADER_SIZE;
  const extSize = view.getUint16(b);
  const metaHeaderSize = view.getUint16(b + 2);
  const metaSize = view.getUint32(b + 4);
  const messageId = view.getUint32(b + 8);
  const metaAt = frame.length - metaHeaderSize - metaSize;
  const entries: V3Entry[] = [];
  if (metaHeaderSize >= 2) {
    const count = view.getUint16(metaAt);
    let d = metaAt + metaHeaderSize;
    for (let i = 0; i < count; i++) {
      const e = metaAt + 2 + 8 * i;
      const keySize = view.getUint16(e);
      const valueSize = view.getUint32(e + 4);
      entries.push({ key: frame.slice(d, d + keySize), encoding: view.getUint16(e + 2), value: frame.slice(d + keySize, d + keySize + valueSize) });
      d += keySize + valueSize;
    }
  }
  return {
    header: frame.slice(0, HEADER_SIZE), extSize, metaHeaderSize, metaSize, messageId,
    extExtra: frame.slice(b + EXT, b + extSize), content: frame.slice(b + extSize, metaAt), entries,
  };
}

/** Field values written instead of the ones the parts imply (the bytes stay as the parts say). */
export interface Lies {
  extSize?: number;
  metaHeaderSize?: number;
  metaSize?: number;
  indexCount?: number;
  /** Per entry: KEY_SIZE / VALUE_SIZE written instead of the true ones. */
  keySize?: readonly (number | undefined)[];
  valueSize?: readonly (number | undefined)[];
  /** Bytes after the metadata header's entries (no entry accounts for them). */
  metaHeaderExtra?: number;
  /** Metadata header and body left out (both sizes 0 unless lied about). */
  noMetadata?: boolean;
}

/** A frame of `parts`, the fields as `lies` says, BODY_SIZE and CRC right for the bytes. */
export function v3Frame(parts: V3Parts, lies: Lies = {}): Uint8Array {
  const entries = lies.noMetadata ? [] : parts.entries;
  const metaHeaderBytes = lies.noMetadata ? 0 : 2 + 8 * entries.length + (lies.metaHeaderExtra ?? 0);
  const metaBytes = entries.reduce((n, e) => n + e.key.length + e.value.length, 0);
  const extBytes = EXT + parts.extExtra.length;
  const body = new Uint8Array(extBytes + parts.content.length + metaHeaderBytes + metaBytes);
  const view = new DataView(body.buffer);
  view.setUint16(0, lies.extSize ?? extBytes);
  view.setUint16(2, lies.metaHeaderSize ?? metaHeaderBytes);
  view.setUint32(4, lies.metaSize ?? metaBytes);
  view.setUint32(8, parts.messageId);
  body.set(parts.extExtra, EXT);
  body.set(parts.content, extBytes);
  const h = extBytes + parts.content.length;
  if (!lies.noMetadata) {
    view.setUint16(h, lies.indexCount ?? entries.length);
    let d = h + metaHeaderBytes;
    entries.forEach((e, i) => {
      view.setUint16(h + 2 + 8 * i, lies.keySize?.[i] ?? e.key.length);
      view.setUint16(h + 4 + 8 * i, e.encoding);
      view.setUint32(h + 6 + 8 * i, lies.valueSize?.[i] ?? e.value.length);
      body.set(e.key, d);
      d += e.key.length;
      body.set(e.value, d);
      d += e.value.length;
    });
  }
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  frame.set(parts.header);
  frame.set(body, HEADER_SIZE);
  const fv = new DataView(frame.buffer);
  fv.setUint16(0, 2);
  fv.setBigUint64(42, BigInt(body.length));
  fv.setBigUint64(50, crc64(body));
  return frame;
}

/** One variant: what was done, and the frame. */
export interface V3Variant {
  readonly name: string;
  /** `sizes`: a size field lies; `entries`: entries rewritten; `frame`: BODY_SIZE itself bent. */
  readonly kind: 'sizes' | 'entries' | 'frame';
  readonly frame: Uint8Array;
  /**
   * The fields describe bytes a decoder can check: false when they still add up, read another way
   * (an EXT_HEADER_SIZE over 12 that fits is a longer extended header, which the spec's size
   * field allows; a byte moved from a value to its key; an extra entry of zeros).
   */
  readonly refusable: boolean;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Every variant of one well-formed v3 frame. */
export function v3Variants(frame: Uint8Array): V3Variant[] {
  const p = v3Parts(frame);
  const body = frame.length - HEADER_SIZE;
  const out: V3Variant[] = [];
  const sizes = (name: string, lies: Lies, parts: V3Parts = p, refusable = true): void => {
    const bent = v3Frame(parts, lies);
    // A lie that is the truth for this message (a size already 0, content already empty) is no variant.
    if (Buffer.compare(bent, frame) !== 0) out.push({ name, kind: 'sizes', frame: bent, refusable });
  };
  const entries = (name: string, list: readonly V3Entry[], lies: Lies = {}): void => {
    out.push({ name, kind: 'entries', frame: v3Frame({ ...p, entries: list }, lies), refusable: false });
  };
  const metaHeader = 2 + 8 * p.entries.length;
  const meta = p.entries.reduce((n, e) => n + e.key.length + e.value.length, 0);

  for (const v of [0, 1, 2, 8, 10, 11, 13, 14, 0xffff, body, body + 1, body - metaHeader - meta, body - metaHeader - meta + 1]) {
    sizes(`EXT_HEADER_SIZE ${v}`, { extSize: v }, p, !(v >= EXT && v <= body - metaHeader - meta));
  }
  for (const v of [0, 1, 2, metaHeader - 1, metaHeader + 1, metaHeader + 8, 0xffff, body, body - EXT, body - EXT - meta + 1]) {
    if (v !== metaHeader && v >= 0) sizes(`METADATA_HEADER_SIZE ${v}`, { metaHeaderSize: v });
  }
  for (const v of [0, 1, meta - 1, meta + 1, 0xffffffff, body, body - EXT - metaHeader, body - EXT - metaHeader + 1]) {
    if (v !== meta && v >= 0) sizes(`METADATA_SIZE ${v}`, { metaSize: v });
  }
  if (meta !== metaHeader) sizes('METADATA_HEADER_SIZE and METADATA_SIZE swapped', { metaHeaderSize: meta, metaSize: metaHeader });
  sizes('METADATA_SIZE taking the content', { metaSize: meta + p.content.length });
  sizes('METADATA_HEADER_SIZE taking the content', { metaHeaderSize: Math.min(0xffff, metaHeader + p.content.length) });
  sizes('EXT_HEADER_SIZE taking the content', { extSize: Math.min(0xffff, EXT + p.content.length) }, p, EXT + p.content.length > 0xffff);
  sizes('EXT_HEADER_SIZE 16 with 4 extra bytes', {}, { ...p, extExtra: new Uint8Array(4) }, false);
  sizes('EXT_HEADER_SIZE 13 with 1 extra byte', {}, { ...p, extExtra: new Uint8Array(1) }, false);
  sizes('no metadata header at all (both sizes 0)', { noMetadata: true }, p, false);
  if (meta > 0) sizes('no metadata header, METADATA_SIZE still set', { noMetadata: true, metaSize: meta });
  for (const v of [p.entries.length + 1, p.entries.length - 1, 0xffff, 8192]) {
    if (v >= 0) sizes(`INDEX_COUNT ${v}`, { indexCount: v });
  }
  sizes('INDEX_COUNT 1 more, METADATA_HEADER_SIZE to match', { indexCount: p.entries.length + 1, metaHeaderSize: metaHeader + 8, metaHeaderExtra: 8 }, p, false);
  sizes('metadata header with 8 bytes no entry accounts for', { metaHeaderExtra: 8 });
  p.entries.forEach((e, i) => {
    const at = (v: number): (number | undefined)[] => p.entries.map((_, j) => (j === i ? v : undefined));
    for (const v of [0, e.key.length - 1, e.key.length + 1, 0xffff]) {
      if (v >= 0 && v !== e.key.length) sizes(`entry ${i} KEY_SIZE ${v}`, { keySize: at(v) });
    }
    for (const v of [0, e.value.length - 1, e.value.length + 1, 0xffffffff]) {
      if (v >= 0 && v !== e.value.length) sizes(`entry ${i} VALUE_SIZE ${v}`, { valueSize: at(v) });
    }
    if (e.value.length > 0) {
      sizes(`entry ${i}: one byte moved from VALUE_SIZE to KEY_SIZE`, { keySize: at(e.key.length + 1), valueSize: at(e.value.length - 1) }, p, false);
    }
  });

  const first = p.entries[0] ?? { key: ascii('Key'), encoding: 3, value: ascii('v') };
  entries('one more entry with VALUE_ENCODING 9999', [...p.entries, { key: ascii('Odd'), encoding: 9999, value: ascii('x\u00e9') }]);
  entries('one more entry with VALUE_ENCODING 0', [...p.entries, { key: ascii('Zero'), encoding: 0, value: ascii('abc') }]);
  entries('one more UTF-8 entry whose value is not UTF-8', [...p.entries, { key: ascii('Bad'), encoding: 106, value: Uint8Array.of(0x61, 0xff, 0xc3) }]);
  entries('one more US-ASCII entry with a byte 0xE9', [...p.entries, { key: ascii('Latin'), encoding: 3, value: Uint8Array.of(0x61, 0xe9) }]);
  entries('one more entry whose key is not UTF-8', [...p.entries, { key: Uint8Array.of(0x4b, 0xff, 0xfe), encoding: 3, value: ascii('v') }]);
  entries('one more entry with a NUL in its key', [...p.entries, { key: Uint8Array.of(0x4b, 0, 0x4c), encoding: 3, value: ascii('v') }]);
  entries('one more entry with an empty key', [...p.entries, { key: new Uint8Array(0), encoding: 3, value: ascii('v') }]);
  entries('one more entry with an empty value', [...p.entries, { key: ascii('Empty'), encoding: 3, value: new Uint8Array(0) }]);
  entries('the first entry twice', [...p.entries, first]);
  entries('the first key twice with another value', [...p.entries, { ...first, value: ascii('other') }]);
  entries('every entry dropped, INDEX_COUNT 0', []);

  for (const v of [0, 1, EXT - 1, EXT]) {
    const f = frame.slice(0, HEADER_SIZE + Math.min(v, body));
    const fv = new DataView(f.buffer);
    fv.setBigUint64(42, BigInt(f.length - HEADER_SIZE));
    fv.setBigUint64(50, crc64(f.subarray(HEADER_SIZE)));
    out.push({ name: `BODY_SIZE ${v} (body cut there)`, kind: 'frame', frame: f, refusable: true });
  }
  return out;
}

/**
 * The bytes a decoded v3 frame re-encodes to: the frame itself, but for the two documented
 * exceptions (docs/json.md, "What does not re-encode byte for byte"): an extended header longer
 * than 12 bytes is written with its 12 known bytes, and a message without a metadata header
 * (METADATA_HEADER_SIZE 0, METADATA_SIZE 0) with the 2-byte one of no entries.
 */
export function canonicalV3(frame: Uint8Array): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const extSize = view.getUint16(HEADER_SIZE);
  const noMeta = view.getUint16(HEADER_SIZE + 2) === 0 && view.getUint32(HEADER_SIZE + 4) === 0;
  if (extSize <= EXT && !noMeta) return frame;
  const body = new Uint8Array(frame.length - HEADER_SIZE - Math.max(0, extSize - EXT) + (noMeta ? 2 : 0));
  body.set(frame.subarray(HEADER_SIZE, HEADER_SIZE + EXT));
  body.set(frame.subarray(HEADER_SIZE + Math.max(extSize, EXT)), EXT);
  const bv = new DataView(body.buffer);
  bv.setUint16(0, EXT);
  if (noMeta) bv.setUint16(2, 2); // INDEX_COUNT 0 in the last 2 bytes (already zero)
  const out = new Uint8Array(HEADER_SIZE + body.length);
  out.set(frame.subarray(0, HEADER_SIZE));
  out.set(body, HEADER_SIZE);
  const ov = new DataView(out.buffer);
  ov.setBigUint64(42, BigInt(body.length));
  ov.setBigUint64(50, crc64(body));
  return out;
}
