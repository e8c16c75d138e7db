import { describe, it, expect, vi } from 'vitest';
import { EncodeError, MalformedMessageError } from '../../../src/index.js';
import {
  f32, f32x3, f32x4, f64, fixedString, i16, i8, matrix, rgba, u16x3, u8,
} from '../../../src/protocol/messages/record-fields.js';
import { pad, record, recordListCodec } from '../../../src/protocol/messages/record-list.js';
import type { Matrix4, Vec3, Vec4 } from '../../../src/protocol/messages/vectors.js';
import { encode, expectEncodeError, expectInvalidJsonAt, toHex } from '../../support/codec.js';

// A record with one field of every kind, in an order that puts fields at odd offsets.
interface Item {
  readonly label: string;
  readonly small: number;
  readonly signed: number;
  readonly short: number;
  readonly colour: Vec4;
  readonly size: Vec3;
  readonly radius: number;
  readonly focal: number;
  readonly position: Vec3;
  readonly rotation: Vec4;
  readonly pose: Matrix4;
}

const table = [
  { name: 'label', kind: fixedString(5), jsonDefault: '' },
  { name: 'small', kind: u8 },
  pad(2),
  { name: 'signed', kind: i8 },
  { name: 'short', kind: i16, jsonDefault: 0 },
  { name: 'colour', kind: rgba },
  { name: 'size', kind: u16x3 },
  { name: 'radius', kind: f32 },
  { name: 'focal', kind: f64 },
  { name: 'position', kind: f32x3 },
  { name: 'rotation', kind: f32x4 },
  { name: 'pose', kind: matrix },
  pad(1),
] as const;
const SIZE = 5 + 1 + 2 + 1 + 2 + 4 + 6 + 4 + 8 + 12 + 16 + 48 + 1;

const compiled = recordListCodec('ITEMS', 'items', record<Item>(table), {
  checkList(items) {
    if (items.length > 3) throw new EncodeError('ITEMS', 'at most 3 items');
  },
});
const walked = recordListCodec('ITEMS', 'items', record<Item>(table, { compiled: false }), { compiled: false });

const pose = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 1];
const item: Item = {
  label: 'abcde', small: 255, signed: -128, short: -32768, colour: [1, 2, 3, 255], size: [0, 1, 65535],
  radius: 1.5, focal: 0.1, position: [1, -2, 3], rotation: [0, 0, 0.5, -0.5], pose,
};
const other: Item = { ...item, label: 'x', small: 0, signed: 127, short: 32767, focal: -0, radius: NaN };

