// Opening a sequence file for random access by frame: the header is read whole, the pixels
// frame by frame (pixels.ts).
import { open } from 'node:fs/promises';
import { IDENTITY } from '../../protocol/message.js';
import { Timestamp } from '../../protocol/timestamp.js';
import type { IgtlMessage } from '../../protocol/types.js';
import { IMAGE_STATUS_FIELDS, isTransformField, parseMatrix, parseTimestamp, transformsOf, type FrameTransform } from './fields.js';
import { readMetaIOHeader, readNrrdHeader, SequenceFormatError, type SequenceHeader } from './header.js';
import { layoutOf, type SequenceLayout } from './layout.js';
import { flip, flipsOf } from './orientation.js';
import { pixelSource, type PixelSource } from './pixels.js';
import { findTransform, imageMessage, transformMessage, type ImageStream } from './plus.js';

/** One frame of a sequence. */
export interface SequenceFrame {
  /** Position in the sequence, from 0. */
  readonly index: number;
  /** `Seq_Frame<N>_Timestamp` as an exact timestamp (seconds as written), or undefined without one. */
  readonly timestamp: Timestamp | undefined;
  /** Every frame field as written (transforms and statuses included). */
  readonly fields: ReadonlyMap<string, string>;
  /** The frame's transforms with their status. */
  readonly transforms: readonly FrameTransform[];
  /** True when the frame has an image PLUS would use (image data present and its status OK or not given). */
  readonly imageValid: boolean;
  /** The image status field as written (`OK`, `INVALID`), or undefined. */
  readonly imageStatus: string | undefined;
  /** The frame's pixel bytes as stored in the file (no flip), or undefined without image data. */
  pixels(): Promise<Uint8Array | undefined>;
}

/** Options of {@link openSequence} and {@link readSequence}. */
export interface SequenceOptions {
  /** Image stream naming and placement, as in a PlusServer config (default Image -> Reference). */
  readonly image?: ImageStream;
  /**
   * Transforms whose status is not OK: `'send'` (default: TRANSFORM with `TransformStatus` metadata
   * and the identity matrix, as PlusServer with SendValidTransformsOnly="FALSE"), or `'skip'`
   * (PlusServer's default, SendValidTransformsOnly="TRUE").
   */
  readonly invalidTransforms?: 'send' | 'skip';
  /**
   * Transforms to send, by name (PlusServer's `<TransformNames>`). Default: every transform of the
   * frame except the image stream's own `<Name>To<To>`, which travels in the IMAGE's matrix.
   */
  readonly transforms?: readonly string[];
  /** Problems that do not stop reading (a frame without a timestamp, no path to the image's frame): reported once each. */
  readonly onProblem?: (err: Error) => void;
}

/** A frame's messages with the frame's time. */
export interface SequenceMessages {
  readonly index: number;
  /** Frame time in seconds as written in the file (undefined without a timestamp). */
  readonly seconds: number | undefined;
  readonly timestamp: Timestamp;
  readonly messages: IgtlMessage[];
}

/** A sequence opened for random access. Close it when done. */
export interface Sequence {
  readonly file: string;
  readonly format: 'metaio' | 'nrrd';
  readonly frameCount: number;
  /** Header fields other than frame fields. */
  readonly fields: ReadonlyMap<string, string>;
  readonly layout: SequenceLayout;
  /** True when the frames carry images (not a tracking-only sequence). */
  readonly hasImages: boolean;
  /** Transform names (PlusServer device names) in the order they first appear. */
  readonly transformNames: readonly string[];
  /** Frame `i` (0-based): its timestamp, transforms and image, read from the file. */
  frame(i: number): Promise<SequenceFrame>;
  /** Frame `i` as PlusServer would stream it: its TRANSFORMs, then its IMAGE. */
  messages(i: number): Promise<SequenceMessages>;
  /**
   * The frames that can hold messages, in order: every frame of an image sequence; the frames
   * with fields of a tracking-only one. A tracking-only file's frame count is its highest frame
   * number + 1, which one line can make a billion (`Seq_Frame999999999_...`); a reader walking
   * 0..frameCount would then spend its time on frames with nothing in them.
   */
  framesWithContent(): Iterable<number>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** File format from the name: .mha/.mhd (also .igs.mha, .seq.mha) are MetaIO; .nrrd/.nhdr (also .igs.nrrd, .seq.nrrd) NRRD. */
export function sequenceFormatOf(file: string): 'metaio' | 'nrrd' | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.mha') || lower.endsWith('.mhd')) return 'metaio';
  if (lower.endsWith('.nrrd') || lower.endsWith('.nhdr')) return 'nrrd';
  return undefined;
}

