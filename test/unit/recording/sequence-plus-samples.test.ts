// The two PLUS sample recordings in ../shared/plus-samples/ (README there) replayed as PlusServer
// streams them. Expected facts come from the README and from the file text itself (read here with
// a few lines of independent parsing), never from running igtl-rx.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, invalidPoses, type IgtlMessage } from '../../../src/index.js';
import { validPoses } from '../../../operators/index.js';
import { openSequence, readSequence } from '../../../src/recording/index.js';

const SAMPLES = path.resolve(__dirname, '../../../../shared/plus-samples');
const TRACKER = path.join(SAMPLES, 'SyntheticTrackerBuffer20.igs.mha');
const NWIRE = path.join(SAMPLES, 'NwirePhantomFreehandCropped.igs.mha');

const all = (file: string) => lastValueFrom(readSequence(file).pipe(toArray()));
const onWire = (m: IgtlMessage) => decodeMessage(encodeMessage(m));

/** A frame field's text straight from the file: `Seq_Frame0000_<name> = <value>`. */
function fieldText(file: string, frame: number, name: string): string {
  const text = readFileSync(file, 'latin1');
  const m = new RegExp(`^Seq_Frame${String(frame).padStart(4, '0')}_${name} = (.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} for frame ${frame} in ${file}`);
  return m[1]!.trim();
}

