import { describe, it, expect } from 'vitest';
import {
  createImageContent, createMessage, decodeMessage, encodeMessage, imageCodec, imageGeometry, imagePixels,
  readScalars, scalarBytes, toJSON, EncodeError, HOST_ENDIAN, InvalidJsonMessageError, MalformedMessageError,
  Timestamp, type ImageContent, type ImageMessage, type ScalarArray,
} from '../../../src/index.js';
import { expectEncodeError, expectMalformed, expectSameBytes, messageViaJSON, rawFrame } from '../../support/codec.js';
import { messageVectors, vectorBytes } from '../../support/vectors.js';

const OTHER_ENDIAN = HOST_ENDIAN === 2 ? 1 : 2;

function imageMessage(content: ImageContent): ImageMessage {
  return createMessage('IMAGE', content, { deviceName: 'Probe', timestamp: Timestamp.ZERO });
}

function roundTrip(content: ImageContent): ImageContent {
  const msg = decodeMessage(encodeMessage(imageMessage(content)));
  if (msg.type !== 'IMAGE') throw new Error(`decoded as ${msg.type}`);
  return msg.content;
}

/** A 72-byte image header followed by `pixels` bytes (uint8, 1 component unless changed). */
function rawImage(fields: { version?: number; components?: number; scalarType?: number; size?: number[]; offset?: number[]; sub?: number[] } = {}, pixels = 24): Uint8Array {
  const b = new Uint8Array(72 + pixels);
  const v = new DataView(b.buffer);
  v.setUint16(0, fields.version ?? 1);
  b[2] = fields.components ?? 1;
  b[3] = fields.scalarType ?? 3;
  b[4] = 2;
  b[5] = 1;
  const size = fields.size ?? [4, 3, 2];
  const offset = fields.offset ?? [0, 0, 0];
  const sub = fields.sub ?? size;
  for (let a = 0; a < 3; a++) {
    v.setUint16(6 + 2 * a, size[a]!);
    v.setUint16(60 + 2 * a, offset[a]!);
    v.setUint16(66 + 2 * a, sub[a]!);
  }
  v.setFloat32(12, 1);
  v.setFloat32(28, 1);
  v.setFloat32(44, 1);
  return b;
}

/** Decodes `content` in a v1 IMAGE frame from device Probe, expecting an error matching `pattern` with the header attached. */
function expectMalformedImage(content: Uint8Array, pattern: RegExp): void {
  expectMalformed(rawFrame('IMAGE', content, 'Probe'), pattern, { type: 'IMAGE', deviceName: 'Probe' });
}

const KINDS: [number, (n: number) => ScalarArray, number[]][] = [
  [2, (n) => new Int8Array(n), [-128, 127, -1, 0]],
  [3, (n) => new Uint8Array(n), [0, 255, 1, 128]],
  [4, (n) => new Int16Array(n), [-32768, 32767, -2, 258]],
  [5, (n) => new Uint16Array(n), [0, 65535, 258, 513]],
  [6, (n) => new Int32Array(n), [-2147483648, 2147483647, -3, 16909060]],
  [7, (n) => new Uint32Array(n), [0, 4294967295, 16909060, 7]],
  [10, (n) => new Float32Array(n), [Math.fround(1.5), -0, Math.fround(-3.25e10), Infinity]],
  [11, (n) => new Float64Array(n), [Math.PI, -1e300, Number.MIN_VALUE, NaN]],
];

function filled(make: (n: number) => ScalarArray, n: number, sample: number[]): ScalarArray {
  const a = make(n);
  for (let i = 0; i < n; i++) a[i] = sample[i % sample.length]!;
  return a;
}

