// Differential decoding against the OpenIGTLink C++ library 1.11 (test/support/cpp/igtl_decode_probe.cxx):
// borderline variants of the golden v1 messages, the C++ outcome of each (one probe run for all),
// igtl-rx's outcome in the same shape, and their comparison.
import { spawnSync } from 'node:child_process';
import { crc64, decodeMessage, escapedUtf8Bytes, IgtlError, MessageDecoder, positionQuaternion, type IgtlMessage } from '../../src/index.js';
import { seededRandom } from '../../src/simulator/prng.js';
import { cppPeerPath } from './cpp-peers.js';
import { messageVectors, vectorBytes } from './vectors.js';

const HEADER_SIZE = 58;
const OFFSET_BODY_SIZE = 42;
const OFFSET_CRC = 50;

/** The types the probe decodes to values (COMMAND is v2-only in the C++ library). */
export const PROBED_TYPES = [
  'TRANSFORM', 'POSITION', 'TDATA', 'QTDATA', 'STATUS', 'STRING', 'IMAGE', 'POINT', 'SENSOR', 'NDARRAY', 'POLYDATA',
  'TRAJ', 'IMGMETA', 'LBMETA', 'COLORT', 'CAPABILITY', 'BIND',
];

/** One message to decode with both libraries. */
export interface Variant {
  /** `<vector file>: <mutation>`, for the report. */
  readonly name: string;
  /** The mutation's class (`trim`, `pad`, `field`, `crc0`, ...), to group disagreements. */
  readonly kind: string;
  readonly type: string;
  readonly frame: Uint8Array;
}

/** Header variants: VERSION, and names without a terminator or with bytes after it. */
const HEADER_PATCHES: readonly (readonly [string, (h: Uint8Array) => void])[] = [
  ['VERSION 0', (h) => { h[0] = 0; h[1] = 0; }],
  ['VERSION 3', (h) => { h[0] = 0; h[1] = 3; }],
  ['VERSION 0x0101', (h) => { h[0] = 1; h[1] = 1; }],
  ['DEVICE_NAME all 20 bytes used', (h) => { for (let i = 14; i < 34; i++) if (h[i] === 0) h[i] = 0x5a; }],
  ['DEVICE_NAME empty', (h) => h.fill(0, 14, 34)],
  ['DEVICE_NAME with bytes after its NUL', (h) => { h[32] = 0; h[33] = 0x41; h[31] = 0; }],
  ['DEVICE_NAME with a byte 0xE9', (h) => { h[14] = 0xe9; }],
  ['TYPE with bytes after its NUL', (h) => { const nul = h.indexOf(0, 2); if (nul > 0 && nul < 13) h[13] = 0x41; }],
  ['TYPE lower case', (h) => { for (let i = 2; i < 14; i++) if (h[i]! >= 0x41 && h[i]! <= 0x5a) h[i] = h[i]! + 32; }],
];

/**
 * Bytes of the content the field sweep covers: its counts, lengths, sizes, types and names, the
 * start of a text or list (floats need no sweep: both decoders read them the same way).
 */
const SWEPT_BYTES: Record<string, number> = {
  TRANSFORM: 8, POSITION: 16, TDATA: 24, QTDATA: 24, STATUS: 36, STRING: 8, IMAGE: 72, POINT: 100, SENSOR: 18, NDARRAY: 12, POLYDATA: 40,
  TRAJ: 100, IMGMETA: 40, LBMETA: 40, COLORT: 4, CAPABILITY: 16, BIND: 48,
};

/** Vectors swept field by field besides the first of each type. */
const EXTRA_SWEPT = new Set(['image-uint16-subvolume.v1.igtl', 'ndarray-int32-4d.v1.igtl']);

/** A v1 frame of `header` (58 bytes) and `body`, with BODY_SIZE and CRC made right for the body. */
export function frameOf(header: Uint8Array, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  frame.set(header.subarray(0, HEADER_SIZE));
  frame.set(body, HEADER_SIZE);
  const view = new DataView(frame.buffer);
  view.setBigUint64(OFFSET_BODY_SIZE, BigInt(body.length));
  view.setBigUint64(OFFSET_CRC, crc64(body));
  return frame;
}

