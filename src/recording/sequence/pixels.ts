// Reading frames' pixel bytes without loading the data whole:
// - uncompressed, frames contiguous: one positioned read per frame (random access is free);
// - compressed (MetaIO zlib over all frames, NRRD gzip): a streaming inflater with a cursor, so
//   reading in order inflates each byte once; going back restarts from the first frame;
// - frame axis first (older Slicer .seq.nrrd): each frame is every N-th voxel, gathered in one
//   streamed pass over the data per frame (bounded memory, slow for big files).
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip, createInflate } from 'node:zlib';
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
  private readonly iterator: AsyncIterator<Buffer>;
  constructor(private readonly stream: NodeJS.ReadableStream & { destroy(): void }) {
    this.iterator = (stream as unknown as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  /** Exactly `n` bytes, or fewer at the end of the data. */
  async take(n: number): Promise<Uint8Array> {
    while (this.buffered < n && !this.ended) {
      const next = await this.iterator.next();
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
  return new Puller(Object.assign(out, { destroy: () => (raw.destroy(), destroy()) }));
}

function short(layout: SequenceLayout, i: number, got: number): Error {
  return new Error(`${layout.dataPath}: frame ${i} is cut short (${got} of ${layout.frameBytes} bytes): the pixel data ends early`);
}

/** Uncompressed, frames contiguous: positioned reads. */
async function directSource(layout: SequenceLayout): Promise<PixelSource> {
  const fh: FileHandle = await open(layout.dataPath, 'r');
  return {
    async read(i) {
      const out = new Uint8Array(layout.frameBytes);
      let at = 0;
      while (at < out.length) {
        const { bytesRead } = await fh.read(out, at, out.length - at, layout.dataOffset + i * layout.frameBytes + at);
        if (bytesRead === 0) throw short(layout, i, at);
        at += bytesRead;
      }
      return out;
    },
    close: () => fh.close(),
  };
}

/** Compressed, frames contiguous: a cursor over one inflating stream. */
function inflatingSource(layout: SequenceLayout): PixelSource {
  let puller: Puller | undefined;
  let next = 0;
  return {
    async read(i) {
      if (!puller || i < next) {
        puller?.close();
        puller = streamFrom(layout);
        next = 0;
      }
      await puller.skip((i - next) * layout.frameBytes);
      const out = await puller.take(layout.frameBytes);
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
function interleavedSource(layout: SequenceLayout): PixelSource {
  const voxel = layout.components * layout.scalarBytes;
  const stride = voxel * layout.frameCount;
  const voxels = layout.frameBytes / voxel;
  return {
    async read(i) {
      const puller = streamFrom(layout);
      try {
        const out = new Uint8Array(layout.frameBytes);
        const batch = Math.max(1, Math.floor((1 << 22) / stride));
        for (let v = 0; v < voxels; v += batch) {
          const n = Math.min(batch, voxels - v);
          const block = await puller.take(n * stride);
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
  if (layout.listAxis === 'first' && layout.frameCount > 1) return interleavedSource(layout);
  if (layout.compression === 'none') return directSource(layout);
  return inflatingSource(layout);
}
