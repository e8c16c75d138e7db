// Sequence files in the shapes PLUS (IGSIO) and 3D Slicer write them but the two PLUS samples do
// not show: each fixture is built here from the writer's rules, cited per case, not copied from a
// sample file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openSequence, readSequence, SequenceFormatError, type SequenceMessage } from '../../../src/recording/index.js';

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

describe('frame fields numbered past the pixel data', () => {
  // IGSIO vtkIGSIOMetaImageSequenceIO.cxx ReadImageHeader creates a tracked frame for every frame
  // number of a Seq_Frame field (SetFrameString); ReadImagePixels gives pixels to the first
  // DimSize frames only. The later frames keep their transforms: a tracked tool's poses recorded
  // after the last image (or a DimSize left at 0 by a writer that stopped) are still data.
  function file(name: string, framesInDimSize: number, fieldFrames: number): string {
    const lines = ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'CompressedData = False', `DimSize = 2 1 ${framesInDimSize}`, 'Kinds = domain domain list', 'ElementType = MET_UCHAR'];
    for (let i = 0; i < fieldFrames; i++) {
      const p = `Seq_Frame${String(i).padStart(4, '0')}_`;
      lines.push(`${p}ProbeToTrackerTransform = ${matrix(i)}`, `${p}ProbeToTrackerTransformStatus = OK`, `${p}Timestamp = ${i}`, `${p}ImageStatus = OK`);
    }
    lines.push('ElementDataFile = LOCAL', '');
    const f = path.join(dir, name);
    writeFileSync(f, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), Buffer.from(Array.from({ length: framesInDimSize * 2 }, (_, k) => k))]));
    return f;
  }

  it('DimSize 2 frames, fields for 4: frames 2 and 3 send their TRANSFORM, no IMAGE, and it is reported', async () => {
    const { messages, problems, error } = await readAll(file('past.igs.mha', 2, 4));
    expect(error).toBeUndefined();
    expect(messages.map((m) => `${m.frame}:${m.message.type}`)).toEqual(['0:TRANSFORM', '0:IMAGE', '1:TRANSFORM', '1:IMAGE', '2:TRANSFORM', '3:TRANSFORM']);
    const poses = messages.filter((m) => m.message.type === 'TRANSFORM').map((m) => (m.message.type === 'TRANSFORM' ? m.message.content.matrix[3] : NaN));
    expect(poses).toEqual([0, 1, 2, 3]);
    // (the other problem: no ImageToReference in these frames, so the IMAGEs go with the identity)
    expect(problems.map((p) => p.message).filter((m) => /have fields/.test(m))).toEqual([expect.stringMatching(/frames 2\.\.3 have fields but the pixel data holds 2 frames/)]);
    const seq = await openSequence(path.join(dir, 'past.igs.mha'));
    try {
      expect(seq.frameCount).toBe(4);
      const last = await seq.frame(3);
      expect(last.imageValid).toBe(false);
      expect(await last.pixels()).toBeUndefined();
    } finally {
      await seq.close();
    }
  });

  it('DimSize 0 frames with fields for 3: three TRANSFORMs, reported; not an empty replay', async () => {
    const { messages, problems, error } = await readAll(file('zero.igs.mha', 0, 3));
    expect(error).toBeUndefined();
    expect(messages.map((m) => `${m.frame}:${m.message.type}`)).toEqual(['0:TRANSFORM', '1:TRANSFORM', '2:TRANSFORM']);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/frames 0\.\.2 have fields but the pixel data holds 0 frames/)]);
  });

  it('DimSize 0 frames and no frame fields: an empty sequence that completes', async () => {
    const { messages, problems, error } = await readAll(file('empty.igs.mha', 0, 0));
    expect([messages, problems, error]).toEqual([[], [], undefined]);
  });
});