/**
 * Borderline variants of every golden v1 message of the probed types, each a consistent frame
 * (BODY_SIZE and CRC fit the body) unless the mutation is of the CRC itself:
 *  - trim: content cut by 1..8 bytes, and to nothing;
 *  - pad: 1, 2, 3, 4 and 8 bytes (zero, then 0xAB) after the content;
 *  - field (the first vector of each type, and EXTRA_SWEPT): every 8-, 16- and 32-bit big-endian field position of the content's first SWEPT_BYTES
 *    set to 0, one over, one under and all ones (counts, lengths, dimensions, names' last bytes);
 *  - flip: random single-byte changes anywhere in the content (seeded);
 *  - header: VERSION, TYPE and DEVICE_NAME variants (HEADER_PATCHES);
 *  - bodysize: BODY_SIZE 1 or 8 over or under the body, or 0, with the CRC as sent (C++ reads
 *    BODY_SIZE bytes, zero beyond those present);
 *  - crc0: the CRC field 0 (some senders are said to send it so);
 *  - edge: hand-made contents at the borders of each layout (EDGE_BODIES).
 */
export function makeVariants(seed = 20261207, flipsPerVector = 8): Variant[] {
  // Seeded (the simulator's mulberry32): every run makes the same variants.
  const random = seededRandom(seed);
  const out: Variant[] = [];
  const swept = new Set<string>();
  for (const entry of messageVectors()) {
    if (entry.headerVersion !== 1 || !PROBED_TYPES.includes(entry.type!)) continue;
    // The field sweep on the first vector of each type and on those with more header fields.
    const sweep = !swept.has(entry.type!) || EXTRA_SWEPT.has(entry.file);
    swept.add(entry.type!);
    const bytes = vectorBytes(entry.file);
    const header = bytes.subarray(0, HEADER_SIZE);
    const body = bytes.subarray(HEADER_SIZE);
    const add = (kind: string, what: string, b: Uint8Array, frame = frameOf(header, b)) =>
      out.push({ name: `${entry.file}: ${what}`, kind, type: entry.type!, frame });
    add('same', 'unchanged', body);
    for (let k = 1; k <= 8 && k <= body.length; k++) add('trim', `${k} bytes cut`, body.subarray(0, body.length - k));
    add('trim', 'no content', new Uint8Array(0));
    for (const k of [1, 2, 3, 4, 8]) {
      for (const fill of [0, 0xab]) {
        const b = new Uint8Array(body.length + k).fill(fill);
        b.set(body);
        add('pad', `${k} bytes 0x${fill.toString(16)} after`, b);
      }
    }
    for (const width of sweep ? [1, 2, 4] : []) {
      const max = 2 ** (8 * width) - 1;
      for (let at = 0; at + width <= Math.min(SWEPT_BYTES[entry.type!]!, body.length); at += width) {
        const old = readUint(body, at, width);
        for (const [label, value] of [['0', 0], ['+1', (old + 1) % (max + 1)], ['-1', (old + max) % (max + 1)], ['max', max]] as const) {
          if (value === old) continue;
          const b = body.slice();
          writeUint(b, at, width, value);
          add('field', `uint${8 * width} at ${at}: ${old} -> ${value} (${label})`, b);
        }
      }
    }
    for (let i = 0; i < flipsPerVector && body.length > 0; i++) {
      const b = body.slice();
      const at = Math.floor(random() * b.length);
      b[at] = (b[at]! + 1 + Math.floor(random() * 255)) & 0xff;
      add('flip', `byte ${at} -> ${b[at]}`, b);
    }
    for (const [what, patch] of HEADER_PATCHES) {
      const h = header.slice();
      patch(h);
      add('header', what, body, frameOf(h, body));
    }
    for (const delta of [-8, -1, 1, 8, -body.length]) {
      if (delta === 0 || body.length + delta < 0) continue;
      const lying = bytes.slice();
      new DataView(lying.buffer).setBigUint64(OFFSET_BODY_SIZE, BigInt(body.length + delta));
      add('bodysize', `BODY_SIZE ${body.length + delta} for ${body.length} bytes, CRC as sent`, body, lying);
    }
    const crc0 = bytes.slice();
    new DataView(crc0.buffer).setBigUint64(OFFSET_CRC, 0n);
    add('crc0', 'CRC field 0', body, crc0);
  }
  for (const [file, what, body] of EDGE_BODIES) {
    const entry = messageVectors().find((e) => e.file === file)!;
    out.push({ name: `${file}: ${what}`, kind: 'edge', type: entry.type!, frame: frameOf(vectorBytes(file).subarray(0, HEADER_SIZE), body) });
  }
  return out;
}

const hexBytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const statusBody = (size: number): Uint8Array => new Uint8Array(size).map((_, i) => (i === 1 ? 1 : 0)); // code OK, no text

/** Hand-made borderline contents: the smallest of each layout, empty lists and texts, terminators. */
const EDGE_BODIES: readonly (readonly [file: string, what: string, body: Uint8Array])[] = [
  ['string-utf8.v1.igtl', 'LENGTH 0, no text', hexBytes('006a 0000')],
  ['string-utf8.v1.igtl', 'LENGTH 0, then a NUL', hexBytes('006a 0000 00')],
  ['string-utf8.v1.igtl', 'LENGTH 2, then a NUL', hexBytes('006a 0002 4142 00')],
  ['sensor.v1.igtl', 'LARRAY 0, no data', hexBytes('00 00 0000000000000000')],
  ['ndarray-uint8-1d.v1.igtl', 'DIM 0, no data', hexBytes('03 00')],
  ['ndarray-uint8-1d.v1.igtl', 'DIM 0, one element', hexBytes('03 00 07')],
  ['ndarray-uint8-1d.v1.igtl', 'SIZE [0], no data', hexBytes('03 01 0000')],
  ['status.v1.igtl', '30 bytes: no text, no NUL', statusBody(30)],
  ['status.v1.igtl', '31 bytes: empty text and its NUL', statusBody(31)],
  ['polydata.v1.igtl', 'all counts 0', new Uint8Array(40)],
  ['tdata.v1.igtl', 'no elements', new Uint8Array(0)],
  ['qtdata.v1.igtl', 'no elements', new Uint8Array(0)],
  ['point.v1.igtl', 'no points', new Uint8Array(0)],
  ['transform.v1.igtl', 'no content', new Uint8Array(0)],
  ['position.v1.igtl', '16 bytes', new Uint8Array(16)],
];

function readUint(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let i = 0; i < width; i++) v = v * 256 + b[at + i]!;
  return v;
}

function writeUint(b: Uint8Array, at: number, width: number, value: number): void {
  for (let i = width - 1; i >= 0; i--) {
    b[at + i] = value % 256;
    value = Math.floor(value / 256);
  }
}

/** What one library made of one message: accepted with values, refused (why), or crashed. */
export type Outcome =
  | { readonly ok: true; readonly values: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/** Runs the probe once over all `frames`; one outcome per frame. */
export function decodeWithCpp(frames: readonly Uint8Array[]): Outcome[] {
  const parts: Uint8Array[] = [];
  for (const f of frames) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, f.length);
    parts.push(len, f);
  }
  const run = spawnSync(cppPeerPath('igtl_decode_probe'), [], { input: Buffer.concat(parts), maxBuffer: 256 << 20, timeout: 120_000 });
  if (run.status !== 0) throw new Error(`igtl_decode_probe failed (${String(run.status ?? run.signal)}): ${run.stderr.toString()}`);
  const lines = run.stdout.toString().trim().split('\n');
  if (lines.length !== frames.length) throw new Error(`igtl_decode_probe printed ${lines.length} lines for ${frames.length} messages`);
  return lines.map((line) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    if (r.crash !== undefined) return { ok: false, reason: `crash ${String(r.crash)}` };
    if (r.headerUnpack === 0) return { ok: false, reason: 'header refused' };
    // A type the probe does not decode (or the library does not know): compared by its header alone.
    if (r.unsupported === true) return { ok: true, values: { type: r.type, deviceName: r.deviceName, unsupported: true } };
    // Unpack(1) after the header's Unpack() returns UNPACK_BODY (2) when the body was read and its CRC matched.
    if (((r.unpack as number) & 2) === 0) return { ok: false, reason: `unpack ${String(r.unpack)}` };
    const { present: _p, headerUnpack: _h, version: _v, bodySize: _b, unpack: _u, ...values } = r;
    // IMAGE spacing and origin are derived from the matrix by the C++ getters, not fields.
    delete values.spacing;
    delete values.origin;
    return { ok: true, values };
  });
}

