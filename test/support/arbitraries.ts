// fast-check arbitraries of VALID messages of every standard type, in both header versions.
//
// "Valid" means what the spec allows on the wire and the codecs accept on encode: every text
// fits its field in UTF-8 and has no NUL, every integer is in its field's range, floats are
// float32 values where the wire is float32 (NaN, +-Infinity and -0 included: the property tests
// compare bytes, not values), payload lengths agree with their headers.
import fc from 'fast-check';
import {
  createMessage,
  standardCodecs,
  Timestamp,
  type BindRequestEntry,
  type IgtlContentMap,
  type IgtlMessage,
  type IgtlMessageOf,
  type IgtlType,
  type MetadataValue,
  type PolyDataAttribute,
  type UnknownMessage,
} from '../../src/index.js';
import { EMPTY_QUERY_TYPES, STATUS_REPLY_TYPES } from '../../src/protocol/messages/query.js';

// ---------------------------------------------------------------------------------------------
// Scalars

/** Any float32 value (as a double), NaN, +-Infinity and -0 included. */
export const f32: fc.Arbitrary<number> = fc.float();
/** Any float64 value. */
export const f64: fc.Arbitrary<number> = fc.double();
export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const i16 = fc.integer({ min: -0x8000, max: 0x7fff });
export const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
export const u64 = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
export const i64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });

const vec3 = (a: fc.Arbitrary<number>) => fc.tuple(a, a, a);
const vec4 = (a: fc.Arbitrary<number>) => fc.tuple(a, a, a, a);

/** A row-major 4x4 whose upper 3x4 is float32 and whose bottom row is 0 0 0 1 (as decoded). */
export const matrix4: fc.Arbitrary<number[]> = fc.array(f32, { minLength: 12, maxLength: 12 }).map((m) => [...m, 0, 0, 0, 1]);

export const timestamp: fc.Arbitrary<Timestamp> = fc.tuple(u32, u32).map(([s, f]) => new Timestamp(s, f));

// ---------------------------------------------------------------------------------------------
// Text

const encoder = new TextEncoder();

// Code points of every UTF-8 length, no NUL, no lone surrogates (which UTF-8 cannot carry).
const anyCodePoint = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x01, max: 0x1f }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x80, max: 0x7ff }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x800, max: 0xd7ff }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xe000, max: 0xfffd }) },
  { weight: 1, arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }) },
);
const asciiCodePoint = fc.integer({ min: 0x01, max: 0x7f });
const latin1CodePoint = fc.integer({ min: 0x01, max: 0xff });

/**
 * Text of at most `maxBytes` UTF-8 bytes (code points are dropped from the end until it fits),
 * without NUL. `ascii` limits it to US-ASCII.
 */
export function text(maxBytes: number, options: { ascii?: boolean; minBytes?: number } = {}): fc.Arbitrary<string> {
  const cp = options.ascii ? asciiCodePoint : anyCodePoint;
  const minLength = options.minBytes ?? 0;
  return fc.array(cp, { minLength, maxLength: Math.max(minLength, Math.min(maxBytes, 40)) }).map((cps) => {
    let s = '';
    let n = 0;
    for (const c of cps) {
      const ch = String.fromCodePoint(c);
      const b = encoder.encode(ch).length;
      if (n + b > maxBytes) break;
      s += ch;
      n += b;
    }
    return s;
  });
}

/** Text that fills a field of `size` bytes exactly (no NUL terminator on the wire). */
export function fullText(size: number): fc.Arbitrary<string> {
  return fc.array(asciiCodePoint, { minLength: size, maxLength: size }).map((cps) => String.fromCodePoint(...cps));
}

/** Text for a char[size] field: usually short, sometimes filling the field exactly. */
export function fieldText(size: number): fc.Arbitrary<string> {
  return fc.oneof({ weight: 4, arbitrary: text(size) }, { weight: 1, arbitrary: fullText(size) });
}

/** A DEVICE_NAME (at most 20 bytes). */
export const deviceName = fieldText(20);

