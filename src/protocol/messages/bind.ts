// BIND (several messages in one) and its queries GET_BIND and STT_BIND (OpenIGTLink Documents/Protocol/bind.md).
//
// BIND: uint16 NCHILD; NCHILD x (char[12] type, uint64 content size); uint16 NTABLE_SIZE; the
// child device names, each NUL-terminated, padded to an even length; then each child's content
// followed by one 0x00 when its size is odd. GET_BIND is the same without the sizes and the
// child contents (and the C++ sender does not pad its name table); STT_BIND puts a uint64
// resolution in front.
//
// Children are encoded with the default registry, imported from ./index.js, which imports this
// file: the cycle is safe because the registry is only used inside functions, after both modules
// have been evaluated. (This file must therefore not be the first of the two to be imported; the
// package entry and ./index.js both import ./index.js first.)
import type { ContentCodec, DecodeContext } from '../codec.js';
import { fromBase64 } from '../base64.js';
import { DEVICE_NAME_SIZE, TYPE_NAME_SIZE } from '../constants.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { codecLog } from '../log.js';
import { EMPTY_METADATA } from '../metadata.js';
import { escapedText, escapedTextBytes, fixedStringLength, readFixedString, writeFixedString } from '../text.js';
import { Timestamp } from '../timestamp.js';
import { wireType, type IgtlMessage } from '../types.js';
import { asArray, asBigInt, asObject, asString, bytesToJSON } from './json-fields.js';
import { defaultRegistry } from './index.js';

/**
 * Content of a BIND message. Each child is a whole message: its `type`, its `deviceName` (the
 * name from the BIND name table) and its `content`; on the wire only the child's content travels
 * (in v1 form), so the child's timestamp is the BIND's and it has no metadata.
 *
 * Decoded children have header version 1, message ID 0 and no metadata. Their timestamp is the
 * BIND's when the decoder passes it in the {@link DecodeContext} (a `timestamp` field), and
 * `Timestamp.ZERO` otherwise. On encode a child's timestamp and header version are not sent; a
 * child with metadata or a message ID is refused, since BIND has nowhere to put them.
 */
export interface BindContent {
  readonly children: readonly IgtlMessage[];
}

/** One requested child of GET_BIND / STT_BIND. */
export interface BindRequestEntry {
  readonly type: string;
  readonly name: string;
}

/**
 * How a received GET_BIND / STT_BIND child list was laid out, when it is not the form igtl-rx
 * writes by default (unpadded name table, nothing at all for "every child"), so that it
 * re-encodes byte for byte: `'padded'` = the name table had the spec's pad byte to an even
 * length; `'explicit-empty'` = "every child" sent as NCHILD 0 and NTABLE_SIZE 0 (4 zero bytes).
 */
export type BindRequestForm = 'padded' | 'explicit-empty';

/** Content of GET_BIND: the children wanted (empty = all). */
export interface GetBindContent {
  readonly children: readonly BindRequestEntry[];
  /** The layout that arrived, when not the default (see {@link BindRequestForm}). */
  readonly form?: BindRequestForm;
}

/** Content of STT_BIND. */
export interface StartBindContent {
  /** Minimum interval (ns per the docs; the C++ sender never fills it in). */
  readonly resolution: bigint;
  readonly children: readonly BindRequestEntry[];
  /** The layout that arrived, when not the default (see {@link BindRequestForm}). */
  readonly form?: BindRequestForm;
}

// BIND layout (bind.md), offsets from the start of the content.
const OFFSET_NCHILD = 0;
const NCHILD_SIZE = 2;
/** One BIND child entry: char[12] CTYPE, uint64 CSIZE. */
const BIND_ENTRY_SIZE = TYPE_NAME_SIZE + 8;
/** One GET_BIND / STT_BIND child entry: char[12] CTYPE. */
const REQUEST_ENTRY_SIZE = TYPE_NAME_SIZE;
const NTABLE_SIZE_SIZE = 2;
/** STT_BIND: uint64 RESOL in front of the GET_BIND layout. */
const RESOLUTION_SIZE = 8;
const UINT16_MAX = 0xffff;

