// From a session's messages to sequence frames: TRANSFORMs and IMAGEs aligned by timestamp.
// The frames follow one stream (the image device, or for tracking only the first TRANSFORM
// device); every other TRANSFORM device is paired to it with pairByTimestamp, each from its own
// pass over the source, so nothing but the pairing windows is held in memory.
import { Observable, filter, lastValueFrom, map, reduce, type OperatorFunction } from 'rxjs';
import { pairByTimestamp } from '../../../operators/pair-by-timestamp.js';
import type { IgtlMessage, ImageMessage, TransformMessage } from '../../protocol/types.js';
import { IDENTITY } from '../../protocol/message.js';
import { SequenceWriter, SequenceWriteError, type FrameToWrite, type SequenceWriterOptions } from './writer.js';

/** Options of {@link framesOf}. */
export interface FramesOptions {
  /** Largest timestamp difference between a frame and a transform paired into it, ms (default 50). */
  readonly toleranceMs?: number;
  /** IMAGE device whose images make the frames (default: the first IMAGE device seen; none: tracking only). */
  readonly image?: string;
  /** Problems that do not stop the conversion (messages that do not fit a sequence). */
  readonly onProblem?: (err: Error) => void;
}

/** The devices of a session, in the order first seen. */
interface Devices {
  readonly transforms: string[];
  /** TRANSFORMs per device. */
  readonly transformCounts: Map<string, number>;
  readonly images: string[];
  readonly other: Map<string, number>;
}

async function scan(source: () => Observable<IgtlMessage>): Promise<Devices> {
  return lastValueFrom(source().pipe(reduce<IgtlMessage, Devices>((d, m) => {
    if (m.type === 'TRANSFORM') {
      if (!d.transforms.includes(m.deviceName)) d.transforms.push(m.deviceName);
      d.transformCounts.set(m.deviceName, (d.transformCounts.get(m.deviceName) ?? 0) + 1);
    } else if (m.type === 'IMAGE') {
      if (!d.images.includes(m.deviceName)) d.images.push(m.deviceName);
    } else {
      const key = m.type === 'UNKNOWN' ? m.typeName : m.type;
      d.other.set(key, (d.other.get(key) ?? 0) + 1);
    }
    return d;
  }, { transforms: [], images: [], transformCounts: new Map(), other: new Map() })));
}

type Lead = TransformMessage | ImageMessage;

/** Status PLUS sent with a TRANSFORM (its `TransformStatus` metadata), else OK. */
function statusOf(m: TransformMessage): string {
  return m.metadata.get('TransformStatus')?.value ?? 'OK';
}

/**
 * Frames of a session. `source` is called once per pass (once to list the devices, then once per
 * device), so it must replay the same messages each time: e.g. `() => replay(file, { speed: Infinity })`.
 * Each frame holds the lead message (an IMAGE, or a TRANSFORM for tracking only) and, per other
 * TRANSFORM device, the one nearest in time within the tolerance; a device with none is written
 * as the identity with status INVALID (what Slicer writes for a missing transform).
 */
