// The recording format (docs/recording-format.md): FILE holds the messages, concatenated exactly
// as they travel on the wire, so any OpenIGTLink reader (`igtl-rx decode FILE`) reads it as it
// is; FILE.idx, a small fixed-size binary index next to it, holds when each one was received.
//
// FILE.idx, big-endian like OpenIGTLink itself:
//   header, 32 bytes:  char[8] "IGTLRXIX" | uint16 version = 1 | uint16 header size = 32 |
//                      uint32 record size = 16 | float64 start time, ms since 1970 | 8 bytes zero
//   record, 16 bytes:  uint64 byte offset of the message in FILE | float64 receive time, ms
//                      since the start time
import { open, stat, type FileHandle } from 'node:fs/promises';
import { HEADER_SIZE, OFFSET_BODY_SIZE } from '../protocol/constants.js';
import { Framer } from '../protocol/framer.js';
import { TruncatedMessageError, type IgtlError } from '../protocol/errors.js';
import { readHeader } from '../protocol/header.js';
import { RecordingCutShortError, RecordingFormatError } from './errors.js';

export { RecordingCutShortError, RecordingFormatError };

/** First 8 bytes of an index file. */
export const INDEX_MAGIC = 'IGTLRXIX';
/** Index format version written by this library. */
export const INDEX_VERSION = 1;
/** Size of the index header. */
export const INDEX_HEADER_SIZE = 32;
/** Size of one index record. */
export const INDEX_RECORD_SIZE = 16;

const OFFSET_MAGIC = 0;
const OFFSET_VERSION = 8; // uint16
const OFFSET_HEADER_SIZE = 10; // uint16
const OFFSET_RECORD_SIZE = 12; // uint32
const OFFSET_START_TIME = 16; // float64

/** The index file of a recording: `FILE.idx`. */
export function indexPathOf(file: string): string {
  return `${file}.idx`;
}


/** The 32-byte index header for a recording that started at `startTimeMs` (ms since 1970). */
export function encodeIndexHeader(startTimeMs: number): Uint8Array {
  const bytes = new Uint8Array(INDEX_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < INDEX_MAGIC.length; i++) bytes[OFFSET_MAGIC + i] = INDEX_MAGIC.charCodeAt(i);
  view.setUint16(OFFSET_VERSION, INDEX_VERSION);
  view.setUint16(OFFSET_HEADER_SIZE, INDEX_HEADER_SIZE);
  view.setUint32(OFFSET_RECORD_SIZE, INDEX_RECORD_SIZE);
  view.setFloat64(OFFSET_START_TIME, startTimeMs);
  return bytes;
}

/** Writes one 16-byte index record into `bytes` at `at`. */
export function writeIndexRecord(view: DataView, at: number, offset: number, timeMs: number): void {
  view.setBigUint64(at, BigInt(offset));
  view.setFloat64(at + 8, timeMs);
}

/** What an index header says. */
export interface IndexHeader {
  readonly version: number;
  readonly headerSize: number;
  readonly recordSize: number;
  /** Recording start, ms since 1970. */
  readonly startTimeMs: number;
}