// ---------------------------------------------------------------------------------------------
// Name tables

/**
 * Reads `count` NUL-terminated names from the table of `tableSize` bytes at `offset`. Returns
 * the names and the bytes they take (NULs included, padding not).
 */
function readNameTable(type: string, bytes: Uint8Array, offset: number, tableSize: number, count: number): { names: string[]; used: number } {
  const names = new Array<string>(count);
  const end = offset + tableSize;
  let p = offset;
  for (let i = 0; i < count; i++) {
    const start = p;
    while (p < end && bytes[p] !== 0) p++;
    if (p >= end) throw new MalformedMessageError(type, `name table of ${tableSize} bytes holds fewer than the ${count} NUL-terminated names`);
    if (p - start > DEVICE_NAME_SIZE) throw new MalformedMessageError(type, `child ${i} name is ${p - start} bytes (device names hold ${DEVICE_NAME_SIZE})`);
    names[i] = escapedText(bytes, start, p);
    p++;
  }
  return { names, used: p - offset };
}

/** The names as UTF-8, each checked to be a device name (at most 20 bytes, no NUL). */
function encodeNames(type: string, names: readonly string[]): { encoded: Uint8Array[]; total: number } {
  const encoded: Uint8Array[] = [];
  let total = 0;
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.includes('\0')) throw new EncodeError(type, `children[${i}] name must be a string without NUL`);
    const b = escapedTextBytes(name);
    if (b.length > DEVICE_NAME_SIZE) throw new EncodeError(type, `children[${i}] name "${name}" is ${b.length} bytes, a device name holds ${DEVICE_NAME_SIZE}`);
    encoded.push(b);
    total += b.length + 1;
  });
  return { encoded, total };
}

