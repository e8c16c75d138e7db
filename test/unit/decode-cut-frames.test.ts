// decodeMessage() on frames cut from one larger buffer (protocol/buffer-views.ts): from the third
// frame of a buffer on, it reads through views over the whole buffer instead of a DataView of
// its own. What it returns and throws must not depend on which way it read.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, stringifyJSON, toJSON, IgtlError, createMessage, type IgtlMessage } from '../../src/index.js';
import { messageVectors, vectorBytes, repoRoot } from '../support/vectors.js';

/** The frames laid out in one buffer, each after `gap` bytes of 0xA5 (junk a read past a frame would see). */
function layOut(frames: Uint8Array[], gap: number): { buffer: Uint8Array; cuts: Uint8Array[] } {
  const total = frames.reduce((n, f) => n + gap + f.length, gap);
  const buffer = new Uint8Array(total).fill(0xa5);
  const cuts: Uint8Array[] = [];
  let off = gap;
  for (const f of frames) {
    buffer.set(f, off);
    cuts.push(buffer.subarray(off, off + f.length));
    off += f.length + gap;
  }
  return { buffer, cuts };
}

const canonical = (m: IgtlMessage) => stringifyJSON(toJSON(m));

describe('decodeMessage on frames cut from one buffer', () => {
  const vectors = messageVectors();
  const alone = vectors.map((v) => vectorBytes(v.file));

  it('decodes every golden vector as it does alone, frame after frame and twice over, at odd offsets', () => {
    const expected = alone.map((b) => canonical(decodeMessage(b)));
    for (const gap of [1, 3, 8]) {
      const { cuts } = layOut(alone, gap);
      for (let round = 0; round < 2; round++) {
        cuts.forEach((cut, i) => expect(canonical(decodeMessage(cut)), vectors[i]!.file).toBe(expected[i]));
      }
    }
  });

  it('re-encodes each decoded frame byte for byte, and content views stay on the caller\'s buffer', () => {
    const { buffer, cuts } = layOut(alone, 5);
    cuts.forEach((cut, i) => {
      const msg = decodeMessage(cut);
      expect(Buffer.from(encodeMessage(msg)).equals(Buffer.from(alone[i]!)), vectors[i]!.file).toBe(true);
      if (msg.type === 'IMAGE') {
        const data = msg.content.data;
        expect(data.buffer).toBe(buffer.buffer);
        expect(data.byteOffset).toBeGreaterThanOrEqual(cut.byteOffset);
        expect(data.byteOffset + data.byteLength).toBeLessThanOrEqual(cut.byteOffset + cut.length);
      }
    });
  });

  it('reports a bad frame among good ones with its own bytes: CRC, a frame cut short, bytes after the end', () => {
    const good = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: 'ready' }, { deviceName: 'Probe' }));
    const badCrc = good.slice();
    badCrc[badCrc.length - 1]! ^= 0xff;
    const { cuts } = layOut([good, good, good, badCrc, good], 7);
    for (const cut of cuts.slice(0, 3)) expect(decodeMessage(cut).type).toBe('STATUS');
    let crc: unknown;
    try {
      decodeMessage(cuts[3]!);
    } catch (err) {
      crc = err;
    }
    expect(crc).toBeInstanceOf(IgtlError);
    expect((crc as IgtlError).code).toBe('crc-mismatch');
    expect(Buffer.from((crc as IgtlError & { frame?: Uint8Array }).frame!).equals(Buffer.from(badCrc))).toBe(true);
    // Cut one byte short, and one byte long (the next frame's junk): the size rules still hold.
    const short = cuts[4]!.subarray(0, good.length - 1);
    expect(() => decodeMessage(short)).toThrow(expect.objectContaining({ code: 'truncated' }));
    const long = new Uint8Array(cuts[4]!.buffer, cuts[4]!.byteOffset, good.length + 1);
    expect(() => decodeMessage(long)).toThrow(expect.objectContaining({ code: 'malformed' }));
    expect(decodeMessage(cuts[4]!).type).toBe('STATUS');
  });

  it('a Node Buffer\'s frames come out as they did (their content views are Buffers, call after call)', () => {
    const image = alone[vectors.findIndex((v) => v.type === 'IMAGE')]!;
    const pooled = Buffer.concat([Buffer.alloc(3), Buffer.from(image), Buffer.from(image), Buffer.from(image)]);
    for (let i = 0; i < 3; i++) {
      const msg = decodeMessage(pooled.subarray(3 + i * image.length, 3 + (i + 1) * image.length));
      expect(msg.type === 'IMAGE' && Buffer.isBuffer(msg.content.data)).toBe(true);
    }
  });

  it('lets go of a large buffer at the end of the turn (a 64 MiB recording decoded once is not kept alive)', () => {
    // A process of its own, with the garbage collector exposed: the buffer's WeakRef must be
    // cleared once the turn that decoded from it has ended and nothing else holds it.
    const script = `
      const { decodeMessage, encodeMessage, createMessage } = await import(${JSON.stringify(`${repoRoot}/dist/src/index.js`)});
      const frame = encodeMessage(createMessage('TRANSFORM', { matrix: [1,0,0,1, 0,1,0,2, 0,0,1,3, 0,0,0,1] }, { deviceName: 'Tool' }));
      let big = new Uint8Array(64 * 1024 * 1024);
      for (let i = 0; i < 4; i++) big.set(frame, 8 + i * frame.length);
      const ref = new WeakRef(big.buffer);
      let n = 0;
      for (let i = 0; i < 4; i++) n += decodeMessage(big.subarray(8 + i * frame.length, 8 + (i + 1) * frame.length)).content.matrix[3];
      big = undefined;
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
      globalThis.gc();
      console.log(JSON.stringify({ n, alive: ref.deref() !== undefined }));
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual({ n: 4, alive: false });
  });
});
