// The JavaScript CRC-64 kernel (what small bodies, a TRANSFORM's or a STATUS's, go through)
// against a bit-by-bit CRC-64/ECMA-182, for every length across its 8-byte, 4-byte and 1-byte
// steps, at every alignment, continuing from an initial value.
import { describe, expect, it } from 'vitest';
import { crc64Js, crc64Parts, crcResult, WASM_MIN_BYTES } from '../../../src/protocol/crc64.js';

const POLY = 0x42f0e1eba9ea3693n;
const MASK = (1n << 64n) - 1n;

/** CRC-64/ECMA-182 one bit at a time (MSB first, no reflection, no final XOR). */
function reference(bytes: Uint8Array, init = 0n): bigint {
  let crc = init;
  for (const b of bytes) {
    crc ^= BigInt(b) << 56n;
    for (let k = 0; k < 8; k++) crc = crc & (1n << 63n) ? ((crc << 1n) ^ POLY) & MASK : (crc << 1n) & MASK;
  }
  return crc;
}

describe('CRC-64 JavaScript kernel', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 151 + 89) & 0xff);

  it('matches the bit-by-bit CRC for every length 0-260 at offsets 0-3', () => {
    for (let offset = 0; offset < 4; offset++) {
      for (let n = 0; n <= 260; n++) {
        const bytes = data.subarray(offset, offset + n);
        expect(crc64Js(data, offset, offset + n), `${n} at ${offset}`).toBe(reference(bytes));
        // crc64Parts takes the same kernel below WASM_MIN_BYTES.
        crc64Parts(new DataView(data.buffer), offset, offset + n);
        expect((BigInt(crcResult.hi) << 32n) | BigInt(crcResult.lo), `parts ${n} at ${offset}`).toBe(reference(bytes));
      }
    }
    expect(260).toBeLessThan(WASM_MIN_BYTES);
  });

  it('continues from an initial value with high bits in both halves', () => {
    const init = 0xfedcba9876543210n;
    for (let n = 0; n <= 40; n++) expect(crc64Js(data, 5, 5 + n, init), `${n}`).toBe(reference(data.subarray(5, 5 + n), init));
  });
});