async function readHeader(file: string): Promise<SequenceHeader> {
  const format = sequenceFormatOf(file);
  const fh = await open(file, 'r');
  try {
    if (format === 'nrrd') return await readNrrdHeader(fh, file);
    if (format === 'metaio') return await readMetaIOHeader(fh, file);
    // Unknown extension: sniff the first bytes.
    const head = new Uint8Array(8);
    await fh.read(head, 0, 8, 0);
    return Buffer.from(head).toString('latin1').startsWith('NRRD') ? await readNrrdHeader(fh, file) : await readMetaIOHeader(fh, file);
  } finally {
    await fh.close();
  }
}

/**
 * Opens a PLUS sequence metafile (.igs.mha, .mha, .mhd + .raw/.zraw), a PLUS .igs.nrrd or a 3D
 * Slicer .seq.nrrd for random access by frame. Only the header is read now; pixels are read per
 * frame (compressed data is inflated as a stream, so reading frames in order is cheapest).
 */
export async function openSequence(file: string, options: SequenceOptions = {}): Promise<Sequence> {
  const header = await readHeader(file);
  const layout = layoutOf(header, file);
  const report = onceEach(options.onProblem);
  const hasStatus = [...header.frameFields.values()].some((f) => IMAGE_STATUS_FIELDS.some((k) => f.has(k)));
  const [i, j, k] = layout.size;
  // A tracking-only PLUS file still has a 1x1x1 frame per entry but no image status (IGSIO writes
  // ImageStatus only when it writes images: vtkIGSIOMetaImageSequenceIO.cxx AppendImagesToHeader).
  const hasImages = i * j * k > 0 && !(i * j * k === 1 && !hasStatus);
  // A loop, not Math.max(...keys): spread arguments overflow the stack past ~125 000 frames.
  let fieldFrames = 0;
  for (const n of header.frameFields.keys()) fieldFrames = Math.max(fieldFrames, n + 1);
  // Frames are numbered by their fields as well as by DimSize (IGSIO SetFrameString creates a frame
  // for each number it reads): frames past the pixel data keep their transforms, without an image.
  const frameCount = Math.max(layout.frameCount, fieldFrames);
  const pixelFrames = hasImages ? layout.frameCount : 0;
  if (hasImages && fieldFrames > pixelFrames) {
    report(new SequenceFormatError(`${file}: frames ${pixelFrames}..${fieldFrames - 1} have fields but the pixel data holds ${pixelFrames} frame${pixelFrames === 1 ? '' : 's'}: their transforms are sent, no IMAGE`));
  }
  const flips = flipsOf(layout);
  if (flips.unsupported) report(new SequenceFormatError(`${file}: ${flips.unsupported}; frames are sent as stored`));
  const names: string[] = [];
  // Transform fields that do not parse, each with the first frame that has one: said once here
  // (their frames send no TRANSFORM for them), not once per frame.
  const unparsed = new Map<string, number>();
  for (const [n, fields] of header.frameFields) {
    const note = (field: string) => unparsed.set(field, Math.min(n, unparsed.get(field) ?? n));
    for (const t of transformsOf(fields, note)) {
      if (!names.includes(t.name)) names.push(t.name);
    }
  }
  for (const [field, n] of unparsed) {
    report(new SequenceFormatError(`${file}: ${field} is not 16 finite numbers (first in frame ${n}): no TRANSFORM is sent for it in such frames`));
  }
  // A 4x4 matrix under a name without "Transform" is no transform to PLUS or Slicer, so it is not
  // sent; said once per field, as a tracking-only file of such fields would replay as nothing.
  const untransformed = new Set<string>();
  for (const fields of header.frameFields.values()) {
    for (const [field, value] of fields) {
      if (!untransformed.has(field) && !isTransformField(field) && parseMatrix(value)) untransformed.add(field);
    }
  }
  for (const field of untransformed) {
    report(new SequenceFormatError(`${file}: frame field ${field} holds 16 numbers but its name has no "Transform": not sent as a TRANSFORM (PLUS and Slicer read transforms by that name)`));
  }
  let source: PixelSource | undefined;
  const imageName = options.image?.name ?? 'Image';
  const imageTo = options.image?.embeddedTransformToFrame ?? 'Reference';
  const empty: ReadonlyMap<string, string> = new Map();

  const frame = async (index: number): Promise<SequenceFrame> => {
    if (!Number.isInteger(index) || index < 0 || index >= frameCount) throw new RangeError(`${file}: frame ${index} is not in 0..${frameCount - 1}`);
    const fields = header.frameFields.get(index) ?? empty;
    const stamp = fields.get('Timestamp');
    const imageStatus = IMAGE_STATUS_FIELDS.map((f) => fields.get(f)).find((v) => v !== undefined);
    return {
      index,
      timestamp: stamp === undefined ? undefined : parseTimestamp(stamp),
      fields,
      transforms: transformsOf(fields),
      imageValid: index < pixelFrames && (imageStatus === undefined || imageStatus.trim().toUpperCase() === 'OK'),
      imageStatus,
      async pixels() {
        if (index >= pixelFrames) return undefined;
        source ??= await pixelSource(layout);
        return source.read(index);
      },
    };
  };

  return {
    file, format: header.format, frameCount, fields: header.fields, layout, hasImages, transformNames: names, frame,
    async messages(index) {
      const f = await frame(index);
      if (f.timestamp === undefined) report(new SequenceFormatError(`${file}: frames without a Timestamp field: their messages are not stamped`));
      const timestamp = f.timestamp ?? Timestamp.ZERO;
      const messages: IgtlMessage[] = [];
      for (const t of f.transforms) {
        if (t.status !== 'OK' && options.invalidTransforms === 'skip') continue;
        if (options.transforms ? !options.transforms.includes(t.name) : t.name === `${imageName}To${imageTo}` && hasImages) continue;
        messages.push(transformMessage(t, timestamp));
      }
      if (f.imageValid) {
        const stored = await f.pixels();
        const pixels = flip(stored!, layout, flips);
        const friendly = f.fields.get('FriendlyDeviceName');
        let toReference = findTransform(f.transforms, imageName, imageTo);
        if (!toReference) {
          // PlusServer would not send this IMAGE at all ("cannot get image transform"); a replay
          // that drops every image is of no use, so it goes with the identity and says so.
          report(new SequenceFormatError(`${file}: no ${imageName}To${imageTo} transform in the frames: IMAGE sent with the identity ${imageName}To${imageTo}`));
          toReference = [...IDENTITY];
        }
        // ImageStatus is not metadata: IGSIO removes it from the frame when it reads the file.
        const metadata = new Map([...f.fields].filter(([key]) => !IMAGE_STATUS_FIELDS.includes(key)));
        messages.push(imageMessage(pixels, layout, friendly ?? `${imageName}_${imageTo}`, toReference, metadata, timestamp));
      }
      // Seconds as written (a double from the text, not from the 2^-32 s fraction).
      const written = f.fields.get('Timestamp');
      return { index, seconds: written === undefined || f.timestamp === undefined ? undefined : Number(written), timestamp, messages };
    },
    *framesWithContent() {
      for (let i = 0; i < pixelFrames; i++) yield i;
      yield* [...header.frameFields.keys()].filter((n) => n >= pixelFrames).sort((a, b) => a - b);
    },
    async close() {
      await source?.close();
    },
  };
}

/** Reports each distinct problem message once (a 10 000-frame file must not print a line per frame). */
function onceEach(report: ((err: Error) => void) | undefined): (err: Error) => void {
  const seen = new Set<string>();
  return (err) => {
    if (seen.has(err.message)) return;
    seen.add(err.message);
    report?.(err);
  };
}
