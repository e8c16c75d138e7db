// What a decode + encode round trip keeps (docs/json.md, "What does not re-encode byte for
// byte"): every byte that holds a value, and the layout a sender chose; bytes that hold none --
// after the first NUL of a fixed-size char[N] field, reserved bytes, BIND pad bytes -- are written
// as zeros, as the C++ library writes them (strncpy zero-fills; reserved and pad bytes are 0).
import { describe, expect, it } from 'vitest';
import { crc64, decodeMessage, encodeMessage, IgtlError, stringifyJSON, toJSON, type IgtlMessage } from '../../../src/index.js';
import { ascii, hex, rawFrame, toHex } from '../../support/codec.js';
import { manifest, vectorBytes } from '../../support/vectors.js';

const HEADER = 58;
const OFFSET_BODY_SIZE = 42;
const OFFSET_CRC = 50;

/** `frame` with its CRC made right for its body. */
function withCrc(frame: Uint8Array): Uint8Array {
  new DataView(frame.buffer, frame.byteOffset).setBigUint64(OFFSET_CRC, crc64(frame.subarray(HEADER)));
  return frame;
}

/** `frame` with byte `at` set to `value`, CRC fixed. */
function patched(frame: Uint8Array, at: number, value: number): Uint8Array {
  const out = frame.slice();
  out[at] = value;
  return withCrc(out);
}

function json(msg: IgtlMessage): string {
  return stringifyJSON(toJSON(msg));
}

describe('a zero byte of a golden message set to 0x41 (CRC fixed)', () => {
  // Every message vector, both framings. The outcome must be one of: a typed error; a message
  // that re-encodes to the changed bytes (the byte holds a value); or, when the byte holds none,
  // a message with the original's values that re-encodes to the original bytes. Anything else
  // (other bytes, other values, a foreign throw) is a byte lost or invented.
  const files = manifest.filter((e) => e.kind === 'message').map((e) => e.file);

  it.each(files)('%s: kept, refused, or padding written back as zero', (file) => {
    const original = vectorBytes(file);
    const originalJson = json(decodeMessage(original));
    const problems: string[] = [];
    let padding = 0;
    for (let at = 0; at < original.length; at++) {
      if (original[at] !== 0 || (at >= OFFSET_BODY_SIZE && at < HEADER)) continue;
      const changed = patched(original, at, 0x41);
      let msg: IgtlMessage;
      try {
        msg = decodeMessage(changed);
      } catch (err) {
        if (!(err instanceof IgtlError)) problems.push(`byte ${at}: threw ${String(err)}`);
        continue;
      }
      const again = toHex(encodeMessage(msg));
      if (again === toHex(changed)) continue;
      if (again === toHex(original) && json(msg) === originalJson) {
        padding++;
        continue;
      }
      problems.push(`byte ${at}: re-encodes to neither the bytes received nor the original (${again.length / 2} bytes for ${changed.length})`);
    }
    expect(problems).toEqual([]);
    // Every vector has a header name shorter than its field: its padding is among them.
    expect(padding).toBeGreaterThan(0);
  });
});

describe('bytes that hold no value are written as zeros', () => {
  it('after the NUL of a header name, read by decodeMessage (on a connection: a lost stream, docs/connections.md)', () => {
    const bytes = vectorBytes('transform.v1.igtl');
    // DEVICE_NAME is 20 bytes from offset 14; the last byte is after the name's NUL.
    expect(bytes[33]).toBe(0);
    const msg = decodeMessage(patched(bytes, 33, 0x41));
    expect(msg.deviceName).toBe(decodeMessage(bytes).deviceName);
    expect(encodeMessage(msg)).toEqual(bytes);
  });

  it('after the NUL of a char[N] field in a content (a TDATA tool name) and in a TDATA reserved byte', () => {
    // TDATA element (trackingdata.md): NAME char[20], TYPE uint8, reserved uint8, MATRIX float32[12].
    const content = hex(`${ascii('Tool')}00 ${'41'.repeat(15)} 01 7f ${'00'.repeat(48)}`);
    const msg = decodeMessage(rawFrame('TDATA', content));
    expect(msg.type === 'TDATA' && msg.content.elements[0]!.name).toBe('Tool');
    const zeroed = hex(`${ascii('Tool')}00 ${'00'.repeat(15)} 01 00 ${'00'.repeat(48)}`);
    expect(toHex(encodeMessage(msg).subarray(HEADER))).toBe(toHex(zeroed));
  });

  it('the pad bytes of a BIND (after its name table and after an odd-size child)', () => {
    // One RTS_TRANS child "ab" of 1 byte: names "ab\0" + pad, content 05 + pad (bind.md).
    const type = ascii('RTS_TRANS').padEnd(24, '0');
    const sent = hex(`0001 ${type} 0000000000000001 0004 ${ascii('ab')}00 ee 05 ee`);
    const msg = decodeMessage(rawFrame('BIND', sent));
    const written = hex(`0001 ${type} 0000000000000001 0004 ${ascii('ab')}00 00 05 00`);
    expect(toHex(encodeMessage(msg).subarray(HEADER))).toBe(toHex(written));
  });
});

describe('NaN (docs/json.md: its sign and payload are kept only as far as the engine keeps them)', () => {
  // A float32 NaN of every kind a sender may write: JavaScript's own, an x86 FPU's 0/0 (negative),
  // one with a payload, a signalling one. V8 may hand back any of them as its own NaN (observed
  // when the decoder's code is optimised), so what is pinned is that a NaN stays a NaN, in the
  // binary form and in the JSON form, where every NaN is "NaN".
  const NANS = [0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001, 0xff800001];

  it.each(NANS.map((bits) => bits.toString(16)))('a TRANSFORM element 0x%s decodes as NaN and re-encodes as a NaN', (bitsHex) => {
    const bytes = vectorBytes('transform.v1.igtl').slice();
    new DataView(bytes.buffer).setUint32(HEADER, parseInt(bitsHex, 16));
    const msg = decodeMessage(withCrc(bytes));
    expect(msg.type === 'TRANSFORM' && Number.isNaN(msg.content.matrix[0])).toBe(true);
    const again = new DataView(encodeMessage(msg).buffer).getUint32(HEADER);
    // Exponent all ones, mantissa not zero: a NaN, quiet (bit 22) whatever was sent.
    expect(again & 0x7fc00000).toBe(0x7fc00000);
    expect(json(msg)).toContain('"NaN"');
  });
});
