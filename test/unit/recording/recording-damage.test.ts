// A recording damaged in the middle (a flipped bit in a header, a bad sector): FILE.idx knows
// where every message starts, so reading resumes at the next message it lists instead of losing
// everything after the damage; the damage is reported.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from '../../support/read-recording.js';
import { createMessage, encodeMessage, Timestamp } from '../../../src/index.js';
import { encodeIndexHeader, INDEX_HEADER_SIZE, INDEX_RECORD_SIZE, writeIndexRecord } from '../../../src/recording/format.js';
import { indexPathOf, RecordingCutShortError, RecordingFormatError } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-damage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const messages = Array.from({ length: 6 }, (_, i) =>
  encodeMessage(createMessage('STRING', { encoding: 3, value: `message ${i} ${'x'.repeat(i * 7)}` }, { deviceName: `D${i}`, timestamp: Timestamp.fromMillis(5000 + 10 * i) })));
const offsets = messages.map((_, i) => messages.slice(0, i).reduce((n, m) => n + m.length, 0));

/** FILE (with `damage` done to its bytes) and, unless `indexed` is false, its FILE.idx (receive time 10 ms x i). */
function recording(name: string, damage: (bytes: Buffer) => void, indexed = true): string {
  const file = path.join(dir, name);
  const data = Buffer.concat(messages);
  damage(data);
  writeFileSync(file, data);
  if (indexed) {
    const idx = new Uint8Array(INDEX_HEADER_SIZE + INDEX_RECORD_SIZE * messages.length);
    idx.set(encodeIndexHeader(1_700_000_000_000));
    const view = new DataView(idx.buffer);
    offsets.forEach((o, i) => writeIndexRecord(view, INDEX_HEADER_SIZE + i * INDEX_RECORD_SIZE, o, 10 * i));
    writeFileSync(indexPathOf(file), idx);
  }
  return file;
}


const BODY_SIZE = 42;

describe('a recording damaged in the middle', () => {
  it('a BODY_SIZE bit flipped to 2^40: reading resumes at the next message of the index', async () => {
    // Was: messages 3-5 lost (the framer skipped the 1 TB the header declared, to the end).
    const file = recording('huge-size.igtl', (b) => { b[offsets[2]! + BODY_SIZE + 2] ^= 0x01; });
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => [f.index, f.offset, f.time])).toEqual([[0, offsets[0], 0], [1, offsets[1], 10], [3, offsets[3], 30], [4, offsets[4], 40], [5, offsets[5], 50]]);
    frames.forEach((f) => expect(Buffer.from(f.bytes)).toEqual(Buffer.from(messages[f.index]!)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(RecordingFormatError);
    expect(problems[0]!.message).toMatch(new RegExp(`BODY_SIZE .*resumes at message 3 \\(offset ${offsets[3]}\\)`));
  });

  it('a BODY_SIZE 4 too large: the message is not read as one (it would hold 4 bytes of the next), the next ones are', async () => {
    // Message 2 swallows 4 bytes of message 3; what follows is no header. Was: 3-5 lost; then
    // message 2 yielded with message 3's first 4 bytes in it, and the damage reported at a
    // "header" 4 bytes into message 3.
    const file = recording('plus-four.igtl', (b) => { b[offsets[2]! + BODY_SIZE + 7] += 4; });
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 3, 4, 5]);
    frames.forEach((f) => expect(Buffer.from(f.bytes)).toEqual(Buffer.from(messages[f.index]!)));
    expect(problems.map((p) => p.message)).toEqual([
      `${file}: message 2 (offset ${offsets[2]}) declares BODY_SIZE ${messages[2]!.length - 58 + 4}, but ${indexPathOf(file)} says message 3 starts at offset ${offsets[3]}; reading resumes there`,
    ]);
  });

  it('a BODY_SIZE under the limit that runs past the end of the file: damage, not a file cut short', async () => {
    // Was: "is cut short: it ends inside message 2", and messages 3-5 lost.
    const file = recording('past-end.igtl', (b) => b.writeBigUInt64BE(1_000_000n, offsets[2]! + BODY_SIZE));
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 3, 4, 5]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toBeInstanceOf(RecordingCutShortError);
    expect(problems[0]!.message).toMatch(new RegExp(`message 2 \\(offset ${offsets[2]}\\) declares BODY_SIZE 1000000, but .* says message 3 starts at offset ${offsets[3]}; reading resumes there$`));
  });

  it('a BODY_SIZE that swallows the next two messages: none of them is lost, none read as part of another', async () => {
    // Was: message 2 yielded holding messages 3 and 4 (a CRC mismatch when decoded), 3 and 4 gone.
    const file = recording('swallow.igtl', (b) => b.writeBigUInt64BE(BigInt(offsets[5]! - offsets[2]! - 58), offsets[2]! + BODY_SIZE));
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 3, 4, 5]);
    frames.forEach((f) => expect(Buffer.from(f.bytes)).toEqual(Buffer.from(messages[f.index]!)));
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/message 2 .*declares BODY_SIZE .* message 3 starts at offset/)]);
  });

  it('the first message damaged: reading resumes at message 1', async () => {
    const file = recording('first.igtl', (b) => { b[BODY_SIZE] = 0xff; });
    const { frames } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([1, 2, 3, 4, 5]);
  });

  it('every header damaged: each is reported, nothing is yielded, reading ends', async () => {
    const file = recording('all.igtl', (b) => offsets.forEach((o) => { b[o + BODY_SIZE] = 0xff; }));
    const { frames, problems } = await readAll(file);
    expect(frames).toEqual([]);
    expect(problems.length).toBeGreaterThanOrEqual(messages.length);
    expect(problems.every((p) => p instanceof RecordingFormatError)).toBe(true);
  });

  it('without an index the damage is reported and the rest skipped, as before', async () => {
    const file = recording('no-index.igtl', (b) => { b[offsets[2]! + BODY_SIZE + 2] ^= 0x01; }, false);
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1]);
    expect(problems).toHaveLength(1);
  });
});
