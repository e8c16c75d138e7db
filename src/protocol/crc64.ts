/**
 * CRC-64/ECMA-182 as the OpenIGTLink C++ library computes it (spec header.md §5):
 * polynomial 0x42F0E1EBA9EA3693, MSB-first, init 0, no reflection, no final XOR.
 *
 * It runs over every received body, images included, so it is table-driven "slicing-by-8":
 * eight bytes per step through eight 256-entry tables. Each 64-bit entry is kept as two int32
 * halves, interleaved in one Int32Array (hi, lo adjacent: one cache line serves both), so no
 * BigInt is touched on the hot path. Input is read with DataView.getInt32, which V8 compiles to a
 * single load + byte swap; measured faster than assembling bytes or slicing-by-16 (bench/).
 */

const POLY_HI = 0x42f0e1eb | 0;
const POLY_LO = 0xa9ea3693 | 0;

/** TABLE[(k * 256 + i) * 2] = high half, `+ 1` = low half, of the CRC of byte i followed by k zero bytes. */
const TABLE: Int32Array = (() => {
  const t = new Int32Array(8 * 256 * 2);
  for (let i = 0; i < 256; i++) {
    let h = i << 24;
    let l = 0;
    for (let bit = 0; bit < 8; bit++) {
      const top = h & 0x80000000;
      h = (h << 1) | (l >>> 31);
      l <<= 1;
      if (top) {
        h ^= POLY_HI;
        l ^= POLY_LO;
      }
    }
    t[i * 2] = h;
    t[i * 2 + 1] = l;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const ph = t[((k - 1) * 256 + i) * 2]!;
      const pl = t[((k - 1) * 256 + i) * 2 + 1]!;
      const idx = ph >>> 24;
      t[(k * 256 + i) * 2] = ((ph << 8) | (pl >>> 24)) ^ t[idx * 2]!;
      t[(k * 256 + i) * 2 + 1] = (pl << 8) ^ t[idx * 2 + 1]!;
    }
  }
  return t;
})();

/**
 * Result of {@link crc64Parts}: the two uint32 halves of the last CRC computed. A shared holder,
 * so the per-message path allocates nothing; read it right after the call.
 */
export const crcResult = { hi: 0, lo: 0 };

/**
 * Computes the CRC-64 of the bytes `[start, end)` of `view`, continuing from `(initHi, initLo)`,
 * and leaves the result in {@link crcResult}. The allocation-free form used by the framer.
 */
export function crc64Parts(view: DataView, start: number, end: number, initHi = 0, initLo = 0): void {
  const t = TABLE;
  let hi = initHi | 0;
  let lo = initLo | 0;
  let i = start;
  const stop8 = end - 8;
  while (i <= stop8) {
    const a = hi ^ view.getInt32(i);
    const b = lo ^ view.getInt32(i + 4);
    const i7 = (0x700 | (a >>> 24)) << 1;
    const i6 = (0x600 | ((a >>> 16) & 0xff)) << 1;
    const i5 = (0x500 | ((a >>> 8) & 0xff)) << 1;
    const i4 = (0x400 | (a & 0xff)) << 1;
    const i3 = (0x300 | (b >>> 24)) << 1;
    const i2 = (0x200 | ((b >>> 16) & 0xff)) << 1;
    const i1 = (0x100 | ((b >>> 8) & 0xff)) << 1;
    const i0 = (b & 0xff) << 1;
    hi = t[i7]! ^ t[i6]! ^ t[i5]! ^ t[i4]! ^ t[i3]! ^ t[i2]! ^ t[i1]! ^ t[i0]!;
    lo = t[i7 + 1]! ^ t[i6 + 1]! ^ t[i5 + 1]! ^ t[i4 + 1]! ^ t[i3 + 1]! ^ t[i2 + 1]! ^ t[i1 + 1]! ^ t[i0 + 1]!;
    i += 8;
  }
  while (i < end) {
    const idx = (((hi >>> 24) ^ view.getUint8(i)) & 0xff) << 1;
    hi = ((hi << 8) | (lo >>> 24)) ^ t[idx]!;
    lo = (lo << 8) ^ t[idx + 1]!;
    i++;
  }
  crcResult.hi = hi >>> 0;
  crcResult.lo = lo >>> 0;
}

/**
 * CRC-64/ECMA-182 of `bytes` (or of `bytes[start, end)`), the value OpenIGTLink puts in the header.
 *
 * @param bytes  the data (a message body)
 * @param start  first byte (default 0)
 * @param end  one past the last byte (default `bytes.length`)
 * @param init  CRC to continue from, for data that arrives in pieces (default 0)
 */
export function crc64(bytes: Uint8Array, start = 0, end = bytes.length, init = 0n): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  crc64Parts(view, start, end, Number((init >> 32n) & 0xffffffffn), Number(init & 0xffffffffn));
  return (BigInt(crcResult.hi) << 32n) | BigInt(crcResult.lo);
}
