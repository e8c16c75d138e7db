// Recording and replaying OpenIGTLink traffic (docs/recording-format.md). The index layout
// helpers stay in format.ts.
export { record, type RecordedMessage, type RecordOptions } from './record.js';
export { replay, replayRecording, type ReplayOptions } from './replay.js';
export {
  readRecording, recordingInfo, indexPathOf, RecordingFormatError,
  type RecordingFrame, type RecordingInfo, type ReadRecordingOptions,
} from './format.js';
