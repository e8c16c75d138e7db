// Writing sequence files PLUS and 3D Slicer load: a MetaIO sequence metafile (.mha with inline
// data, .mhd + .raw/.zraw) or a NRRD sequence (.seq.nrrd / .igs.nrrd, .nhdr + data file).
//
// Frames arrive one by one and their count is known only at the end, so (as IGSIO does:
// vtkIGSIOSequenceIOBase.cxx PrepareHeader/Close) the pixels go to a temporary file while the
// frame fields are kept, and at close the header is written and the pixels appended to it.
// Compression (default on) is one zlib stream over all frames for MetaIO (IGSIO
// WriteCompressedImagePixelsToFile: deflateInit, Z_FINISH on the last frame) and gzip for NRRD
// (IGSIO vtkIGSIONrrdSequenceIO: gzopen, `encoding: gz`).
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { once } from 'node:events';
import { createDeflate, createGzip, type Deflate, type Gzip } from 'node:zlib';
import { HOST_ENDIAN, readScalars, scalarBytes, type ImageContent } from '../../protocol/messages/image.js';
import { scalarSize } from '../../protocol/messages/scalar-type.js';
import type { Timestamp } from '../../protocol/timestamp.js';
import { formatTimestamp } from './fields.js';
import { WRITE_TYPES } from './layout.js';
import { SequenceWriteError } from '../errors.js';

export { SequenceWriteError };

/** One frame to write. */
export interface FrameToWrite {
  readonly timestamp: Timestamp;
  /** Transforms by name (`ProbeToTracker`), written as `<name>Transform` and `<name>TransformStatus`. */
  readonly transforms: readonly { readonly name: string; readonly matrix: readonly number[]; readonly status?: string }[];
  /** The frame's image, or undefined (an image sequence then gets a blank frame with status INVALID). */
  readonly image?: { readonly deviceName: string; readonly content: ImageContent };
  /** More frame fields, written as they are. */
  readonly fields?: Readonly<Record<string, string>>;
}

/** Options of {@link SequenceWriter}. */
export interface SequenceWriterOptions {
  /** zlib/gzip compression of the pixels (default true). */
  readonly compress?: boolean;
  /** `UltrasoundImageOrientation` written for images (default MF, PLUS's memory orientation: frames are written as received). */
  readonly orientation?: string;
}

/**
 * A promise that rejects with a {@link SequenceWriteError} when `stream` fails to write `path`
 * (and listens for it, so the failure is never an unhandled 'error' event); never resolves.
 */
function failureOf(stream: WriteStream, path: string): Promise<never> {
  const failed = new Promise<never>((_, reject) => {
    stream.on('error', (err) => reject(new SequenceWriteError(`cannot write ${path}: ${err.message}`)));
  });
  // Awaited only while writing: a failure after the last wait is not an unhandled rejection.
  failed.catch(() => undefined);
  return failed;
}


interface Geometry {
  readonly size: readonly [number, number, number];
  readonly components: number;
  readonly scalarType: number;
  readonly endian: number;
  readonly spacing: readonly [number, number, number];
}

