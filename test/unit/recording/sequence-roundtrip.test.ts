// Round trips (record -> convert to .igs.mha / .seq.nrrd / .mhd -> replay gives the same messages)
// and an independent reader of what igtl-rx writes, built here from the format descriptions
// (MetaIO: `Key = value` lines up to ElementDataFile; NRRD: teem's format definition §1-§6 and
// Slicer's "Volume sequence file format"), not from igtl-rx's parser.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { readSequence, record, replay, writeSequence } from '../../../src/recording/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-seq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = Math.fround;
const FRAMES = 12;
const W = 64;
const H = 48;

/** A session: per frame ProbeToTracker and StylusToTracker stamped with the image, then the image. */
function session(): IgtlMessage[] {
  const out: IgtlMessage[] = [];
  for (let i = 0; i < FRAMES; i++) {
    // Sub-millisecond timestamps (a raw 2^-32 s fraction) must survive the text header exactly.
    const ts = new Timestamp(1_700_000_000 + i, (0x9abcdef1 * (i + 1)) >>> 0);
    const rot = (a: number) => [f(Math.cos(a)), f(-Math.sin(a)), 0, f(10 + i), f(Math.sin(a)), f(Math.cos(a)), 0, f(-20.25), 0, 0, 1, f(300.5 + i / 8), 0, 0, 0, 1];
    out.push(createMessage('TRANSFORM', { matrix: rot(i / 10) }, { deviceName: 'ProbeToTracker', timestamp: ts }));
    out.push(createMessage('TRANSFORM', { matrix: rot(-i / 7) }, { deviceName: 'StylusToTracker', timestamp: ts }));
    const data = new Uint8Array(W * H);
    for (let p = 0; p < data.length; p++) data[p] = (p * 7 + i * 13) & 0xff;
    out.push(createMessage('IMAGE', {
      numComponents: 1, scalarType: 3, endian: 2, coordinate: 1, size: [W, H, 1],
      // Spacing 0.25 x 0.5 mm, rotated about z, centre at (5, -7, 12).
      matrix: [0, f(-0.5), 0, 5, f(0.25), 0, 0, -7, 0, 0, 1, 12, 0, 0, 0, 1],
      subvolumeOffset: [0, 0, 0], subvolumeSize: [W, H, 1], data,
    }, { deviceName: 'USProbe_Image', timestamp: ts }));
  }
  return out;
}

async function recorded(): Promise<string> {
  const file = path.join(dir, `session-${Math.random().toString(36).slice(2)}.igtl`);
  await lastValueFrom(record(from(session()), file).pipe(toArray()));
  return file;
}

const key = (m: IgtlMessage) => `${m.type}:${m.deviceName}:${m.timestamp.toRaw()}`;

/** The replayed messages match the session: names, timestamps exactly, matrices as float32, image bytes. */
function expectSame(replayed: IgtlMessage[], original: IgtlMessage[]): void {
  expect(replayed.map(key).sort()).toEqual(original.map(key).sort());
  const byKey = new Map(replayed.map((m) => [key(m), m]));
  for (const o of original) {
    const r = byKey.get(key(o))!;
    if (o.type === 'TRANSFORM' && r.type === 'TRANSFORM') expect(r.content.matrix.map(f)).toEqual(o.content.matrix.map(f));
    if (o.type === 'IMAGE' && r.type === 'IMAGE') {
      expect(Buffer.from(r.content.data).equals(Buffer.from(o.content.data))).toBe(true);
      expect([r.content.size, r.content.scalarType, r.content.numComponents, r.content.endian]).toEqual([o.content.size, o.content.scalarType, o.content.numComponents, o.content.endian]);
      expect(r.content.matrix.map(f)).toEqual(o.content.matrix.map(f));
    }
  }
}

describe('record -> sequence -> replay', () => {
  for (const [name, compress] of [['session.igs.mha', true], ['session.mha', false], ['session.seq.nrrd', true], ['session.igs.nrrd', false], ['session.mhd', true], ['session.nhdr', false]] as const) {
    it(`${name}${compress ? ' (compressed)' : ''} replays the same messages`, async () => {
      const input = await recorded();
      const out = path.join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
      const result = await writeSequence(() => replay(input, { speed: Infinity }), out, { compress });
      expect(result.frames).toBe(FRAMES);
      const replayed = await lastValueFrom(readSequence(out).pipe(map((m) => m.message), toArray()));
      expectSame(replayed, session());
      // As PlusServer marks them: every TRANSFORM carries TransformStatus OK.
      for (const m of replayed) if (m.type === 'TRANSFORM') expect(m.metadata.get('TransformStatus')?.value).toBe('OK');
    });
  }

  it('a transform with no partner in a frame is written as the identity with status INVALID', async () => {
    const msgs = session().filter((m) => !(m.deviceName === 'StylusToTracker' && m.timestamp.seconds === 1_700_000_003));
    const out = path.join(dir, 'gap.igs.mha');
    await writeSequence(() => from(msgs), out);
    const replayed = await lastValueFrom(readSequence(out).pipe(toArray()));
    const gap = replayed.find((m) => m.frame === 3 && m.message.deviceName === 'StylusToTracker')!.message;
    expect(gap.metadata.get('TransformStatus')?.value).toBe('INVALID');
    expect(gap.metadata.get('TransformValid')?.value).toBe('0');
  });
});