export function framesOf(source: () => Observable<IgtlMessage>, options: FramesOptions = {}): Observable<FrameToWrite> {
  const tolerance = options.toleranceMs ?? 50;
  return new Observable<FrameToWrite>((subscriber) => {
    let inner: { unsubscribe(): void } | undefined;
    scan(source).then((devices) => {
      for (const [type, n] of devices.other) options.onProblem?.(new SequenceWriteError(`${n} ${type} message${n === 1 ? '' : 's'} not written (a sequence holds TRANSFORMs and IMAGEs)`));
      const imageDevice = options.image ?? devices.images[0];
      if (options.image !== undefined && !devices.images.includes(options.image)) {
        subscriber.error(new SequenceWriteError(`no IMAGE from device "${options.image}" (IMAGE devices: ${devices.images.join(', ') || 'none'})`));
        return;
      }
      for (const other of devices.images) if (other !== imageDevice) options.onProblem?.(new SequenceWriteError(`IMAGEs of "${other}" not written (one image stream per sequence: "${imageDevice}")`));
      const leadName = imageDevice ?? devices.transforms[0];
      if (leadName === undefined) {
        subscriber.complete();
        return;
      }
      const leadType = imageDevice !== undefined ? 'IMAGE' : 'TRANSFORM';
      const partnersOf = devices.transforms.filter((d) => leadType === 'IMAGE' || d !== leadName);
      // Per lead message: its order and the partners found so far (results of pairByTimestamp carry the same object).
      const order = new WeakMap<Lead, number>();
      const found = new WeakMap<Lead, Map<string, TransformMessage>>();
      let count = 0;
      // Partner TRANSFORMs written (each counted once, though nearest to several frames): the
      // others are not in the sequence, which is said at the end. A WeakSet: a message no frame
      // can pair any more is not kept alive for the count.
      const written = new Map(partnersOf.map((d) => [d, { seen: new WeakSet<TransformMessage>(), n: 0 }]));
      let stage: Observable<Lead> = source().pipe(
        filter((m): m is Lead => m.type === leadType && m.deviceName === leadName),
        map((m) => (order.set(m, count++), found.set(m, new Map()), m)),
      );
      for (const device of partnersOf) {
        const partner$ = source().pipe(filter((m): m is TransformMessage => m.type === 'TRANSFORM' && m.deviceName === device));
        // Each pass reads the source at its own pace: wait for the partner stream, not for a clock.
        const pairing: OperatorFunction<Lead, Lead> = (s) => s.pipe(
          pairByTimestamp<Lead, TransformMessage>(partner$, { toleranceMs: tolerance, maxWaitMs: 2 ** 31 - 1 }),
          map((r) => {
            if (r.kind === 'paired') {
              found.get(r.source)!.set(device, r.partner);
              const w = written.get(device)!;
              if (!w.seen.has(r.partner)) {
                w.seen.add(r.partner);
                w.n++;
              }
            }
            return r.source;
          }),
        );
        stage = stage.pipe(pairing);
      }
      // Pairing resolves in arrival order of partners, which may differ from the leads': put frames back in order.
      const pending = new Map<number, FrameToWrite>();
      let next = 0;
      inner = stage.subscribe({
        next: (lead) => {
          const partners = found.get(lead)!;
          const transforms = [
            ...(lead.type === 'TRANSFORM' ? [{ name: lead.deviceName, matrix: lead.content.matrix, status: statusOf(lead) }] : []),
            ...partnersOf.map((d) => {
              const p = partners.get(d);
              return p ? { name: d, matrix: p.content.matrix, status: statusOf(p) } : { name: d, matrix: IDENTITY, status: 'INVALID' };
            }),
          ];
          pending.set(order.get(lead)!, {
            timestamp: lead.timestamp,
            transforms,
            ...(lead.type === 'IMAGE' ? { image: { deviceName: lead.deviceName, content: lead.content } } : {}),
          });
          while (pending.has(next)) {
            subscriber.next(pending.get(next)!);
            pending.delete(next++);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          for (const [device, w] of written) {
            const total = devices.transformCounts.get(device) ?? 0;
            if (w.n < total) {
              options.onProblem?.(new SequenceWriteError(`${total - w.n} of ${total} TRANSFORMs of "${device}" not written: a frame holds the one nearest its time, within ${tolerance} ms`));
            }
          }
          subscriber.complete();
        },
      });
    }, (err: unknown) => subscriber.error(err));
    return () => inner?.unsubscribe();
  });
}

/** Options of {@link writeSequence}. */
export interface WriteSequenceOptions extends FramesOptions, SequenceWriterOptions {
  /** Called after each frame is written, with the number written so far. */
  readonly onFrame?: (frames: number) => void;
}

/** What {@link writeSequence} wrote. */
export interface WriteSequenceResult {
  readonly frames: number;
  readonly bytes: number;
}

/**
 * Writes a session's TRANSFORMs and IMAGEs as a sequence file PLUS and 3D Slicer load (.mha,
 * .igs.mha, .mhd, .seq.nrrd, .igs.nrrd, .nrrd, .nhdr), frames aligned by timestamp (see
 * {@link framesOf}). Compressed unless `compress: false`.
 */
export async function writeSequence(source: () => Observable<IgtlMessage>, file: string, options: WriteSequenceOptions = {}): Promise<WriteSequenceResult> {
  const writer = new SequenceWriter(file, options);
  try {
    // Frames are written one at a time: the next waits until the previous is in the file.
    let chain = Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      framesOf(source, options).subscribe({
        next: (frame) => {
          chain = chain.then(async () => {
            await writer.add(frame);
            options.onFrame?.(writer.frameCount);
          });
          chain.catch(reject);
        },
        error: reject,
        complete: () => chain.then(resolve, reject),
      });
    });
    return await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
