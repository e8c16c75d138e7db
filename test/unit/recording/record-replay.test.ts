import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ofDevice, ofType } from '../../../operators/index.js';
import { createMessage, encodeMessage, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { indexPathOf, readRecording, record, RecordingFormatError, replay, replayRecording } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pose = (device: string, x: number): IgtlMessage =>
  createMessage('TRANSFORM', { matrix: [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: device, timestamp: Timestamp.fromMillis(1_700_000_000_000 + x) });

const samples: IgtlMessage[] = [
  pose('Stylus', 1),
  pose('Probe', 2),
  createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: 'fine' }, { deviceName: 'Tracker' }),
  createMessage('COMMAND', { commandId: 3, commandName: 'Version', encoding: 3, command: '<Command Name="Version"/>' }, { deviceName: 'c', messageId: 9, metadata: { k: 'v' } }),
  pose('Stylus', 5),
];

/** A clock that returns the given times in turn. */
const clockOf = (times: number[]) => {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)]!;
};

describe('record', () => {
  it('writes the messages byte for byte with receive times, and emits each as it is written', async () => {
    const file = path.join(dir, 'a.igtl');
    const got = await lastValueFrom(record(from(samples), file, { clock: clockOf([1000, 1000, 1010.5, 1020, 1020, 1100]) }).pipe(toArray()));
    expect(got.map((r) => [r.index, r.time])).toEqual([[0, 0], [1, 10.5], [2, 20], [3, 20], [4, 100]]);
    expect(got.map((r) => r.message)).toEqual(samples);
    const expected = Buffer.concat(samples.map((m) => encodeMessage(m)));
    expect(readFileSync(file).equals(expected)).toBe(true);
    got.forEach((r, i) => expect(Buffer.from(r.bytes).equals(Buffer.from(encodeMessage(samples[i]!)))).toBe(true));
    const frames = [];
    for await (const f of readRecording(file)) frames.push(f);
    expect(frames.map((f) => f.time)).toEqual([0, 10.5, 20, 20, 100]);
    expect(readFileSync(indexPathOf(file)).subarray(16, 24).readDoubleBE()).toBe(1000);
  });

  it('finishes the files before passing on an error of the source', async () => {
    const file = path.join(dir, 'b.igtl');
    const source = new Subject<IgtlMessage>();
    const done = lastValueFrom(record(source, file).pipe(toArray())).catch((e: unknown) => e);
    source.next(samples[0]!);
    source.next(samples[1]!);
    source.error(new Error('connection reset'));
    expect(await done).toMatchObject({ message: 'connection reset' });
    expect(readFileSync(file).length).toBe(encodeMessage(samples[0]!).length + encodeMessage(samples[1]!).length);
    expect(readFileSync(indexPathOf(file)).length).toBe(32 + 2 * 16);
  });

  it('fails with one clear error when the file cannot be written', async () => {
    const err = await lastValueFrom(record(from(samples), path.join(dir, 'no', 'such', 'dir.igtl'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect((err as Error).message).toMatch(/^cannot write .*dir\.igtl.*: ENOENT/);
  });
});

describe('replay', () => {
  const file = path.join(dir, 'timed.igtl');
  // 0, 40, 80, ... ms apart.
  const timed = Array.from({ length: 8 }, (_, i) => pose(i % 2 ? 'Probe' : 'Stylus', i));
  const recorded = lastValueFrom(record(from(timed), file, { clock: clockOf(Array.from({ length: 9 }, (_, i) => 5000 + (i === 0 ? 0 : (i - 1) * 40))) }).pipe(toArray()));

  it('emits the recorded messages and bytes, as fast as possible with speed Infinity', async () => {
    await recorded;
    const got = await lastValueFrom(replayRecording(file, { speed: Infinity }).pipe(toArray()));
    expect(got.map((r) => r.message)).toEqual(timed);
    expect(got.map((r) => r.time)).toEqual([0, 40, 80, 120, 160, 200, 240, 280]);
    expect(Buffer.concat(got.map((r) => r.bytes)).equals(readFileSync(file))).toBe(true);
  });

  // Timing on a shared CI box: retried before it counts as a failure.
  it('keeps the recorded timing (and scales it with speed)', { retry: 2 }, async () => {
    await recorded;
    for (const speed of [1, 2]) {
      const stamps: number[] = [];
      // A first pass warms up the decoder and the file cache, so the second measures the pacing.
      await lastValueFrom(replayRecording(file, { speed: Infinity }).pipe(toArray()));
      const t0 = performance.now();
      await new Promise<void>((resolve) => replayRecording(file, { speed }).subscribe({ next: () => stamps.push(performance.now() - t0), complete: resolve }));
      const errors = stamps.map((s, i) => Math.abs(s - stamps[0]! - (i * 40) / speed));
      errors.sort((a, b) => a - b);
      expect(errors[Math.floor(errors.length / 2)]).toBeLessThan(4);
      expect(stamps[stamps.length - 1]! - stamps[0]!).toBeGreaterThanOrEqual(280 / speed - 2);
    }
  });

  it('loops: each pass starts one mean interval after the previous one ended', async () => {
    await recorded;
    const got = await lastValueFrom(replayRecording(file, { speed: 10, loop: 3 }).pipe(toArray()));
    expect(got).toHaveLength(24);
    expect(got.map((r) => r.index)).toEqual([...[0, 1, 2, 3, 4, 5, 6, 7], ...[0, 1, 2, 3, 4, 5, 6, 7], ...[0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it('stops when unsubscribed', async () => {
    await recorded;
    const got = await firstValueFrom(replayRecording(file).pipe(take(2), toArray()));
    expect(got).toHaveLength(2);
  });

  it('replay() is a message stream for offline pipelines', async () => {
    await recorded;
    const probes = await lastValueFrom(replay(file, { speed: Infinity }).pipe(ofType('TRANSFORM'), ofDevice('Probe'), toArray()));
    expect(probes.map((m) => m.content.matrix[3])).toEqual([1, 3, 5, 7]);
  });

  it('reports a message that no longer decodes and goes on', async () => {
    await recorded;
    const bad = path.join(dir, 'bad.igtl');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff; // last message's body: CRC mismatch
    const { writeFileSync, copyFileSync } = await import('node:fs');
    writeFileSync(bad, bytes);
    copyFileSync(indexPathOf(file), indexPathOf(bad));
    const problems: Error[] = [];
    const got = await lastValueFrom(replay(bad, { speed: Infinity, onProblem: (e) => problems.push(e) }).pipe(toArray()));
    expect(got).toHaveLength(7);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/bad\.igtl: message 7: .*CRC/i)]);
  });

  it('ends with the error when the file does not exist', async () => {
    const missing = path.join(dir, 'missing.igtl');
    expect(existsSync(missing)).toBe(false);
    await expect(lastValueFrom(replay(missing))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a speed that is not > 0 and a loop count below 1', () => {
    expect(() => replay(file, { speed: -1 })).toThrow(RangeError);
    expect(() => replay(file, { loop: 0 })).toThrow(RangeError);
  });
});
