// Reading frames' pixel bytes without loading the data whole:
// - uncompressed, frames contiguous: one positioned read per frame (random access is free);
// - compressed (MetaIO zlib over all frames, NRRD gzip): a streaming inflater with a cursor, so
//   reading in order inflates each byte once; going back restarts from the first frame;
// - frame axis first (older Slicer .seq.nrrd): each frame is every N-th voxel, gathered in one
//   streamed pass over the data per frame (bounded memory, slow for big files).
//
// What the header promises is checked against the file before a frame's buffer is allocated:
// DimSize is text anyone can edit, and a frame of 2.5 GB declared in a 300-byte file must be a
// SequenceFormatError, not an allocation of 2.5 GB (or Node aborting the process on a read of
// more than 2^31 - 1 bytes).
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { createGunzip, createInflate } from 'node:zlib';
import { SequenceFormatError } from './header.js';
import type { SequenceLayout } from './layout.js';

/** Pixel bytes of frame `i` (a buffer of its own), in frame order or not. */
export interface PixelSource {
  read(i: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A byte stream pulled exactly `n` bytes at a time (the decompressed data). */
class Puller {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  /** True when the data ended early (compressed data cut off), not at the end of its stream. */
  cut = false;
  private readonly iterator: AsyncIterator<Buffer>;
  constructor(private readonly stream: NodeJS.ReadableStream & { destroy(): void }) {
    this.iterator = (stream as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  /** Exactly `n` bytes, or fewer at the end of the data. */
  async take(n: number): Promise<Uint8Array> {
    while (this.buffered < n && !this.ended) {
      const next = await this.iterator.next().catch((err: NodeJS.ErrnoException) => {
        // Compressed data cut off (a file truncated by a full disk or a killed writer): the
        // inflater closes without ending, which reads as "Premature close". That is the data
        // ending early, which the caller reports with the frame and the byte counts.
        if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'Z_BUF_ERROR') {
          this.cut = true;
          return { done: true as const, value: undefined };
        }
        throw err;
      });
      if (next.done) this.ended = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    const out = new Uint8Array(Math.min(n, this.buffered));
    let at = 0;
    while (at < out.length) {
      const c = this.chunks[0]!;
      const use = Math.min(c.length, out.length - at);
      out.set(c.subarray(0, use), at);
      at += use;
      if (use === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(use);
    }
    this.buffered -= out.length;
    return out;
  }
  async skip(n: number): Promise<void> {
    let left = n;
    // In slices: skipping a few frames must not allocate them whole at once.
    while (left > 0) {
      const got = await this.take(Math.min(left, 1 << 22));
      if (got.length === 0) return;
      left -= got.length;
    }
  }
  /** Reads to the end of the data (which makes an inflater check its checksum); the bytes left over. */
  async rest(): Promise<number> {
    let left = 0;
    for (;;) {
      const got = await this.take(1 << 22);
      if (got.length === 0) return left;
      left += got.length;
    }
  }
  close(): void {
    this.stream.destroy();
  }
}

function streamFrom(layout: SequenceLayout): Puller {
  const raw = createReadStream(layout.dataPath, { start: layout.dataOffset, highWaterMark: 1 << 20 });
  if (layout.compression === 'none') return new Puller(raw);
  const inflater = layout.compression === 'zlib' ? createInflate() : createGunzip();
  raw.on('error', (err) => inflater.destroy(err));
  const out = raw.pipe(inflater);
  const destroy = out.destroy.bind(out);
  // The error passes on: the stream's iterator destroys it with the inflater's error (corrupt
  // data), which dropped here read as a premature close, i.e. as data cut short.
  return new Puller(Object.assign(out, { destroy: (err?: Error) => (raw.destroy(), destroy(err)) }));
}

function short(layout: SequenceLayout, i: number, got: number): SequenceFormatError {
  return new SequenceFormatError(`${layout.dataPath}: frame ${i} is cut short (${got} of ${layout.frameBytes} bytes): the pixel data ends early`);
}

/** Pulls from a compressed stream: data that does not inflate (a zlib error) is a SequenceFormatError naming frame `i`. */
async function inflated<T>(layout: SequenceLayout, i: number, pull: () => Promise<T>): Promise<T> {
  try {
    return await pull();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string' || !code.startsWith('Z_')) throw err;
    // The checksum covers the whole stream and is checked at its end: the damage may be anywhere
    // before, and the frames read so far may hold wrong pixels (deflate has no other check).
    if (/incorrect data check/.test((err as Error).message)) {
      const before = i > 0 ? `, and frames before ${i} may hold wrong pixels` : '';
      throw new SequenceFormatError(`${layout.dataPath}: the compressed pixel data fails its checksum (${(err as Error).message}, found at frame ${i}): ` +
        `it is corrupt somewhere${before}`, { cause: err });
    }
    throw new SequenceFormatError(`${layout.dataPath}: frame ${i}: the compressed pixel data is corrupt (${(err as Error).message})`, { cause: err });
  }
}

/**
 * The most bytes deflate can give per compressed byte: a 258-byte match coded in 2 bits (1-bit
 * length and distance codes) is 1032:1. Compressed data that would have to inflate more than
 * this to fill the frames the header declares cannot hold them.
 */
const MAX_INFLATE_RATIO = 1032;
/** Largest single read: Node refuses (aborts on) a read length past 2^31 - 1. */
const MAX_READ = 1 << 30;

/**
 * Refuses frame `i` when the `stored` bytes of pixel data in the file cannot hold it (whole
 * frames before it stay readable): the one check before a frame's buffer is allocated.
 */
function checkStored(layout: SequenceLayout, i: number, stored: number): void {
  if (layout.compression !== 'none') {
    // Frames 0..i come out of one stream (interleaved: every frame needs the whole stream).
    const needed = (layout.listAxis === 'first' ? layout.frameCount : i + 1) * layout.frameBytes;
    if (needed > stored * MAX_INFLATE_RATIO) {
      throw new SequenceFormatError(`${layout.dataPath}: frame ${i} needs ${needed} bytes of pixels inflated, ` +
        `more than the ${stored} compressed bytes can hold (deflate inflates at most ${MAX_INFLATE_RATIO}:1)`);
    }
    return;
  }
  if (layout.listAxis === 'first') {
    const needed = layout.frameCount * layout.frameBytes;
    if (needed > stored) throw short(layout, i, Math.floor(Math.max(0, stored) / needed * layout.frameBytes));
    return;
  }
  const start = i * layout.frameBytes;
  if (start + layout.frameBytes > stored) throw short(layout, i, Math.max(0, stored - start));
}

/** Uncompressed, frames contiguous: positioned reads. */
async function directSource(layout: SequenceLayout): Promise<PixelSource> {
  const fh: FileHandle = await open(layout.dataPath, 'r');
  const stored = (await fh.stat()).size - layout.dataOffset;
  return {
    async read(i) {
      checkStored(layout, i, stored);
      const out = new Uint8Array(layout.frameBytes);
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await fh.read(out, at, Math.min(out.length - at, MAX_READ), layout.dataOffset + i * layout.frameBytes + at);
        if (bytesRead === 0) throw short(layout, i, at);
        at += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

/** Compressed, frames contiguous: a cursor over one inflating stream. */
function inflatingSource(layout: SequenceLayout, stored: number): PixelSource {
  let puller: Puller | undefined;
  let next = 0;
  return {
    async read(i) {
      checkStored(layout, i, stored);
      if (!puller || i < next) {
        puller?.close();
        puller = streamFrom(layout);
        next = 0;
      }
      const from = puller;
      let out: Uint8Array;
      try {
        await inflated(layout, i, () => from.skip((i - next) * layout.frameBytes));
        out = await inflated(layout, i, () => from.take(layout.frameBytes));
        // The last frame: the stream is read to its end, where zlib and gzip check the checksum
        // of all of it. Stopping at the last pixel, a stream whose checksum failed (measured:
        // the 4 bytes of a PLUS file's Adler-32 zeroed) played every frame and exited 0.
        if (i === layout.frameCount - 1 && out.length === layout.frameBytes) {
          await inflated(layout, i, () => from.rest());
          if (from.cut) {
            throw new SequenceFormatError(`${layout.dataPath}: the compressed pixel data ends before its checksum (the file is cut short or damaged at its end): ` +
              `the pixels of frame ${i} and those before it cannot be checked`);
          }
        }
      } catch (err) {
        // A stream that failed cannot go on: the next read starts again from the first frame.
        from.close();
        puller = undefined;
        throw err;
      }
      next = i + 1;
      if (out.length < layout.frameBytes) throw short(layout, i, out.length);
      return out;
    },
    async close() {
      puller?.close();
    },
  };
}

/** Frame axis first: voxel v of frame i is at (v * frames + i) * voxelBytes. One pass per frame. */
function interleavedSource(layout: SequenceLayout, stored: number): PixelSource {
  const voxel = layout.components * layout.scalarBytes;
  const stride = voxel * layout.frameCount;
  const voxels = layout.frameBytes / voxel;
  return {
    async read(i) {
      checkStored(layout, i, stored);
      const puller = streamFrom(layout);
      try {
        const out = new Uint8Array(layout.frameBytes);
        const batch = Math.max(1, Math.floor((1 << 22) / stride));
        for (let v = 0; v < voxels; v += batch) {
          const n = Math.min(batch, voxels - v);
          const block = await inflated(layout, i, () => puller.take(n * stride));
          if (block.length < n * stride) throw short(layout, i, v * voxel);
          for (let k = 0; k < n; k++) out.set(block.subarray(k * stride + i * voxel, k * stride + (i + 1) * voxel), (v + k) * voxel);
        }
        return out;
      } finally {
        puller.close();
      }
    },
    async close() {},
  };
}

/** The pixel reader for a layout (none is needed when frames have no bytes). */
export async function pixelSource(layout: SequenceLayout): Promise<PixelSource> {
  const interleaved = layout.listAxis === 'first' && layout.frameCount > 1;
  if (layout.compression === 'none' && !interleaved) return directSource(layout);
  const stored = (await stat(layout.dataPath)).size - layout.dataOffset;
  return interleaved ? interleavedSource(layout, stored) : inflatingSource(layout, stored);
}