describe('SyntheticTrackerBuffer20.igs.mha (tracking only)', () => {
  it('replays 20 frames, one TRANSFORM ToolToTracker each and no IMAGE', async () => {
    const msgs = await all(TRACKER);
    // README: "20 frames", "one transform ToolToTrackerTransform per frame".
    // Naming: PlusLib vtkPlusIgtlMessageCommon.cxx PackTransformMessage sets the device name to
    // igsioTransformName::GetTransformName() (From + "To" + To, no "Transform" postfix).
    expect(msgs.length).toBe(20);
    expect(new Set(msgs.map((m) => `${m.message.type}:${m.message.deviceName}`))).toEqual(new Set(['TRANSFORM:ToolToTracker']));
    expect(msgs.map((m) => m.frame)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('the translation z follows the README: 30..39 over frames 0-9, down to 31 by frame 17, then 31', async () => {
    const msgs = await all(TRACKER);
    const z = msgs.map((m) => (m.message.type === 'TRANSFORM' ? onWire(m.message) : m.message)).map((m) => (m.type === 'TRANSFORM' ? m.content.matrix[11] : NaN));
    const expected = Array.from({ length: 20 }, (_, i) => (i <= 9 ? 30 + i : Math.max(31, 39 - (i - 9))));
    expect(z).toEqual(expected);
  });

  it('status as PLUS sends it: TransformStatus OK and TransformValid 1 in v2 metadata', async () => {
    // PackTransformMessage: SetMetaDataElement("TransformValid", status == TOOL_OK) (a bool, written
    // as the integer 1/0 by igtl::MessageBase::SetMetaDataElement(igtl_int32)) and
    // SetMetaDataElement("TransformStatus", ConvertToolStatusToString(status)).
    const [first] = await all(TRACKER);
    const m = onWire(first!.message);
    expect(m.headerVersion).toBe(2);
    expect([...m.metadata].map(([k, v]) => [k, v.value])).toEqual([['TransformStatus', 'OK'], ['TransformValid', '1']]);
    // The first matrix is the file's first ToolToTrackerTransform, number for number (float32 on the wire).
    const written = fieldText(TRACKER, 0, 'ToolToTrackerTransform').split(/\s+/).map((v) => Math.fround(Number(v)));
    expect(m.type === 'TRANSFORM' && m.content.matrix.slice(0, 12)).toEqual(written.slice(0, 12));
  });

  it('times are the frames\' Timestamp fields', async () => {
    const msgs = await all(TRACKER);
    expect(msgs[0]!.time).toBe(Number(fieldText(TRACKER, 0, 'Timestamp')));
    expect(msgs[19]!.time).toBe(Number(fieldText(TRACKER, 19, 'Timestamp')));
    expect(msgs[1]!.message.timestamp.toSeconds()).toBeCloseTo(Number(fieldText(TRACKER, 1, 'Timestamp')), 9);
  });
});

describe('NwirePhantomFreehandCropped.igs.mha (compressed tracked ultrasound)', () => {
  it('replays 20 frames: 4 TRANSFORMs then an IMAGE of 200 x 150 uint8 per frame', async () => {
    const msgs = await all(NWIRE);
    expect(msgs.length).toBe(20 * 5);
    const names = msgs.filter((m) => m.frame === 0).map((m) => `${m.message.type}:${m.message.deviceName}`);
    // README: transforms ImageToCroppedImage, ProbeToTracker, ReferenceToTracker, StylusToTracker.
    // IMAGE name: vtkPlusIgtlMessageFactory.cxx PackImageMessage, "<Name>_<EmbeddedTransformToFrame>" (Image_Reference by default here).
    expect(names).toEqual(['TRANSFORM:ImageToCroppedImage', 'TRANSFORM:ProbeToTracker', 'TRANSFORM:ReferenceToTracker', 'TRANSFORM:StylusToTracker', 'IMAGE:Image_Reference']);
    const image = msgs.find((m) => m.message.type === 'IMAGE')!.message;
    expect(image.type === 'IMAGE' && [image.content.size, image.content.scalarType, image.content.numComponents]).toEqual([[200, 150, 1], 3, 1]);
  });

  it('the stylus (INVALID in these frames) is sent marked INVALID with the identity, as GetIgtlMatrix does', async () => {
    const msgs = await all(NWIRE);
    const stylus = msgs.filter((m) => m.message.deviceName === 'StylusToTracker').map((m) => onWire(m.message));
    expect(stylus.length).toBe(20);
    for (const s of stylus) {
      expect(s.metadata.get('TransformStatus')?.value).toBe('INVALID');
      expect(s.metadata.get('TransformValid')?.value).toBe('0');
      expect(s.type === 'TRANSFORM' && s.content.matrix).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    }
    // PlusServer's default (SendValidTransformsOnly = true) leaves them out.
    const valid = await lastValueFrom(readSequence(NWIRE, { invalidTransforms: 'skip' }).pipe(toArray()));
    expect(valid.some((m) => m.message.deviceName === 'StylusToTracker')).toBe(false);
  });

  it('validPoses drops exactly the stylus (INVALID) from the stream PlusServer sends with SendValidTransformsOnly false', async () => {
    const wire = (await all(NWIRE)).map((m) => onWire(m.message));
    const kept = await lastValueFrom(from(wire).pipe(validPoses(), toArray()));
    expect(kept).toEqual(wire.filter((m) => m.deviceName !== 'StylusToTracker'));
    expect(wire.filter((m) => m.deviceName === 'StylusToTracker').map(invalidPoses)).toEqual(Array(20).fill('INVALID'));
  });

  it('the first ProbeToTracker matrix is the file\'s first one', async () => {
    const msgs = await all(NWIRE);
    const probe = onWire(msgs.find((m) => m.message.deviceName === 'ProbeToTracker')!.message);
    const written = fieldText(NWIRE, 0, 'ProbeToTrackerTransform').split(/\s+/).map((v) => Math.fround(Number(v)));
    expect(probe.type === 'TRANSFORM' && probe.content.matrix.slice(0, 12)).toEqual(written.slice(0, 12));
  });

  it('image bytes are the inflated pixel data, frame by frame', async () => {
    // Independent decoding: the bytes after the "ElementDataFile = LOCAL" line, CompressedDataSize
    // of them, one zlib stream over all frames (README: zlib-compressed inline data).
    const raw = readFileSync(NWIRE);
    const text = raw.toString('latin1');
    const at = text.indexOf('\n', text.indexOf('ElementDataFile = LOCAL')) + 1;
    const size = Number(/^CompressedDataSize = (\d+)/m.exec(text)![1]);
    const pixels = inflateSync(raw.subarray(at, at + size));
    expect(pixels.length).toBe(200 * 150 * 20);
    const images = (await all(NWIRE)).filter((m) => m.message.type === 'IMAGE');
    expect(images.length).toBe(20);
    for (const [i, m] of images.entries()) {
      const data = m.message.type === 'IMAGE' ? m.message.content.data : new Uint8Array();
      expect(Buffer.from(data).equals(pixels.subarray(i * 30000, (i + 1) * 30000))).toBe(true);
    }
  });

  it('random access by frame: frame 7 alone, then frame 2 (the inflater restarts)', async () => {
    const seq = await openSequence(NWIRE);
    try {
      expect(seq.frameCount).toBe(20);
      const raw = readFileSync(NWIRE);
      const text = raw.toString('latin1');
      const at = text.indexOf('\n', text.indexOf('ElementDataFile = LOCAL')) + 1;
      const pixels = inflateSync(raw.subarray(at));
      for (const i of [7, 2, 19]) {
        const f = await seq.frame(i);
        expect(Buffer.from((await f.pixels())!).equals(pixels.subarray(i * 30000, (i + 1) * 30000))).toBe(true);
        expect(f.transforms.map((t) => t.name)).toContain('ProbeToTracker');
      }
    } finally {
      await seq.close();
    }
  });
});