describe.each([['compiled', compiled], ['walked', walked]])('record list (%s)', (_, codec) => {
  it('sizes a list as a whole number of records, the sum of the field table', () => {
    expect(codec.size({ items: [] })).toBe(0);
    expect(codec.size({ items: [item, other] })).toBe(2 * SIZE);
  });

  it('writes every field at its offset, big-endian, and zeros the padding', () => {
    const bytes = new Uint8Array(SIZE).fill(0xee);
    codec.encode({ items: [item] }, bytes, new DataView(bytes.buffer), 0);
    const view = new DataView(bytes.buffer);
    expect(toHex(bytes.subarray(0, 11))).toBe('6162636465' + 'ff' + '0000' + '80' + '8000');
    expect(toHex(bytes.subarray(11, 21))).toBe('010203ff' + '00000001ffff');
    expect(view.getFloat32(21)).toBe(1.5);
    expect(view.getFloat64(25)).toBe(0.1);
    expect([view.getFloat32(33), view.getFloat32(37), view.getFloat32(41)]).toEqual([1, -2, 3]);
    expect(view.getFloat32(57)).toBe(-0.5);
    // The matrix column by column: R11 R21 R31 ...
    expect([view.getFloat32(61), view.getFloat32(65), view.getFloat32(69)]).toEqual([1, 5, 9]);
    expect(view.getFloat32(61 + 44)).toBe(12);
    expect(bytes[SIZE - 1]).toBe(0);
  });

  it('round-trips records, reading only the content bytes at any offset', () => {
    const content = encode(codec, { items: [item, other] });
    const framed = new Uint8Array(content.length + 7).fill(0x5a);
    framed.set(content, 3);
    const decoded = codec.decode(framed, new DataView(framed.buffer), 3, content.length, undefined as never);
    expect(decoded).toEqual({ items: [item, { ...other, focal: -0 }] });
    expect(Object.is(decoded.items[1]!.focal, -0)).toBe(true);
    // Every record has the table's properties in table order (and no padding).
    expect(Object.keys(decoded.items[0]!)).toEqual(table.flatMap((f) => ('name' in f ? [f.name] : [])));
  });

  it.each([1, SIZE - 1, SIZE + 1, 2 * SIZE + 5])('refuses %i content bytes (not a whole number of records)', (n) => {
    const bytes = new Uint8Array(n + 10);
    const run = () => codec.decode(bytes, new DataView(bytes.buffer), 5, n, undefined as never);
    expect(run).toThrow(MalformedMessageError);
    expect(run).toThrow(`not a multiple of the ${SIZE}-byte element`);
  });

  it('decodes empty content as an empty list', () => {
    expect(codec.decode(new Uint8Array(4), new DataView(new ArrayBuffer(4)), 2, 0, undefined as never)).toEqual({ items: [] });
  });

  it.each([
    [{ label: 'abcdef' }, 'items[1].label'],
    [{ small: 256 }, 'items[1].small'],
    [{ signed: 128 }, 'items[1].signed'],
    [{ short: -32769 }, 'items[1].short'],
    [{ colour: [0, 0, 256, 0] }, 'items[1].colour[2]'],
    [{ size: [0, 0] }, 'items[1].size'],
    [{ radius: '1' }, 'items[1].radius must be a number'],
    [{ position: [1, 2] }, 'items[1].position'],
    [{ rotation: [1, 2, 3] }, 'items[1].rotation'],
    [{ pose: pose.slice(1) }, 'items[1].pose'],
  ])('refuses to size an element with %j', (bad, message) => {
    expectEncodeError(() => codec.size({ items: [item, { ...item, ...bad } as Item] }), message);
  });

  it('round-trips through JSON, with defaults for missing keys and paths in errors', () => {
    const json = codec.toJSON({ items: [item, other] });
    expect(json.items).toEqual([
      { ...item, colour: [1, 2, 3, 255], size: [0, 1, 65535], pose: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [0, 0, 0, 1]] },
      expect.objectContaining({ radius: 'NaN', focal: -0 }),
    ]);
    expect(codec.fromJSON(json, '$.content')).toEqual({ items: [item, other] });
    const { label: _label, short: _short, ...rest } = (json.items as Record<string, unknown>[])[0]!;
    expect(codec.fromJSON({ items: [rest] } as never, '$.content').items[0]).toMatchObject({ label: '', short: 0 });
    expectInvalidJsonAt(() => codec.fromJSON({ items: [{ ...rest, small: 256 }] } as never, '$.content'), '$.content.items[0].small');
    expectInvalidJsonAt(() => codec.fromJSON({ items: [{ ...rest, size: undefined }] } as never, '$.content'), '$.content.items[0].size');
    expectInvalidJsonAt(() => codec.fromJSON({ items: 1 }, '$.content'), '$.content.items');
    expectInvalidJsonAt(() => codec.fromJSON({ items: [1] }, '$.content'), '$.content.items[0]');
  });
});

describe('record list', () => {
  it('compiled and walked records write the same bytes and read the same objects', () => {
    const content = { items: [item, other, { ...item, label: 'é' }] };
    const bytes = encode(compiled, content);
    expect(encode(walked, content)).toEqual(bytes);
    expect(walked.decode(bytes, new DataView(bytes.buffer), 0, bytes.length, undefined as never))
      .toEqual(compiled.decode(bytes, new DataView(bytes.buffer), 0, bytes.length, undefined as never));
  });

  it('walks the table where code cannot be compiled (eval forbidden by a Content-Security-Policy)', () => {
    vi.stubGlobal('Function', function refused() {
      throw new EvalError('Refused to evaluate a string as JavaScript');
    });
    let codec;
    try {
      codec = recordListCodec('ITEMS', 'items', record<Item>(table));
    } finally {
      vi.unstubAllGlobals();
    }
    expect(encode(codec, { items: [item] })).toEqual(encode(walked, { items: [item] }));
  });

  it('runs the list check before the elements are checked', () => {
    expectEncodeError(() => compiled.size({ items: [item, item, item, item] }), 'at most 3 items');
  });

  it('takes a bare field as the element: a list of fixed strings', () => {
    const names = recordListCodec('NAMES', 'names', fixedString(4));
    const bytes = encode(names, { names: ['ab', 'abcd'] });
    expect(toHex(bytes)).toBe('61620000' + '61626364');
    expect(names.decode(bytes, new DataView(bytes.buffer), 0, 8, undefined as never)).toEqual({ names: ['ab', 'abcd'] });
    expectEncodeError(() => names.size({ names: ['ab', 'abcde'] }), 'names[1]');
  });
});
