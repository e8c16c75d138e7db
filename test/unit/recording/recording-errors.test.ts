// Errors of recordings and sequence files are IgtlErrors with a code, as every error igtl-rx
// raises (src/protocol/errors.ts): they were plain Errors, with no `code` to tell them apart.
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { CrcMismatchError, createMessage, IgtlError, Timestamp } from '../../../src/index.js';
import {
  openSequence, record, RecordingFormatError, replay, SequenceFormatError, SequenceWriteError, SequenceWriter, writeSequence,
} from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-recerrors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pose = (x: number) => createMessage('TRANSFORM', { matrix: [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'Probe', timestamp: new Timestamp(1_700_000_000 + x, 0) });

describe('recording and sequence errors carry a code', () => {
  it('a sequence header that does not parse: SequenceFormatError, code sequence-format', async () => {
    const file = path.join(dir, 'bad.igs.mha');
    writeFileSync(file, 'ObjectType = Image\nDimSize = 2 2 x\nElementDataFile = LOCAL\n');
    const err = await openSequence(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SequenceFormatError);
    expect(err).toBeInstanceOf(IgtlError);
    expect((err as IgtlError).code).toBe('sequence-format');
  });

  it('a file name a sequence cannot have: SequenceWriteError, code sequence-write', () => {
    let err: unknown;
    try {
      new SequenceWriter(path.join(dir, 'out.txt'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SequenceWriteError);
    expect((err as IgtlError).code).toBe('sequence-write');
  });

  it('messages a sequence cannot hold are reported as SequenceWriteError', async () => {
    const status = createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: 'Tracker' });
    const problems: Error[] = [];
    await writeSequence(() => from([pose(1), status]), path.join(dir, 'poses.igs.mha'), { onProblem: (e) => problems.push(e) });
    expect(problems.map((p) => [p.constructor.name, (p as IgtlError).code])).toEqual([['SequenceWriteError', 'sequence-write']]);
  });

  it('a recording that cannot be written: RecordingFormatError, code recording-format', async () => {
    const err = await lastValueFrom(record(from([pose(1)]), path.join(dir, 'missing', 'r.igtl'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordingFormatError);
    expect((err as IgtlError).code).toBe('recording-format');
  });

  it('a full disk (the data file on /dev/full): RecordingFormatError naming ENOSPC, the source let go', async () => {
    const file = path.join(dir, 'full.igtl');
    symlinkSync('/dev/full', file); // opens fine; every write fails with ENOSPC
    const source = new Subject<ReturnType<typeof pose>>();
    const err = lastValueFrom(record(source, file)).catch((e: unknown) => e);
    source.next(pose(1));
    source.next(pose(2));
    const failure = await err;
    expect(failure).toBeInstanceOf(RecordingFormatError);
    expect((failure as IgtlError).code).toBe('recording-format');
    expect((failure as Error).message).toMatch(/^cannot write .*full\.igtl: ENOSPC/);
    expect(source.observed).toBe(false);
  });

  it('a recorded message that no longer decodes: RecordingFormatError whose cause is the decoder\'s error', async () => {
    const file = path.join(dir, 'crc.igtl');
    await lastValueFrom(record(from([pose(1), pose(2)]), file).pipe(toArray()));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1]! ^= 0xff; // the last body: its CRC no longer matches
    writeFileSync(file, bytes);
    const problems: Error[] = [];
    await lastValueFrom(replay(file, { speed: Infinity, onProblem: (e) => problems.push(e) }).pipe(toArray()));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBeInstanceOf(RecordingFormatError);
    expect((problems[0] as IgtlError).code).toBe('recording-format');
    expect(problems[0]!.cause).toBeInstanceOf(CrcMismatchError);
  });
});