function num(v: number): string {
  // Shortest text that reads back as the same double (-0 included: a replay gives back the same bits).
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Streams frames into a sequence file. `close()` writes the header and finishes the file. */
export class SequenceWriter {
  private readonly kind: 'metaio' | 'nrrd';
  private readonly detached: boolean;
  private readonly compress: boolean;
  private readonly pixelPath: string;
  private readonly out: WriteStream;
  private readonly zip: Deflate | Gzip | undefined;
  private readonly frames: string[][] = [];
  private readonly stamps: string[] = [];
  private geometry: Geometry | undefined;
  private hasImages = false;
  private compressedBytes = 0;
  private closed = false;
  /**
   * Rejects when the pixel file cannot be written (a missing directory, a full disk). Without a
   * listener, its stream's 'error' event was unhandled: the process died with a stack trace.
   */
  private readonly failed: Promise<never>;

  /**
   * @param file  .mha / .igs.mha / .mhd (MetaIO) or .nrrd / .seq.nrrd / .igs.nrrd / .nhdr (NRRD)
   */
  constructor(readonly file: string, private readonly options: SequenceWriterOptions = {}) {
    const lower = file.toLowerCase();
    if (lower.endsWith('.mha') || lower.endsWith('.mhd')) this.kind = 'metaio';
    else if (lower.endsWith('.nrrd') || lower.endsWith('.nhdr')) this.kind = 'nrrd';
    else throw new SequenceWriteError(`${file}: a sequence file name ends in .mha, .mhd, .nrrd or .nhdr`);
    this.detached = lower.endsWith('.mhd') || lower.endsWith('.nhdr');
    this.compress = options.compress ?? true;
    const stem = file.replace(/\.(mhd|nhdr)$/i, '');
    // Detached data files as IGSIO names them (SetFileName: .raw/.zraw for .mhd, .raw/.raw.gz for .nhdr).
    this.pixelPath = this.detached ? `${stem}${this.kind === 'metaio' ? (this.compress ? '.zraw' : '.raw') : this.compress ? '.raw.gz' : '.raw'}` : `${file}.${process.pid}.pixels.tmp`;
    const outPath = this.detached ? `${this.pixelPath}.${process.pid}.tmp` : this.pixelPath;
    this.out = createWriteStream(outPath);
    this.failed = failureOf(this.out, outPath);
    if (this.compress) {
      this.zip = this.kind === 'metaio' ? createDeflate() : createGzip();
      this.zip.on('data', (c: Buffer) => (this.compressedBytes += c.length));
      this.zip.pipe(this.out);
    }
  }

  /** Frames written so far. */
  get frameCount(): number {
    return this.frames.length;
  }

  private async put(bytes: Uint8Array): Promise<void> {
    const sink = this.zip ?? this.out;
    if (!sink.write(bytes)) await Promise.race([once(sink, 'drain'), this.failed]);
  }

  private geometryOf(c: ImageContent, deviceName: string): Geometry {
    if (c.subvolumeSize.some((v, i) => v !== c.size[i]) || c.subvolumeOffset.some((v) => v !== 0)) {
      throw new SequenceWriteError(`${deviceName}: sub-volume images cannot be written to a sequence (whole frames only)`);
    }
    if (!WRITE_TYPES[c.scalarType]) throw new SequenceWriteError(`${deviceName}: scalar type ${c.scalarType} has no MetaIO/NRRD type`);
    const m = c.matrix;
    const norm = (col: number) => Math.hypot(m[col]!, m[4 + col]!, m[8 + col]!) || 1;
    return { size: c.size, components: c.numComponents, scalarType: c.scalarType, endian: c.endian, spacing: [norm(0), norm(1), norm(2)] };
  }

  /**
   * Makes this an image sequence of `image`'s geometry before the first frame, so frames without
   * an image that come before the first one are written blank with status INVALID (a copy of a
   * sequence whose first frames' images are not OK).
   */
  expectImages(image: { readonly deviceName: string; readonly content: ImageContent }): void {
    if (this.frames.length > 0) throw new SequenceWriteError(`${this.file}: expectImages() after ${this.frames.length} frames`);
    this.geometry = this.geometryOf(image.content, image.deviceName);
    this.hasImages = true;
  }

  /** Adds a frame (its pixels are written now; its fields are kept for the header). */
  async add(frame: FrameToWrite): Promise<void> {
    if (this.closed) throw new SequenceWriteError(`${this.file}: add() after close()`);
    const fields = new Map<string, string>();
    for (const t of frame.transforms) {
      fields.set(`${t.name}Transform`, t.matrix.map(num).join(' '));
      fields.set(`${t.name}TransformStatus`, t.status ?? 'OK');
    }
    fields.set('Timestamp', formatTimestamp(frame.timestamp));
    for (const [k, v] of Object.entries(frame.fields ?? {})) fields.set(k, v);
    let status: string | undefined;
    if (frame.image) {
      const c = frame.image.content;
      this.geometry ??= this.geometryOf(c, frame.image.deviceName);
      const g = this.geometry;
      if (c.size.some((v, i) => v !== g.size[i]) || c.numComponents !== g.components || c.scalarType !== g.scalarType) {
        throw new SequenceWriteError(`${frame.image.deviceName}: frame ${this.frames.length} is ${c.size.join('x')}x${c.numComponents} of type ${c.scalarType}, the sequence is ${g.size.join('x')}x${g.components} of type ${g.scalarType} (PLUS: "Frame size mismatch")`);
      }
      if (!this.hasImages && this.frames.length > 0) {
        throw new SequenceWriteError(`${this.file}: the first image came after ${this.frames.length} frames without one: give the image stream first (or drop the frames before it)`);
      }
      this.hasImages = true;
      // Placement: <Name>To<To> = IJK->reference with the spacing taken out and the origin moved
      // from the grid centre (OpenIGTLink) to the first voxel (VTK), the inverse of what a reader does.
      // Always ImageToReference: what a reader's default image stream (Image -> Reference, as in
      // PlusServer configs) looks for; the device name itself goes in FriendlyDeviceName.
      const [name, to] = ['Image', 'Reference'];
      const m = c.matrix;
      const placement = [...m];
      for (let r = 0; r < 3; r++) {
        placement[r * 4 + 3] = m[r * 4 + 3]! - m[r * 4]! * ((g.size[0] - 1) / 2) - m[r * 4 + 1]! * ((g.size[1] - 1) / 2) - m[r * 4 + 2]! * ((g.size[2] - 1) / 2);
        for (let col = 0; col < 3; col++) placement[r * 4 + col] = m[r * 4 + col]! / g.spacing[col]!;
      }
      fields.set(`${name}To${to}Transform`, placement.map(num).join(' '));
      fields.set(`${name}To${to}TransformStatus`, 'OK');
      // PLUS's IMAGE device name override (igsioTrackedFrame::FIELD_FRIENDLY_DEVICE_NAME): the name comes back as it was.
      fields.set('FriendlyDeviceName', frame.image.deviceName);
      let data = c.data;
      if (c.endian !== g.endian && (scalarSize(c.scalarType) ?? 1) > 1) data = scalarBytes(readScalars(c.data, c.scalarType, c.endian), g.endian);
      await this.put(data);
      status = 'OK';
    } else if (this.hasImages) {
      // A frame without an image in an image sequence: a blank frame marked INVALID (IGSIO WriteImages).
      const g = this.geometry!;
      await this.put(new Uint8Array(g.size[0] * g.size[1] * g.size[2] * g.components * (scalarSize(g.scalarType) ?? 1)));
      status = 'INVALID';
    } else {
      // Tracking only: one 1x1x1 voxel per frame and no image status (IGSIO with EnableImageDataWrite off).
      await this.put(new Uint8Array(1));
    }
    // Frame fields in key order (igsioTrackedFrame keeps them in a std::map), image status last.
    const keys = [...fields.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const sep = this.kind === 'metaio' ? ' = ' : ':=';
    const prefix = `Seq_Frame${String(this.frames.length).padStart(4, '0')}_`;
    const lines = keys.map((k) => `${prefix}${k}${sep}${fields.get(k)}`);
    if (status !== undefined) lines.push(`${prefix}${this.kind === 'metaio' ? 'ImageStatus' : 'Status'}${sep}${status}`);
    this.frames.push(lines);
    this.stamps.push(fields.get('Timestamp')!);
  }

  /** Writes the header, joins header and pixels, and returns the file's size. */
  async close(): Promise<{ frames: number; bytes: number }> {
    if (this.closed) throw new SequenceWriteError(`${this.file}: closed twice`);
    this.closed = true;
    (this.zip ?? this.out).end();
    await Promise.race([once(this.out, 'finish'), this.failed]);
    const header = this.kind === 'metaio' ? this.metaHeader() : this.nrrdHeader();
    if (this.detached) {
      await rename(`${this.pixelPath}.${process.pid}.tmp`, this.pixelPath);
      const hs = createWriteStream(this.file);
      hs.end(header);
      await Promise.race([once(hs, 'finish'), failureOf(hs, this.file)]);
    } else {
      const tmp = `${this.file}.${process.pid}.tmp`;
      const hs = createWriteStream(tmp);
      const failed = failureOf(hs, tmp);
      try {
        hs.write(header);
        for await (const chunk of createReadStream(this.pixelPath, { highWaterMark: 1 << 20 })) {
          if (!hs.write(chunk)) await Promise.race([once(hs, 'drain'), failed]);
        }
        hs.end();
        await Promise.race([once(hs, 'finish'), failed]);
      } catch (err) {
        hs.destroy();
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
      await unlink(this.pixelPath);
      await rename(tmp, this.file);
    }
    return { frames: this.frames.length, bytes: (await stat(this.file)).size + (this.detached ? (await stat(this.pixelPath)).size : 0) };
  }

  /** Removes what was written (after an error). */
  async abort(): Promise<void> {
    this.closed = true;
    this.zip?.destroy();
    this.out.destroy();
    await unlink(this.detached ? `${this.pixelPath}.${process.pid}.tmp` : this.pixelPath).catch(() => undefined);
  }

  private frameShape(): { size: readonly number[]; type: number; components: number; spacing: readonly number[]; endian: number } {
    const g = this.geometry;
    if (!g || !this.hasImages) return { size: [1, 1, 1], type: 3, components: 1, spacing: [1, 1, 1], endian: HOST_ENDIAN };
    return { size: g.size, type: g.scalarType, components: g.components, spacing: g.spacing, endian: g.endian };
  }

  private imageKinds(): { orientation: string; type: string } {
    const s = this.frameShape();
    return { orientation: this.options.orientation ?? 'MF', type: s.components === 3 && s.type === 3 ? 'RGB_COLOR' : 'BRIGHTNESS' };
  }

  private metaHeader(): string {
    const s = this.frameShape();
    const is3d = (s.size[2] ?? 1) > 1;
    const spatial = is3d ? 3 : 2;
    const n = spatial + 1;
    const identity = Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? '1' : '0')).join(' ');
    const zeros = Array.from({ length: n }, () => '0').join(' ');
    const head: [string, string][] = [
      ['ObjectType', 'Image'],
      ['NDims', String(n)],
      ['AnatomicalOrientation', 'RAI'],
      ['BinaryData', 'True'],
      ['BinaryDataByteOrderMSB', s.endian === 1 ? 'True' : 'False'],
      ['CenterOfRotation', zeros],
      ['CompressedData', this.compress ? 'True' : 'False'],
      ...(this.compress ? ([['CompressedDataSize', String(this.compressedBytes)]] as [string, string][]) : []),
      ['DimSize', [...s.size.slice(0, spatial), this.frames.length].join(' ')],
      ['ElementNumberOfChannels', String(s.components)],
      ['ElementSpacing', [...s.spacing.slice(0, spatial).map(num), '1'].join(' ')],
      ['ElementType', WRITE_TYPES[s.type]!.meta],
      ['Kinds', [...Array.from({ length: spatial }, () => 'domain'), 'list'].join(' ')],
      ['Offset', zeros],
      ['TransformMatrix', identity],
    ];
    if (this.hasImages) {
      const k = this.imageKinds();
      head.push(['UltrasoundImageOrientation', k.orientation], ['UltrasoundImageType', k.type]);
    }
    const lines = head.map(([k, v]) => `${k} = ${v}`);
    for (const f of this.frames) lines.push(...f);
    lines.push(`ElementDataFile = ${this.detached ? basename(this.pixelPath) : 'LOCAL'}`);
    return `${lines.join('\n')}\n`;
  }

  private nrrdHeader(): string {
    const s = this.frameShape();
    const vector = s.components > 1;
    const lines = [
      'NRRD0004',
      '# Complete NRRD file format specification at:',
      '# http://teem.sourceforge.net/nrrd/format.html',
      `type: ${WRITE_TYPES[s.type]!.nrrd}`,
      `dimension: ${vector ? 5 : 4}`,
      'space: right-anterior-superior',
      `sizes: ${[...(vector ? [s.components] : []), s.size[0], s.size[1], s.size[2], this.frames.length].join(' ')}`,
      `space directions: ${vector ? 'none ' : ''}(${num(s.spacing[0]!)},0,0) (0,${num(s.spacing[1]!)},0) (0,0,${num(s.spacing[2]!)}) none`,
      `kinds: ${vector ? 'vector ' : ''}domain domain domain list`,
      `labels: ${vector ? '"" ' : ''}"" "" "" "frame"`,
      `endian: ${s.endian === 1 ? 'big' : 'little'}`,
      `encoding: ${this.compress ? 'gzip' : 'raw'}`,
      'space origin: (0,0,0)',
      ...(this.detached ? [`data file: ${basename(this.pixelPath)}`] : []),
      // Slicer's sequence keys (developer guide, "Volume sequence file format"): the list axis and its index values.
      `axis ${vector ? 4 : 3} index type:=numeric`,
      `axis ${vector ? 4 : 3} index values:=${this.stamps.join(' ')}`,
      'DataNodeClassName:=vtkMRMLScalarVolumeNode',
    ];
    if (this.hasImages) {
      const k = this.imageKinds();
      lines.push(`ultrasound image orientation:=${k.orientation}`, `ultrasound image type:=${k.type}`);
    }
    for (const f of this.frames) lines.push(...f);
    return `${lines.join('\n')}\n\n`;
  }
}
