// record() whose file is removed (or replaced) while it writes: the writes still succeed (they go
// to the unlinked file), so nothing failed and the recording "completed", holding nothing. A
// recording that is not where it was written must end with an error.
import { existsSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, lastValueFrom, toArray, type Observable } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { indexPathOf, record, RecordingFormatError, type RecordedMessage } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-rec-removed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pose = (x: number): IgtlMessage =>
  createMessage('TRANSFORM', { matrix: [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'Probe', timestamp: Timestamp.fromMillis(1_700_000_000_000 + x) });

/** Emits each message once it is written (so the file exists), then runs `between`. */
async function recordTwo(file: string, between: () => void): Promise<{ source: Subject<IgtlMessage>; result: Promise<unknown>; recorded: Observable<RecordedMessage> }> {
  const source = new Subject<IgtlMessage>();
  const recorded = record(source, file);
  const result = lastValueFrom(recorded.pipe(toArray())).catch((e: unknown) => e);
  source.next(pose(1));
  // The file is created when its stream opens: wait for it (an event, not a fixed delay).
  while (!existsSync(file) || !existsSync(indexPathOf(file))) await new Promise((r) => setImmediate(r));
  between();
  source.next(pose(2));
  return { source, result, recorded };
}

describe('record: the file removed or replaced while recording', () => {
  it('the data file removed, then the source completes: an error naming the file, not completion', async () => {
    const file = path.join(dir, 'removed.igtl');
    const { source, result } = await recordTwo(file, () => unlinkSync(file));
    source.complete();
    const err = await result;
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect((err as Error).message).toMatch(/^cannot write .*removed\.igtl: it was removed while recording/);
  });

  it('the index replaced by another file: an error naming the index', async () => {
    const file = path.join(dir, 'replaced.igtl');
    const { source, result } = await recordTwo(file, () => {
      writeFileSync(`${file}.other`, 'x');
      renameSync(`${file}.other`, indexPathOf(file));
    });
    source.complete();
    const err = await result;
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect((err as Error).message).toMatch(/^cannot write .*replaced\.igtl\.idx: it was replaced by another file while recording/);
  });

  it('the data file removed while messages keep coming: the recording fails then, not only at its end', async () => {
    const file = path.join(dir, 'live.igtl');
    const { source, result } = await recordTwo(file, () => unlinkSync(file));
    // Messages go on until the recorder says (its check runs at most once a second as they arrive).
    let failed = false;
    void result.then(() => (failed = true));
    for (let x = 3; !failed; x++) {
      source.next(pose(x));
      await new Promise((r) => setTimeout(r, 20));
    }
    const err = await result;
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect((err as Error).message).toMatch(/removed while recording/);
    expect(source.observed).toBe(false); // the recorder let go of its source
  }, 10_000);

  it('files left in place: completes as before', async () => {
    const file = path.join(dir, 'kept.igtl');
    const { source, result } = await recordTwo(file, () => undefined);
    source.complete();
    expect(((await result) as RecordedMessage[]).map((r) => r.index)).toEqual([0, 1]);
  });
});
