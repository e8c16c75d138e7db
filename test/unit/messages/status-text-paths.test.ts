// STATUS text is written by different routes: ASCII without NUL up to STAGED_TEXT_MAX
// characters is checked and staged in size() and copied in encode(); longer or other text is
// measured and written by text.ts (natively with Node's Buffer, in loops or TextEncoder without
// it). Every route must give the text's UTF-8 bytes (an escape of a received byte, U+DC80..U+DCFF,
// as that byte; other lone surrogates as U+FFFD), refuse a NUL wherever it is, and leave nothing
// of a refused message in the shared send slab.
import { describe, expect, it, vi } from 'vitest';
import * as withBufferStatus from '../../../src/protocol/messages/status.js';
import { STAGED_TEXT_MAX } from '../../../src/protocol/text.js';
import { EncodeError, createMessage, decodeMessage, encodeMessage, escapedUtf8Bytes, Timestamp } from '../../../src/index.js';
import { encodeMessageShared } from '../../../src/protocol/encode.js';

type StatusModule = typeof withBufferStatus;

// A second instance of status.ts and text.ts, loaded while `Buffer` is hidden: what a browser runs.
const saved = globalThis.Buffer;
(globalThis as { Buffer?: unknown }).Buffer = undefined;
vi.resetModules();
const withoutBufferStatus = (await import('../../../src/protocol/messages/status.js')) as StatusModule;
globalThis.Buffer = saved;

const utf8 = new TextEncoder();

/** `name: message` of what `f` throws (each module instance has its own EncodeError class). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  return 'nothing thrown';
}

/** Texts of every length from 0 to 70 (across the staging limit and the native cut-overs). */
function texts(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (let n = 0; n <= 70; n++) {
    const ascii = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7 + n) % 95))).join('');
    out.push({ name: `ascii ${n}`, text: ascii });
    out.push({ name: `ascii with 0x01 and 0x7f ${n}`, text: ascii.replace(/./g, (c, i: number) => (i % 5 === 0 ? '\x01' : i % 5 === 1 ? '\x7f' : c)) });
    if (n === 0) continue;
    for (const at of [0, n >> 1, n - 1]) {
      const put = (c: string) => ascii.slice(0, at) + c + ascii.slice(at + 1);
      out.push({ name: `latin-1 at ${at} of ${n}`, text: put('\u00e9') });
      out.push({ name: `U+0080 at ${at} of ${n}`, text: put('\u0080') });
      out.push({ name: `U+0100 at ${at} of ${n}`, text: put('\u0100') });
      out.push({ name: `euro at ${at} of ${n}`, text: put('\u20ac') });
      out.push({ name: `lone high surrogate at ${at} of ${n}`, text: put('\ud800') });
      out.push({ name: `lone low surrogate at ${at} of ${n}`, text: put('\udc80') });
    }
    out.push({ name: `emoji ${n}`, text: '\u{1f600}'.repeat(n).slice(0, n) });
  }
  return out;
}

/** The body C++ sends: code, subcode, error name, the UTF-8 text (escapes as their bytes) and one NUL. */
function expected(code: number, subcode: bigint, errorName: string, text: string): Uint8Array {
  const t = escapedUtf8Bytes(text);
  const out = new Uint8Array(30 + t.length + 1);
  const view = new DataView(out.buffer);
  view.setUint16(0, code);
  view.setBigInt64(2, subcode);
  out.set(utf8.encode(errorName), 10);
  out.set(t, 30);
  return out;
}

for (const [platform, m] of [['with Buffer', withBufferStatus], ['without Buffer', withoutBufferStatus]] as const) {
  const codec = m.statusCodec;
  /** size() then encode() into a buffer filled with 0x55 around the content, as the encoders call them. */
  const encodeAt = (content: withBufferStatus.StatusContent, at = 3): Uint8Array => {
    const size = codec.size(content);
    const bytes = new Uint8Array(at + size + 5).fill(0x55);
    codec.encode(content, bytes, new DataView(bytes.buffer), at);
    expect([...bytes.subarray(0, at), ...bytes.subarray(at + size)]).toEqual(new Array(at + 5).fill(0x55));
    return bytes.slice(at, at + size);
  };

  describe(`STATUS text ${platform}`, () => {
    it('loads its own instance', () => {
      expect(platform === 'with Buffer' || m !== withBufferStatus).toBe(true);
    });

    it('writes the UTF-8 bytes of the text (escapes as their bytes), for every length 0-70 and kind of text', () => {
      for (const { name, text } of texts()) {
        const content = { code: 1, subcode: 7n, errorName: name.length % 2 ? 'Err' : '', statusMessage: text };
        expect(encodeAt(content), name).toEqual(expected(1, 7n, content.errorName, text));
      }
    });

    it('writes the text size() measured even when encode() gets another content with another text', () => {
      // encode() copies staged bytes only for the very text size() staged.
      const a = { code: 1, subcode: 0n, errorName: '', statusMessage: 'first text' };
      const b = { code: 2, subcode: 1n, errorName: 'X', statusMessage: 'other text' };
      const size = codec.size(a);
      expect(codec.size(b)).toBe(size);
      const bytes = new Uint8Array(size);
      codec.encode(a, bytes, new DataView(bytes.buffer), 0);
      expect(bytes).toEqual(expected(1, 0n, '', 'first text'));
    });

    it('refuses a NUL at every position of every length 1-70, with its index', () => {
      for (let n = 1; n <= 70; n++) {
        for (let at = 0; at < n; at++) {
          const text = 'a'.repeat(at) + '\0' + 'b'.repeat(n - at - 1);
          const content = { code: 1, subcode: 0n, errorName: '', statusMessage: text };
          expect(refusal(() => codec.size(content)), `${at} of ${n}`).toContain(`EncodeError: cannot encode STATUS: statusMessage contains a NUL at index ${at};`);
          // After a non-ASCII character too (the staged route stops there, the general one must still see the NUL).
          const mixed = { ...content, statusMessage: '\u00e9' + text };
          expect(refusal(() => codec.size(mixed)), `é + ${at} of ${n}`).toContain(`NUL at index ${at + 1};`);
        }
      }
    });

    it('stages at most STAGED_TEXT_MAX characters (the limit is inside the tested lengths)', () => {
      expect(STAGED_TEXT_MAX).toBeGreaterThan(0);
      expect(STAGED_TEXT_MAX).toBeLessThan(70);
    });
  });
}