describe('compressed pixel data that is corrupt, not cut short', () => {
  // zlib refuses the data (Z_DATA_ERROR): that is damage, not a file that ends early. It was
  // reported as "frame 0 is cut short (0 of 12 bytes): the pixel data ends early", which sends
  // the user looking for a truncated copy.
  function corrupt(name: string, compressed: Buffer): string {
    const lines = ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'CompressedData = True', `CompressedDataSize = ${compressed.length}`,
      'DimSize = 3 2 2', 'Kinds = domain domain list', 'ElementType = MET_UCHAR',
      'Seq_Frame0000_Timestamp = 1', 'Seq_Frame0000_ImageStatus = OK', 'Seq_Frame0001_Timestamp = 2', 'Seq_Frame0001_ImageStatus = OK', 'ElementDataFile = LOCAL', ''];
    const f = path.join(dir, name);
    writeFileSync(f, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), compressed]));
    return f;
  }

  it('a zlib stream with a broken header: a SequenceFormatError that says corrupt, naming frame 0', async () => {
    const data = deflateSync(Buffer.alloc(12, 4));
    data[0] = 0; // CMF byte: not a zlib header ("incorrect header check")
    const { messages, error } = await readAll(corrupt('bad-zlib-header.igs.mha', data));
    expect(messages.filter((m) => m.message.type === 'IMAGE')).toEqual([]);
    expect(error).toBeInstanceOf(SequenceFormatError);
    expect((error as Error).message).toMatch(/frame 0: the compressed pixel data is corrupt \(incorrect header check\)/);
  });

  it('after the error the file reads again from its start (random access keeps working)', async () => {
    const file = corrupt('bad-zlib-again.igs.mha', Buffer.concat([deflateSync(Buffer.alloc(12, 4)).subarray(0, 2), Buffer.alloc(20, 0xff)]));
    const seq = await openSequence(file);
    try {
      for (const i of [0, 1, 0]) {
        const err = await (await seq.frame(i)).pixels().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(SequenceFormatError);
        expect((err as Error).message).toMatch(new RegExp(`frame ${i}: the compressed pixel data is corrupt`));
      }
    } finally {
      await seq.close();
    }
  });
});

describe('a single 2-D frame: NDims = 2', () => {
  // IGSIO vtkIGSIOMetaImageSequenceIO.cxx WriteInitialImageHeader: NDims = 2 (or 3 for a volume),
  // one more for a time series; UpdateDimensionsCustomStrings: DimSize = I J and Kinds = domain
  // domain for one frame. A file without Kinds (a plain 2-D MetaImage) is the same frame.
  function single(name: string, kinds: string | undefined): string {
    const lines = ['ObjectType = Image', 'NDims = 2', 'BinaryData = True', 'BinaryDataByteOrderMSB = False', 'CompressedData = False',
      'TransformMatrix = 1 0 0 1', 'Offset = 0 0', 'ElementSpacing = 0.5 0.25', 'DimSize = 4 3', ...(kinds ? [`Kinds = ${kinds}`] : []),
      'ElementType = MET_UCHAR', 'UltrasoundImageOrientation = MF', 'UltrasoundImageType = BRIGHTNESS',
      `Seq_Frame0000_ImageToReferenceTransform = ${matrix(7)}`, 'Seq_Frame0000_Timestamp = 1.5', 'Seq_Frame0000_ImageStatus = OK', 'ElementDataFile = LOCAL', ''];
    const f = path.join(dir, name);
    writeFileSync(f, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), Buffer.from(Array.from({ length: 12 }, (_, k) => k))]));
    return f;
  }

  for (const [name, kinds] of [['with Kinds = domain domain', 'domain domain'], ['without Kinds', undefined]] as const) {
    it(`${name}: one IMAGE of 4 x 3 with the 12 bytes, placed by ImageToReference`, async () => {
      const { messages, problems, error } = await readAll(single(`single-${kinds ? 'kinds' : 'nokinds'}.mha`, kinds));
      expect(error).toBeUndefined();
      expect(problems).toEqual([]);
      expect(messages).toHaveLength(1);
      const image = messages[0]!.message;
      if (image.type !== 'IMAGE') throw new Error(`expected an IMAGE, got ${image.type}`);
      expect(image.content.size).toEqual([4, 3, 1]);
      expect([...image.content.data]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      // Spacing 0.5 x 0.25 in the matrix's columns; translation 7 plus the centre offset (1.5 voxels * 0.5).
      expect([image.content.matrix[0], image.content.matrix[5], image.content.matrix[3]]).toEqual([0.5, 0.25, 7 + 0.75]);
    });
  }
});