/** Text with an IANA encoding that can write it, as STRING, COMMAND and metadata carry it. */
export const encodedText: fc.Arbitrary<{ value: string; encoding: number }> = fc.oneof(
  fc.array(asciiCodePoint, { maxLength: 40 }).map((c) => ({ value: String.fromCodePoint(...c), encoding: 3 })),
  fc.array(anyCodePoint, { maxLength: 40 }).map((c) => ({ value: String.fromCodePoint(...c), encoding: 106 })),
  fc.array(latin1CodePoint, { maxLength: 40 }).map((c) => ({ value: String.fromCodePoint(...c), encoding: 4 })),
  fc.tuple(fc.array(anyCodePoint, { maxLength: 20 }), fc.constantFrom(1013, 1014, 1015)).map(([c, encoding]) => ({ value: String.fromCodePoint(...c), encoding })),
);

/**
 * Text in an encoding igtl-rx cannot write (or bytes invalid for their encoding), carried as
 * the raw bytes received with a best-effort `value`, as `decodeText` gives them.
 */
export const rawText: fc.Arbitrary<{ value: string; encoding: number; raw: Uint8Array }> = fc
  .tuple(fc.constantFrom(106, 17, 2026, 9999), fc.uint8Array({ minLength: 1, maxLength: 40 }))
  .map(([encoding, raw]) => ({ value: String.fromCharCode(...raw), encoding, raw }));

// ---------------------------------------------------------------------------------------------
// Payloads

/** `n` bytes: fast-check's own for small payloads, a seeded fill for large ones (cheap to generate). */
export function payload(n: number): fc.Arbitrary<Uint8Array> {
  if (n <= 512) return fc.uint8Array({ minLength: n, maxLength: n });
  return fc.integer().map((seed) => {
    const out = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  });
}

const IMAGE_SCALAR_SIZES = new Map([[2, 1], [3, 1], [4, 2], [5, 2], [6, 4], [7, 4], [10, 4], [11, 8]]);
const imageScalarType = fc.constantFrom(...IMAGE_SCALAR_SIZES.keys());

/** Image size, sub-volume offset and sub-volume size with the sub-volume inside the image. */
const subvolume = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 4 }))
  .chain((size) => fc.tuple(
    fc.constant(size),
    fc.tuple(...size.map((s) => fc.integer({ min: 0, max: s }))),
  ))
  .chain(([size, offset]) => fc.tuple(
    fc.constant(size),
    fc.constant(offset),
    fc.tuple(...size.map((s, a) => fc.integer({ min: 0, max: s - offset[a]! }))),
  ))
  .map(([size, offset, sub]) => ({
    size: [size[0], size[1], size[2]] as const,
    subvolumeOffset: [offset[0]!, offset[1]!, offset[2]!] as const,
    subvolumeSize: [sub[0]!, sub[1]!, sub[2]!] as const,
  }));

// ---------------------------------------------------------------------------------------------
// Contents, one arbitrary per type

const list = <T>(a: fc.Arbitrary<T>, maxLength = 4) => fc.array(a, { maxLength });
const rgba = vec4(u8);

const cells = list(list(u32, 6), 4);

const polyAttribute: fc.Arbitrary<PolyDataAttribute> = fc
  .record({ type: fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0xff), ncomponents: fc.integer({ min: 0, max: 9 }), n: fc.integer({ min: 0, max: 5 }), name: text(255) })
  .chain((a) => fc.array(f32, { minLength: a.ncomponents * a.n, maxLength: a.ncomponents * a.n }).map((d) => ({ ...a, data: Float32Array.from(d) })));

const bindRequest: fc.Arbitrary<BindRequestEntry> = fc.record({ type: fieldText(12), name: text(20) });

const nonBindTypes = (): StandardType[] => ALL_TYPES.filter((t) => t !== 'BIND');

/** An arbitrary built on first use (the BIND children refer to the table they are part of). */
function lazy<T>(make: () => fc.Arbitrary<T>): fc.Arbitrary<T> {
  let built: fc.Arbitrary<T> | undefined;
  return fc.constant(null).chain(() => (built ??= make()));
}