/**
 * A text of igtl-rx as the probe prints the C++ getter's: the bytes received (igtl-rx keeps a byte
 * that is not UTF-8 as an escape, escapedUtf8) up to the first NUL (the getters return C strings), in hex.
 */
const cText = (s: string): string => {
  const bytes = Buffer.from(escapedUtf8Bytes(s));
  const nul = bytes.indexOf(0);
  return (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('hex');
};
const f32 = (v: number): number | string => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v);
const f32s = (a: ArrayLike<number>): (number | string)[] => Array.from(a, f32);
const upper3x4 = (m: ArrayLike<number>): (number | string)[] => f32s(Array.from(m).slice(0, 12));

/** Borderline messages packed by the C++ library 1.11 (igtl_encode_probe), with their names. */
export function encodedByCpp(): { readonly name: string; readonly frame: Uint8Array }[] {
  const run = (mode: string) => {
    const r = spawnSync(cppPeerPath('igtl_encode_probe'), [mode], { maxBuffer: 64 << 20, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`igtl_encode_probe ${mode} failed (${String(r.status ?? r.signal)}): ${r.stderr.toString()}`);
    return r.stdout;
  };
  const names = run('names').toString().trim().split('\n');
  const bytes = run('frames');
  const out: { name: string; frame: Uint8Array }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const n = bytes.readUInt32BE(at);
    out.push({ name: names[out.length]!, frame: new Uint8Array(bytes.subarray(at + 4, at + 4 + n)) });
    at += 4 + n;
  }
  if (out.length !== names.length) throw new Error(`igtl_encode_probe: ${out.length} frames for ${names.length} names`);
  return out;
}

/** Bytes swapped as one unit, per NDARRAY scalar type (complex: two float64). */
const SWAP_BYTES: Record<number, number> = { 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 11: 8, 13: 8 };

/** `bytes` with each `unit`-byte group reversed (big endian to little endian). */
function swapped(bytes: Uint8Array, unit: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i + unit <= out.length; i += unit) out.subarray(i, i + unit).reverse();
  return out;
}

/** FNV-1a (32 bit) of a payload with its length, as the probe prints it. */
function digest(bytes: Uint8Array): { bytes: number; fnv: number } {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return { bytes: bytes.length, fnv: h };
}

/** igtl-rx's values of a decoded message, in the probe's shape. */
export function valuesOf(msg: IgtlMessage): Record<string, unknown> {
  const typeName = msg.type === 'UNKNOWN' ? msg.typeName : msg.type;
  return { type: Buffer.from(typeName, 'latin1').toString('hex'), deviceName: cText(msg.deviceName), ...contentValues(msg) };
}