describe('a 4x4 matrix under a name without "Transform"', () => {
  // PLUS takes a frame field as a transform when its name ends in Transform (igsioTrackedFrame.cxx
  // IsTransform), Slicer when it contains Transform and no Status (vtkMRMLLinearTransformSequence
  // StorageNode.cxx ReadSequenceFileTransforms). `ProbeToTracker = 16 numbers` is neither: not sent,
  // as they do, but a tracking-only file of such fields replayed as nothing and said nothing.
  it('is not sent as a TRANSFORM, and is reported once per field', async () => {
    const lines = ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'CompressedData = False', 'DimSize = 1 1 3', 'Kinds = domain domain list', 'ElementType = MET_UCHAR'];
    for (let i = 0; i < 3; i++) {
      const p = `Seq_Frame000${i}_`;
      lines.push(`${p}ProbeToTracker = ${matrix(i)}`, `${p}ProbeToTrackerStatus = OK`, `${p}StylusToTrackerTransformMatrix = ${matrix(i)}`, `${p}Timestamp = ${1 + i}`);
    }
    lines.push('ElementDataFile = LOCAL', '');
    const file = path.join(dir, 'no-transform-names.igs.mha');
    writeFileSync(file, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), Buffer.alloc(3)]));
    const { messages, problems, error } = await readAll(file);
    expect(error).toBeUndefined();
    // The Slicer rule still takes a name that contains Transform without ending in it.
    expect(messages.map((m) => `${m.frame}:${m.message.deviceName}`)).toEqual(['0:StylusToTrackerTransformMatrix', '1:StylusToTrackerTransformMatrix', '2:StylusToTrackerTransformMatrix']);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/frame field ProbeToTracker holds 16 numbers but its name has no "Transform"/)]);
    expect(problems[0]).toBeInstanceOf(SequenceFormatError);
  });
});

describe('an axis without a size', () => {
  // IGSIO reads one DimSize number per Kinds entry (ReadImageHeader). A size missing was taken as 1:
  // `DimSize = 3 2` under `Kinds = domain domain list` read as one frame (the second frame's pixels
  // never read, nothing said), and no DimSize at all as a 1 x 1 x 1 image per frame.
  function sized(name: string, dimSize: string | undefined): string {
    const lines = ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'CompressedData = False', ...(dimSize ? [`DimSize = ${dimSize}`] : []),
      'Kinds = domain domain list', 'ElementType = MET_UCHAR',
      'Seq_Frame0000_Timestamp = 1', 'Seq_Frame0000_ImageStatus = OK', 'Seq_Frame0001_Timestamp = 2', 'Seq_Frame0001_ImageStatus = OK', 'ElementDataFile = LOCAL', ''];
    const f = path.join(dir, name);
    writeFileSync(f, Buffer.concat([Buffer.from(lines.join('\n'), 'latin1'), Buffer.alloc(12, 1)]));
    return f;
  }

  it('DimSize with 2 numbers for 3 axes is a SequenceFormatError naming both', async () => {
    await expect(openSequence(sized('short-dimsize.igs.mha', '3 2'))).rejects.toThrow(/DimSize gives 2 sizes for 3 axes \(domain domain list\)/);
  });

  it('no DimSize is a SequenceFormatError', async () => {
    const { messages, error } = await readAll(sized('no-dimsize.igs.mha', undefined));
    expect(messages).toEqual([]);
    expect(error).toBeInstanceOf(SequenceFormatError);
    expect((error as Error).message).toMatch(/DimSize gives 0 sizes for 3 axes/);
  });

  it('NRRD sizes with fewer numbers than kinds is a SequenceFormatError', async () => {
    const file = path.join(dir, 'short-sizes.seq.nrrd');
    writeFileSync(file, Buffer.concat([Buffer.from('NRRD0004\ntype: uint8\ndimension: 4\nsizes: 3 2 1\nkinds: domain domain domain list\nencoding: raw\n\n', 'latin1'), Buffer.alloc(12)]));
    await expect(openSequence(file)).rejects.toThrow(/sizes gives 3 sizes for 4 axes/);
  });
});

