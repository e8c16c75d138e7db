import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, encodeMessage, Timestamp } from '../../../src/index.js';
import {
  decodeIndexHeader, encodeIndexHeader, INDEX_HEADER_SIZE, INDEX_RECORD_SIZE, writeIndexRecord,
} from '../../../src/recording/format.js';
import { indexPathOf, readRecording, RecordingFormatError, recordingInfo, type RecordingFrame } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const msg = (i: number, stampMs: number) =>
  encodeMessage(createMessage('STRING', { encoding: 3, value: `message ${i}` }, { deviceName: `D${i}`, timestamp: stampMs === 0 ? Timestamp.ZERO : Timestamp.fromMillis(stampMs) }));

/** Writes FILE (and FILE.idx unless `times` is undefined) for `messages`. */
function writeRecording(name: string, messages: Uint8Array[], times?: number[], start = 1_700_000_000_000): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(messages));
  if (times) {
    const idx = new Uint8Array(INDEX_HEADER_SIZE + INDEX_RECORD_SIZE * times.length);
    idx.set(encodeIndexHeader(start));
    const view = new DataView(idx.buffer);
    let offset = 0;
    times.forEach((t, i) => {
      writeIndexRecord(view, INDEX_HEADER_SIZE + i * INDEX_RECORD_SIZE, offset, t);
      offset += messages[i]!.length;
    });
    writeFileSync(indexPathOf(file), idx);
  }
  return file;
}

async function readAll(file: string, problems: Error[] = []): Promise<RecordingFrame[]> {
  const out: RecordingFrame[] = [];
  for await (const f of readRecording(file, { onProblem: (e) => problems.push(e) })) out.push(f);
  return out;
}

describe('index header', () => {
  it('holds the magic, version, sizes and start time, big-endian', () => {
    const bytes = encodeIndexHeader(1_700_000_000_123.5);
    expect(Buffer.from(bytes).toString('hex')).toBe(
      `${Buffer.from('IGTLRXIX').toString('hex')}0001002000000010${Buffer.from(new Float64Array([1_700_000_000_123.5]).buffer).reverse().toString('hex')}0000000000000000`,
    );
    expect(decodeIndexHeader(bytes)).toEqual({ version: 1, headerSize: 32, recordSize: 16, startTimeMs: 1_700_000_000_123.5 });
  });

  it('refuses what is not an index', () => {
    expect(() => decodeIndexHeader(new Uint8Array(10), 'x.idx')).toThrow(/x\.idx: 10 bytes, too short/);
    const bad = encodeIndexHeader(0);
    bad[0] = 0x41;
    expect(() => decodeIndexHeader(bad)).toThrow(RecordingFormatError);
  });
});

