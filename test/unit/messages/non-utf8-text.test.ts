// Names that are UTF-8 by definition but arrive with bytes that are not (a Latin-1 device:
// "Temp°" as 0xB0): metadata keys, BIND child names and POLYDATA attribute names re-encode to the
// bytes received, as the header's names do (docs/json.md, "Names that are not UTF-8"). record()
// writes the re-encoded bytes, so a recording must not turn 0xB0 into U+FFFD (EF BF BD). The JSON
// form keeps the escape too.
import { describe, expect, it } from 'vitest';
import { crc64, decodeMessage, encodeMessage, fromJSON, stringifyJSON, Timestamp, toJSON, type IgtlMessage } from '../../../src/index.js';

const MARK = '~'; // a byte the test messages do not otherwise hold, replaced by 0xB0

/** `msg` encoded, with the one `~` of the marked text replaced by the Latin-1 byte 0xB0 and the CRC fixed. */
function withLatin1Byte(msg: IgtlMessage): Uint8Array {
  const bytes = encodeMessage(msg);
  const at = bytes.indexOf(MARK.charCodeAt(0), 58);
  expect(at).toBeGreaterThan(0);
  expect(bytes.indexOf(MARK.charCodeAt(0), at + 1)).toBe(-1);
  bytes[at] = 0xb0;
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(50, crc64(bytes, 58, bytes.length));
  return bytes;
}

const base = { deviceName: 'Probe', timestamp: Timestamp.ZERO, messageId: 0, metadata: new Map() } as const;
const mesh = { points: new Float32Array(3), vertices: [[0]], lines: [], polygons: [], triangleStrips: [] };

const cases: [string, IgtlMessage, (m: IgtlMessage) => string][] = [
  ['metadata key', { ...base, type: 'TRANSFORM', headerVersion: 2, messageId: 3, metadata: new Map([[`Temp${MARK}`, { value: '37', encoding: 3 }]]), content: { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] } },
    (m) => [...m.metadata.keys()][0]!],
  ['BIND child name', { ...base, type: 'BIND', headerVersion: 1, content: { children: [{ ...base, type: 'STRING', headerVersion: 1, deviceName: `Gr${MARK}d`, content: { encoding: 3, value: 'x' } }] } },
    (m) => (m.type === 'BIND' ? m.content.children[0]!.deviceName : '')],
  ['POLYDATA attribute name', { ...base, type: 'POLYDATA', headerVersion: 1, content: { ...mesh, attributes: [{ type: 0, ncomponents: 1, n: 1, name: `Temp${MARK}`, data: new Float32Array(1) }] } },
    (m) => (m.type === 'POLYDATA' ? m.content.attributes[0]!.name : '')],
];

describe('UTF-8 text with a byte that is not UTF-8 re-encodes to the bytes received', () => {
  for (const [what, msg, textOf] of cases) {
    it(`${what}: 0xB0 is kept (as the escape U+DCB0), not replaced by U+FFFD`, () => {
      const bytes = withLatin1Byte(msg);
      const decoded = decodeMessage(bytes);
      expect(textOf(decoded)).toContain('\udcb0');
      // Was U+FFFD, written back as EF BF BD: 2 bytes longer than received.
      expect(Buffer.from(encodeMessage(decoded))).toEqual(Buffer.from(bytes));
      // And through the JSON text, which keeps the escape as \udcb0 (docs/json.md).
      expect(Buffer.from(encodeMessage(fromJSON(stringifyJSON(toJSON(decoded)))))).toEqual(Buffer.from(bytes));
    });
  }
});

describe('BIND and GET_BIND child types with a byte that is not UTF-8', () => {
  it('re-encode to the bytes received (the length check counts the escape as its one byte)', () => {
    // Was: EncodeError 'children[0] type "TRANSFORM_X\udcb0" is longer than 12 bytes' (the
    // escapes counted as U+FFFD, 3 bytes each), so a recording of such a BIND ended there.
    const child = { ...base, type: 'UNKNOWN' as const, typeName: `TRANSFORM_X${MARK}`, headerVersion: 1 as const, deviceName: 'T', content: { raw: new Uint8Array(2) } };
    for (const msg of [
      { ...base, type: 'BIND', headerVersion: 1, content: { children: [child] } },
      { ...base, type: 'GET_BIND', headerVersion: 1, content: { children: [{ type: `TRANSFORM_X${MARK}`, name: 'T' }] } },
    ] as IgtlMessage[]) {
      const bytes = withLatin1Byte(msg);
      expect(Buffer.from(encodeMessage(decodeMessage(bytes)))).toEqual(Buffer.from(bytes));
    }
  });
});