describe('STATUS text through the encoders', () => {
  const msg = (statusMessage: string, errorName = 'TrackerError') =>
    createMessage('STATUS', { code: 2, subcode: -(2n ** 63n), errorName, statusMessage }, { deviceName: 'Tracker', timestamp: new Timestamp(5, 6) });

  it('round-trips every length 0-70 through encodeMessage and the shared slab, byte-identical', () => {
    for (const { name, text } of texts()) {
      const m = msg(text);
      const own = encodeMessage(m);
      const shared = encodeMessageShared(m);
      expect([...shared], name).toEqual([...own]);
      // An escape (U+DC80..U+DCFF) comes back as itself; other lone surrogates as U+FFFD.
      expect(decodeMessage(own).content, name).toEqual({ ...m.content, statusMessage: text.replace(/[\ud800-\udc7f\udd00-\udfff]/gu, '\ufffd') });
    }
  });

  it('leaves nothing of a refused message in the shared slab', () => {
    const before = encodeMessageShared(msg('before'));
    expect(() => encodeMessageShared(msg('bad \0 text'))).toThrow(EncodeError);
    expect(() => encodeMessageShared(msg('ok', 'an error name over twenty bytes'))).toThrow(EncodeError);
    const after = encodeMessageShared(msg('after'));
    // The next message starts right where the refused ones would have: its bytes are its own.
    if (after.buffer === before.buffer) expect(after.byteOffset).toBe(before.byteOffset + before.length);
    expect(decodeMessage(after).content).toMatchObject({ statusMessage: 'after' });
  });
});

describe('STATUS text through the decoder (text.ts nulTerminatedText)', () => {
  // The NUL is looked for four bytes a step, and the same pass decides whether the text is ASCII
  // (then, past the intern cache's 32 bytes, sliced at once). A byte over 0x7F anywhere before the
  // NUL (in a full word, in the word that holds the NUL, in the tail) must send the text the
  // escaping way; one after the NUL must not matter.
  const wire = (text: Uint8Array, after: number[] = []) => {
    const msg = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'x' }, { deviceName: 'D', timestamp: Timestamp.ZERO }));
    const content = new Uint8Array(30 + text.length + 1 + after.length);
    content.set(msg.subarray(58, 58 + 30));
    content.set(text, 30);
    content.set(after, 30 + text.length + 1);
    const out = new Uint8Array(58 + content.length);
    out.set(msg.subarray(0, 58));
    out.set(content, 58);
    new DataView(out.buffer).setBigUint64(42, BigInt(content.length));
    return out;
  };
  const escaped = new TextDecoder('utf-8', { fatal: false });
  it('every length 0-70, a byte 0xE9 at every position or none, bytes after the NUL: the text up to the NUL, each invalid byte as its escape, re-encoded to the same bytes', () => {
    for (let n = 0; n <= 70; n++) {
      for (let at = -1; at < n; at++) {
        const bytes = Uint8Array.from({ length: n }, (_, i) => (i === at ? 0xe9 : 0x41 + ((i * 7 + n) % 26)));
        for (const after of [[], [0xff, 0x41, 0x80]]) {
          const decoded = decodeMessage(wire(bytes, after), { verifyCrc: false });
          if (decoded.type !== 'STATUS') throw new Error('not a STATUS');
          const text = decoded.content.statusMessage;
          expect(text.length, `length ${n}, 0xE9 at ${at}`).toBe(n);
          if (at >= 0) expect(text.charCodeAt(at), `length ${n}, 0xE9 at ${at}`).toBe(0xdce9);
          else expect(text).toBe(escaped.decode(bytes));
          expect([...escapedUtf8Bytes(text)]).toEqual([...bytes]);
        }
      }
    }
  });
});
