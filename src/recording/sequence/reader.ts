// Sequences as streams: the frames' messages in order, at the recorded pace or as fast as read.
import { Observable, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../../connection/scheduler.js';
import { Timestamp } from '../../protocol/timestamp.js';
import type { IgtlMessage } from '../../protocol/types.js';
import { createPace } from '../pace.js';
import { openSequence, type SequenceOptions } from './sequence.js';

/** One message of a sequence with its frame and time. */
export interface SequenceMessage {
  readonly message: IgtlMessage;
  /** Frame index in the file. */
  readonly frame: number;
  /** Seconds: the frame's `Timestamp` as written, or since the first frame with `timestamps: 'rebase'`. */
  readonly time: number;
}

/** Options of {@link readSequence} and {@link replaySequence}. */
export interface ReadSequenceOptions extends SequenceOptions {
  /** 1 keeps the recorded pace, 2 twice as fast; `Infinity` (readSequence's default) as fast as read. */
  readonly speed?: number;
  /** Play again from the start: `true` forever, a number for that many passes in all (default 1). */
  readonly loop?: boolean | number;
  /**
   * Header timestamps: `'original'` (default) as written in the file (PLUS writes its tracker clock,
   * seconds since it started), `'rebase'` moved so the first frame is at `startTime` (wall clock).
   */
  readonly timestamps?: 'original' | 'rebase';
  /** With `'rebase'`: the first frame's time, ms since 1970 (default: when playback starts). */
  readonly startTime?: number;
  /** Called before each frame; playback waits for a returned promise (a connection's send queue). */
  readonly flowControl?: () => Promise<unknown> | undefined;
  /** Scheduler of the waits (default `monotonicScheduler`). */
  readonly scheduler?: SchedulerLike;
}

function shifted(msg: IgtlMessage, ts: Timestamp): IgtlMessage {
  return { ...msg, timestamp: ts } as IgtlMessage;
}

/**
 * Streams a sequence file's frames as PlusServer would send them (per frame: one TRANSFORM per
 * transform, then the IMAGE), as fast as the file is read unless `speed` is given. The file is
 * read frame by frame (a multi-GB file is never loaded whole); unsubscribing stops reading and
 * closes it. A file that cannot be opened or parsed ends the stream with the error.
 *
 * ```
 * frames:  0 at 1.0 s (T1 T2 I)  1 at 1.5 s (T1 T2 I)
 * speed 1: T1 T2 I ----(500 ms)---- T1 T2 I |
 * ```
 *
 * @param file  .igs.mha, .mha, .mhd, .igs.nrrd, .seq.nrrd, .nrrd, .nhdr
 * @param options  naming, invalid transforms, timing, timestamps, loop, scheduler
 */
export function readSequence(file: string, options: ReadSequenceOptions = {}): Observable<SequenceMessage> {
  const speed = options.speed === undefined || options.speed === 0 ? Infinity : options.speed;
  if (!(speed > 0)) throw new RangeError(`speed must be > 0, got ${options.speed}`);
  const passes = options.loop === true ? Infinity : options.loop === false || options.loop === undefined ? 1 : options.loop;
  if (!(passes >= 1)) throw new RangeError(`loop must be true, false or a number of passes >= 1, got ${String(options.loop)}`);
  const scheduler = options.scheduler ?? monotonicScheduler;
  return new Observable<SequenceMessage>((subscriber) => {
    const pace = createPace(scheduler, speed);
    const play = async () => {
      const seq = await openSequence(file, options);
      try {
        // Duration and mean frame interval: a loop's next pass starts one interval after the last frame.
        const first = (await seq.frame(0).catch(() => undefined))?.timestamp?.toSeconds() ?? 0;
        const last = seq.frameCount > 0 ? ((await seq.frame(seq.frameCount - 1)).timestamp?.toSeconds() ?? first) : first;
        const period = last - first + (seq.frameCount > 1 ? (last - first) / (seq.frameCount - 1) : 1);
        const startTime = options.startTime ?? Date.now();
        for (let pass = 0; pass < passes && !subscriber.closed && seq.frameCount > 0; pass++) {
          for (const i of seq.framesWithContent()) {
            if (subscriber.closed) break;
            const frame = await seq.messages(i);
            const t = (frame.seconds ?? first) - first + pass * period;
            const due = pace.due(t * 1000);
            if (due) await due;
            const gate = options.flowControl?.();
            if (gate) await gate;
            if (subscriber.closed) break;
            const rebased = options.timestamps === 'rebase';
            const stamp = rebased ? Timestamp.fromMillis(startTime + t * 1000) : undefined;
            for (const message of frame.messages) {
              subscriber.next({ message: stamp ? shifted(message, stamp) : message, frame: i, time: rebased ? t : (frame.seconds ?? 0) });
            }
            pace.out();
          }
        }
      } finally {
        await seq.close();
      }
      subscriber.complete();
    };
    play().catch((err: unknown) => subscriber.error(err));
    return () => pace.stop();
  });
}

/** {@link readSequence} at the recorded pace (speed 1 unless given). */
export function replaySequence(file: string, options: ReadSequenceOptions = {}): Observable<SequenceMessage> {
  return readSequence(file, { ...options, speed: options.speed ?? 1 });
}