describe('NRRD key:=value with spaces around :=', () => {
  // IGSIO vtkIGSIONrrdSequenceIO.cxx ReadImageHeader trims the key and the value of every line.
  // Untrimmed, `ultrasound image orientation := UF` was not found: the frames were sent as stored,
  // mirrored against what PLUS sends (MF), and nothing said so.
  it('the orientation is found and the UF frames are flipped to MF', async () => {
    const header = ['NRRD0004', 'dimension: 3', 'encoding: raw', 'endian: little', 'kinds: domain domain list', 'sizes: 3 2 1', 'type: uint8',
      'ultrasound image orientation := UF', 'ultrasound image type := BRIGHTNESS', `Seq_Frame0000_ImageToReferenceTransform := ${matrix(0)}`,
      'Seq_Frame0000_Timestamp := 1', 'Seq_Frame0000_Status := OK'].join('\n') + '\n\n';
    const file = path.join(dir, 'spaced-keys.igs.nrrd');
    writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from([1, 2, 3, 4, 5, 6])]));
    const seq = await openSequence(file);
    try {
      expect(seq.layout.orientation).toBe('UF');
      const image = (await seq.messages(0)).messages.find((m) => m.type === 'IMAGE');
      // UF -> MF: the first letter differs, so x is reversed in each row (igsioVideoFrame GetFlipAxes).
      expect(image?.type === 'IMAGE' && [...image.content.data]).toEqual([3, 2, 1, 6, 5, 4]);
    } finally {
      await seq.close();
    }
  });
});

describe('pixels spread over several data files (one per slice)', () => {
  // MetaIO allows `ElementDataFile = LIST` (names on the following lines) or a printf pattern with
  // its range; NRRD `data file: LIST` or `data file: <format> <min> <max> <step>` (NRRD format §3,
  // "data file"). IGSIO reads LOCAL or one file name (vtkIGSIOMetaImageSequenceIO.cxx
  // ReadImageHeader, vtkIGSIONrrdSequenceIO.cxx ReadImageHeader); so do we, and say so.
  const metaio = (dataFile: string, after: string[] = []) =>
    ['ObjectType = Image', 'NDims = 3', 'BinaryData = True', 'CompressedData = False', 'DimSize = 2 1 2', 'Kinds = domain domain list',
      'ElementType = MET_UCHAR', 'Seq_Frame0000_Timestamp = 0', 'Seq_Frame0001_Timestamp = 1', `ElementDataFile = ${dataFile}`, ...after, ''].join('\n');
  const nrrd = (dataFile: string, after: string[] = []) =>
    ['NRRD0004', 'dimension: 3', 'encoding: raw', 'endian: little', 'kinds: domain domain list', 'sizes: 2 1 2', 'type: uint8',
      `data file: ${dataFile}`, ...after, ''].join('\n');
  const cases: Array<[string, string]> = [
    ['list.mhd', metaio('LIST', ['slice0.raw', 'slice1.raw'])],
    ['pattern.mhd', metaio('slice%d.raw 0 1 1')],
    ['list.nhdr', nrrd('LIST', ['slice0.raw', 'slice1.raw'])],
    ['list-subdim.nhdr', nrrd('LIST 2', ['slices01.raw'])],
    ['pattern.nhdr', nrrd('slice%03d.raw 0 1 1 2')],
  ];
  for (const [name, text] of cases) {
    it(`${name}: a SequenceFormatError that says the pixels are in several files (not ENOENT for a file named after the form)`, async () => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      for (const slice of ['slice0.raw', 'slice1.raw', 'slices01.raw', 'slice000.raw', 'slice001.raw', 'slice%d.raw', 'LIST']) writeFileSync(path.join(dir, slice), Buffer.alloc(2));
      const { messages, error } = await readAll(file);
      expect(error).toBeInstanceOf(SequenceFormatError);
      expect((error as Error).message).toMatch(/several data files, one per slice/);
      expect(messages).toEqual([]);
    });
  }

  it('a data file whose name only contains a percent sign still opens', async () => {
    const file = path.join(dir, 'percent.mhd');
    writeFileSync(file, metaio('100%.raw'));
    writeFileSync(path.join(dir, '100%.raw'), Buffer.from([1, 2, 3, 4]));
    const { messages, error } = await readAll(file);
    expect(error).toBeUndefined();
    expect(messages.filter((m) => m.message.type === 'IMAGE')).toHaveLength(2);
  });
});