describe('IMAGE codec', () => {
  for (const [scalarType, make, sample] of KINDS) {
    for (const endian of [1, 2]) {
      for (const numComponents of [1, 3]) {
        it(`round-trips scalar type ${scalarType}, endian ${endian}, ${numComponents} component(s) with exact pixel values`, () => {
          const pixels = filled(make, 4 * 3 * 2 * numComponents, sample);
          const content = createImageContent({ data: pixels, size: [4, 3, 2], numComponents, endian });
          const back = roundTrip(content);
          expect(back.scalarType).toBe(scalarType);
          expect(back.endian).toBe(endian);
          expect(back.numComponents).toBe(numComponents);
          expect(back.data.length).toBe(pixels.byteLength);
          const values = imagePixels(back);
          expect(values.constructor).toBe(pixels.constructor);
          expect(Array.from(values)).toEqual(Array.from(pixels));
        });
      }
    }
  }

  it('writes pixels in the byte order the endian field declares', () => {
    const big = createImageContent({ data: new Uint16Array([0x0102, 0x0304]), size: [2, 1, 1], endian: 1 });
    const little = createImageContent({ data: new Uint16Array([0x0102, 0x0304]), size: [2, 1, 1], endian: 2 });
    expect(Array.from(big.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(little.data)).toEqual([2, 1, 4, 3]);
    const wire = encodeMessage(imageMessage(big));
    expect(Array.from(wire.subarray(58 + 72))).toEqual([1, 2, 3, 4]);
    expect(wire[58 + 4]).toBe(1);
  });

  it('decodes pixel data as a view on the input bytes (zero-copy)', () => {
    const input = vectorBytes('image-uint16-3d.v1.igtl');
    const msg = decodeMessage(input) as ImageMessage;
    expect(msg.content.data.buffer).toBe(input.buffer);
    expect(msg.content.data.byteOffset).toBe(input.byteOffset + 58 + 72);
  });

  it('round-trips a sub-volume and keeps only its pixels', () => {
    const pixels = new Uint16Array(2 * 2 * 1).map((_, i) => 1000 + i);
    const content = createImageContent({ data: pixels, size: [8, 6, 4], subvolumeOffset: [6, 4, 3], subvolumeSize: [2, 2, 1] });
    const back = roundTrip(content);
    expect(back.size).toEqual([8, 6, 4]);
    expect(back.subvolumeOffset).toEqual([6, 4, 3]);
    expect(back.subvolumeSize).toEqual([2, 2, 1]);
    expect(back.data.length).toBe(8);
    expect(Array.from(imagePixels(back))).toEqual([1000, 1001, 1002, 1003]);
  });

  it('accepts an empty sub-volume (no pixel bytes)', () => {
    const content = roundTrip(createImageContent({ data: new Uint8Array(0), size: [4, 3, 2], subvolumeSize: [0, 3, 2] }));
    expect(content.data.length).toBe(0);
  });

  it('measures every golden IMAGE vector at its manifest content size', () => {
    for (const entry of messageVectors('IMAGE')) {
      const bytes = vectorBytes(entry.file);
      const msg = decodeMessage(bytes) as ImageMessage;
      expect(imageCodec.size(msg.content)).toBe(entry.contentSize);
    }
  });

  describe('rejects malformed content with the header attached', () => {
    it('content shorter than the 72-byte header', () => {
      expectMalformedImage(rawImage().subarray(0, 71), /71 bytes, shorter than the 72-byte image header/);
    });
    it('image header version other than 1', () => {
      expectMalformedImage(rawImage({ version: 2 }), /image header version 2, expected 1/);
    });
    it('zero components', () => {
      expectMalformedImage(rawImage({ components: 0 }), /numComponents is 0/);
    });
    for (const s of [0, 1, 8, 9, 12, 13, 255]) {
      it(`scalar type ${s}`, () => {
        expectMalformedImage(rawImage({ scalarType: s }), new RegExp(`scalarType ${s} is not an image scalar type`));
      });
    }
    it('a sub-volume that does not fit in the image', () => {
      expectMalformedImage(rawImage({ size: [4, 3, 2], offset: [0, 2, 0], sub: [4, 2, 2] }, 16), /sub-volume j offset 2 \+ size 2 exceeds the image size 3/);
    });
    it('pixel data one byte short', () => {
      expectMalformedImage(rawImage({}, 23), /content is 95 bytes, expected 96 \(72-byte header \+ 4x3x2 voxels x 1 components x 1 bytes\)/);
    });
    it('pixel data one byte long (C++ ignores the extra byte; it could not be relayed)', () => {
      expectMalformedImage(rawImage({}, 25), /content is 97 bytes, expected 96/);
    });
    it('pixel bytes counted with components and scalar size', () => {
      expectMalformedImage(rawImage({ components: 3, scalarType: 10 }, 24 * 3 * 4 - 4), /expected 360 .* 3 components x 4 bytes/);
    });
  });

  describe('refuses to encode invalid content', () => {
    const good = createImageContent({ data: new Uint8Array(24), size: [4, 3, 2] });
    const cases: [string, Partial<Record<keyof ImageContent, unknown>>, RegExp][] = [
      ['data of the wrong length', { data: new Uint8Array(23) }, /data is 23 bytes, expected 24/],
      ['zero components', { numComponents: 0 }, /numComponents must be an integer in 1\.\.255/],
      ['256 components', { numComponents: 256 }, /numComponents/],
      ['complex scalars', { scalarType: 13 }, /scalarType 13 is not an image scalar type/],
      ['a size over 65535', { size: [65536, 3, 2] }, /size\[0\] must be an integer in 0\.\.65535/],
      ['a size with two numbers', { size: [4, 3] }, /size must have 3 numbers/],
      ['a 15-number matrix', { matrix: new Array(15).fill(0) }, /matrix must have 16 numbers/],
      ['a sub-volume outside the image', { subvolumeOffset: [1, 0, 0] }, /sub-volume i offset 1 \+ size 4 exceeds the image size 4/],
      ['an endian that is not a byte', { endian: 256 }, /endian/],
      ['a typed array of another kind as data', { data: new Uint16Array(12) }, /data must be a Uint8Array of wire bytes/],
    ];
    for (const [name, patch, pattern] of cases) {
      it(name, () => {
        const content = { ...good, ...patch } as ImageContent;
        expectEncodeError(() => encodeMessage(imageMessage(content)), pattern);
      });
    }
  });

  describe('canonical JSON', () => {
    it('has the manifest field names, the pixels as dataBase64 and a preview in the image byte order', () => {
      const content = createImageContent({ data: new Int16Array([-2, 300, 5, 6]), size: [2, 2, 1], endian: 1, origin: [1, 2, 3] });
      const json = imageCodec.toJSON(content);
      expect(Object.keys(json)).toEqual([
        'version', 'numComponents', 'scalarType', 'endian', 'coordinate', 'size', 'matrix', 'subvolumeOffset', 'subvolumeSize', 'dataBase64', 'dataPreview',
      ]);
      expect(json.version).toBe(1);
      expect(json.dataPreview).toEqual([-2, 300, 5, 6]);
      expect(json.matrix).toEqual([[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]]);
      expect(Buffer.from(json.dataBase64 as string, 'base64')).toEqual(Buffer.from([0xff, 0xfe, 0x01, 0x2c, 0, 5, 0, 6]));
      expect(json).not.toHaveProperty('dataSha256');
    });

    it('round-trips through JSON text byte for byte, NaN pixels and matrix entries included', () => {
      const content = { ...createImageContent({ data: new Float32Array([NaN, -0, 1, 2]), size: [4, 1, 1] }), matrix: [NaN, 0, 0, -0, 0, Infinity, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] };
      const msg = imageMessage(content);
      expectSameBytes(encodeMessage(messageViaJSON(msg)), encodeMessage(msg));
    });

    it('rejects a version other than 1, a missing dataBase64 and invalid base64', () => {
      const json = imageCodec.toJSON(createImageContent({ data: new Uint8Array(2), size: [2, 1, 1] }));
      expect(() => imageCodec.fromJSON({ ...json, version: 2 }, '$.content')).toThrow(InvalidJsonMessageError);
      expect(() => imageCodec.fromJSON({ ...json, dataBase64: undefined as unknown as string }, '$.content')).toThrow(/dataBase64/);
      expect(() => imageCodec.fromJSON({ ...json, dataBase64: '!!!' }, '$.content')).toThrow(/not valid base64/);
      expect(() => imageCodec.fromJSON({ ...json, size: [2, 1] }, '$.content')).toThrow(/\$\.content\.size/);
    });

    it('ignores the derived dataPreview', () => {
      const json = imageCodec.toJSON(createImageContent({ data: new Uint8Array([1, 2]), size: [2, 1, 1] }));
      const back = imageCodec.fromJSON({ ...json, dataPreview: [9, 9] }, '$');
      expect(Array.from(back.data)).toEqual([1, 2]);
    });
  });
});

describe('imagePixels', () => {
  it('is a view on the received bytes when the image is in host byte order and aligned', () => {
    const content = createImageContent({ data: new Float32Array([1, 2, 3, 4]), size: [4, 1, 1] });
    // 58 + 72 = 130 is not a multiple of 4: put the frame at offset 2 of a bigger buffer to align the pixels.
    const wire = encodeMessage(imageMessage(content));
    const buffer = new Uint8Array(wire.length + 2);
    buffer.set(wire, 2);
    const input = buffer.subarray(2);
    const pixels = imagePixels((decodeMessage(input) as ImageMessage).content);
    expect(pixels).toBeInstanceOf(Float32Array);
    expect(pixels.buffer).toBe(input.buffer);
    expect(Array.from(pixels)).toEqual([1, 2, 3, 4]);
  });

  it('is an aligned copy when the pixels start at an unaligned offset', () => {
    const wire = encodeMessage(imageMessage(createImageContent({ data: new Float32Array([1, 2, 3, 4]), size: [4, 1, 1] })));
    const msg = decodeMessage(wire) as ImageMessage; // pixels at 130, not a multiple of 4
    const pixels = imagePixels(msg.content);
    expect(pixels.buffer).not.toBe(wire.buffer);
    expect(Array.from(pixels)).toEqual([1, 2, 3, 4]);
  });

  it('is a byte-swapped copy when the image is in the other byte order, leaving the message untouched', () => {
    const content = createImageContent({ data: new Int32Array([1, -2, 0x01020304]), size: [3, 1, 1], endian: OTHER_ENDIAN });
    const before = Array.from(content.data);
    const pixels = imagePixels(content);
    expect(pixels.buffer).not.toBe(content.data.buffer);
    expect(Array.from(pixels)).toEqual([1, -2, 0x01020304]);
    expect(Array.from(content.data)).toEqual(before);
  });

  it('does not modify a Node Buffer it was decoded from (Buffer.slice is a view)', () => {
    const wire = Buffer.from(encodeMessage(imageMessage(createImageContent({ data: new Uint16Array([1, 2]), size: [2, 1, 1], endian: OTHER_ENDIAN }))));
    const copy = Buffer.from(wire);
    const msg = decodeMessage(wire) as ImageMessage;
    expect(Array.from(imagePixels(msg.content))).toEqual([1, 2]);
    toJSON(msg); // the preview decodes pixels too
    expect(wire.equals(copy)).toBe(true);
  });

  it('is always a view for one-byte scalars', () => {
    const input = vectorBytes('image-int8-2d.v1.igtl');
    const pixels = imagePixels((decodeMessage(input) as ImageMessage).content);
    expect(pixels).toBeInstanceOf(Int8Array);
    expect(pixels.buffer).toBe(input.buffer);
  });

  it('matches the manifest preview of every golden IMAGE vector', () => {
    for (const entry of messageVectors('IMAGE')) {
      const pixels = imagePixels((decodeMessage(vectorBytes(entry.file)) as ImageMessage).content);
      const preview = entry.content!.dataPreview as number[];
      const got = Array.from(pixels.slice(0, preview.length));
      preview.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    }
  });

  it('refuses an unknown byte order for multi-byte scalars', () => {
    const content = { ...createImageContent({ data: new Uint16Array(2), size: [2, 1, 1] }), endian: 0 };
    expect(() => imagePixels(content)).toThrow(MalformedMessageError);
    expect(() => imagePixels(content)).toThrow(/endian\) 0/);
  });
});