/** A header-version-1 message with no metadata, as a BIND child (its timestamp is not sent). */
function bindChild(types: () => StandardType[]): fc.Arbitrary<IgtlMessage> {
  return lazy(() => fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...types()).chain((t) => knownChild(t)) },
    { weight: 1, arbitrary: unknownContent.chain((c) => fc.record({ typeName: unknownTypeName, deviceName: text(20) }).map(({ typeName, deviceName: name }): IgtlMessage => unknownMessageOf(typeName, c.raw, { headerVersion: 1, deviceName: name, timestamp: Timestamp.ZERO }))) },
  ));
}

function knownChild(type: StandardType): fc.Arbitrary<IgtlMessage> {
  return fc.tuple(contentOf(type), text(20)).map(([content, name]) => widen(build(type, content, { headerVersion: 1, deviceName: name, timestamp: Timestamp.ZERO })));
}

/**
 * A message of one type as the union. TypeScript cannot distribute `IgtlMessageOf<K>` over a
 * generic `K`, so this is the one place the arbitraries assert it.
 */
export function widen<K extends IgtlType>(msg: IgtlMessageOf<K>): IgtlMessage {
  return msg as IgtlMessage;
}

/** An unknown type name: uppercase ASCII that no codec has. */
export const unknownTypeName: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789'), { minLength: 1, maxLength: 12 })
  .map((c) => `X${c.join('')}`.slice(0, 12))
  .filter((name) => !(ALL_TYPES as readonly string[]).includes(name) && name !== 'COLORTABLE');

const unknownContent = fc.uint8Array({ maxLength: 64 }).map((raw) => ({ raw }));

/**
 * The standard type names: those of `standardCodecs`. Not `IgtlType`, which grows with every
 * augmentation of `IgtlContentMap` (test/types/custom-codec.test.ts adds one).
 */
export type StandardType = (typeof standardCodecs)[number]['type'];

type ContentArbitraries = { [K in StandardType]: fc.Arbitrary<IgtlContentMap[K]> };

const emptyContent = fc.constant({});
const rtsContent = fc.record({ status: u8 });

function commandContent(): fc.Arbitrary<IgtlContentMap['COMMAND']> {
  return fc.tuple(u32, fieldText(128), fc.oneof({ weight: 5, arbitrary: encodedText }, { weight: 1, arbitrary: rawText }))
    .map(([commandId, commandName, t]) => ('raw' in t
      ? { commandId, commandName, encoding: t.encoding, command: t.value, raw: t.raw }
      : { commandId, commandName, encoding: t.encoding, command: t.value }));
}

/**
 * One arbitrary of valid content per standard type. Being a mapped type over the standard codecs'
 * type names, it stops compiling when a codec is added without an arbitrary here.
 */
