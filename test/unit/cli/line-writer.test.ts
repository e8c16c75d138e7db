// LineWriter and a reader of stdout that does not keep up. Before, every flush wrote whatever
// was buffered whatever the stream's state, so the stream's own buffer grew without bound
// (`monitor --json | sleep 30` grew by 55 MB in 8 s), and each flush that found the stream full
// added another 'drain' listener (Node's MaxListenersExceededWarning on stderr after 11).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { droppedLine, LineWriter } from '../../../src/cli/output.js';

/** A stream whose reader takes nothing until `release()`; `taken` is what it has taken. */
function stuckReader(highWaterMark = 1024) {
  const pending: (() => void)[] = [];
  let text = '';
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _enc, callback) {
      text += chunk;
      pending.push(callback);
    },
  });
  return {
    stream,
    get taken() {
      return text;
    },
    /** The reader catches up: every write so far is done (and the next ones at once). */
    release() {
      stream._write = (chunk: string, _enc, callback) => {
        text += chunk;
        callback();
      };
      for (const cb of pending.splice(0)) cb();
    },
    /** Bytes the stream holds that the reader has not taken. */
    buffered: () => stream.writableLength,
  };
}

const line = (i: number) => `line ${i} ${'x'.repeat(100)}`;

describe('LineWriter with a reader that does not keep up', () => {
  it('live output: memory stays bounded, lines past the bound are dropped and the gap is marked where writing resumes', async () => {
    const reader = stuckReader();
    const max = 64 * 1024;
    const out = new LineWriter(reader.stream, { droppedLine: droppedLine(false), maxBufferedBytes: max });
    for (let i = 0; i < 20_000; i++) out.line(line(i)); // ~2.1 MB
    // What waits, in the stream and in the writer, is bounded (the old writer handed all of it on).
    expect(reader.buffered()).toBeLessThan(2 * max + 70_000);
    reader.release();
    await out.flush();
    const lines = reader.taken.trimEnd().split('\n');
    const gap = lines.findIndex((l) => l.startsWith('('));
    expect(gap).toBeGreaterThan(0);
    const dropped = Number(/^\((\d+) lines dropped: stdout did not keep up\)$/.exec(lines[gap]!)?.[1]);
    // Every line is either printed, in order, or counted in the gap line.
    const printed = lines.filter((l) => !l.startsWith('('));
    expect(printed.length + dropped).toBe(20_000);
    expect(printed.slice(0, gap)).toEqual(Array.from({ length: gap }, (_, i) => line(i)));
    expect(dropped).toBeGreaterThan(0);
  });

  it('the gap line is JSON with --json', () => {
    expect(JSON.parse(droppedLine(true)(3))).toMatchObject({ kind: 'dropped', lines: 3 });
  });

  it('one drain listener, however often it is flushed while the reader is stuck', () => {
    const reader = stuckReader(16);
    const out = new LineWriter(reader.stream, { droppedLine: droppedLine(false) });
    out.line('x'.repeat(100)); // over the stream's high-water mark: it is full
    for (let i = 0; i < 30; i++) void out.flush();
    expect(reader.buffered()).toBeGreaterThan(16);
    expect(reader.stream.listenerCount('drain')).toBeLessThanOrEqual(1);
  });

  it('lossless output: whenWritable holds the source back until the reader has taken it, and nothing is dropped', async () => {
    const reader = stuckReader();
    const out = new LineWriter(reader.stream);
    let i = 0;
    for (; i < 2000 && out.whenWritable() === undefined; i++) out.line(line(i));
    expect(i).toBeLessThan(2000); // the source was told to wait
    const wait = out.whenWritable()!;
    let resumed = false;
    void wait.then(() => (resumed = true));
    await Promise.resolve();
    expect(resumed).toBe(false);
    reader.release();
    await wait;
    for (; i < 2000; i++) out.line(line(i));
    await out.flush();
    expect(reader.taken.trimEnd().split('\n')).toEqual(Array.from({ length: 2000 }, (_, k) => line(k)));
  });
});
