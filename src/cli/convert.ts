// `igtl-rx convert IN OUT`: recordings (.igtl + .idx) to PLUS / 3D Slicer sequence files and back.
import { map, tap, type Observable } from 'rxjs';
import type { IgtlMessage } from '../protocol/types.js';
import { record } from '../recording/record.js';
import { replay } from '../recording/replay.js';
import { readSequence } from '../recording/sequence/reader.js';
import { openSequence, sequenceFormatOf } from '../recording/sequence/sequence.js';
import { writeSequence } from '../recording/sequence/frames.js';
import { copySequence } from '../recording/sequence/copy.js';
import { recordingInfo } from '../recording/format.js';
import { formatBytes, parseNumber } from './net-helper.js';
import { CliError } from './output.js';
import { createProgress } from './progress-helper.js';
import { parseOptions } from './verb-helper.js';
import { monotonicNow } from '../protocol/clock.js';

export const usage = `usage: igtl-rx convert IN OUT [--no-compress] [--tolerance MS] [--image DEVICE] [--quiet]

Converts between igtl-rx recordings (FILE + FILE.idx, "igtl-rx record") and the sequence files
of PLUS and 3D Slicer, chosen by the extensions:
  .igs.mha .mha .mhd           PLUS sequence metafile (MetaIO; .mhd keeps pixels in .raw/.zraw)
  .seq.nrrd .igs.nrrd .nrrd .nhdr  NRRD sequence (3D Slicer volume sequence + PLUS frame fields)
  anything else                igtl-rx recording

Sequence -> sequence: frame for frame (transforms, image, timestamp and other fields; a frame
whose image is not OK stays a frame, written blank with its status INVALID).
Recording -> sequence: one frame per IMAGE (or, with no IMAGEs, per TRANSFORM of the first
tracked device); every other TRANSFORM device is paired into the frame nearest in time. Other
message types are left out (reported). Sequence -> recording: the messages PlusServer would send.

  --no-compress         store pixels uncompressed (default: zlib for MetaIO, gzip for NRRD)
  --tolerance MS        largest timestamp difference paired into a frame (default 50)
  --image DEVICE        the IMAGE device that makes the frames (default: the first one seen)
  --quiet               no progress display and no summary line

Exit status: 0 when converted, 1 on errors, 2 on usage errors.`;

/**
 * Messages of a recording, as often as asked (the conversion reads its input once per device).
 * What the recording cannot give (a message cut off by a recorder that was killed, one that no
 * longer decodes) goes to `onProblem`, once however many passes meet it.
 */
function sourceOf(file: string, onProblem: (err: Error) => void): () => Observable<IgtlMessage> {
  const seen = new Set<string>();
  const once = (err: Error) => {
    if (seen.has(err.message)) return;
    seen.add(err.message);
    onProblem(err);
  };
  return () => replay(file, { speed: Infinity, onProblem: once });
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    'no-compress': { type: 'boolean', default: false },
    tolerance: { type: 'string' },
    image: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 2) throw new CliError(`convert takes IN and OUT\n${usage}`, 2);
  const [input, output] = positionals as [string, string];
  const quiet = values.quiet as boolean;
  const tolerance = parseNumber('--tolerance', values.tolerance as string | undefined, { min: 0 });
  const started = monotonicNow();
  let expected: number | undefined;
  try {
    if (sequenceFormatOf(input)) {
      const seq = await openSequence(input);
      expected = seq.frameCount;
      await seq.close();
    } else expected = (await recordingInfo(input)).count;
  } catch (err) {
    throw new CliError(`cannot read ${input}: ${(err as Error).message}`);
  }
  const note = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const warn = (err: Error) => process.stderr.write(`igtl-rx: warning: ${err.message}\n`);

  if (sequenceFormatOf(output)) {
    const progress = createProgress(`converting ${input} [{bar}] {value} frames | {elapsed}`, expected, !quiet && process.stderr.isTTY === true);
    try {
      const onFrame = (n: number) => progress.update(n, { elapsed: `${((monotonicNow() - started) / 1000).toFixed(1)} s` });
      const compress = !(values['no-compress'] as boolean);
      // Sequence to sequence: frame for frame (through messages, frames without a valid image and
      // fields that are not transforms were lost).
      const result = sequenceFormatOf(input)
        ? await copySequence(input, output, { compress, onProblem: warn, onFrame })
        : await writeSequence(sourceOf(input, warn), output, {
          compress,
          ...(tolerance === undefined ? {} : { toleranceMs: tolerance }),
          ...(values.image === undefined ? {} : { image: values.image as string }),
          onProblem: warn,
          onFrame,
        });
      progress.stop();
      note(`wrote ${result.frames} frame${result.frames === 1 ? '' : 's'} (${formatBytes(result.bytes)}) to ${output} in ${((monotonicNow() - started) / 1000).toFixed(1)} s`);
      return 0;
    } catch (err) {
      progress.stop();
      throw new CliError(`cannot convert ${input} to ${output}: ${(err as Error).message}`);
    }
  }

  if (!sequenceFormatOf(input)) throw new CliError('one of IN and OUT must be a sequence file (.mha, .mhd, .nrrd, .nhdr)', 2);
  // Sequence -> recording: the index holds each message's frame time (the file's clock), so a
  // replay of the recording keeps the sequence's pace.
  let now = 0;
  const progress = createProgress(`converting ${input} | {value} messages | {elapsed}`, undefined, !quiet && process.stderr.isTTY === true);
  let count = 0;
  const seq$ = readSequence(input, { onProblem: warn }).pipe(tap((m) => (now = m.time * 1000)), map((m) => m.message));
  const first = await openSequence(input).then(async (s) => {
    const f = s.frameCount > 0 ? await s.frame(0) : undefined;
    await s.close();
    return f?.timestamp?.toMillis() ?? 0;
  });
  now = first;
  await new Promise<void>((resolve, reject) => {
    record(seq$, output, { clock: () => now }).subscribe({
      next: () => {
        count++;
        if (count % 50 === 0) progress.update(count, { elapsed: `${((monotonicNow() - started) / 1000).toFixed(1)} s` });
      },
      error: (err: Error) => reject(new CliError(`cannot convert ${input} to ${output}: ${err.message}`)),
      complete: () => resolve(),
    });
  }).finally(() => progress.stop());
  note(`wrote ${count} message${count === 1 ? '' : 's'} from ${expected} frames to ${output} (+ ${output}.idx) in ${((monotonicNow() - started) / 1000).toFixed(1)} s`);
  return 0;
}
