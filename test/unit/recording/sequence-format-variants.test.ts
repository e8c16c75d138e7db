// Sequence files in the shapes PLUS (IGSIO) and 3D Slicer write them but the two PLUS samples do
// not show: each fixture is built here from the writer's rules, cited per case, not copied from a
// sample file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSequence, readSequence, type SequenceMessage } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seqvariants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const matrix = (x: number) => `1 0 0 ${x} 0 1 0 0 0 0 1 0 0 0 0 1`;

/** Reads a sequence to its end: the messages, the problems reported, and the error if any. */
function readAll(file: string): Promise<{ messages: SequenceMessage[]; problems: Error[]; error: unknown }> {
  const messages: SequenceMessage[] = [];
  const problems: Error[] = [];
  return new Promise((resolve) => {
    readSequence(file, { onProblem: (e) => problems.push(e) }).subscribe({
      next: (m) => messages.push(m),
      error: (error: unknown) => resolve({ messages, problems, error }),
      complete: () => resolve({ messages, problems, error: undefined }),
    });
  });
}

describe('NRRD detached header (.nhdr + data file)', () => {
  // IGSIO vtkIGSIONrrdSequenceIO.cxx FinalizeHeader writes the empty line that ends the header
  // only when the pixels follow it; with a `data file:` the header ends with the file, as in
  // Teem's example detached headers (NRRD format, "Detached headers with data file:").
  it('a header that ends at the end of the file (no empty line) opens, its frames read from the data file', async () => {
    const header = [
      'NRRD0004', '# Complete NRRD file format specification at:', 'dimension: 3', 'encoding: raw', 'endian: little',
      'kinds: domain domain list', 'sizes: 2 2 3', 'type: unsigned char', 'space dimension: 2',
      'space directions: (1,0) (0,1) none', 'space origin: (0,0)', 'data file: tracked.raw',
      'ultrasound image orientation:=MF', 'ultrasound image type:=BRIGHTNESS',
      ...[0, 1, 2].flatMap((i) => [
        `Seq_Frame000${i}_ImageToReferenceTransform:=${matrix(i)}`, `Seq_Frame000${i}_ImageToReferenceTransformStatus:=OK`,
        `Seq_Frame000${i}_Timestamp:=${10 + i}`, `Seq_Frame000${i}_Status:=OK`,
      ]),
    ].join('\n') + '\n';
    const file = path.join(dir, 'tracked.nhdr');
    writeFileSync(file, header);
    writeFileSync(path.join(dir, 'tracked.raw'), Buffer.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]));
    const { messages, problems, error } = await readAll(file);
    expect(error).toBeUndefined();
    expect(problems).toEqual([]);
    const images = messages.filter((m) => m.message.type === 'IMAGE');
    expect(images.map((m) => m.frame)).toEqual([0, 1, 2]);
    expect(images.map((m) => (m.message.type === 'IMAGE' ? [...m.message.content.data] : []))).toEqual([[0, 0, 0, 0], [1, 1, 1, 1], [2, 2, 2, 2]]);
  });

  it('an attached header that ends at the end of the file is still a SequenceFormatError (its pixels are missing)', async () => {
    const file = path.join(dir, 'no-end.nrrd');
    writeFileSync(file, 'NRRD0004\ndimension: 3\nencoding: raw\nkinds: domain domain list\nsizes: 2 2 1\ntype: uint8\n');
    await expect(openSequence(file)).rejects.toThrow(/the NRRD header does not end/);
  });
});