/** Reads an index header; throws a {@link RecordingFormatError} if it is not one. */
export function decodeIndexHeader(bytes: Uint8Array, file = 'index'): IndexHeader {
  if (bytes.length < INDEX_HEADER_SIZE) throw new RecordingFormatError(`${file}: ${bytes.length} bytes, too short for an index header (${INDEX_HEADER_SIZE})`);
  const magic = String.fromCharCode(...bytes.subarray(OFFSET_MAGIC, OFFSET_MAGIC + 8));
  if (magic !== INDEX_MAGIC) throw new RecordingFormatError(`${file}: not an igtl-rx index (starts with ${JSON.stringify(magic)}, expected "${INDEX_MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: IndexHeader = {
    version: view.getUint16(OFFSET_VERSION),
    headerSize: view.getUint16(OFFSET_HEADER_SIZE),
    recordSize: view.getUint32(OFFSET_RECORD_SIZE),
    startTimeMs: view.getFloat64(OFFSET_START_TIME),
  };
  // Newer versions may grow the header or the records; what this version reads stays where it is.
  if (header.version < 1 || header.headerSize < INDEX_HEADER_SIZE || header.recordSize < INDEX_RECORD_SIZE) {
    throw new RecordingFormatError(`${file}: unsupported index (version ${header.version}, header ${header.headerSize} bytes, records ${header.recordSize} bytes)`);
  }
  return header;
}

/** One message of a recording, as stored. */
export interface RecordingFrame {
  /** Position in the recording, from 0. */
  readonly index: number;
  /** Byte offset of the message in the data file. */
  readonly offset: number;
  /** The message's bytes exactly as stored (a copy of its own). */
  readonly bytes: Uint8Array;
  /** Receive time, ms since the recording started (from the index, or the header timestamps without one). */
  readonly time: number;
}

/** Summary of a recording (see {@link recordingInfo}). */
export interface RecordingInfo {
  /** Number of messages the data file holds whole (with an index: its entries that do, so a file cut short counts what can be read). */
  readonly count: number;
  /** Size of the data file. */
  readonly bytes: number;
  /** Receive time of the last message, ms since the start (0 for an empty recording). */
  readonly durationMs: number;
  /** Recording start, ms since 1970 (from the index; else the first header timestamp, else undefined). */
  readonly startTimeMs: number | undefined;
  /** True when the timing comes from an index file. */
  readonly indexed: boolean;
}

/** Options of {@link readRecording}. */
export interface ReadRecordingOptions {
  /** Non-fatal problems (an unreadable frame, an index that does not match): reported, reading goes on. */
  readonly onProblem?: (err: Error) => void;
  /** Largest message accepted, bytes (default: the decoder's, 256 MiB + 64 KiB). */
  readonly maxBodySize?: number;
}

const CHUNK_SIZE = 1 << 20;
const INDEX_BATCH = 4096;

async function openIndex(file: string): Promise<{ fh: FileHandle; header: IndexHeader; count: number } | undefined> {
  const path = indexPathOf(file);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const head = new Uint8Array(INDEX_HEADER_SIZE);
    const { bytesRead } = await fh.read(head, 0, INDEX_HEADER_SIZE, 0);
    const header = decodeIndexHeader(head.subarray(0, bytesRead), path);
    const size = (await fh.stat()).size;
    // A partly written last record (a recorder killed mid-write) is ignored.
    const count = Math.max(0, Math.floor((size - header.headerSize) / header.recordSize));
    return { fh, header, count };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * How many of the index's messages lie whole in the data file of `bytes` bytes: all of them,
 * unless the data file is shorter than the index says (a recorder killed between writing the
 * index record and the message, a file cut short by a copy). The index's count alone promised
 * messages that readRecording can never deliver. Offsets grow (the recorder appends), so a binary
 * search finds the last message that starts in the file; its header says whether it ends there.
 */
async function indexedWithin(index: { fh: FileHandle; header: IndexHeader; count: number }, file: string, bytes: number): Promise<number> {
  const offsetAt = async (i: number): Promise<number> => (await readIndexRecords(index, i, 1)).offsets[0] ?? Infinity;
  if (index.count === 0 || (await endsWithin(file, await offsetAt(index.count - 1), bytes))) return index.count;
  let lo = 0;
  let hi = index.count; // messages [0, lo) start in the file; [hi, count) do not
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((await offsetAt(mid)) + HEADER_SIZE <= bytes) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && !(await endsWithin(file, await offsetAt(lo - 1), bytes)) ? lo - 1 : lo;
}

/** Whether the message whose header starts at `offset` ends within the file's `bytes` bytes. */
async function endsWithin(file: string, offset: number, bytes: number): Promise<boolean> {
  if (offset + HEADER_SIZE > bytes) return false;
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(HEADER_SIZE);
    await fh.read(head, 0, HEADER_SIZE, offset);
    return BigInt(offset + HEADER_SIZE) + new DataView(head.buffer).getBigUint64(OFFSET_BODY_SIZE) <= BigInt(bytes);
  } finally {
    await fh.close();
  }
}

/** Whole messages in the data file after the one whose header starts at `offset` (from the start when undefined). */
async function wholeMessagesAfter(file: string, offset: number | undefined, bytes: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(HEADER_SIZE);
    const view = new DataView(head.buffer);
    const sizeAt = async (at: number): Promise<bigint> => {
      await fh.read(head, 0, HEADER_SIZE, at);
      return BigInt(HEADER_SIZE) + view.getBigUint64(OFFSET_BODY_SIZE);
    };
    let position = offset === undefined ? 0n : BigInt(offset) + (offset + HEADER_SIZE <= bytes ? await sizeAt(offset) : 0n);
    let count = 0;
    while (position + BigInt(HEADER_SIZE) <= BigInt(bytes)) {
      position += await sizeAt(Number(position));
      if (position <= BigInt(bytes)) count++;
    }
    return count;
  } finally {
    await fh.close();
  }
}

/** Reads index records [from, from + n) as (offset, time) pairs. */
async function readIndexRecords(index: { fh: FileHandle; header: IndexHeader }, from: number, n: number): Promise<{ offsets: number[]; times: number[] }> {
  const size = n * index.header.recordSize;
  const buf = new Uint8Array(size);
  const { bytesRead } = await index.fh.read(buf, 0, size, index.header.headerSize + from * index.header.recordSize);
  const view = new DataView(buf.buffer, 0, bytesRead);
  const offsets: number[] = [];
  const times: number[] = [];
  for (let at = 0; at + INDEX_RECORD_SIZE <= bytesRead; at += index.header.recordSize) {
    offsets.push(Number(view.getBigUint64(at)));
    times.push(view.getFloat64(at + 8));
  }
  return { offsets, times };
}

/**
 * Reads a recording message by message, streaming (memory stays bounded however large the file
 * is). Timing comes from FILE.idx; without one (a file from elsewhere), from the header
 * timestamps relative to the first one that is set, and a message without a timestamp follows
 * the previous one at once. A header that cannot be read (damage in the middle of the file) is
 * reported; with an index that matched the file so far, reading resumes at the next message the
 * index lists (its `index` stays the index's numbering), else the header's BODY_SIZE is skipped.
 */
export async function* readRecording(file: string, options: ReadRecordingOptions = {}): AsyncGenerator<RecordingFrame> {
  const report = options.onProblem ?? (() => {});
  const data = await open(file, 'r');
  let index = await openIndex(file).catch((err: unknown) => {
    report(err as Error);
    return undefined;
  });
  try {
    let pending: RecordingFrame[] = [];
    let count = 0;
    let offset = 0;
    let firstStamp: number | undefined;
    let lastTime = 0;
    let batch: { from: number; offsets: number[]; times: number[] } | undefined;
    const frames: { offset: number; bytes: Uint8Array }[] = [];
    // Damage: the refused header (and where it is) while an index can say where the next message
    // starts; the framer's output is garbage from there until reading resumes at that message.
    let lost: { at: number; err: IgtlError } | undefined;
    let lastStart = -1;
    let resumedAt = -1;
    let ending = false;
    let cut = false;
    /** The report of a file that ends inside message `count`, which starts at `offset`. */
    const cutInside = (err: TruncatedMessageError): RecordingCutShortError => {
      const what = err.header ? `${err.header.type} "${err.header.deviceName}"` : 'its header';
      const after = index && index.count > count + 1 ? `, nor the ${index.count - count - 1} after it that ${indexPathOf(file)} lists` : '';
      return new RecordingCutShortError(
        `${file} is cut short: it ends inside message ${count} (offset ${offset}: ${err.receivedBytes} of the ${err.expectedBytes} bytes of ${what}); that message is not read${after}`,
        offset, count,
      );
    };
    const framer = new Framer(
      {
        frame(header, bytes, _view, at) {
          if (lost) return;
          const total = HEADER_SIZE + header.bodySize;
          const copy = new Uint8Array(total);
          copy.set(bytes.subarray(at, at + total));
          frames.push({ offset, bytes: copy });
          offset += total;
        },
        error(err: IgtlError) {
          if (lost) return;
          if (index && err.header && !ending) {
            lost = { at: offset, err };
            return;
          }
          if (ending && err instanceof TruncatedMessageError) {
            cut = true;
            report(cutInside(err));
            return;
          }
          // A refused header (oversized, unknown version) is skipped with its body; a cut-off tail is dropped.
          if (err.header) offset += HEADER_SIZE + err.header.bodySize;
          report(new RecordingFormatError(`${file}: ${err.message}`));
        },
      },
      // A file: a bad header is reported and skipped by its BODY_SIZE (resync 'skip'), not the end of it.
      { resync: 'skip', ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }) },
    );
    const stampOf = (bytes: Uint8Array): number | undefined => {
      const header = readHeader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
      return header.timestampSeconds === 0 && header.timestampFraction === 0 ? undefined : header.timestamp.toMillis();
    };
    /** Index record `i` (< index.count), read in batches. */
    const indexed = async (i: number): Promise<{ offset: number; time: number }> => {
      if (!batch || i < batch.from || i >= batch.from + batch.offsets.length) {
        batch = { from: i, ...(await readIndexRecords(index!, i, Math.min(INDEX_BATCH, index!.count - i))) };
      }
      return { offset: batch.offsets[i - batch.from]!, time: batch.times[i - batch.from]! };
    };
    /**
     * The message to resume at after damage at `at`: the first the index lists after the last one
     * read whole and after the last resumption (so reading always moves on), other than the
     * damaged one itself; undefined when the index lists none.
     */
    const resumeAfter = async (at: number): Promise<{ i: number; offset: number } | undefined> => {
      for (let i = count; index && i < index.count; i++) {
        const o = (await indexed(i)).offset;
        if (o > lastStart && o > resumedAt && o !== at) return { i, offset: o };
      }
      return undefined;
    };
    const timeOf = async (i: number, frameOffset: number, bytes: Uint8Array): Promise<number> => {
      const stamp = stampOf(bytes);
      if (index && i < index.count) {
        const record = await indexed(i);
        const following = i + 1 < index.count ? await indexed(i + 1) : undefined;
        let offsetOk = record.offset === frameOffset;
        if (!offsetOk && following?.offset === frameOffset + bytes.length) {
          // The next record says this message ends where it does in the file: this record's
          // offset alone is damaged (a flipped bit), not the index. It ended the index's timing
          // for the rest of the file.
          report(new RecordingFormatError(`${indexPathOf(file)}: the offset of message ${i} is ${record.offset}, ${frameOffset} in ${file}, where the next message's agrees: a damaged record, the index goes on`));
          offsetOk = true;
        }
        if (offsetOk) {
          const time = record.time;
          // Receive times are ms since the start on a monotonic clock: they never go back. One
          // that does not fit between the previous message's and the next one's (NaN, negative,
          // a flipped exponent: 1e10 ms) is a damaged record. Played as it was, 1e10 ms held
          // playback for 115 days and then let the rest out at once; timed from the header
          // timestamps from there on, a sender's zero timestamps let the rest out at once. It
          // is played right after the previous message, and the index goes on timing the rest.
          // (The next time counts only if it fits after the previous one: else it is the damaged one.)
          const next = following?.time;
          const nextFits = next !== undefined && next >= lastTime;
          if (Number.isFinite(time) && time >= lastTime && !(nextFits && time > next)) {
            // Where header time and receive time line up, should the index stop matching later.
            if (stamp !== undefined) firstStamp = stamp - time;
            return time;
          }
          const around = `message ${i - 1} at ${lastTime} ms${nextFits ? `, message ${i + 1} at ${next} ms` : ''}`;
          report(new RecordingFormatError(`${indexPathOf(file)}: the receive time of message ${i} is ${time} ms, out of order (${i > 0 ? around : 'the first message'}): played right after the message before it`));
          return lastTime;
        }
        report(new RecordingFormatError(`${indexPathOf(file)} does not match ${file} at message ${i} (offset ${record.offset} in the index, ${frameOffset} in the file): timing from header timestamps from here on`));
        await index.fh.close();
        index = undefined;
      } else if (index) {
        // The data file goes on past the index (its writes failed first: a full disk; a recorder
        // killed before the index caught up): those messages had no receive time, and were timed
        // from their header timestamps without a word.
        report(new RecordingFormatError(`${indexPathOf(file)} ends at message ${i}, ${file} goes on (offset ${frameOffset}): timing from header timestamps from here on`));
        await index.fh.close();
        index = undefined;
      }
      if (stamp === undefined) return lastTime;
      firstStamp ??= stamp - lastTime;
      return Math.max(lastTime, stamp - firstStamp);
    };
    /**
     * Where the index says message `i + 1` starts, when that is inside message `i` (at `at`,
     * `total` bytes by its header): its BODY_SIZE is damaged. Such a header passes the framer when
     * its size is under the limit, and then the messages after it were read as its body (a size
     * 4 too large: the next header read 4 bytes late), or, for a size past the end of the file,
     * the rest of the recording was reported as cut short. Only where the index matches message
     * `i` (else timeOf reports the mismatch).
     */
    const nextInside = async (i: number, at: number, total: number): Promise<{ i: number; offset: number } | undefined> => {
      if (!index || i + 1 >= index.count || (await indexed(i)).offset !== at) return undefined;
      const next = (await indexed(i + 1)).offset;
      return next > at && next < at + total ? { i: i + 1, offset: next } : undefined;
    };
    const sizeDamage = (i: number, at: number, total: number, next: { i: number; offset: number }): string =>
      `${file}: message ${i} (offset ${at}) declares BODY_SIZE ${total - HEADER_SIZE}, but ${indexPathOf(file)} says message ${next.i} starts at offset ${next.offset}; reading resumes there`;
    const head = new Uint8Array(HEADER_SIZE);
    const headView = new DataView(head.buffer);
    let assembling = -1; // offset of the message being assembled whose size was checked
    const buf = new Uint8Array(CHUNK_SIZE);
    let position = 0;
    for (;;) {
      const { bytesRead } = await data.read(buf, 0, CHUNK_SIZE, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      framer.push(buf.subarray(0, bytesRead));
      let resume: { i: number; offset: number } | undefined;
      for (const f of frames) {
        resume = await nextInside(count, f.offset, f.bytes.length);
        if (resume) {
          report(new RecordingFormatError(sizeDamage(count, f.offset, f.bytes.length, resume)));
          break;
        }
        lastTime = await timeOf(count, f.offset, f.bytes);
        lastStart = f.offset;
        pending.push({ index: count++, offset: f.offset, bytes: f.bytes, time: lastTime });
      }
      frames.length = 0;
      // A message still being assembled is checked as soon as its header is in: one whose size
      // runs over the next message would otherwise be held until the end of that size.
      if (!resume && !lost && index && !framer.skipping && framer.pendingReceived >= HEADER_SIZE && assembling !== offset) {
        assembling = offset;
        await data.read(head, 0, HEADER_SIZE, offset);
        const total = HEADER_SIZE + Number(headView.getBigUint64(OFFSET_BODY_SIZE));
        resume = await nextInside(count, offset, total);
        if (resume) report(new RecordingFormatError(sizeDamage(count, offset, total, resume)));
      }
      if (resume) {
        lost = undefined; // what the framer made of the bytes after the damage is garbage
        framer.reset();
        position = offset = resumedAt = resume.offset;
        count = resume.i;
      }
      if (lost) {
        const damage = lost;
        lost = undefined;
        const next = await resumeAfter(damage.at);
        framer.reset();
        if (!index) {
          // The index stopped matching meanwhile: skip the header's BODY_SIZE, as without one.
          report(new RecordingFormatError(`${file}: ${damage.err.message}`));
          position = offset = damage.at + HEADER_SIZE + (damage.err.header?.bodySize ?? 0);
        } else if (next === undefined) {
          report(new RecordingFormatError(`${file}: ${damage.err.message} (offset ${damage.at}); ${indexPathOf(file)} lists no message after it`));
          position = Infinity;
        } else {
          report(new RecordingFormatError(`${file}: ${damage.err.message} (offset ${damage.at}); reading resumes at message ${next.i} (offset ${next.offset}), where ${indexPathOf(file)} says it starts`));
          position = offset = resumedAt = next.offset;
          count = next.i;
        }
      }
      for (const p of pending) yield p;
      pending = [];
      if (position === Infinity) break;
    }
    ending = true;
    framer.end();
    // The data file ends at a message boundary, but the index lists more: the end of the file
    // is not the end of the recording (a copy cut short). It ended here without a word.
    if (!cut && index && position !== Infinity && count < index.count) {
      const missing = index.count - count;
      report(new RecordingCutShortError(
        `${file} is cut short: it ends after ${count} message${count === 1 ? '' : 's'} (${offset} bytes), but ${indexPathOf(file)} lists ${index.count}; the last ${missing} ${missing === 1 ? 'is' : 'are'} not in it`,
        offset, count,
      ));
    }
  } finally {
    await data.close();
    await index?.fh.close();
  }
}

