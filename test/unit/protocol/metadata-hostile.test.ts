// v3 metadata that a decoder accepts must re-encode to the bytes received (docs/json.md, "What
// does not re-encode byte for byte"): `record()` writes the re-encoded bytes, so a message that
// decodes but does not re-encode either stops a recording or stores other bytes than arrived.
import { lastValueFrom, of, toArray } from 'rxjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crc64, decodeMessage, encodeMessage, fromJSON, InvalidJsonMessageError, MalformedMessageError } from '../../../src/index.js';
import { record } from '../../../src/recording/index.js';

type Entry = readonly [key: string, encoding: number, value: string];

const latin1 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/**
 * A v3 TRANSFORM (identity content) with `entries` (key and value as Latin-1 bytes), and
 * `extraHeader` / `extraBody` bytes that no entry accounts for after the metadata header and body.
 */
function transformV3(entries: readonly Entry[], extraHeader = 0, extraBody = 0): Uint8Array {
  const content = new Uint8Array(48);
  const keys = entries.map(([k]) => latin1(k));
  const values = entries.map(([, , v]) => latin1(v));
  const metaHeaderSize = 2 + 8 * entries.length + extraHeader;
  const metaSize = keys.reduce((n, k, i) => n + k.length + values[i]!.length, 0) + extraBody;
  const body = new Uint8Array(12 + content.length + metaHeaderSize + metaSize);
  const view = new DataView(body.buffer);
  view.setUint16(0, 12);
  view.setUint16(2, metaHeaderSize);
  view.setUint32(4, metaSize);
  view.setUint32(8, 7);
  const h = 12 + content.length;
  view.setUint16(h, entries.length);
  let d = h + metaHeaderSize;
  entries.forEach(([, encoding], i) => {
    view.setUint16(h + 2 + 8 * i, keys[i]!.length);
    view.setUint16(h + 4 + 8 * i, encoding);
    view.setUint32(h + 6 + 8 * i, values[i]!.length);
    body.set(keys[i]!, d);
    d += keys[i]!.length;
    body.set(values[i]!, d);
    d += values[i]!.length;
  });
  const bytes = new Uint8Array(58 + body.length);
  const hv = new DataView(bytes.buffer);
  hv.setUint16(0, 2);
  bytes.set(latin1('TRANSFORM'), 2);
  bytes.set(latin1('Probe'), 14);
  hv.setUint32(46, body.length);
  bytes.set(body, 58);
  hv.setBigUint64(50, crc64(bytes, 58, bytes.length));
  return bytes;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-meta-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('metadata a decoder accepts re-encodes byte for byte', () => {
  it('an empty value in an encoding igtl-rx does not write (0, 2025) re-encodes, it does not throw', () => {
    for (const encoding of [0, 2025]) {
      const bytes = transformV3([['Key', encoding, ''], ['Next', 3, 'v']]);
      const msg = decodeMessage(bytes);
      expect(msg.metadata.get('Key')).toMatchObject({ value: '', encoding });
      // Was: EncodeError "metadata "Key" cannot be written in encoding 0".
      expect(Buffer.from(encodeMessage(msg))).toEqual(Buffer.from(bytes));
    }
  });

  it('record() keeps recording past such a message, and stores its bytes as received', async () => {
    const odd = transformV3([['Key', 0, '']]);
    const next = transformV3([['Key', 3, 'after']]);
    const file = path.join(dir, 'odd-metadata.igtl');
    // Was: the recording ended with RecordingFormatError "cannot write ...: metadata ... encoding 0".
    const out = await lastValueFrom(record(of(decodeMessage(odd), decodeMessage(next)), file).pipe(toArray()));
    expect(out).toHaveLength(2);
    expect(Buffer.from(readFileSync(file))).toEqual(Buffer.concat([odd, next]));
  });

  it('bytes after the entries in the metadata header or body are a MalformedMessageError, not dropped', () => {
    // Each was decoded, and re-encoded 8 (5) bytes shorter: a recording stored other bytes.
    for (const [extraHeader, extraBody] of [[8, 0], [0, 5], [1, 0]] as const) {
      const bytes = transformV3([['Key', 3, 'v']], extraHeader, extraBody);
      expect(() => decodeMessage(bytes)).toThrow(MalformedMessageError);
      expect(() => decodeMessage(bytes)).toThrow(/metadata/);
    }
  });

  it('a key that appears twice is a MalformedMessageError, not one of its entries dropped', () => {
    // Was: decoded with the later entry only ('b'); re-encoded 12 bytes shorter, the 'a' gone without a word.
    for (const entries of [
      [['Key', 3, 'a'], ['Key', 3, 'b']],
      [['Key', 3, 'a'], ['Other', 3, 'x'], ['Key', 3, 'a']],
      [['', 3, 'a'], ['', 106, 'b']],
    ] as const) {
      const bytes = transformV3(entries);
      expect(() => decodeMessage(bytes)).toThrow(MalformedMessageError);
      expect(() => decodeMessage(bytes)).toThrow(/same key/);
    }
    // The same value under two keys is fine.
    expect(decodeMessage(transformV3([['A', 3, 'v'], ['B', 3, 'v']])).metadata.size).toBe(2);
  });

  it('JSON metadata with a key twice is an InvalidJsonMessageError, not one value dropped', () => {
    const json = (keys: string[]) => ({
      type: 'STRING', headerVersion: 2, deviceName: 'Text', timestampRaw: '0', messageId: 1,
      metadata: keys.map((key, i) => ({ key, encoding: 3, value: `v${i}` })),
      content: { encoding: 3, value: 'x' },
    });
    // Was: a message with the second value only ('v1').
    expect(() => fromJSON(json(['Key', 'Key']))).toThrow(InvalidJsonMessageError);
    expect(() => fromJSON(json(['Key', 'Key']))).toThrow(/metadata\[1\]\.key/);
    expect([...fromJSON(json(['Key', 'Other'])).metadata.keys()]).toEqual(['Key', 'Other']);
  });

  it('JSON in headerVersion 1 with metadata or a message ID is an InvalidJsonMessageError, not sent without them', () => {
    const json = (extra: Record<string, unknown>) => ({ type: 'STRING', headerVersion: 1, deviceName: 'Text', content: { encoding: 3, value: 'x' }, ...extra });
    // Was: a v1 message with neither; `igtl-rx send` wrote it without a word.
    expect(() => fromJSON(json({ metadata: [{ key: 'Key', encoding: 3, value: 'v' }] }))).toThrow(InvalidJsonMessageError);
    expect(() => fromJSON(json({ metadata: [{ key: 'Key', encoding: 3, value: 'v' }] }))).toThrow(/\$\.metadata/);
    expect(() => fromJSON(json({ messageId: 7 }))).toThrow(/\$\.messageId/);
    // Saying there is none is fine, and so is the same message in headerVersion 2.
    expect(fromJSON(json({ metadata: [], messageId: 0 })).headerVersion).toBe(1);
    const v3 = fromJSON(json({ headerVersion: 2, metadata: [{ key: 'Key', encoding: 3, value: 'v' }], messageId: 7 }));
    expect([v3.messageId, v3.metadata.get('Key')?.value]).toEqual([7, 'v']);
  });

  it('a metadata body behind a header too short to hold its count is a MalformedMessageError', () => {
    // META_HEADER_SIZE 1 (or 0) with 3 bytes of metadata: the 3 bytes were dropped without a word.
    const bytes = transformV3([]);
    const view = new DataView(bytes.buffer);
    for (const headerSize of [0, 1]) {
      const b = new Uint8Array(bytes.length + 3 - 2 + headerSize);
      b.set(bytes.subarray(0, 58 + 12 + 48));
      const v = new DataView(b.buffer);
      v.setUint16(58 + 2, headerSize);
      v.setUint32(58 + 4, 3);
      v.setUint32(46, b.length - 58);
      b.set([0x41, 0x42, 0x43], b.length - 3);
      v.setBigUint64(50, crc64(b, 58, b.length));
      expect(view.getUint16(58 + 2)).toBe(2);
      expect(() => decodeMessage(b)).toThrow(MalformedMessageError);
    }
  });

  it('no metadata at all (META_HEADER_SIZE 0, META_SIZE 0) still decodes', () => {
    const bytes = transformV3([]);
    const b = new Uint8Array(bytes.length - 2);
    b.set(bytes.subarray(0, b.length));
    const v = new DataView(b.buffer);
    v.setUint16(58 + 2, 0);
    v.setUint32(46, b.length - 58);
    v.setBigUint64(50, crc64(b, 58, b.length));
    expect(decodeMessage(b).metadata.size).toBe(0);
  });
});
