// Replaying a recording (docs/recording-format.md) as an Observable, with the original timing.
import { Observable, map, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../connection/scheduler.js';
import { decodeMessage, type DecodeOptions } from '../protocol/decode.js';
import type { IgtlMessage } from '../protocol/types.js';
import { RecordingFormatError, readRecording, recordingInfo, type RecordingFrame } from './format.js';
import { createPace } from './pace.js';
import type { RecordedMessage } from './record.js';

/** Options of {@link replay} and {@link replayRecording}. */
export interface ReplayOptions {
  /**
   * Playback speed: 1 (default) keeps the original timing, 2 plays twice as fast, 0.5 half as
   * fast; `Infinity` (or 0) emits as fast as the file is read.
   */
  readonly speed?: number;
  /** Play again from the start when the end is reached: `true` forever, a number for that many passes in all (default 1). */
  readonly loop?: boolean | number;
  /** Decoder options (CRC check, body size limit, registry). */
  readonly decode?: DecodeOptions;
  /** Non-fatal problems (a message that does not decode, an index that does not match the file): reported and skipped. */
  readonly onProblem?: (err: Error) => void;
  /**
   * Flow control: called before each message; when it returns a promise, playback waits for it
   * (e.g. until a connection's send queue has drained, so that `--fast` playback of a large file
   * does not queue it all in memory). Later messages then catch up with the timing.
   */
  readonly flowControl?: () => Promise<unknown> | undefined;
  /** Scheduler of the waits (default `monotonicScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Replays a recording: emits each message with its bytes, index and recorded time, at the
 * recorded pace (scaled by `speed`), then completes.
 *
 * ```
 * file:    a at 0 ms, b at 30 ms, c at 40 ms
 * speed 1: a-----------------------------b---------c|
 * speed 2: a--------------b----c|
 * ```
 *
 * Timing is kept against the start of playback, not from message to message, so it does not
 * drift however long the file is. The file is read as it plays (memory stays bounded). Each pass
 * of a loop starts one average message interval after the previous pass ended. Unsubscribing
 * stops playback and closes the file. A file that cannot be opened ends the result with the error.
 *
 * @param file  the data file (its index is `file + '.idx'`; without one, header timestamps set the pace)
 * @param options  speed, loop, decoder options, problem reports, flow control, scheduler
 */
export function replayRecording(file: string, options: ReplayOptions = {}): Observable<RecordedMessage> {
  const speed = options.speed === undefined ? 1 : options.speed === 0 ? Infinity : options.speed;
  if (!(speed > 0)) throw new RangeError(`replay speed must be > 0, got ${options.speed}`);
  const passes = options.loop === true ? Infinity : options.loop === false || options.loop === undefined ? 1 : options.loop;
  if (!(passes >= 1)) throw new RangeError(`loop must be true, false or a number of passes >= 1, got ${String(options.loop)}`);
  const scheduler = options.scheduler ?? monotonicScheduler;
  const report = options.onProblem ?? (() => {});
  return new Observable<RecordedMessage>((subscriber) => {
    const pace = createPace(scheduler, speed);
    const play = async () => {
      let base = 0;
      let period = 0;
      if (passes > 1) {
        const info = await recordingInfo(file);
        period = info.durationMs + Math.max(1, info.count > 1 ? info.durationMs / (info.count - 1) : 1);
      }
      for (let pass = 0; pass < passes && !subscriber.closed; pass++) {
        let first: number | undefined;
        const frames: AsyncGenerator<RecordingFrame> = readRecording(file, { onProblem: report, ...(options.decode?.maxBodySize === undefined ? {} : { maxBodySize: options.decode.maxBodySize }) });
        for await (const frame of frames) {
          if (subscriber.closed) break;
          first ??= frame.time;
          const due = pace.due(base + frame.time - first);
          if (due) {
            await due;
            if (subscriber.closed) break;
          }
          const wait = options.flowControl?.();
          if (wait) {
            await wait;
            if (subscriber.closed) break;
          }
          let message: IgtlMessage;
          try {
            message = decodeMessage(frame.bytes, options.decode);
          } catch (err) {
            report(new RecordingFormatError(`${file}: message ${frame.index}: ${(err as Error).message}`, { cause: err }));
            continue;
          }
          subscriber.next({ message, bytes: frame.bytes, index: frame.index, time: frame.time });
          pace.out();
        }
        base += period;
      }
      subscriber.complete();
    };
    play().catch((err: unknown) => subscriber.error(err));
    // A pending wait returns at once, so the loop sees it is closed and closes the file.
    return () => pace.stop();
  });
}

/**
 * Replays a recording as a stream of messages, at the recorded pace: a recorded session behaves
 * like the live connection, so a pipeline can be tested offline.
 *
 * @example
 * replay('session.igtl', { speed: 4 })
 *   .pipe(ofType('TDATA'), splitElements(), ofElement('Stylus'), throttleTracking(30))
 *   .subscribe((m) => console.log(m.content.elements[0].matrix));
 *
 * @param file  the recording's data file
 * @param options  speed, loop, decoder options, problem reports, scheduler
 */
export function replay(file: string, options: ReplayOptions = {}): Observable<IgtlMessage> {
  return replayRecording(file, options).pipe(map((r) => r.message));
}