function contentValues(msg: IgtlMessage): Record<string, unknown> {
  const c = msg.content as never as Record<string, never>;
  switch (msg.type) {
    case 'TRANSFORM':
      return { matrix: upper3x4(c.matrix) };
    case 'POSITION': {
      const q = (c as { quaternion?: number[] }).quaternion;
      return { packType: q === undefined ? 1 : q.length === 3 ? 2 : 3, position: f32s(c.position), quaternion: f32s(positionQuaternion(msg.content as never)) };
    }
    case 'TDATA':
      return { elements: (c.elements as { name: string; type: number; matrix: number[] }[]).map((e) => ({ name: cText(e.name), type: e.type, matrix: upper3x4(e.matrix) })) };
    case 'QTDATA':
      return {
        elements: (c.elements as { name: string; type: number; position: number[]; quaternion: number[] }[]).map((e) => ({
          name: cText(e.name), type: e.type, position: f32s(e.position), quaternion: f32s(e.quaternion),
        })),
      };
    case 'STATUS':
      return { code: c.code, subcode: String(c.subcode), errorName: cText(c.errorName), statusMessage: cText(c.statusMessage) };
    case 'STRING': {
      const raw = (c as { raw?: Uint8Array }).raw;
      const bytes = raw ? Buffer.from(raw) : Buffer.from(c.value as string, (c.encoding as number) === 106 ? 'utf8' : 'latin1');
      const nul = bytes.indexOf(0);
      return { encoding: c.encoding, value: (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('hex') };
    }
    case 'IMAGE':
      return {
        scalarType: c.scalarType, components: c.numComponents, endian: c.endian, coordinate: c.coordinate,
        size: Array.from(c.size), subvolumeSize: Array.from(c.subvolumeSize), subvolumeOffset: Array.from(c.subvolumeOffset),
        pixels: digest(c.data),
      };
    case 'POINT':
      return {
        points: (c.points as { name: string; group: string; rgba: number[]; position: number[]; radius: number; owner: string }[]).map((p) => ({
          name: cText(p.name), group: cText(p.group), rgba: Array.from(p.rgba), position: f32s(p.position), radius: f32(p.radius), owner: cText(p.owner),
        })),
      };
    case 'SENSOR':
      return { unit: String(c.unit), values: f32s(c.data) };
    case 'NDARRAY':
      // C++ unpacks the array into host byte order (little endian here); igtl-rx keeps the wire's.
      return { scalarType: c.scalarType, size: Array.from(c.size), data: digest(swapped(c.data, SWAP_BYTES[c.scalarType as number] ?? 1)) };
    case 'POLYDATA': {
      const n = (k: string) => (c[k] as unknown[]).length;
      const attributes = (c.attributes as { type: number; ncomponents: number; n: number; name: string }[]).map((a) => ({
        type: a.type, ncomponents: a.ncomponents, n: a.n, name: cText(a.name),
      }));
      return { points: (c.points as Float32Array).length / 3, vertices: n('vertices'), lines: n('lines'), polygons: n('polygons'), strips: n('triangleStrips'), attributes };
    }
    case 'TRAJ':
      return {
        trajectories: (c.trajectories as { name: string; group: string; type: number; rgba: number[]; entry: number[]; target: number[]; radius: number; owner: string }[]).map((t) => ({
          name: cText(t.name), group: cText(t.group), type: t.type, rgba: Array.from(t.rgba), entry: f32s(t.entry), target: f32s(t.target), radius: f32(t.radius), owner: cText(t.owner),
        })),
      };
    case 'IMGMETA':
      return {
        images: (c.images as { name: string; deviceName: string; modality: string; patientName: string; patientId: string; size: number[]; scalarType: number }[]).map((i) => ({
          name: cText(i.name), deviceName: cText(i.deviceName), modality: cText(i.modality), patientName: cText(i.patientName), patientId: cText(i.patientId),
          size: Array.from(i.size), scalarType: i.scalarType,
        })),
      };
    case 'LBMETA':
      return {
        labels: (c.labels as { name: string; deviceName: string; label: number; rgba: number[]; size: number[]; owner: string }[]).map((l) => ({
          name: cText(l.name), deviceName: cText(l.deviceName), label: l.label, rgba: Array.from(l.rgba), size: Array.from(l.size), owner: cText(l.owner),
        })),
      };
    case 'COLORT':
      return { indexType: c.indexType, mapType: c.mapType, tableBytes: (c.table as Uint8Array).length };
    case 'CAPABILITY':
      return { types: (c.types as string[]).map(cText) };
    case 'BIND':
      return { children: (c.children as IgtlMessage[]).map((m) => cText(m.type === 'UNKNOWN' ? m.typeName : m.type)) };
    default: // UNKNOWN, and the standard types the probe does not decode
      return { unsupported: true };
  }
}

/** igtl-rx's outcome of one frame. */
export function decodeWithUs(frame: Uint8Array): Outcome {
  try {
    return { ok: true, values: valuesOf(decodeMessage(frame)) };
  } catch (err) {
    if (err instanceof IgtlError) return { ok: false, reason: `${err.code}: ${err.message}` };
    throw err; // anything else is a bug of ours: the test fails on it
  }
}

/** What a connection's decoder (MessageDecoder, defaults: resync 'stop') made of a frame and of a good message after it. */
export interface StreamOutcome {
  /** Codes of the errors and types of the messages, in order. */
  readonly results: readonly string[];
  /** Whether the good message after the frame was still decoded (the stream was not given up). */
  readonly nextDecoded: boolean;
}

/** Feeds `frame`, then `next`, to a fresh MessageDecoder as one chunk, the way bytes arrive on a connection. */
export function decodeOnConnection(frame: Uint8Array, next: Uint8Array): StreamOutcome {
  const results: string[] = [];
  const decoder = new MessageDecoder({ message: (m) => results.push(m.type), error: (e) => results.push(e.code) });
  const chunk = new Uint8Array(frame.length + next.length);
  chunk.set(frame);
  chunk.set(next, frame.length);
  decoder.push(chunk);
  const nextType = decodeMessage(next).type;
  return { results, nextDecoded: results.at(-1) === nextType && results.length >= 2 };
}

/** Differences of values between the two outcomes (paths), or [] when equal. */
export function valueDifferences(cpp: Record<string, unknown>, ours: Record<string, unknown>, path = ''): string[] {
  const diffs: string[] = [];
  const walk = (a: unknown, b: unknown, p: string): void => {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) diffs.push(`${p}: C++ ${a.length} items, igtl-rx ${b.length}`);
      else a.forEach((x, i) => walk(x, b[i], `${p}[${i}]`));
    } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as never)[k], (b as never)[k], `${p}.${k}`);
    } else if (a !== b) diffs.push(`${p}: C++ ${JSON.stringify(a)}, igtl-rx ${JSON.stringify(b)}`);
  };
  walk(cpp, ours, path);
  return diffs;
}