describe('imageGeometry', () => {
  // Axes: i along +y with spacing 2, j along -x with spacing 3, k along +z with spacing 4.
  const matrix = [0, -3, 0, 10, 2, 0, 0, 20, 0, 0, 4, 30, 0, 0, 0, 1];

  it('gives spacing, unit directions, P and the centre of voxel (0,0,0)', () => {
    const g = imageGeometry({ matrix, size: [5, 4, 3] });
    expect(g.spacing).toEqual([2, 3, 4]);
    expect(g.directions).toEqual([[0, 1, 0], [-1, 0, 0], [0, 0, 1]]);
    expect(g.origin).toEqual([10, 20, 30]);
    // corner = P - (0,2,0)*2 - (-3,0,0)*1.5 - (0,0,4)*1
    expect(g.corner).toEqual([14.5, 16, 26]);
  });

  it('maps the centre index of the full grid to P and index 0 to the corner', () => {
    const g = imageGeometry({ matrix, size: [5, 4, 3] });
    const apply = (ijk: number[]): number[] =>
      [0, 1, 2].map((r) => g.ijkToWorld[r * 4]! * ijk[0]! + g.ijkToWorld[r * 4 + 1]! * ijk[1]! + g.ijkToWorld[r * 4 + 2]! * ijk[2]! + g.ijkToWorld[r * 4 + 3]!);
    expect(apply([2, 1.5, 1])).toEqual([10, 20, 30]);
    expect(apply([0, 0, 0])).toEqual([...g.corner]);
    expect(g.ijkToWorld.slice(12)).toEqual([0, 0, 0, 1]);
  });

  it('gives a zero direction for a zero axis instead of NaN', () => {
    const g = imageGeometry({ matrix: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], size: [1, 1, 1] });
    expect(g.spacing[0]).toBe(0);
    expect(g.directions[0]).toEqual([0, 0, 0]);
  });

  it('is the inverse of createImageContent for spacing, directions, origin and corner', () => {
    const directions: [[number, number, number], [number, number, number], [number, number, number]] = [[0, 0, 1], [1, 0, 0], [0, 1, 0]];
    const byCorner = createImageContent({ data: new Uint8Array(60), size: [5, 4, 3], spacing: [0.5, 2, 4], directions, corner: [1, 2, 3] });
    const g = imageGeometry(byCorner);
    expect(g.spacing).toEqual([0.5, 2, 4]);
    expect(g.directions).toEqual(directions);
    expect(g.corner).toEqual([1, 2, 3]);
    const byOrigin = createImageContent({ data: new Uint8Array(60), size: [5, 4, 3], spacing: [0.5, 2, 4], directions, origin: g.origin });
    expect(byOrigin.matrix).toEqual(byCorner.matrix);
  });
});