export const contentArbitraries: ContentArbitraries = {
  ...(Object.fromEntries(EMPTY_QUERY_TYPES.map((t) => [t, emptyContent])) as { [K in (typeof EMPTY_QUERY_TYPES)[number]]: fc.Arbitrary<IgtlContentMap[K]> }),
  ...(Object.fromEntries(STATUS_REPLY_TYPES.map((t) => [t, rtsContent])) as { [K in (typeof STATUS_REPLY_TYPES)[number]]: fc.Arbitrary<IgtlContentMap[K]> }),
  TRANSFORM: fc.record({ matrix: matrix4 }),
  POSITION: fc.record({ position: vec3(f32), quaternion: fc.option(fc.oneof(fc.array(f32, { minLength: 3, maxLength: 3 }), fc.array(f32, { minLength: 4, maxLength: 4 })), { nil: undefined }) })
    .map((c) => (c.quaternion === undefined ? { position: c.position } : { position: c.position, quaternion: c.quaternion })),
  IMAGE: fc.record({
    numComponents: fc.integer({ min: 1, max: 4 }),
    scalarType: imageScalarType,
    endian: fc.constantFrom(1, 2),
    coordinate: fc.constantFrom(1, 2),
    geometry: subvolume,
    matrix: matrix4,
  }).chain((h) => {
    const n = h.geometry.subvolumeSize[0] * h.geometry.subvolumeSize[1] * h.geometry.subvolumeSize[2] * h.numComponents * IMAGE_SCALAR_SIZES.get(h.scalarType)!;
    return payload(n).map((data) => ({
      numComponents: h.numComponents, scalarType: h.scalarType, endian: h.endian, coordinate: h.coordinate,
      ...h.geometry, matrix: h.matrix, data,
    }));
  }),
  STATUS: fc.record({ code: u16, subcode: i64, errorName: fieldText(20), statusMessage: text(200) }),
  STRING: fc.oneof({ weight: 5, arbitrary: encodedText }, { weight: 1, arbitrary: rawText }),
  POINT: fc.record({ points: list(fc.record({ name: fieldText(64), group: fieldText(32), rgba, position: vec3(f32), radius: f32, owner: fieldText(20) })) }),
  TRAJ: fc.record({
    trajectories: list(fc.record({
      name: fieldText(64), group: fieldText(32), type: fc.constantFrom(1, 2, 3), rgba,
      entry: vec3(f32), target: vec3(f32), radius: f32, owner: fieldText(20),
    })),
  }),
  TDATA: fc.record({ elements: list(fc.record({ name: fieldText(20), type: fc.constantFrom(1, 2, 3, 4), matrix: matrix4 })) }),
  QTDATA: fc.record({ elements: list(fc.record({ name: fieldText(20), type: fc.constantFrom(1, 2, 3, 4), position: vec3(f32), quaternion: vec4(f32) })) }),
  IMGMETA: fc.record({
    images: list(fc.record({
      name: fieldText(64), deviceName: fieldText(20), modality: fieldText(32), patientName: fieldText(64), patientId: fieldText(64),
      timestamp, size: vec3(u16), scalarType: imageScalarType,
    })),
  }),
  LBMETA: fc.record({ labels: list(fc.record({ name: fieldText(64), deviceName: fieldText(20), label: u8, rgba, size: vec3(u16), owner: fieldText(20) })) }),
  COLORT: colorTable(),
  COLORTABLE: colorTable(),
  SENSOR: fc.record({ status: u8, unit: u64, data: fc.oneof({ weight: 9, arbitrary: list(f64, 8) }, { weight: 1, arbitrary: fc.array(f64, { minLength: 255, maxLength: 255 }) }) }),
  NDARRAY: fc.record({ scalarType: fc.constantFrom(2, 3, 4, 5, 6, 7, 10, 11, 13), size: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }) })
    .chain((h) => {
      const bytesPer = h.scalarType === 13 ? 16 : IMAGE_SCALAR_SIZES.get(h.scalarType)!;
      return payload(h.size.reduce((a, b) => a * b, 1) * bytesPer).map((data) => ({ ...h, data }));
    }),
  POLYDATA: fc.record({
    points: list(vec3(f32), 6).map((p) => Float32Array.from(p.flat())),
    vertices: cells, lines: cells, polygons: cells, triangleStrips: cells,
    attributes: list(polyAttribute, 3),
  }),
  BIND: fc.oneof(
    { weight: 4, arbitrary: fc.record({ children: list(bindChild(nonBindTypes), 4) }) },
    // One level of nesting: a BIND among the children.
    {
      weight: 1,
      arbitrary: fc.tuple(list(bindChild(nonBindTypes), 2), text(20), list(bindChild(nonBindTypes), 2))
        .map(([inner, name, rest]) => ({ children: [build('BIND', { children: inner }, { headerVersion: 1, deviceName: name, timestamp: Timestamp.ZERO }), ...rest] })),
    },
  ),
  GET_BIND: fc.record({ children: list(bindRequest) }),
  STT_BIND: fc.record({ resolution: u64, children: list(bindRequest) }),
  CAPABILITY: fc.record({ types: fc.array(fieldText(12), { minLength: 1, maxLength: 6 }) }),
  COMMAND: commandContent(),
  RTS_COMMAND: commandContent(),
  VIDEO: fc.record({
    endian: fc.constantFrom(1, 2),
    codec: fc.oneof(fc.constantFrom('I420', 'H264', 'VP90', 'X265', 'O265', 'AV10'), text(4, { ascii: true })),
    frameType: u16,
    coordinate: fc.constantFrom(1, 2),
    geometry: subvolume,
    matrix: matrix4,
    data: fc.uint8Array({ maxLength: 200 }),
  }).map(({ geometry, ...rest }) => ({ ...rest, ...geometry })),
  VIDEOMETA: fc.record({
    videos: list(fc.record({
      name: fieldText(64), deviceName: fieldText(64), patientName: fieldText(64), patientId: fieldText(64),
      zoomLevel: i16, focalLength: f64, size: vec3(u16), matrix: matrix4, scalarType: imageScalarType,
    })),
  }),
  STT_TDATA: fc.record({ resolution: i32, coordinateName: fieldText(32) }),
  STT_QTDATA: fc.record({ resolution: i32, coordinateName: fieldText(32) }),
  STT_VIDEO: fc.record({ codec: text(4, { ascii: true }), timeInterval: u32 }),
  STT_POLYDATA: fc.option(u64, { nil: undefined }).map((resolution) => (resolution === undefined ? {} : { resolution })),
};