// ---------------------------------------------------------------------------------------------
// The spec's own size rules, written here from OpenIGTLink Documents/Protocol/*.md independently
// of both decoders: a variant whose content breaks one is invalid whatever a decoder makes of it.

const SCALAR_BYTES: Record<number, number> = { 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 11: 8 };
const NDARRAY_BYTES: Record<number, number> = { ...SCALAR_BYTES, 13: 16 };
const RECORD_SIZE: Record<string, number> = { TDATA: 70, QTDATA: 50, POINT: 136, TRAJ: 150, IMGMETA: 260, LBMETA: 116, CAPABILITY: 12 };
/** COLORT: entries per INDEX_TYPE, bytes per entry per MAP_TYPE (colortable.md). */
const COLORT_ENTRIES: Record<number, number> = { 3: 256, 5: 65536 };
const COLORT_BYTES: Record<number, number> = { 3: 1, 5: 2, 19: 3 };

/**
 * Why `content` (a message's content) contradicts the spec of `type`'s layout, or undefined when
 * its counts, sizes and dimensions add up to its length.
 */
export function specProblem(type: string, c: Uint8Array): string | undefined {
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  const n = c.length;
  const expect = (size: number, what: string) => (n === size ? undefined : `${what}: ${size} bytes, content has ${n}`);
  switch (type) {
    case 'TRANSFORM':
      return expect(48, 'transform.md: 12 float32');
    case 'POSITION':
      return [12, 24, 28].includes(n) ? undefined : `position.md: 12, 24 or 28 bytes, content has ${n}`;
    case 'TDATA':
    case 'QTDATA':
    case 'POINT':
    case 'TRAJ':
    case 'IMGMETA':
    case 'LBMETA':
    case 'CAPABILITY':
      return n % RECORD_SIZE[type]! === 0 ? undefined : `${n} bytes is not a whole number of ${RECORD_SIZE[type]}-byte elements`;
    case 'STATUS':
      return n >= 30 ? undefined : `status.md: 30 bytes before the message, content has ${n}`;
    case 'STRING':
      return n < 4 ? 'string.md: 4-byte header missing' : expect(4 + v.getUint16(2), 'string.md: 4 + LENGTH');
    case 'SENSOR':
      return n < 10 ? 'sensordata.md: 10-byte header missing' : expect(10 + 8 * c[0]!, 'sensordata.md: 10 + 8 * LARRAY');
    case 'NDARRAY': {
      if (n < 2) return 'ndarray.md: TYPE and DIM missing';
      const bytes = NDARRAY_BYTES[c[0]!];
      if (bytes === undefined) return `ndarray.md: TYPE ${c[0]} undefined`;
      const dim = c[1]!;
      if (n < 2 + 2 * dim) return 'ndarray.md: SIZE cut short';
      let count = 1;
      for (let i = 0; i < dim; i++) count *= v.getUint16(2 + 2 * i);
      return expect(2 + 2 * dim + count * bytes, 'ndarray.md: 2 + 2 * DIM + product of SIZE * element size');
    }
    case 'IMAGE': {
      if (n < 72) return 'image.md: 72-byte image header missing';
      if (v.getUint16(0) !== 1) return `image.md: image header version ${v.getUint16(0)}`;
      const bytes = SCALAR_BYTES[c[3]!];
      if (bytes === undefined) return `image.md: scalar type ${c[3]} undefined`;
      let voxels = 1;
      for (let i = 0; i < 3; i++) {
        const size = v.getUint16(6 + 2 * i);
        const offset = v.getUint16(60 + 2 * i);
        const sub = v.getUint16(66 + 2 * i);
        if (offset + sub > size) return `image.md: sub-volume ${offset}+${sub} outside size ${size} on axis ${i}`;
        voxels *= sub;
      }
      return expect(72 + voxels * c[2]! * bytes, 'image.md: 72 + sub-volume voxels * components * scalar size');
    }
    case 'POLYDATA':
      return polydataProblem(c, v);
    case 'COLORT': {
      if (n < 2) return 'colortable.md: INDEX_TYPE and MAP_TYPE missing';
      const entries = COLORT_ENTRIES[c[0]!];
      const bytes = COLORT_BYTES[c[1]!];
      if (entries === undefined || bytes === undefined) return `colortable.md: INDEX_TYPE ${c[0]} or MAP_TYPE ${c[1]} undefined`;
      return expect(2 + entries * bytes, 'colortable.md: 2 + entries of INDEX_TYPE * bytes of MAP_TYPE');
    }
    case 'BIND':
      return bindProblem(c, v);
    default:
      return undefined;
  }
}

