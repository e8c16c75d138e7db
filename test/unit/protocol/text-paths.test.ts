// text.ts builds and writes text by different routes depending on the length and on whether
// Node's Buffer is there (native slices) or not (a browser: loops, TextDecoder, TextEncoder).
// Every route must give the same text, and keep the exact-bytes guarantees: invalid UTF-8 in a
// fixed field is escaped, invalid text of decodeText keeps its raw bytes.
import { afterAll, describe, expect, it } from 'vitest';
import * as withBuffer from '../../../src/protocol/text.js';

type TextModule = typeof withBuffer;

// A second instance of the module, loaded while `Buffer` is hidden: what a browser runs.
const saved = globalThis.Buffer;
(globalThis as { Buffer?: unknown }).Buffer = undefined;
const specifier = '../../../src/protocol/text.js?without-buffer';
const withoutBuffer = (await import(/* @vite-ignore */ specifier)) as TextModule;
globalThis.Buffer = saved;
afterAll(() => {
  globalThis.Buffer = saved;
});

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const isValid = (b: Uint8Array) => {
  try {
    utf8Fatal.decode(b);
    return true;
  } catch {
    return false;
  }
};

/** Byte strings of every length from 0 to 70 (across each route's cut-over) in several kinds. */
function samples(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  const enc = new TextEncoder();
  for (let n = 0; n <= 70; n++) {
    const ascii = Uint8Array.from({ length: n }, (_, i) => 0x20 + ((i * 7 + n) % 95));
    out.push({ name: `ascii ${n}`, bytes: ascii });
    if (n === 0) continue;
    const high = ascii.slice();
    high[n - 1] = 0xe9; // Latin-1 é: not UTF-8
    out.push({ name: `latin-1 ${n}`, bytes: high });
    const mid = ascii.slice();
    mid[n >> 1] = 0xff;
    out.push({ name: `invalid in the middle ${n}`, bytes: mid });
    const text = 'é€😀'.repeat(n).slice(0, n);
    out.push({ name: `utf-8 ${n}`, bytes: enc.encode(text) });
    // A U+FFFD that is in the bytes (valid UTF-8), not made by the decoder.
    out.push({ name: `literal U+FFFD ${n}`, bytes: enc.encode('a'.repeat(n) + '\uFFFD') });
    out.push({ name: `BOM ${n}`, bytes: enc.encode('\uFEFF' + 'b'.repeat(n)) });
  }
  return out;
}

it('loads a second instance of text.ts for the run without Buffer', () => {
  expect(withoutBuffer.escapedText).not.toBe(withBuffer.escapedText);
});