/** MetaIO header: `Key = value` lines until ElementDataFile; the data follows it. */
function metaio(file: string): { fields: Map<string, string>; data: Buffer } {
  const raw = readFileSync(file);
  const fields = new Map<string, string>();
  let at = 0;
  for (;;) {
    const nl = raw.indexOf(10, at);
    const line = raw.toString('latin1', at, nl);
    at = nl + 1;
    const eq = line.indexOf(' = ');
    fields.set(line.slice(0, eq), line.slice(eq + 3));
    if (line.startsWith('ElementDataFile')) break;
  }
  return { fields, data: raw.subarray(at) };
}

/** NRRD header: magic, `field: value` / `key:=value` lines, an empty line, then the data. */
function nrrd(file: string): { fields: Map<string, string>; keys: Map<string, string>; data: Buffer } {
  const raw = readFileSync(file);
  const fields = new Map<string, string>();
  const keys = new Map<string, string>();
  let at = raw.indexOf(10) + 1;
  expect(raw.toString('latin1', 0, 4)).toBe('NRRD');
  for (;;) {
    const nl = raw.indexOf(10, at);
    const line = raw.toString('latin1', at, nl);
    at = nl + 1;
    if (line === '') break;
    if (line.startsWith('#')) continue;
    const kv = line.indexOf(':=');
    if (kv >= 0) keys.set(line.slice(0, kv), line.slice(kv + 2));
    else fields.set(line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2));
  }
  return { fields, keys, data: raw.subarray(at) };
}

describe('what igtl-rx writes parses with an independent reader', () => {
  it('.igs.mha: ObjectType first, NDims second, DimSize x ElementType = the inflated data, frame fields per frame', async () => {
    const out = path.join(dir, 'indep.igs.mha');
    await writeSequence(() => from(session()), out);
    const { fields, data } = metaio(out);
    const keys = [...fields.keys()];
    expect(keys.slice(0, 2)).toEqual(['ObjectType', 'NDims']);
    expect(keys.at(-1)).toBe('ElementDataFile');
    expect(fields.get('NDims')).toBe('3');
    expect(fields.get('DimSize')).toBe(`${W} ${H} ${FRAMES}`);
    expect(fields.get('Kinds')).toBe('domain domain list');
    expect(fields.get('ElementType')).toBe('MET_UCHAR');
    expect(fields.get('CompressedData')).toBe('True');
    expect(Number(fields.get('CompressedDataSize'))).toBe(data.length);
    const pixels = inflateSync(data);
    expect(pixels.length).toBe(W * H * FRAMES);
    const frame5 = session().filter((m) => m.type === 'IMAGE')[5]!;
    expect(frame5.type === 'IMAGE' && Buffer.from(frame5.content.data).equals(pixels.subarray(5 * W * H, 6 * W * H))).toBe(true);
    for (let i = 0; i < FRAMES; i++) {
      const p = `Seq_Frame${String(i).padStart(4, '0')}_`;
      expect(fields.get(`${p}ProbeToTrackerTransform`)?.split(' ').length).toBe(16);
      expect(fields.get(`${p}ProbeToTrackerTransformStatus`)).toBe('OK');
      expect(fields.get(`${p}ImageStatus`)).toBe('OK');
      expect(Math.floor(Number(fields.get(`${p}Timestamp`)))).toBe(1_700_000_000 + i);
    }
  });

  it('.seq.nrrd: sizes I J K N, kinds domain domain domain list, gzip data, Slicer index values, PLUS frame keys', async () => {
    const out = path.join(dir, 'indep.seq.nrrd');
    await writeSequence(() => from(session()), out);
    const { fields, keys, data } = nrrd(out);
    expect(fields.get('dimension')).toBe('4');
    expect(fields.get('sizes')).toBe(`${W} ${H} 1 ${FRAMES}`);
    expect(fields.get('kinds')).toBe('domain domain domain list');
    expect(fields.get('type')).toBe('uint8');
    expect(fields.get('encoding')).toBe('gzip');
    expect(fields.get('space directions')).toBe('(0.25,0,0) (0,0.5,0) (0,0,1) none');
    expect(keys.get('axis 3 index type')).toBe('numeric');
    expect(keys.get('axis 3 index values')!.split(' ').length).toBe(FRAMES);
    expect(keys.get('DataNodeClassName')).toBe('vtkMRMLScalarVolumeNode');
    expect(keys.get('Seq_Frame0011_StylusToTrackerTransformStatus')).toBe('OK');
    expect(keys.get('Seq_Frame0011_Status')).toBe('OK');
    expect(gunzipSync(data).length).toBe(W * H * FRAMES);
  });

  it('tracking only (.mha, uncompressed): DimSize 1 1 N, one byte per frame, no ImageStatus', async () => {
    const out = path.join(dir, 'tracking.mha');
    await writeSequence(() => from(session().filter((m) => m.type === 'TRANSFORM')), out, { compress: false });
    const { fields, data } = metaio(out);
    expect(fields.get('DimSize')).toBe(`1 1 ${FRAMES}`);
    expect(data.length).toBe(FRAMES);
    expect([...fields.keys()].some((k) => k.endsWith('ImageStatus'))).toBe(false);
    const replayed = await lastValueFrom(readSequence(out).pipe(map((m) => m.message), toArray()));
    expectSame(replayed, session().filter((m) => m.type === 'TRANSFORM'));
  });
});