describe('readRecording', () => {
  const messages = [msg(0, 5000), msg(1, 5010), msg(2, 0), msg(3, 5100)];

  it('yields each message with its bytes, offset and index time', async () => {
    const file = writeRecording('indexed.igtl', messages, [0, 12.5, 13, 250.25]);
    const frames = await readAll(file);
    expect(frames.map((f) => f.time)).toEqual([0, 12.5, 13, 250.25]);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    let offset = 0;
    frames.forEach((f, i) => {
      expect(Buffer.from(f.bytes).equals(Buffer.from(messages[i]!))).toBe(true);
      expect(f.offset).toBe(offset);
      offset += f.bytes.length;
    });
  });

  it('without an index, times come from header timestamps (an unset one follows the previous message)', async () => {
    const file = writeRecording('plain.igtl', messages);
    const times = (await readAll(file)).map((f) => f.time);
    [0, 10, 10, 100].forEach((t, i) => expect(times[i]).toBeCloseTo(t, 5));
  });

  it('falls back to header timestamps where the index does not match the file, and says so', async () => {
    const file = writeRecording('mismatch.igtl', messages, [0, 1, 2, 3]);
    // The index of another file from message 2 on (records 2 and 3 both off): an edited file.
    const idx = readFileSync(indexPathOf(file));
    idx.writeBigUInt64BE(999n, INDEX_HEADER_SIZE + 2 * INDEX_RECORD_SIZE);
    idx.writeBigUInt64BE(1999n, INDEX_HEADER_SIZE + 3 * INDEX_RECORD_SIZE);
    writeFileSync(indexPathOf(file), idx);
    const problems: Error[] = [];
    const frames = await readAll(file, problems);
    expect(frames).toHaveLength(4);
    // From message 2 on: header time, lined up with the index where they last agreed (message 1).
    [0, 1, 1, 91].forEach((t, i) => expect(frames[i]!.time).toBeCloseTo(t, 5));
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/does not match .* at message 2 \(offset 999 in the index, \d+ in the file\)/)]);
  });

  for (const bad of [Number.NaN, -5, Number.POSITIVE_INFINITY, 1e10]) {
    it(`an index receive time of ${bad}: that message follows the one before, the index times the rest, and it is said`, async () => {
      // A damaged time was used as it was: NaN and negative played at once, in silence; then the
      // rest was timed from header timestamps (message 3 at 91 ms where the index says 3 ms).
      // 1e10 ms (a flipped exponent) held playback for 115 days.
      const file = writeRecording(`bad-time-${bad}.igtl`, messages, [0, 1, 2, 3]);
      const idx = readFileSync(indexPathOf(file));
      idx.writeDoubleBE(bad, INDEX_HEADER_SIZE + 2 * INDEX_RECORD_SIZE + 8);
      writeFileSync(indexPathOf(file), idx);
      const problems: Error[] = [];
      const frames = await readAll(file, problems);
      expect(frames.map((f) => f.time)).toEqual([0, 1, 1, 3]);
      expect(problems.map((p) => p.message)).toEqual([
        `${indexPathOf(file)}: the receive time of message 2 is ${bad} ms, out of order (message 1 at 1 ms, message 3 at 3 ms): played right after the message before it`,
      ]);
    });
  }

  it('one damaged offset (the next record agrees with the file) is that record\'s: the index times the rest', async () => {
    // A flipped bit in record 2's offset ended the index's timing for the rest of the file:
    // message 3 at 91 ms (its header timestamp) where the index says 3 ms.
    const file = writeRecording('one-offset.igtl', messages, [0, 1, 2, 3]);
    const idx = readFileSync(indexPathOf(file));
    idx.writeBigUInt64BE(999n, INDEX_HEADER_SIZE + 2 * INDEX_RECORD_SIZE);
    writeFileSync(indexPathOf(file), idx);
    const problems: Error[] = [];
    expect((await readAll(file, problems)).map((f) => f.time)).toEqual([0, 1, 2, 3]);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/the offset of message 2 is 999, \d+ in .*, where the next message's agrees: a damaged record, the index goes on$/)]);
  });

  it('a receive time that goes back names that message, not the one before it (whose next time does not fit)', async () => {
    const file = writeRecording('back.igtl', [...messages, msg(4, 0)], [0, 10, 20, 5, 40]);
    const problems: Error[] = [];
    expect((await readAll(file, problems)).map((f) => f.time)).toEqual([0, 10, 20, 20, 40]);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/the receive time of message 3 is 5 ms, out of order \(message 2 at 20 ms, message 4 at 40 ms\)/)]);
  });

  it('a damaged time among messages without header timestamps: no burst of the rest', async () => {
    // Senders that leave the timestamp 0 (most C++ programs, 3D Slicer): the fallback to header
    // timestamps played everything after the damaged record at once (times 1000, 1000, 1000).
    const plain = [0, 1, 2, 3, 4].map((i) => msg(i, 0));
    const file = writeRecording('zero-stamps.igtl', plain, [0, 1000, 2000, 3000, 4000]);
    const idx = readFileSync(indexPathOf(file));
    idx.writeDoubleBE(Number.NaN, INDEX_HEADER_SIZE + 2 * INDEX_RECORD_SIZE + 8);
    writeFileSync(indexPathOf(file), idx);
    const problems: Error[] = [];
    expect((await readAll(file, problems)).map((f) => f.time)).toEqual([0, 1000, 1000, 3000, 4000]);
    expect(problems).toHaveLength(1);
  });

  it('reports a cut-off last message and keeps the ones before it', async () => {
    const file = writeRecording('cut.igtl', [...messages.slice(0, 3), messages[3]!.subarray(0, 70)], [0, 1, 2, 3]);
    const problems: Error[] = [];
    const frames = await readAll(file, problems);
    expect(frames).toHaveLength(3);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/truncated|ends|short/i);
  });

  it('reads a large recording in chunks with bounded memory and the right offsets', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => encodeMessage(createMessage('IMAGE', {
      numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [32, 32, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
      subvolumeOffset: [0, 0, 0], subvolumeSize: [32, 32, 1], data: new Uint8Array(1024).fill(i & 0xff),
    }, { deviceName: 'US', timestamp: Timestamp.ZERO })));
    const file = writeRecording('large.igtl', many, many.map((_, i) => i));
    let n = 0;
    for await (const f of readRecording(file)) {
      expect(f.time).toBe(n);
      expect(f.bytes[f.bytes.length - 1]).toBe(n & 0xff);
      n++;
    }
    expect(n).toBe(3000);
  });
});

describe('recordingInfo', () => {
  it('counts messages and finds the duration from the index, or from the headers without one', async () => {
    const messages = [msg(0, 5000), msg(1, 5010), msg(2, 5100)];
    const indexed = writeRecording('info.igtl', messages, [0, 40, 80.5], 1234);
    expect(await recordingInfo(indexed)).toEqual({ count: 3, bytes: readFileSync(indexed).length, durationMs: 80.5, startTimeMs: 1234, indexed: true });
    const plain = writeRecording('info-plain.igtl', messages);
    const info = await recordingInfo(plain);
    expect(info).toMatchObject({ count: 3, indexed: false });
    expect(info.durationMs).toBeCloseTo(100, 5);
    expect(info.startTimeMs).toBeCloseTo(5000, 5);
  });

  it('counts only the indexed messages the data file holds whole (a file cut short)', async () => {
    // The index promised messages readRecording can never deliver: a replay's progress said 7
    // where 4 could be read.
    const messages = Array.from({ length: 7 }, (_, i) => msg(i, 5000 + i));
    const times = messages.map((_, i) => i * 10);
    const file = writeRecording('cut.igtl', messages, times, 1234);
    const whole = readFileSync(file);
    const size = messages[0]!.length;
    for (const [keep, count] of [[4 * size, 4], [4 * size + 30, 4], [4 * size + 60, 4], [5 * size - 1, 4], [5 * size, 5], [7 * size, 7], [20, 0]] as const) {
      writeFileSync(file, whole.subarray(0, keep));
      const info = await recordingInfo(file);
      expect({ keep, count: info.count, durationMs: info.durationMs }).toEqual({ keep, count, durationMs: count > 0 ? times[count - 1] : 0 });
      let read = 0;
      for await (const _ of readRecording(file, { onProblem: () => {} })) read++;
      expect(read).toBe(count);
    }
  });
});
