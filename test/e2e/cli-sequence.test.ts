// CLI: record (as a file of messages) -> `convert` to .igs.mha and .seq.nrrd -> `replay --json`
// gives the same TRANSFORMs and IMAGEs (names, timestamps, values, image bytes); `replay` of a PLUS sample.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../src/index.js';
import { record } from '../../src/recording/index.js';
import { CLI } from './cli-harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-cliseq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = promisify(execFile);
/** `igtl-rx ...args` to the end; its stdout (a non-zero exit rejects, with stderr). */
const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args], { encoding: 'utf8' })).stdout;

function session(): IgtlMessage[] {
  const out: IgtlMessage[] = [];
  for (let i = 0; i < 5; i++) {
    const ts = new Timestamp(1_700_000_100 + i, 0x40000000 * (i % 4));
    out.push(createMessage('TRANSFORM', { matrix: [1, 0, 0, i, 0, 1, 0, 2 * i, 0, 0, 1, -i, 0, 0, 0, 1] }, { deviceName: 'ProbeToReference', timestamp: ts }));
    out.push(createMessage('IMAGE', {
      numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [4, 3, 1], matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
      subvolumeOffset: [0, 0, 0], subvolumeSize: [4, 3, 1], data: Uint8Array.from({ length: 12 }, (_, p) => p * 10 + i),
    }, { deviceName: 'Image_Reference', timestamp: ts }));
  }
  return out;
}

type Line = { type: string; deviceName: string; timestamp: unknown; content: Record<string, unknown> };
const lines = (text: string): Line[] => text.trim().split('\n').map((l) => JSON.parse(l) as Line);
const essence = (l: Line) => JSON.stringify([l.type, l.deviceName, l.timestamp, l.type === 'TRANSFORM' ? l.content.matrix : l.content.dataBase64]);

// The CLI runs are independent where the files allow: each step's runs go side by side.
describe.concurrent('igtl-rx convert and replay of sequences', () => {
  it('record -> convert .igs.mha / .seq.nrrd -> replay gives the same messages', async () => {
    const rec = path.join(dir, 'session.igtl');
    await lastValueFrom(record(from(session()), rec).pipe(toArray()));
    const sequences = ['session.igs.mha', 'session.seq.nrrd'].map((f) => path.join(dir, f));
    const replayed = async (file: string) => lines(await cli('replay', file, '--fast', '--json', '--quiet')).map(essence).sort();
    const [original] = await Promise.all([replayed(rec), ...sequences.map((out) => cli('convert', rec, out, '--quiet'))]);
    const back = path.join(dir, 'back.igtl');
    const [fromMha, fromNrrd] = await Promise.all([...sequences.map(replayed), cli('convert', sequences[1]!, back, '--quiet')]);
    expect(fromMha).toEqual(original);
    expect(fromNrrd).toEqual(original);
    // And back: sequence -> recording -> the same again.
    expect(await replayed(back)).toEqual(original);
  }, 30_000);

  it('replay FILE.igs.mha prints the PLUS sample as PlusServer names it', async () => {
    const out = await cli('replay', path.resolve(__dirname, '../../../shared/plus-samples/SyntheticTrackerBuffer20.igs.mha'), '--fast', '--quiet');
    const rows = out.trim().split('\n');
    expect(rows.length).toBe(20);
    expect(rows.every((r) => r.startsWith('TRANSFORM') && r.includes('"ToolToTracker"') && r.includes('TransformStatus=OK'))).toBe(true);
  });
});