function colorTable(): fc.Arbitrary<IgtlContentMap['COLORT']> {
  const widths = new Map([[3, 1], [5, 2], [19, 3]]);
  return fc.record({
    // uint16 indices make 65536-entry tables: keep them rare, they are large.
    indexType: fc.oneof({ weight: 9, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constant(5) }),
    mapType: fc.constantFrom(3, 5, 19),
  }).chain((h) => payload((h.indexType === 3 ? 256 : 65536) * widths.get(h.mapType)!).map((table) => ({ ...h, table })));
}

/** Every standard type name (the keys of {@link contentArbitraries}). */
// Object.keys types its result as string[]; the keys of a ContentArbitraries are StandardTypes.
export const ALL_TYPES: readonly StandardType[] = Object.keys(contentArbitraries) as StandardType[];

/** The content arbitrary of one type. */
export function contentOf<K extends StandardType>(type: K): fc.Arbitrary<IgtlContentMap[K]> {
  return contentArbitraries[type];
}

// ---------------------------------------------------------------------------------------------
// Messages

/** v3 metadata: 0-3 entries, UTF-8 keys, values in every writable encoding. */
export const metadata: fc.Arbitrary<Map<string, MetadataValue>> = fc
  .array(fc.tuple(text(24), fc.oneof({ weight: 5, arbitrary: encodedText }, { weight: 1, arbitrary: rawText })), { maxLength: 3 })
  .map((entries) => new Map(entries.map(([k, v]): [string, MetadataValue] => [k, v])));

interface HeaderOptions {
  readonly headerVersion: 1 | 2;
  readonly deviceName: string;
  readonly timestamp: Timestamp;
  readonly messageId?: number;
  readonly metadata?: Map<string, MetadataValue>;
}

/** Header fields in either framing: v1 (no metadata, ID 0) or v2 (random metadata and ID). */
export const headerOptions: fc.Arbitrary<HeaderOptions> = fc.oneof(
  fc.record({ headerVersion: fc.constant<1>(1), deviceName, timestamp }),
  fc.record({ headerVersion: fc.constant<2>(2), deviceName, timestamp, messageId: u32, metadata }),
);

function build<K extends IgtlType>(type: K, content: IgtlContentMap[K], options: HeaderOptions): IgtlMessageOf<K> {
  return createMessage(type, content, options);
}

function unknownMessageOf(typeName: string, raw: Uint8Array, options: HeaderOptions): UnknownMessage {
  return {
    type: 'UNKNOWN', typeName, headerVersion: options.headerVersion, deviceName: options.deviceName, timestamp: options.timestamp,
    messageId: options.messageId ?? 0, metadata: options.metadata ?? new Map(), content: { raw },
  };
}

/** Valid messages of one type, in both header versions. */
export function messageOf<K extends StandardType>(type: K): fc.Arbitrary<IgtlMessageOf<K>> {
  return fc.tuple(contentOf(type), headerOptions).map(([content, options]) => build(type, content, options));
}

/** Messages of a type with no codec: they pass through as raw content. */
export const unknownMessage: fc.Arbitrary<UnknownMessage> = fc
  .tuple(unknownTypeName, unknownContent, headerOptions)
  .map(([typeName, c, options]) => unknownMessageOf(typeName, c.raw, options));

/** A valid message of any type (unknown ones included). */
export const anyMessage: fc.Arbitrary<IgtlMessage> = fc.oneof(
  ...ALL_TYPES.map((t): fc.Arbitrary<IgtlMessage> => messageOf(t).map(widen)),
  unknownMessage,
);
