// Recording a stream of messages to FILE + FILE.idx (docs/recording-format.md).
import { createWriteStream, fstat, type WriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { interval, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { MAX_TIMER_MS, monotonicScheduler } from '../connection/scheduler.js';
import { monotonicNow, wallClockMs } from '../protocol/clock.js';
import { encodeMessage } from '../protocol/encode.js';
import type { IgtlMessage } from '../protocol/types.js';
import { encodeIndexHeader, indexPathOf, INDEX_RECORD_SIZE, RecordingFormatError, writeIndexRecord } from './format.js';

/** One message of a recording: what {@link record} emits as it writes, and what `replay` emits. */
export interface RecordedMessage {
  /** The decoded message. */
  readonly message: IgtlMessage;
  /** Its bytes as stored in the recording. */
  readonly bytes: Uint8Array;
  /** Position in the recording, from 0. */
  readonly index: number;
  /** Receive time, ms since the recording started. */
  readonly time: number;
}

/** Options of {@link record}. */
export interface RecordOptions {
  /**
   * Clock of the receive times, ms since 1970 (default: the start time on the wall clock, the
   * times since it on the monotonic clock, sub-millisecond; see {@link record}).
   */
  readonly clock?: () => number;
  /**
   * How long a write may wait before the recording fails as stalled, ms (default 10 000;
   * `Infinity`: never). A disk or file system that stops taking writes (a hung network share, a
   * pulled USB disk, a FIFO nobody reads) gives no error: the messages pile up in memory, and a
   * recorder that said "recording" held nothing.
   */
  readonly writeStallMs?: number;
  /** Scheduler of the stall checks (default `monotonicScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** Default of {@link RecordOptions.writeStallMs}. */
export const DEFAULT_WRITE_STALL_MS = 10_000;

/**
 * Watches the writes of `stream`: `stalled(now)` says, when some have been waiting for at least
 * `ms` with none completing, how many bytes wait and for how long (else undefined).
 */
function writeWatch(stream: WriteStream, ms: number, now: () => number): { write(bytes: Uint8Array): void; stalled(): string | undefined } {
  let waiting = 0;
  let since = 0; // when the oldest write still waiting, or the last to complete, was
  return {
    write(bytes) {
      if (waiting++ === 0) since = now();
      stream.write(bytes, () => {
        waiting--;
        since = now();
      });
    },
    stalled() {
      const waited = now() - since;
      if (waiting === 0 || !(waited >= ms)) return undefined;
      return `no write has completed for ${(waited / 1000).toFixed(1)} s (${stream.writableLength} bytes waiting): the disk or file system is not taking writes`;
    },
  };
}


/** How often, at most, the recorder checks that its files are still the ones it writes (ms). */
const FILE_CHECK_MS = 1000;

/**
 * Watches that `path` is still the file `stream` writes. A file removed (or replaced) while it is
 * written takes every write without an error (the data goes to the unlinked inode): a recorder
 * that said "recorded 546 messages" then held nothing. `check()` resolves with an Error when the
 * path no longer names the file opened (it waits for the stream to open).
 */
function fileWatch(stream: WriteStream, path: string): { check(): Promise<Error | undefined> } {
  // The identity of the file opened, from its descriptor (the path may already name another).
  const opened = new Promise<{ dev: number; ino: number } | undefined>((resolve) => {
    stream.once('open', (fd: number) => fstat(fd, (err, s) => resolve(err ? undefined : { dev: s.dev, ino: s.ino })));
  });
  return {
    async check() {
      const id = await opened;
      if (!id) return undefined; // fstat failed: no identity to compare (nothing seen to report)
      const now = await stat(path).catch((err: Error) => err);
      if (now instanceof Error) return new Error(`it was removed while recording (${now.message})`);
      return now.dev === id.dev && now.ino === id.ino ? undefined : new Error('it was replaced by another file while recording');
    },
  };
}

function finished(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.closed) {
      resolve();
      return;
    }
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}

/**
 * Records every message of `source` (a connection, or any Observable of messages) to `file`,
 * with its receive time in `file.idx`, and emits each one as it is written: so the recording is
 * transparent, and `record(conn, file)` can feed a live display at the same time.
 *
 * ```
 * source:  --a---b----c--|
 * record:  --a---b----c--|    a, b, c: { message, bytes, index, time }; completes once both files are flushed
 * ```
 *
 * The message bytes are the message re-encoded, which the codec guarantees to be the bytes
 * received for every message it decodes (golden-vector tests). Files are created (or truncated)
 * at subscription. When the source completes, the files are flushed and closed before the
 * result completes; when it errors, they are flushed and closed and the error is passed on (a
 * connection that drops still leaves a complete recording). Unsubscribing closes the files in
 * the background; to know when the recording is complete, end the source instead (for example
 * with `takeUntil`). A write failure (disk full, bad path) ends the result with the error, and so do writes that
 * stop completing for `writeStallMs` (a hung disk or network share gives no error of its own).
 * The receive times are measured from the start on the monotonic clock: a step of the system
 * clock during the recording does not become a pause (or a burst) when it is replayed.
 *
 * @example
 * record(connectTcp({ port: 18944 }).pipe(take(1000)), 'session.igtl').subscribe();
 *
 * @param source  the messages to record
 * @param file  path of the data file; the index is `file + '.idx'`
 * @param options  clock, write stall limit, scheduler
 */
export function record(source: Observable<IgtlMessage>, file: string, options: RecordOptions = {}): Observable<RecordedMessage> {
  // The index holds each receive time as ms since the start: a duration, which replay paces by.
  // Measured on the wall clock, a step of the system clock during the recording (NTP, a resumed
  // virtual machine) became a pause as long as the step in every playback (or a burst, for a
  // step back): on the monotonic clock it cannot. The start time itself is the wall clock's.
  const clock = options.clock ?? monotonicNow;
  const stallMs = options.writeStallMs ?? DEFAULT_WRITE_STALL_MS;
  if (!(stallMs > 0)) throw new RangeError(`writeStallMs must be > 0, got ${stallMs}`);
  const scheduler = options.scheduler ?? monotonicScheduler;
  return new Observable<RecordedMessage>((subscriber) => {
    const data = createWriteStream(file);
    const index = createWriteStream(indexPathOf(file));
    let failed = false;
    let stallCheck: Subscription | undefined;
    const fail = (err: Error, which: string) => {
      if (failed) return;
      failed = true;
      stallCheck?.unsubscribe();
      subscription?.unsubscribe();
      data.destroy();
      index.destroy();
      subscriber.error(new RecordingFormatError(`cannot write ${which}: ${err.message}`));
    };
    data.on('error', (err) => fail(err, file));
    index.on('error', (err) => fail(err, indexPathOf(file)));
    const watched = [{ path: file, watch: fileWatch(data, file) }, { path: indexPathOf(file), watch: fileWatch(index, indexPathOf(file)) }];
    /** Whether both files are still there; else the recording fails with the reason (true when fine). */
    const filesThere = async (): Promise<boolean> => {
      for (const w of watched) {
        const err = await w.watch.check();
        if (err) {
          fail(err, w.path);
          return false;
        }
      }
      return true;
    };
    // Checked as messages arrive, at most once a second (on the monotonic clock, whatever `clock` is).
    let checkedAt = monotonicNow();
    let checking = false;
    const checkNow = () => {
      if (checking || monotonicNow() - checkedAt < FILE_CHECK_MS) return;
      checking = true;
      void filesThere().finally(() => {
        checking = false;
        checkedAt = monotonicNow();
      });
    };
    // Writes that wait for ever are a failure of their own (see writeStallMs), checked on a timer:
    // a stall shows no error, and a silent source sends nothing to check on.
    const now = () => scheduler.now();
    const dataWrites = writeWatch(data, stallMs, now);
    const indexWrites = writeWatch(index, stallMs, now);
    if (stallMs !== Infinity) {
      stallCheck = interval(Math.min(MAX_TIMER_MS, Math.max(10, stallMs / 4)), scheduler).subscribe(() => {
        const dataStall = dataWrites.stalled();
        const stall = dataStall ?? indexWrites.stalled();
        if (stall) fail(new Error(stall), dataStall ? file : indexPathOf(file));
      });
    }
    const start = clock();
    indexWrites.write(encodeIndexHeader(options.clock ? start : wallClockMs()));
    let offset = 0;
    let count = 0;
    const close = async (err?: unknown) => {
      try {
        await Promise.all([finished(data), finished(index)]);
      } catch (e) {
        if (!failed) subscriber.error(new RecordingFormatError(`cannot write ${file}: ${(e as Error).message}`));
        return;
      }
      stallCheck?.unsubscribe();
      // Complete only for a recording that is where it was written.
      if (failed || !(await filesThere())) return;
      if (err !== undefined) subscriber.error(err);
      else subscriber.complete();
    };
    let subscription: Subscription | undefined;
    subscription = source.subscribe({
      next(message) {
        if (failed) return;
        const receivedAt = clock();
        let bytes: Uint8Array;
        try {
          bytes = encodeMessage(message);
        } catch (err) {
          fail(err as Error, file);
          return;
        }
        const rec = new Uint8Array(INDEX_RECORD_SIZE);
        const time = receivedAt - start;
        writeIndexRecord(new DataView(rec.buffer), 0, offset, time);
        dataWrites.write(bytes);
        indexWrites.write(rec);
        const entry: RecordedMessage = { message, bytes, index: count++, time };
        offset += bytes.length;
        subscriber.next(entry);
        checkNow();
      },
      error: (err: unknown) => void close(err),
      complete: () => void close(),
    });
    if (failed) subscription.unsubscribe();
    return () => {
      stallCheck?.unsubscribe();
      subscription?.unsubscribe();
      if (!data.closed) data.end();
      if (!index.closed) index.end();
    };
  });
}
