// Sequence file -> sequence file, frame for frame. Going through messages (readSequence, then
// writeSequence's pairing by timestamp) loses what has no message: a frame whose image is not OK
// (PlusServer sends no IMAGE for it, so the frame and its poses were gone) and every frame field
// that is not a transform (FrameNumber, UnfilteredTimestamp, ...). Here each frame of the input
// is one frame of the output: count in = count out.
import { Timestamp } from '../../protocol/timestamp.js';
import type { ImageContent } from '../../protocol/messages/image.js';
import { IMAGE_STATUS_FIELDS, type FrameTransform } from './fields.js';
import { SequenceFormatError } from './header.js';
import { openSequence, type Sequence } from './sequence.js';
import { SequenceWriter, type FrameToWrite, type SequenceWriterOptions } from './writer.js';

/** Options of {@link copySequence}. */
export interface CopySequenceOptions extends SequenceWriterOptions {
  /** Problems that do not stop the copy (reported by the reader). */
  readonly onProblem?: (err: Error) => void;
  /** Called after each frame is written, with the number written so far. */
  readonly onFrame?: (frames: number) => void;
}

type Image = { readonly deviceName: string; readonly content: ImageContent };

/** The frame's image as the reader sends it (flipped to PLUS's memory orientation, placed), or undefined. */
async function imageOf(seq: Sequence, i: number): Promise<Image | undefined> {
  const image = (await seq.messages(i)).messages.find((m) => m.type === 'IMAGE');
  return image?.type === 'IMAGE' ? { deviceName: image.deviceName, content: image.content } : undefined;
}

/** Fields the writer writes itself (transforms and their status, the time, the image status and device name). */
function ownFields(transforms: readonly FrameTransform[]): Set<string> {
  const own = new Set(['Timestamp', 'FriendlyDeviceName', ...IMAGE_STATUS_FIELDS]);
  for (const t of transforms) own.add(t.field).add(`${t.field}Status`).add(`${t.name}TransformStatus`);
  return own;
}

/**
 * Copies a sequence file to another (any of the formats {@link openSequence} reads to any
 * {@link SequenceWriter} writes), one output frame per input frame: its transforms with their
 * status, its image (a frame whose image is not OK is written blank with status INVALID, as IGSIO
 * writes one), its timestamp and its other fields as they are.
 */
export async function copySequence(input: string, output: string, options: CopySequenceOptions = {}): Promise<{ frames: number; bytes: number }> {
  const seq = await openSequence(input, options.onProblem ? { onProblem: options.onProblem } : {});
  const writer = new SequenceWriter(output, options);
  try {
    const frames = [...seq.framesWithContent()];
    // Pixels that cannot be read (a file cut short, corrupt compressed data): from the first such
    // frame on, frames are written without their image (status INVALID) but with their transforms
    // and fields, and the loss is reported once. Later frames are not tried: after a cut or a
    // corrupt zlib stream none can be read, and each try would inflate again from the first frame.
    let lost: { from: number; err: SequenceFormatError } | undefined;
    const readImage = async (i: number): Promise<Image | undefined> => {
      if (lost && i >= lost.from) return undefined;
      try {
        return await imageOf(seq, i);
      } catch (err) {
        if (!(err instanceof SequenceFormatError)) throw err;
        lost = { from: i, err };
        return undefined;
      }
    };
    // The writer must know the image geometry before the first frame (frames before the first
    // valid image are blank frames of it), so the first valid image is looked up first.
    let first: Image | undefined;
    for (const i of frames) {
      if ((await seq.frame(i)).imageValid) {
        first = await readImage(i);
        break;
      }
    }
    if (first) writer.expectImages(first);
    let imagesLost = 0;
    for (const i of frames) {
      const f = await seq.frame(i);
      const image = f.imageValid ? await readImage(i) : undefined;
      if (f.imageValid && !image) imagesLost++;
      // The image's own placement is written from its matrix (ImageToReferenceTransform) when there is an image.
      const transforms = f.transforms.filter((t) => !(image && t.name === 'ImageToReference'));
      const own = ownFields(f.transforms);
      const fields: Record<string, string> = {};
      for (const [k, v] of f.fields) if (!own.has(k)) fields[k] = v;
      const frame: FrameToWrite = {
        timestamp: f.timestamp ?? Timestamp.ZERO,
        transforms: transforms.map((t) => ({ name: t.name, matrix: t.matrix, status: t.status })),
        ...(image ? { image } : {}),
        fields,
      };
      await writer.add(frame);
      options.onFrame?.(writer.frameCount);
    }
    if (lost) {
      options.onProblem?.(new SequenceFormatError(`${lost.err.message}: ${imagesLost} image${imagesLost === 1 ? '' : 's'} from frame ${lost.from} on not written `
        + '(those frames are written with their transforms and fields, image status INVALID)', { cause: lost.err }));
    }
    return await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await seq.close();
  }
}
