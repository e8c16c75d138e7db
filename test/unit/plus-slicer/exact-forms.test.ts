/**
 * Issue 14, items 5 and 6: reply types without a codec (RTS_STRING, RTS_VIDEO), and received forms
 * that must re-encode byte for byte (padded GET_BIND/STT_BIND name tables, an explicit empty
 * child list, 8- and 9-byte STT_VIDEO). Every frame is built here by hand from the spec
 * (openigtlink/OpenIGTLink Documents/Protocol/header.md, bind.md, video.md, string.md), with a
 * CRC-64 (ECMA-182) written out here too, not taken from igtl-rx.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, fromJSON, toJSON } from '../../../src/index.js';

function crc64(bytes: Uint8Array): bigint {
  const poly = 0x42f0e1eba9ea3693n;
  let crc = 0n;
  for (const b of bytes) {
    crc ^= BigInt(b) << 56n;
    for (let i = 0; i < 8; i++) crc = crc & (1n << 63n) ? ((crc << 1n) ^ poly) & 0xffffffffffffffffn : (crc << 1n) & 0xffffffffffffffffn;
  }
  return crc;
}

const hex = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

/** A v1 frame: VERSION, TYPE[12], DEVICE_NAME[20], TIMESTAMP, BODY_SIZE, CRC, body. */
function frame(type: string, body: Uint8Array, device = ''): Uint8Array {
  const h = Buffer.alloc(58);
  h.writeUInt16BE(1, 0);
  h.write(type, 2, 'latin1');
  h.write(device, 14, 'latin1');
  h.writeBigUInt64BE(0n, 34);
  h.writeBigUInt64BE(BigInt(body.length), 42);
  h.writeBigUInt64BE(crc64(body), 50);
  return Uint8Array.from([...h, ...body]);
}

const roundTrip = (bytes: Uint8Array) => {
  const msg = decodeMessage(bytes);
  expect(encodeMessage(msg)).toEqual(bytes);
  expect(encodeMessage(fromJSON(JSON.parse(JSON.stringify(toJSON(msg)))))).toEqual(bytes);
  return msg;
};

describe('reply types without a body in the spec', () => {
  for (const type of ['RTS_STRING', 'RTS_VIDEO'] as const) {
    it(`${type} is one status byte, read and written exactly`, () => {
      for (const status of [0, 1]) {
        const msg = roundTrip(frame(type, Uint8Array.of(status), 'Text'));
        expect(msg).toMatchObject({ type, deviceName: 'Text', content: { status } });
      }
    });
  }
});

describe('STT_VIDEO keeps the form that arrived', () => {
  const fields = `${ascii('H264')} 00000032`;
  it('8 bytes (the spec text)', () => {
    expect(roundTrip(frame('STT_VIDEO', hex(fields)))).toMatchObject({ content: { codec: 'H264', timeInterval: 50, useCompress: null } });
  });
  it('9 bytes with a zero last byte (the C++ library), the default form', () => {
    const msg = roundTrip(frame('STT_VIDEO', hex(`${fields} 00`)));
    expect(msg.content).toEqual({ codec: 'H264', timeInterval: 50 });
  });
  it('9 bytes with USECOMPRESS set (video.md)', () => {
    expect(roundTrip(frame('STT_VIDEO', hex(`${fields} 01`)))).toMatchObject({ content: { useCompress: 1 } });
  });
  it('refuses 10 bytes (it could not re-encode them)', () => {
    expect(() => decodeMessage(frame('STT_VIDEO', hex(`${fields} 0000`)))).toThrow(/expected 8 or 9/);
  });
});

describe('GET_BIND / STT_BIND child lists keep their layout', () => {
  const type12 = (t: string) => ascii(t).padEnd(24, '0');
  // NCHILD 1, CTYPE TRANSFORM, NTABLE_SIZE, "Tool\0" (5 bytes: odd)
  const unpadded = `0001 ${type12('TRANSFORM')} 0005 ${ascii('Tool')}00`;
  const padded = `0001 ${type12('TRANSFORM')} 0006 ${ascii('Tool')}00 00`;
  it('a padded name table keeps its pad byte (bind.md: padded to even)', () => {
    expect(roundTrip(frame('GET_BIND', hex(padded)))).toMatchObject({ content: { form: 'padded', children: [{ type: 'TRANSFORM', name: 'Tool' }] } });
    expect(roundTrip(frame('STT_BIND', hex(`0000000000000064 ${padded}`)))).toMatchObject({ content: { form: 'padded', resolution: 100n } });
  });
  it('an unpadded one (the C++ sender) stays unpadded', () => {
    expect(roundTrip(frame('GET_BIND', hex(unpadded))).content).toEqual({ children: [{ type: 'TRANSFORM', name: 'Tool' }] });
  });
  it('"every child" as an explicit empty list (4 zero bytes) or as no content', () => {
    expect(roundTrip(frame('GET_BIND', hex('0000 0000')))).toMatchObject({ content: { children: [], form: 'explicit-empty' } });
    expect(roundTrip(frame('GET_BIND', new Uint8Array(0))).content).toEqual({ children: [] });
  });
});
