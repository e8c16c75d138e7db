// A recording whose writes never complete: a hung network share or a pulled USB disk gives no
// error, the writes just wait. A FIFO nobody reads stands in for it here (its open waits for a
// reader). Measured with `igtl-rx record FIFO HOST:PORT --duration 3`: 953 messages "recorded"
// in 3 s, all held in memory (RSS 100 MB with images), the recorder still waiting for its flush
// 5 s later and killed by Ctrl-C with no word (exit 130). Now the recording fails with a
// RecordingFormatError once no write has completed for writeStallMs, and lets go of its source.
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { record, RecordingFormatError } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-stall-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pose = (x: number) => createMessage('TRANSFORM', { matrix: [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'Probe', timestamp: new Timestamp(1_700_000_000 + x, 0) });

describe('record to a file whose writes never complete', () => {
  it('fails with a RecordingFormatError saying writes stalled, and lets go of its source', async () => {
    const file = path.join(dir, 'stalled.igtl');
    execFileSync('mkfifo', [file]);
    const source = new Subject<IgtlMessage>();
    const result = lastValueFrom(record(source, file, { writeStallMs: 300 })).catch((e: unknown) => e);
    try {
      source.next(pose(1));
      source.next(pose(2));
      const err = await result;
      expect(err).toBeInstanceOf(RecordingFormatError);
      expect((err as Error).message).toMatch(/^cannot write .*stalled\.igtl: no write has completed for \d+\.\d s \(212 bytes waiting\): the disk or file system is not taking writes$/);
      expect(source.observed).toBe(false);
    } finally {
      // A reader at last: the open waiting in Node's thread pool completes, and the pool is free.
      closeSync(openSync(file, constants.O_RDONLY | constants.O_NONBLOCK));
    }
  });

  it('a write limit that is not > 0 is refused when record() is called', () => {
    expect(() => record(new Subject<IgtlMessage>(), path.join(dir, 'x.igtl'), { writeStallMs: 0 })).toThrow(RangeError);
    expect(() => record(new Subject<IgtlMessage>(), path.join(dir, 'x.igtl'), { writeStallMs: Number.NaN })).toThrow(/writeStallMs must be > 0/);
  });
});