/**
 * Counts a recording's messages and finds its duration, without reading the message bodies:
 * from the index when there is one, else by walking the headers of the data file.
 */
export async function recordingInfo(file: string): Promise<RecordingInfo> {
  const bytes = (await stat(file)).size;
  const index = await openIndex(file).catch(() => undefined);
  if (index) {
    try {
      const count = await indexedWithin(index, file, bytes);
      const last = count > 0 ? await readIndexRecords(index, count - 1, 1) : undefined;
      // Whole messages past the index's last one are read too (readRecording times them from
      // their headers): counted, or a progress bar and a loop's period fall short of the replay.
      const after = count === index.count ? await wholeMessagesAfter(file, count > 0 ? last!.offsets[0]! : undefined, bytes) : 0;
      return { count: count + after, bytes, durationMs: last?.times[0] ?? 0, startTimeMs: index.header.startTimeMs, indexed: true };
    } finally {
      await index.fh.close();
    }
  }
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(HEADER_SIZE);
    const view = new DataView(head.buffer);
    let position = 0;
    let count = 0;
    let first: number | undefined;
    let last = 0;
    while (position + HEADER_SIZE <= bytes) {
      await fh.read(head, 0, HEADER_SIZE, position);
      const header = readHeader(head, view, 0);
      if (header.timestampSeconds !== 0 || header.timestampFraction !== 0) {
        const ms = header.timestamp.toMillis();
        first ??= ms;
        last = Math.max(last, ms - first);
      }
      position += HEADER_SIZE + header.bodySize;
      if (position <= bytes) count++;
    }
    return { count, bytes, durationMs: last, startTimeMs: first, indexed: false };
  } finally {
    await fh.close();
  }
}
