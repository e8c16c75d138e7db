// PLUS and 3D Slicer sequence files (.igs.mha, .mha, .mhd, .igs.nrrd, .seq.nrrd) as streams of
// OpenIGTLink messages, and back (docs/sequences.md).
export { readSequence, replaySequence, type ReadSequenceOptions, type SequenceMessage } from './reader.js';
export { openSequence, sequenceFormatOf, type Sequence, type SequenceFrame, type SequenceMessages, type SequenceOptions } from './sequence.js';
export { SequenceWriter, SequenceWriteError, type FrameToWrite, type SequenceWriterOptions } from './writer.js';
export { framesOf, writeSequence, type FramesOptions, type WriteSequenceOptions, type WriteSequenceResult } from './frames.js';
export { SequenceFormatError } from './header.js';
export type { FrameTransform } from './fields.js';
export type { SequenceLayout } from './layout.js';
export type { ImageStream } from './plus.js';