function polydataProblem(c: Uint8Array, v: DataView): string | undefined {
  if (c.length < 40) return 'polydata.md: 40-byte count header missing';
  const u32 = (i: number) => v.getUint32(4 * i);
  let at = 40 + 12 * u32(0);
  // Each cell array: its N cells of (count, indices...) as uint32 fill exactly its SIZE.
  for (const [count, size] of [[1, 2], [3, 4], [5, 6], [7, 8]] as const) {
    const end = at + u32(size);
    if (end > c.length) return 'polydata.md: cell arrays longer than the content';
    let p = at;
    for (let i = 0; i < u32(count); i++) {
      if (p + 4 > end) return 'polydata.md: cells overrun their SIZE';
      p += 4 * (1 + v.getUint32(p));
    }
    if (p !== end) return 'polydata.md: cells do not fill their SIZE';
    at = end;
  }
  const attributes = u32(9);
  let data = 0;
  for (let i = 0; i < attributes; i++, at += 6) {
    if (at + 6 > c.length) return 'polydata.md: attribute headers cut short';
    // polydata.md calls TYPE a uint16 with the components in bits 8-15 (the first byte, big
    // endian); the C library writes the type byte first, then the components byte, and so do the
    // golden vectors and igtl-rx (polydata.ts).
    data += 4 * c[at + 1]! * v.getUint32(at + 2);
  }
  let names = 0;
  for (let i = 0; i < attributes; i++) {
    const nul = c.indexOf(0, at + names);
    if (nul < 0) return 'polydata.md: attribute name without its NUL';
    names = nul + 1 - at;
  }
  return c.length === at + names + (names % 2) + data ? undefined : 'polydata.md: content length does not match its counts';
}

function bindProblem(c: Uint8Array, v: DataView): string | undefined {
  // bind.md: NCHILD uint16, then per child TYPE char[12] and SIZE uint64, then NTABLE_SIZE uint16
  // and the name table (NUL-terminated names, padded to an even length), then each child's
  // content, padded to an even length.
  if (c.length < 2) return 'bind.md: NCHILD missing';
  const children = v.getUint16(0);
  let at = 2 + 20 * children;
  if (at + 2 > c.length) return 'bind.md: child headers cut short';
  let data = 0;
  for (let i = 0; i < children; i++) {
    const size = Number(v.getBigUint64(2 + 20 * i + 12));
    data += size + (size % 2);
  }
  const table = v.getUint16(at);
  at += 2;
  if (table % 2 === 1) return 'bind.md: NTABLE_SIZE odd';
  if (at + table > c.length) return 'bind.md: name table longer than the content';
  let names = 0;
  for (let p = at; p < at + table; p++) if (c[p] === 0) names++;
  if (names < children) return `bind.md: ${names} names for ${children} children`;
  if (c.length !== at + table + data) return 'bind.md: content length does not match the child sizes';
  // Each child has a TYPE. A child whose content breaks its own type's rules is not a problem of
  // the BIND: the BIND frames it, and the child alone is kept raw with its error.
  for (let i = 0; i < children; i++) {
    if (c[2 + 20 * i] === 0) return `bind.md: child ${i} has no TYPE`;
  }
  return undefined;
}
