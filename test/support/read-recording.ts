// Reads a whole recording with readRecording, keeping the problems it reports beside the frames
// (the recording tests check both: what was read and what was said about the rest).
import { readRecording, type RecordingFrame } from '../../src/recording/index.js';

/** Every frame of `file`, and every problem readRecording reported on the way. */
export async function readAll(file: string): Promise<{ frames: RecordingFrame[]; problems: Error[] }> {
  const frames: RecordingFrame[] = [];
  const problems: Error[] = [];
  for await (const f of readRecording(file, { onProblem: (e) => problems.push(e) })) frames.push(f);
  return { frames, problems };
}