describe('createImageContent', () => {
  it('uses the typed array bytes as they are (no copy) with the default host byte order', () => {
    const pixels = new Uint16Array(24);
    const content = createImageContent({ data: pixels, size: [4, 3, 2] });
    expect(content.endian).toBe(HOST_ENDIAN);
    expect(content.data.buffer).toBe(pixels.buffer);
    expect(content).toMatchObject({ numComponents: 1, scalarType: 5, coordinate: 1, subvolumeOffset: [0, 0, 0], subvolumeSize: [4, 3, 2] });
    expect(content.matrix).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('takes a Uint8Array as raw bytes in the given byte order when scalarType names a wider type', () => {
    const raw = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
    const content = createImageContent({ data: raw, size: [2, 1, 1], scalarType: 5, endian: 1 });
    expect(content.data.buffer).toBe(raw.buffer);
    expect(Array.from(imagePixels(content))).toEqual([0x1234, 0x5678]);
  });

  it('refuses a scalar type that does not match the typed array', () => {
    expect(() => createImageContent({ data: new Float32Array(2), size: [2, 1, 1], scalarType: 6 })).toThrow(/scalarType 6 does not match the Float32Array/);
  });

  it('refuses data that is not a typed array of pixels with an EncodeError (from untyped JavaScript)', () => {
    // A missing `data` was a TypeError from inside; a plain array or a canvas's Uint8ClampedArray
    // was taken for float64 pixels.
    for (const data of [undefined, null, [1, 2], new Uint8ClampedArray(2), new DataView(new ArrayBuffer(2))]) {
      expect(() => createImageContent({ data: data as unknown as Uint8Array, size: [2, 1, 1] }), String(data)).toThrow(EncodeError);
    }
    expect(() => createImageContent({ data: new Uint8ClampedArray(2) as unknown as Uint8Array, size: [2, 1, 1] })).toThrow(/data must be a typed array .* got Uint8ClampedArray/);
  });

  it('refuses both origin and corner, an unknown byte order, and a pixel count that does not match', () => {
    const data = new Uint8Array(2);
    expect(() => createImageContent({ data, size: [2, 1, 1], origin: [0, 0, 0], corner: [0, 0, 0] })).toThrow(EncodeError);
    expect(() => createImageContent({ data, size: [2, 1, 1], endian: 3 })).toThrow(/endian must be 1 \(big\) or 2 \(little\)/);
    expect(() => createImageContent({ data, size: [3, 1, 1] })).toThrow(/data is 2 bytes, expected 3/);
    expect(() => createImageContent({ data, size: [1, 1, 1], numComponents: 2, spacing: [1, 1] as unknown as [number, number, number] })).toThrow(/spacing must have 3 numbers/);
  });
});

describe('readScalars and scalarBytes', () => {
  it('read complex values as interleaved float64 and swap them per float64', () => {
    const bytes = new Uint8Array(16);
    const v = new DataView(bytes.buffer);
    v.setFloat64(0, 1.5);
    v.setFloat64(8, -2.25);
    expect(Array.from(readScalars(bytes, 13, 1))).toEqual([1.5, -2.25]);
  });

  it('refuse a partial scalar and an unknown scalar type', () => {
    expect(() => readScalars(new Uint8Array(3), 4, 1)).toThrow(/3 bytes is not a whole number of 2-byte scalars/);
    expect(() => readScalars(new Uint8Array(4), 9, 1)).toThrow(/scalar type 9/);
  });

  it('write a byte-swapped copy only for the other byte order', () => {
    const values = new Float64Array([1, 2]);
    expect(scalarBytes(values, HOST_ENDIAN).buffer).toBe(values.buffer);
    const swapped = scalarBytes(values, OTHER_ENDIAN);
    expect(swapped.buffer).not.toBe(values.buffer);
    expect(Array.from(readScalars(swapped, 11, OTHER_ENDIAN))).toEqual([1, 2]);
  });
});
