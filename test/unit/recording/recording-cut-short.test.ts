// A recording cut short (a copy that stopped, a full disk, a recorder killed mid-write) and one
// whose index stops before its data: readRecording must say so, with where, instead of ending as
// if the file were complete or timing messages from their headers without a word. Measured
// before: data cut at a message boundary with an index of 5 messages read 3 and reported
// nothing; a cut inside a message said "truncated header: 20 of 58 bytes received", no offset
// and no message number; an index of 3 over 5 messages timed the last 2 from their headers
// silently, and recordingInfo counted 3.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAll } from '../../support/read-recording.js';
import { createMessage, encodeMessage, Timestamp } from '../../../src/index.js';
import { encodeIndexHeader, INDEX_HEADER_SIZE, INDEX_RECORD_SIZE, writeIndexRecord } from '../../../src/recording/format.js';
import {
  indexPathOf, RecordingCutShortError, RecordingFormatError, recordingInfo,
} from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-cut-short-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Five STRING messages of 71 bytes each: offsets 0, 71, 142, 213, 284; the file is 355 bytes.
const messages = Array.from({ length: 5 }, (_, i) =>
  encodeMessage(createMessage('STRING', { encoding: 3, value: `message ${i}` }, { deviceName: `D${i}`, timestamp: Timestamp.fromMillis(5000 + 10 * i) })));
const offsets = messages.map((_, i) => messages.slice(0, i).reduce((n, m) => n + m.length, 0));

/** FILE holding the first `bytes` bytes of the messages, and FILE.idx listing the first `indexed` of them (10 ms apart). */
function recording(name: string, bytes: number, indexed = messages.length): string {
  const file = path.join(dir, name);
  writeFileSync(file, Buffer.concat(messages).subarray(0, bytes));
  const idx = new Uint8Array(INDEX_HEADER_SIZE + INDEX_RECORD_SIZE * indexed);
  idx.set(encodeIndexHeader(1_700_000_000_000));
  const view = new DataView(idx.buffer);
  for (let i = 0; i < indexed; i++) writeIndexRecord(view, INDEX_HEADER_SIZE + i * INDEX_RECORD_SIZE, offsets[i]!, 10 * i);
  writeFileSync(indexPathOf(file), idx);
  return file;
}


describe('a recording cut short', () => {
  it('at a message boundary while the index lists more: a RecordingCutShortError naming the end and the messages missing', async () => {
    const file = recording('boundary.igtl', offsets[3]!);
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(problems).toHaveLength(1);
    const err = problems[0] as RecordingCutShortError;
    expect(err).toBeInstanceOf(RecordingCutShortError);
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect(err.code).toBe('recording-cut-short');
    expect(err.offset).toBe(213);
    expect(err.index).toBe(3);
    expect(err.message).toBe(`${file} is cut short: it ends after 3 messages (213 bytes), but ${indexPathOf(file)} lists 5; the last 2 are not in it`);
  });

  it('inside a message body: the whole ones are read, the cut one is not, and the error names it, its offset and its bytes', async () => {
    const file = recording('body.igtl', offsets[3]! + 60);
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(frames.every((f) => f.bytes.length === 71)).toBe(true);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(RecordingCutShortError);
    expect(problems[0]).toMatchObject({ offset: 213, index: 3 });
    expect(problems[0]!.message).toBe(
      `${file} is cut short: it ends inside message 3 (offset 213: 60 of the 71 bytes of STRING "D3"); that message is not read, nor the 1 after it that ${indexPathOf(file)} lists`,
    );
  });

  it('inside a header, without an index: the error names the message and offset', async () => {
    const file = recording('header.igtl', offsets[4]! + 20);
    rmSync(indexPathOf(file));
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3]);
    expect(problems.map((e) => e.message)).toEqual([`${file} is cut short: it ends inside message 4 (offset 284: 20 of the 58 bytes of its header); that message is not read`]);
    expect(problems[0]).toMatchObject({ offset: 284, index: 4 });
  });

  it('a complete recording reports nothing', async () => {
    const { frames, problems } = await readAll(recording('whole.igtl', 355));
    expect(frames).toHaveLength(5);
    expect(problems).toEqual([]);
  });
});

describe('an index that stops before its data (its writes failed first, or it was killed behind)', () => {
  it('every message is read; where the index ends is reported, and the rest is timed from the headers', async () => {
    const file = recording('short-index.igtl', 355, 3);
    const { frames, problems } = await readAll(file);
    expect(frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4]);
    // Header timestamps are 32.32-bit fixed point: 30 ms comes back as 30.000000009 ms.
    [0, 10, 20, 30, 40].forEach((t, i) => expect(frames[i]!.time).toBeCloseTo(t, 6));
    expect(problems.map((e) => e.message)).toEqual([`${indexPathOf(file)} ends at message 3, ${file} goes on (offset 213): timing from header timestamps from here on`]);
  });

  it('recordingInfo counts the messages past the index, as readRecording reads them', async () => {
    expect(await recordingInfo(recording('short-index-info.igtl', 355, 3))).toMatchObject({ count: 5, durationMs: 20, indexed: true });
    // The part past the index cut inside a message: only the whole one counts.
    expect(await recordingInfo(recording('short-index-cut.igtl', offsets[4]! + 30, 3))).toMatchObject({ count: 4 });
    expect(await recordingInfo(recording('empty-index.igtl', 355, 0))).toMatchObject({ count: 5, durationMs: 0 });
  });
});