for (const [platform, t] of [['with Buffer', withBuffer], ['without Buffer', withoutBuffer]] as const) {
  describe(`text.ts ${platform}`, () => {
    it('escapedText gives what TextDecoder gives for UTF-8, each invalid byte as its escape, and escapedTextBytes the bytes back', () => {
      for (const { name, bytes } of samples()) {
        const framed = new Uint8Array([0x41, ...bytes, 0x42]);
        const want = isValid(bytes) ? utf8.decode(bytes) : t.escapedUtf8(bytes, 0, bytes.length);
        expect(t.escapedText(framed, 1, 1 + bytes.length), name).toBe(want);
        // Twice: the second read may come from the intern cache.
        expect(t.escapedText(framed, 1, 1 + bytes.length), name).toBe(want);
        expect([...t.escapedTextBytes(want)], name).toEqual([...bytes]);
      }
    });

    it('readFixedString escapes invalid bytes, and writeFixedString writes the same bytes back', () => {
      for (const { name, bytes } of samples()) {
        if (bytes.includes(0)) continue;
        const field = new Uint8Array(bytes.length + 8);
        field.set(bytes, 2);
        const text = t.readFixedString(field, 2, bytes.length + 1);
        expect(text, name).toBe(isValid(bytes) ? utf8.decode(bytes) : t.escapedUtf8(bytes, 0, bytes.length));
        const out = new Uint8Array(bytes.length + 4).fill(0x55);
        t.writeFixedString(out, 1, bytes.length + 2, text, 'TEST', 'field');
        expect([...out], name).toEqual([0x55, ...bytes, 0, 0, 0x55]);
      }
    });

    it('decodeText keeps the raw bytes exactly when the text would not write them back', () => {
      for (const { name, bytes } of samples()) {
        const framed = new Uint8Array([0x41, ...bytes]);
        const ascii = bytes.every((b) => b < 0x80);
        for (const encoding of [3, 4, 106]) {
          const d = t.decodeText(framed, 1, framed.length, encoding);
          const lossless = encoding === 4 || (encoding === 3 ? ascii : isValid(bytes));
          expect(d.raw === undefined, `${name} in ${encoding}`).toBe(lossless);
          if (encoding === 4 || (encoding === 3 && !ascii)) expect(d.value).toBe(String.fromCharCode(...bytes));
          else expect(d.value, `${name} in ${encoding}`).toBe(utf8.decode(bytes));
          const again = t.encodeText(d.value, encoding, d.raw, 'TEST', 'text');
          expect([...again], `${name} in ${encoding}`).toEqual([...bytes]);
        }
      }
    });

    it('decodeTextIn (the codecs\' route, four bytes a step through a DataView) decodes as decodeText, at every alignment', () => {
      for (const { name, bytes } of samples()) {
        // The high byte first too: the samples have it last and in the middle.
        const variants = bytes.length > 0 && bytes[0]! < 0x80 ? [bytes, Uint8Array.from(bytes, (b, i) => (i === 0 ? 0x80 : b))] : [bytes];
        for (const v of variants) {
          for (let lead = 0; lead < 4; lead++) {
            const framed = new Uint8Array([...Array<number>(lead).fill(0x41), ...v, 0xff, 0xff, 0xff]);
            const view = new DataView(framed.buffer);
            for (const encoding of [3, 4, 106]) {
              const want = t.decodeText(v, 0, v.length, encoding);
              const got = t.decodeTextIn(framed, view, lead, lead + v.length, encoding);
              expect(got.value, `${name} at ${lead} in ${encoding}`).toBe(want.value);
              expect(got.raw === undefined ? undefined : [...got.raw], `${name} at ${lead} in ${encoding}`).toEqual(want.raw === undefined ? undefined : [...want.raw]);
            }
          }
        }
      }
    });

    it('asciiTextLength and writeAsciiText take ASCII and refuse anything else', () => {
      for (let n = 0; n <= 80; n++) {
        const text = Array.from({ length: n }, (_, i) => String.fromCharCode((i * 11 + n) % 128)).join('');
        expect(t.asciiTextLength(text)).toBe(n);
        const out = new Uint8Array(n + 2).fill(0xaa);
        expect(t.writeAsciiText(out, 1, text)).toBe(n);
        expect([...out]).toEqual([0xaa, ...Array.from(text, (c) => c.charCodeAt(0)), 0xaa]);
        if (n === 0) continue;
        for (const odd of ['é', '\u0080', '\uD800', '😀']) {
          const bad = text.slice(0, n - 1) + odd;
          expect(t.asciiTextLength(bad), JSON.stringify(bad)).toBe(-1);
          expect(t.writeAsciiText(new Uint8Array(bad.length + 4), 0, bad)).toBe(-1);
        }
      }
    });
  });
}

describe('ASCII text measured and written in place (STATUS, STRING, COMMAND text)', () => {
  it.each([
    ['with Buffer', withBuffer],
    ['without Buffer', withoutBuffer],
  ] as const)('%s: every length across the routes; other text is refused, also right after an ASCII text was measured', (_, m) => {
    for (let n = 0; n <= 70; n++) {
      const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7 + n) % 95))).join('');
      const out = new Uint8Array(n + 4).fill(0xee);
      expect(m.asciiTextLength(ascii)).toBe(n);
      expect(m.writeAsciiText(out, 2, ascii)).toBe(n);
      expect(Array.from(out.subarray(2, 2 + n))).toEqual(Array.from(ascii, (c) => c.charCodeAt(0)));
      expect([out[0], out[1], out[n + 2], out[n + 3]]).toEqual([0xee, 0xee, 0xee, 0xee]);
      if (n === 0) continue;
      // The write after a measure may skip measuring again: only for that same ASCII text.
      for (const other of [`${ascii.slice(0, -1)}é`, `é${ascii.slice(1)}`, `${ascii.slice(0, -1)}\uD800`]) {
        expect(m.asciiTextLength(ascii)).toBe(n);
        expect(m.writeAsciiText(new Uint8Array(n + 4), 0, other), JSON.stringify(other)).toBe(-1);
        expect(m.asciiTextLength(other)).toBe(-1);
      }
    }
  });
});
