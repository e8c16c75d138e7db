// CRC-64/ECMA-182 check values, and the WebAssembly kernel against the JavaScript one.
import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { crc64, crc64Backend, crc64Js, crc64Parts, crc64Wasm, crcResult, WASM_MIN_BYTES } from '../../src/protocol/crc64.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (v: bigint) => v.toString(16).padStart(16, '0');

function mib(): Uint8Array {
  const b = new Uint8Array(1 << 20);
  for (let i = 0; i < b.length; i++) b[i] = i % 251;
  return b;
}

const CHECKS: [string, () => Uint8Array, string][] = [
  ['ASCII 123456789', () => ascii('123456789'), '6c40df5f0b497347'],
  ['1 MiB byte[i] = i % 251', mib, '1d3f29ca2dc8246a'],
  ['256 bytes 0..255', () => Uint8Array.from({ length: 256 }, (_, i) => i), '62b0da1c1b130a91'],
  ['"OpenIGTLink"', () => ascii('OpenIGTLink'), '70792326f2a38ce7'],
  ['empty', () => new Uint8Array(0), '0000000000000000'],
];

describe('crc64', () => {
  it('uses the WebAssembly kernel in Node', () => {
    expect(crc64Backend()).toBe('wasm');
  });

  for (const [name, data, want] of CHECKS) {
    it(`check value: ${name}`, () => {
      const bytes = data();
      expect(hex(crc64(bytes))).toBe(want);
      expect(hex(crc64Js(bytes))).toBe(want);
      expect(hex(crc64Wasm(bytes)!)).toBe(want);
    });
  }

  it('continues from an initial value (data in pieces)', () => {
    const bytes = mib();
    for (const cut of [0, 1, 7, 8, 1000, 65_537, bytes.length]) {
      const first = crc64(bytes, 0, cut);
      expect(hex(crc64(bytes, cut, bytes.length, first))).toBe('1d3f29ca2dc8246a');
      expect(hex(crc64Wasm(bytes, cut, bytes.length, crc64Js(bytes, 0, cut))!)).toBe('1d3f29ca2dc8246a');
    }
  });

  it('crc64Parts reads a DataView at an offset, with either kernel', () => {
    const buf = new Uint8Array(3 + (1 << 20) + 5);
    buf.set(mib(), 3);
    const view = new DataView(buf.buffer, 0, buf.length);
    crc64Parts(view, 3, 3 + (1 << 20)); // over WASM_MIN_BYTES: WebAssembly
    expect(crcResult.hi.toString(16).padStart(8, '0') + crcResult.lo.toString(16).padStart(8, '0')).toBe('1d3f29ca2dc8246a');
    const sub = new DataView(buf.buffer, 3, 9);
    buf.set(ascii('123456789'), 3);
    crc64Parts(sub, 0, 9); // small: JavaScript
    expect(crcResult.hi.toString(16).padStart(8, '0') + crcResult.lo.toString(16).padStart(8, '0')).toBe('6c40df5f0b497347');
  });

  it('WebAssembly equals JavaScript on random data at random offsets and lengths (unaligned too)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 5000 }),
        fc.nat(64),
        fc.nat(64),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (data, pre, post, init) => {
          // Place the data at an arbitrary (often odd) offset of a larger buffer.
          const buf = new Uint8Array(pre + data.length + post);
          buf.set(data, pre);
          const view = buf.subarray(pre, pre + data.length);
          const js = crc64Js(view, 0, view.length, init);
          expect(crc64Wasm(view, 0, view.length, init)).toBe(js);
          expect(crc64(view, 0, view.length, init)).toBe(js);
          expect(crc64Wasm(buf, pre, pre + data.length, init)).toBe(js);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('large inputs cross the WebAssembly chunk boundaries correctly', () => {
    const sizes = [WASM_MIN_BYTES - 1, WASM_MIN_BYTES, 32_767, 32_768, 32_769, 65_536 + 13, 200_003];
    const big = new Uint8Array(200_050);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    for (const n of sizes) {
      for (const off of [0, 1, 3, 5]) {
        const js = crc64Js(big, off, off + n);
        expect(crc64(big, off, off + n)).toBe(js);
        expect(crc64Wasm(big, off, off + n)).toBe(js);
      }
    }
  });

  it('falls back to the JavaScript kernel where WebAssembly is missing or refuses the module', async () => {
    const saved = globalThis.WebAssembly;
    for (const replacement of [undefined, { ...saved, Module: function () { throw new Error('no'); } }]) {
      vi.resetModules();
      (globalThis as { WebAssembly?: unknown }).WebAssembly = replacement;
      try {
        const fresh = await import('../../src/protocol/crc64.js');
        expect(fresh.crc64Backend()).toBe('js');
        expect(fresh.crc64Wasm(ascii('1'))).toBeUndefined();
        expect(hex(fresh.crc64(mib()))).toBe('1d3f29ca2dc8246a');
        expect(hex(fresh.crc64(ascii('123456789')))).toBe('6c40df5f0b497347');
      } finally {
        globalThis.WebAssembly = saved;
      }
    }
    vi.resetModules();
  });

  it('the shipped WebAssembly module is what scripts/gen-crc64-wasm.mjs generates', () => {
    const script = fileURLToPath(new URL('../../scripts/gen-crc64-wasm.mjs', import.meta.url));
    expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toContain('up to date');
  });
});