function writeNames(bytes: Uint8Array, offset: number, encoded: readonly Uint8Array[]): number {
  let p = offset;
  for (const b of encoded) {
    bytes.set(b, p);
    p += b.length;
    bytes[p++] = 0;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// BIND

/** A child message as the C++ receiver rebuilds it: V = 1, the BIND's timestamp, no metadata. */
function knownChild(type: string, deviceName: string, timestamp: Timestamp, content: unknown): IgtlMessage {
  // The registry maps type names to codecs of unknown content, as decode.ts does for whole
  // messages: the codec registered for `type` produced `content`, which is what the union says.
  return { type, headerVersion: 1, deviceName, timestamp, messageId: 0, metadata: EMPTY_METADATA, content } as IgtlMessage;
}

/**
 * A child kept as its raw content (the shape decode.ts gives a message whose type has no codec):
 * a type without a codec, or, with `error`, a type whose codec refused the content.
 */
function unknownChild(typeName: string, deviceName: string, timestamp: Timestamp, raw: Uint8Array, error?: MalformedMessageError): IgtlMessage {
  const content = error === undefined ? { raw } : { raw, error };
  return { type: 'UNKNOWN', typeName, headerVersion: 1, deviceName, timestamp, messageId: 0, metadata: EMPTY_METADATA, content };
}

/**
 * Decodes one child's content with its codec; content the codec refuses becomes a raw child
 * carrying the codec's error. The BIND's own layout has framed the child already (its size is
 * checked against the BIND), so one bad child costs only itself: the C++ library, which decodes
 * a child only when asked for it, loses no more (bind.md gives each child its own type's rules).
 */
function decodeChild(codec: ContentCodec<string, unknown>, type: string, name: string, bytes: Uint8Array, view: DataView, at: number, size: number, ctx: DecodeContext): IgtlMessage {
  try {
    return knownChild(type, name, ctx.timestamp, codec.decode(bytes, view, at, size, ctx));
  } catch (err) {
    // A codec reports MalformedMessageError; anything else (a user codec's bug) is wrapped, as decode.ts does.
    const error = err instanceof MalformedMessageError
      ? err
      : new MalformedMessageError(type, err instanceof Error ? err.message : String(err), { cause: err });
    codecLog('BIND child %s "%s" kept as raw bytes: %s', type, name, error.message);
    return unknownChild(type, name, ctx.timestamp, bytes.subarray(at, at + size), error);
  }
}

/** A child's content encoder: its codec from the default registry, or its raw bytes. */
interface ChildPlan {
  readonly type: string;
  readonly size: number;
  write(bytes: Uint8Array, view: DataView, offset: number): void;
}

function planChild(child: IgtlMessage, i: number): ChildPlan {
  if (child === null || typeof child !== 'object') throw new EncodeError('BIND', `children[${i}] must be a message`);
  const type = wireType(child);
  if (typeof type !== 'string' || type === '') throw new EncodeError('BIND', `children[${i}] has no type name`);
  // As writeFixedString writes it (an escape of a received byte is that byte, not U+FFFD).
  if (fixedStringLength(type) > TYPE_NAME_SIZE) throw new EncodeError('BIND', `children[${i}] type "${type}" is longer than ${TYPE_NAME_SIZE} bytes`);
  // Only the child's content travels (in v1 form): refuse what would be lost.
  if (child.metadata !== undefined && child.metadata.size > 0) throw new EncodeError('BIND', `children[${i}] (${type}) has metadata, which a BIND child cannot carry`);
  if (child.messageId !== undefined && child.messageId !== 0) throw new EncodeError('BIND', `children[${i}] (${type}) has a message ID, which a BIND child cannot carry`);
  if (child.type === 'UNKNOWN') {
    const raw = child.content.raw;
    return { type, size: raw.length, write: (bytes, _view, offset) => bytes.set(raw, offset) };
  }
  const codec = defaultRegistry.get(type);
  if (codec === undefined) throw new EncodeError('BIND', `children[${i}]: no codec is registered for ${type}`);
  const content = child.content;
  const size = codec.size(content);
  return { type, size, write: (bytes, view, offset) => codec.encode(content, bytes, view, offset) };
}

/** The content bytes of one child (what a BIND carries for it). */
function childContentBytes(plan: ChildPlan): Uint8Array {
  const bytes = new Uint8Array(plan.size);
  plan.write(bytes, new DataView(bytes.buffer), 0);
  return bytes;
}

/**
 * Deepest nesting of BIND inside BIND that is decoded or encoded. Each level costs stack and
 * C++ peers send none; without a bound, a hostile 1 MiB BIND nested 40 000 deep would exhaust the
 * stack and build an error message for every level.
 */
export const MAX_BIND_NESTING = 16;
// Current nesting per operation. The codec is synchronous, so a counter per call stack is exact.
const depth = { decode: 0, size: 0, fromJSON: 0 };

function nested<T>(op: keyof typeof depth, run: () => T, path = '$.content'): T {
  if (depth[op] >= MAX_BIND_NESTING) {
    const detail = `BIND nested more than ${MAX_BIND_NESTING} levels deep`;
    if (op === 'decode') throw new MalformedMessageError('BIND', detail);
    if (op === 'size') throw new EncodeError('BIND', detail);
    throw new InvalidJsonMessageError(path, detail);
  }
  depth[op]++;
  try {
    return run();
  } finally {
    depth[op]--;
  }
}

function decodeBind(bytes: Uint8Array, view: DataView, offset: number, length: number, ctx: DecodeContext): BindContent {
  const end = offset + length;
  if (length < NCHILD_SIZE + NTABLE_SIZE_SIZE) throw new MalformedMessageError('BIND', `content is ${length} bytes, shorter than the 4-byte minimum`);
  const nchild = view.getUint16(offset + OFFSET_NCHILD);
  const tableSizeAt = offset + NCHILD_SIZE + nchild * BIND_ENTRY_SIZE;
  if (tableSizeAt + NTABLE_SIZE_SIZE > end) {
    throw new MalformedMessageError('BIND', `${nchild} child entries (${nchild * BIND_ENTRY_SIZE} bytes) do not fit in the ${length}-byte content`);
  }
  const types = new Array<string>(nchild);
  const sizes = new Array<number>(nchild);
  let dataSize = 0;
  for (let i = 0; i < nchild; i++) {
    const e = offset + NCHILD_SIZE + i * BIND_ENTRY_SIZE;
    types[i] = readFixedString(bytes, e, TYPE_NAME_SIZE);
    if (types[i] === '') throw new MalformedMessageError('BIND', `child ${i} has an empty type name`);
    const hi = view.getUint32(e + TYPE_NAME_SIZE);
    const lo = view.getUint32(e + TYPE_NAME_SIZE + 4);
    if (hi !== 0 || lo > length) throw new MalformedMessageError('BIND', `child ${i} (${types[i]}) size ${(BigInt(hi) << 32n) | BigInt(lo)} exceeds the ${length}-byte content`);
    sizes[i] = lo;
    dataSize += lo + (lo % 2);
  }
  const tableSize = view.getUint16(tableSizeAt);
  const tableStart = tableSizeAt + NTABLE_SIZE_SIZE;
  if (tableSize % 2 !== 0) throw new MalformedMessageError('BIND', `name table size ${tableSize} is odd (it must be padded to even)`);
  if (tableSize > end - tableStart) throw new MalformedMessageError('BIND', `name table of ${tableSize} bytes runs past the ${length}-byte content`);
  const { names, used } = readNameTable('BIND', bytes, tableStart, tableSize, nchild);
  if (used + (used % 2) !== tableSize) {
    throw new MalformedMessageError('BIND', `name table size is ${tableSize}, the ${nchild} names take ${used} bytes${used % 2 ? ' + 1 pad' : ''}`);
  }
  let p = tableStart + tableSize;
  if (p + dataSize !== end) {
    throw new MalformedMessageError('BIND', `child contents with padding take ${dataSize} bytes, ${end - p} remain of the ${length}-byte content`);
  }
  const timestamp = ctx.timestamp;
  const children = new Array<IgtlMessage>(nchild);
  for (let i = 0; i < nchild; i++) {
    const type = types[i]!;
    const size = sizes[i]!;
    const codec = ctx.registry.get(type);
    children[i] = codec === undefined
      ? unknownChild(type, names[i]!, timestamp, bytes.subarray(p, p + size))
      : decodeChild(codec, type, names[i]!, bytes, view, p, size, ctx);
    p += size + (size % 2);
  }
  return { children };
}

function bindSize(content: BindContent): number {
  const children = content.children;
  if (!Array.isArray(children)) throw new EncodeError('BIND', 'children must be an array of messages');
  if (children.length > UINT16_MAX) throw new EncodeError('BIND', `${children.length} children; NCHILD is a uint16`);
  const { total } = encodeNames('BIND', children.map((c) => c.deviceName));
  const tableSize = total + (total % 2);
  if (tableSize > UINT16_MAX) throw new EncodeError('BIND', `name table is ${tableSize} bytes; NTABLE_SIZE is a uint16`);
  let size = NCHILD_SIZE + children.length * BIND_ENTRY_SIZE + NTABLE_SIZE_SIZE + tableSize;
  children.forEach((child, i) => {
    const s = planChild(child, i).size;
    size += s + (s % 2);
  });
  return size;
}

function bindFromJSON(json: JsonObject, path: string): BindContent {
  const o = asObject(json, path);
  // `nchild` and each child's `size` are derived and ignored. A child is rebuilt from
  // `bodyBase64` (its exact content bytes) when present, else from its `content` JSON. A child
  // of a type with a codec whose content is given raw (`content.rawBase64`, as toJSON writes a
  // child its codec refused) is decoded if it can be, else kept raw with the codec's error
  // (`content.error` is derived, for readers).
  const children = asArray(o.children ?? [], `${path}.children`).map((item, i): IgtlMessage => {
    const cp = `${path}.children[${i}]`;
    const c = asObject(item, cp);
    const type = asString(c.type, `${cp}.type`);
    const name = asString(c.name ?? '', `${cp}.name`);
    const codec = defaultRegistry.get(type);
    let body: Uint8Array | undefined;
    if (c.bodyBase64 !== undefined) {
      body = fromBase64(asString(c.bodyBase64, `${cp}.bodyBase64`));
      if (!body) throw new InvalidJsonMessageError(`${cp}.bodyBase64`, 'not valid base64');
    }
    if (codec === undefined) {
      if (!body) {
        const content = asObject(c.content ?? {}, `${cp}.content`);
        body = fromBase64(asString(content.rawBase64, `${cp}.content.rawBase64`));
        if (!body) throw new InvalidJsonMessageError(`${cp}.content.rawBase64`, 'not valid base64');
      }
      return unknownChild(type, name, Timestamp.ZERO, body);
    }
    const content = asObject(c.content ?? {}, `${cp}.content`);
    const rawForm = content.rawBase64 !== undefined;
    if (!body && rawForm) {
      body = fromBase64(asString(content.rawBase64, `${cp}.content.rawBase64`));
      if (!body) throw new InvalidJsonMessageError(`${cp}.content.rawBase64`, 'not valid base64');
    }
    if (!body) return knownChild(type, name, Timestamp.ZERO, codec.fromJSON(content, `${cp}.content`));
    const child = decodeChild(codec, type, name, body, new DataView(body.buffer, body.byteOffset, body.byteLength), 0, body.length, { registry: defaultRegistry, timestamp: Timestamp.ZERO });
    // Bytes its codec refuses are an error unless the JSON says they are a refused child's.
    if (child.type === 'UNKNOWN' && !rawForm) {
      throw new InvalidJsonMessageError(`${cp}.bodyBase64`, `not a valid ${type} content: ${child.content.error?.message ?? ''}`);
    }
    return child;
  });
  return { children };
}

/** Codec of BIND. */
export const bindCodec: ContentCodec<'BIND', BindContent> = {
  type: 'BIND',
  decode(bytes, view, offset, length, ctx) {
    return nested('decode', () => decodeBind(bytes, view, offset, length, ctx));
  },
  size(content) {
    return nested('size', () => bindSize(content));
  },
  encode(content, bytes, view, offset) {
    const children = content.children;
    const plans = children.map((c, i) => planChild(c, i));
    const { encoded, total } = encodeNames('BIND', children.map((c) => c.deviceName));
    view.setUint16(offset + OFFSET_NCHILD, children.length);
    plans.forEach((plan, i) => {
      const e = offset + NCHILD_SIZE + i * BIND_ENTRY_SIZE;
      writeFixedString(bytes, e, TYPE_NAME_SIZE, plan.type, 'BIND', `children[${i}] type`);
      view.setUint32(e + TYPE_NAME_SIZE, 0);
      view.setUint32(e + TYPE_NAME_SIZE + 4, plan.size);
    });
    const tableSizeAt = offset + NCHILD_SIZE + children.length * BIND_ENTRY_SIZE;
    view.setUint16(tableSizeAt, total + (total % 2));
    let p = writeNames(bytes, tableSizeAt + NTABLE_SIZE_SIZE, encoded);
    if (total % 2) bytes[p++] = 0;
    for (const plan of plans) {
      plan.write(bytes, view, p);
      p += plan.size;
      if (plan.size % 2) bytes[p++] = 0;
    }
  },
  toJSON(content) {
    return {
      nchild: content.children.length,
      children: content.children.map((child, i): JsonObject => {
        const plan = planChild(child, i);
        const body = childContentBytes(plan);
        let childContent: JsonObject;
        if (child.type === 'UNKNOWN') {
          childContent = child.content.error === undefined ? { rawBase64: bytesToJSON(body) } : { rawBase64: bytesToJSON(body), error: child.content.error.detail };
        } else childContent = defaultRegistry.get(plan.type)!.toJSON(child.content);
        return { type: plan.type, name: child.deviceName, size: plan.size, bodyBase64: bytesToJSON(body), content: childContent };
      }),
    };
  },
  fromJSON(json, path) {
    return nested('fromJSON', () => bindFromJSON(json, path), path);
  },
};

// ---------------------------------------------------------------------------------------------
// GET_BIND and STT_BIND

/**
 * Reads the GET_BIND layout at `offset` (`length` > 0 bytes): uint16 NCHILD, NCHILD x char[12],
 * uint16 NTABLE_SIZE, the names. The table may be unpadded (as the C++ sender writes it) or
 * padded to an even length (as the spec says).
 */
function readRequestList(type: string, bytes: Uint8Array, view: DataView, offset: number, length: number): { children: BindRequestEntry[]; form?: BindRequestForm } {
  const end = offset + length;
  if (length < NCHILD_SIZE + NTABLE_SIZE_SIZE) throw new MalformedMessageError(type, `child list is ${length} bytes, shorter than the 4-byte minimum`);
  const nchild = view.getUint16(offset);
  const tableSizeAt = offset + NCHILD_SIZE + nchild * REQUEST_ENTRY_SIZE;
  if (tableSizeAt + NTABLE_SIZE_SIZE > end) {
    throw new MalformedMessageError(type, `${nchild} child types (${nchild * REQUEST_ENTRY_SIZE} bytes) do not fit in the ${length}-byte child list`);
  }
  const tableSize = view.getUint16(tableSizeAt);
  const tableStart = tableSizeAt + NTABLE_SIZE_SIZE;
  if (tableStart + tableSize !== end) {
    throw new MalformedMessageError(type, `name table size is ${tableSize}, ${end - tableStart} bytes remain of the ${length}-byte child list`);
  }
  const { names, used } = readNameTable(type, bytes, tableStart, tableSize, nchild);
  if (used !== tableSize && !(used % 2 === 1 && used + 1 === tableSize)) {
    throw new MalformedMessageError(type, `name table size is ${tableSize}, the ${nchild} names take ${used} bytes`);
  }
  const children = new Array<BindRequestEntry>(nchild);
  for (let i = 0; i < nchild; i++) {
    children[i] = { type: readFixedString(bytes, offset + NCHILD_SIZE + i * REQUEST_ENTRY_SIZE, TYPE_NAME_SIZE), name: names[i]! };
  }
  if (nchild === 0) return { children, form: 'explicit-empty' };
  return used !== tableSize ? { children, form: 'padded' } : { children };
}

/** Bytes of the GET_BIND layout for `children` (0 for "all"); throws EncodeError. */
function requestListSize(type: string, children: readonly BindRequestEntry[], form: BindRequestForm | undefined): number {
  if (!Array.isArray(children)) throw new EncodeError(type, 'children must be an array of {type, name}');
  if (children.length === 0) return form === 'explicit-empty' ? NCHILD_SIZE + NTABLE_SIZE_SIZE : 0;
  if (children.length > UINT16_MAX) throw new EncodeError(type, `${children.length} children; NCHILD is a uint16`);
  children.forEach((c, i) => {
    if (typeof c.type !== 'string') throw new EncodeError(type, `children[${i}].type must be a string`);
    if (fixedStringLength(c.type) > TYPE_NAME_SIZE) throw new EncodeError(type, `children[${i}].type "${c.type}" is longer than ${TYPE_NAME_SIZE} bytes`);
  });
  const { total } = encodeNames(type, children.map((c) => c.name));
  if (total > UINT16_MAX) throw new EncodeError(type, `name table is ${total} bytes; NTABLE_SIZE is a uint16`);
  return NCHILD_SIZE + children.length * REQUEST_ENTRY_SIZE + NTABLE_SIZE_SIZE + total + (form === 'padded' ? total % 2 : 0);
}

/**
 * Writes the GET_BIND layout; the name table is not padded, as the C++ sender writes it, unless
 * `form` says it arrived padded (or as an explicit empty list).
 */
function writeRequestList(type: string, children: readonly BindRequestEntry[], form: BindRequestForm | undefined, bytes: Uint8Array, view: DataView, offset: number): void {
  if (children.length === 0) {
    if (form === 'explicit-empty') view.setUint32(offset, 0);
    return;
  }
  view.setUint16(offset, children.length);
  children.forEach((c, i) => writeFixedString(bytes, offset + NCHILD_SIZE + i * REQUEST_ENTRY_SIZE, TYPE_NAME_SIZE, c.type, type, `children[${i}].type`));
  const { encoded, total } = encodeNames(type, children.map((c) => c.name));
  const tableSizeAt = offset + NCHILD_SIZE + children.length * REQUEST_ENTRY_SIZE;
  const pad = form === 'padded' ? total % 2 : 0;
  view.setUint16(tableSizeAt, total + pad);
  writeNames(bytes, tableSizeAt + NTABLE_SIZE_SIZE, encoded);
  if (pad) bytes[tableSizeAt + NTABLE_SIZE_SIZE + total] = 0;
}

function requestListToJSON(children: readonly BindRequestEntry[], form: BindRequestForm | undefined): JsonObject {
  return { nchild: children.length, children: children.map((c): JsonObject => ({ type: c.type, name: c.name })), ...(form === undefined ? {} : { form }) };
}

function formFromJSON(v: JsonValue | undefined, path: string): { form?: BindRequestForm } {
  if (v === undefined) return {};
  const form = asString(v, path);
  if (form !== 'padded' && form !== 'explicit-empty') throw new InvalidJsonMessageError(path, `must be "padded" or "explicit-empty", got "${form}"`);
  return { form };
}

function requestListFromJSON(v: JsonValue | undefined, path: string): BindRequestEntry[] {
  return asArray(v ?? [], path).map((item, i) => {
    const c = asObject(item, `${path}[${i}]`);
    return { type: asString(c.type, `${path}[${i}].type`), name: asString(c.name ?? '', `${path}[${i}].name`) };
  });
}

/**
 * Codec of GET_BIND. Empty content requests every child. A padded name table (spec) and an
 * unpadded one (C++) are both read; the table is written unpadded, like the C++ sender, unless
 * `form` records that it arrived padded or as an explicit empty list (4 zero bytes), so every
 * received GET_BIND re-encodes byte for byte.
 */
export const getBindCodec: ContentCodec<'GET_BIND', GetBindContent> = {
  type: 'GET_BIND',
  decode(bytes, view, offset, length) {
    return length === 0 ? { children: [] } : readRequestList('GET_BIND', bytes, view, offset, length);
  },
  size: (content) => requestListSize('GET_BIND', content.children, content.form),
  encode(content, bytes, view, offset) {
    writeRequestList('GET_BIND', content.children, content.form, bytes, view, offset);
  },
  toJSON: (content) => requestListToJSON(content.children, content.form),
  fromJSON(json, path) {
    const o = asObject(json, path);
    return { children: requestListFromJSON(o.children, `${path}.children`), ...formFromJSON(o.form, `${path}.form`) };
  },
};

/**
 * Codec of STT_BIND: uint64 resolution, then the GET_BIND layout (nothing more when every child
 * is requested). Note that C++ senders leave the resolution uninitialised (bind.md).
 */
export const startBindCodec: ContentCodec<'STT_BIND', StartBindContent> = {
  type: 'STT_BIND',
  decode(bytes, view, offset, length) {
    if (length < RESOLUTION_SIZE) throw new MalformedMessageError('STT_BIND', `content is ${length} bytes, shorter than the 8-byte resolution`);
    const resolution = view.getBigUint64(offset);
    const rest = length - RESOLUTION_SIZE;
    return rest === 0 ? { resolution, children: [] } : { resolution, ...readRequestList('STT_BIND', bytes, view, offset + RESOLUTION_SIZE, rest) };
  },
  size(content) {
    if (typeof content.resolution !== 'bigint' || content.resolution < 0n || content.resolution > 0xffffffffffffffffn) {
      throw new EncodeError('STT_BIND', `resolution must be a uint64 bigint, got ${String(content.resolution)}`);
    }
    return RESOLUTION_SIZE + requestListSize('STT_BIND', content.children, content.form);
  },
  encode(content, bytes, view, offset) {
    view.setBigUint64(offset, content.resolution);
    writeRequestList('STT_BIND', content.children, content.form, bytes, view, offset + RESOLUTION_SIZE);
  },
  toJSON: (content) => ({ resolution: content.resolution.toString(), ...requestListToJSON(content.children, content.form) }),
  fromJSON(json, path) {
    const o = asObject(json, path);
    const resolution = asBigInt(o.resolution ?? '0', `${path}.resolution`);
    if (resolution < 0n || resolution > 0xffffffffffffffffn) throw new InvalidJsonMessageError(`${path}.resolution`, `must be a uint64, got ${resolution}`);
    return { resolution, children: requestListFromJSON(o.children, `${path}.children`), ...formFromJSON(o.form, `${path}.form`) };
  },
};
