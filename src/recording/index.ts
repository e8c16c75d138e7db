// Recording and replaying OpenIGTLink traffic (docs/recording-format.md). The index layout
// helpers stay in format.ts.
export { record, type RecordedMessage, type RecordOptions } from './record.js';
export { replay, replayRecording, type ReplayOptions } from './replay.js';
export {
  readRecording, recordingInfo, indexPathOf, RecordingFormatError, RecordingCutShortError,
  type RecordingFrame, type RecordingInfo, type ReadRecordingOptions,
} from './format.js';
export {
  readSequence, replaySequence, openSequence, sequenceFormatOf, SequenceWriter, SequenceWriteError, SequenceFormatError, framesOf, writeSequence,
  type ReadSequenceOptions, type SequenceMessage, type Sequence, type SequenceFrame, type SequenceMessages, type SequenceOptions,
  type FrameToWrite, type SequenceWriterOptions, type FramesOptions, type WriteSequenceOptions, type WriteSequenceResult,
  type FrameTransform, type SequenceLayout, type ImageStream,
} from './sequence/index.js';
