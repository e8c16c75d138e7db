// `igtl-rx replay` of a recording cut short. Measured before: a data file cut at a message
// boundary (its index listing 2 more) played 10 of 12 messages, printed "replayed 10 messages"
// and exited 0, as for the whole recording; cut inside a message, it said "truncated TRANSFORM
// ...: 99 of 106 bytes received" (no offset, no message number) and then "replayed 11 messages".
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../src/index.js';
import { record } from '../../src/recording/index.js';
import { runCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);
const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-replay-cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 12 TRANSFORMs of 106 bytes each, recorded to FILE + FILE.idx. */
async function recording(name: string): Promise<string> {
  const messages: IgtlMessage[] = Array.from({ length: 12 }, (_, i) =>
    createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: 'StylusToTracker', timestamp: new Timestamp(1_700_000_000 + i, 0) }));
  const file = path.join(dir, name);
  await lastValueFrom(record(from(messages), file).pipe(toArray()));
  expect(statSync(file).size).toBe(12 * 106);
  return file;
}

describe('igtl-rx replay of a recording cut short', () => {
  it('a whole recording: exit 0, no warning', async () => {
    const r = await runCli(['replay', await recording('whole.igtl'), '--fast']);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(12);
    expect(r.stderr).toMatch(/^replayed 12 messages from \S+whole\.igtl to stdout in [\d.]+ s\n$/);
    expect(r.code).toBe(0);
  });

  it('cut at a message boundary before messages its index lists: says so, with where, and exits 1', async () => {
    const file = await recording('boundary.igtl');
    truncateSync(file, 10 * 106);
    const r = await runCli(['replay', file, '--fast']);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(10);
    expect(r.stderr).toContain(`igtl-rx: ${file} is cut short: it ends after 10 messages (1060 bytes), but ${file}.idx lists 12; the last 2 are not in it\n`);
    expect(r.stderr).toMatch(/replayed 10 messages from \S+ \(cut short: the file's whole messages end at byte 1060\) to stdout/);
    expect(r.code).toBe(1);
  });

  it('cut inside its last message: the cut message is not played; the error names it and its offset; exit 1', async () => {
    const file = await recording('inside.igtl');
    truncateSync(file, 12 * 106 - 7);
    const r = await runCli(['replay', file, '--fast', '--quiet']);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(11);
    // --quiet drops the summary, not the error.
    expect(r.stderr).toBe(`igtl-rx: ${file} is cut short: it ends inside message 11 (offset 1166: 99 of the 106 bytes of TRANSFORM "StylusToTracker"); that message is not read\n`);
    expect(r.code).toBe(1);
  });
});
