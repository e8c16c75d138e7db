// Messages whose content is a list of fixed-size records (POINT, TRAJ, TDATA, QTDATA, IMGMETA,
// LBMETA, VIDEOMETA, CAPABILITY): one reader, checker, writer and JSON form, driven by the
// record's field table. The content is a whole number of records, and none is a valid list.
import type { ContentCodec } from '../codec.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { expectElements } from './content-length.js';
import { asArray, asObject } from './json-fields.js';
import type { FieldKind } from './record-fields.js';

/** A field of a record table: the element's property `name`, its kind, and the value a missing JSON key stands for. */
export type RecordField<E> = {
  readonly [K in keyof E & string]: { readonly name: K; readonly kind: FieldKind<E[K]>; readonly jsonDefault?: JsonValue };
}[keyof E & string];

/** Bytes of a record that carry nothing: skipped on receive, written as zeros. */
export interface Padding {
  readonly pad: number;
}

/** `n` reserved bytes (written 0). */
export function pad(n: number): Padding {
  return { pad: n };
}

/** A record layout: its fields and padding in wire order, each one right after the one before. */
export type RecordTable<E> = readonly (RecordField<E> | Padding)[];

type AnyKind = FieldKind<unknown>;

/** Reading, checking and writing one record: the parts of a record's kind that run per message. */
type RecordAccess<E> = Pick<FieldKind<E>, 'read' | 'check' | 'write'>;

/** A record's layout resolved from its table: properties with their kinds and offsets, then padding. */
interface Layout {
  readonly names: readonly string[];
  readonly kinds: readonly AnyKind[];
  readonly offsets: readonly number[];
  readonly defaults: readonly (JsonValue | undefined)[];
  readonly pads: readonly (readonly [offset: number, length: number])[];
  readonly size: number;
}

function layoutOf<E>(table: RecordTable<E>): Layout {
  const names: string[] = [];
  const kinds: AnyKind[] = [];
  const offsets: number[] = [];
  const defaults: (JsonValue | undefined)[] = [];
  const pads: [number, number][] = [];
  let size = 0;
  for (const entry of table) {
    if ('pad' in entry) {
      pads.push([size, entry.pad]);
      size += entry.pad;
      continue;
    }
    names.push(entry.name);
    kinds.push(entry.kind as AnyKind);
    offsets.push(size);
    defaults.push(entry.jsonDefault);
    size += entry.kind.size;
  }
  return { names, kinds, offsets, defaults, pads, size };
}

type Fields = Record<string, unknown>;

/** `compiled: false` walks the table instead of compiling it: the fallback where code cannot be compiled (tests compare both). */
export interface CompileOption {
  readonly compiled?: boolean;
}

/** Reads, checks and writes a record by walking its layout. */
function interpret<E>({ names, kinds, offsets, pads }: Layout): RecordAccess<E> {
  const n = names.length;
  return {
    read(bytes, view, at) {
      const e: Fields = {};
      for (let j = 0; j < n; j++) e[names[j]!] = kinds[j]!.read(bytes, view, at + offsets[j]!);
      return e as E;
    },
    check(type, path, e) {
      for (let j = 0; j < n; j++) kinds[j]!.check(type, `${path}.${names[j]!}`, (e as Fields)[names[j]!]);
    },
    write(bytes, view, at, e, type) {
      for (let j = 0; j < n; j++) kinds[j]!.write(bytes, view, at + offsets[j]!, (e as Fields)[names[j]!], type, names[j]!);
      for (const [offset, length] of pads) for (let i = at + offset; i < at + offset + length; i++) bytes[i] = 0;
    },
  };
}

/**
 * Runs generated code once, at module load: `body` of a function of `args`' names, called with
 * them. TDATA and QTDATA are decoded and encoded per tracking frame, and walking a table there
 * costs about twice the time of hand-written code: property names taken from the table make
 * every property store and load megamorphic, and the one loop that all record lists share sees
 * every type's fields. Code generated per type has literal property names and sites of its own.
 * Undefined where code cannot be compiled (a page whose Content-Security-Policy forbids eval);
 * the callers then walk the table.
 */
function compileFunction<T>(body: string, args: Record<string, unknown>): T | undefined {
  try {
    return new Function(...Object.keys(args), body)(...Object.values(args)) as T;
  } catch {
    return undefined;
  }
}

/** The same as {@link interpret}, as straight-line code: an object literal with the table's keys, one call per field at a constant offset. */
function compile<E>({ names, kinds, offsets, pads }: Layout): RecordAccess<E> | undefined {
  const key = names.map((name) => JSON.stringify(name));
  const at = (offset: number): string => `at + ${offset}`;
  const read = names.map((_, j) => `${key[j]}: k${j}.read(bytes, view, ${at(offsets[j]!)})`).join(', ');
  const check = names.map((_, j) => `k${j}.check(type, path + ${JSON.stringify(`.${names[j]!}`)}, e[${key[j]}]);`).join(' ');
  const write = [
    ...names.map((_, j) => `k${j}.write(bytes, view, ${at(offsets[j]!)}, e[${key[j]}], type, ${key[j]});`),
    ...pads.flatMap(([offset, length]) => Array.from({ length }, (_, i) => `bytes[${at(offset + i)}] = 0;`)),
  ].join(' ');
  const body = `${kinds.map((_, j) => `const k${j} = kinds[${j}];`).join(' ')}
    return {
      read(bytes, view, at) { return { ${read} }; },
      check(type, path, e) { ${check} },
      write(bytes, view, at, e, type) { ${write} },
    };`;
  return compileFunction<RecordAccess<E>>(body, { kinds });
}

/**
 * The record of a field table, as one field kind of `size` bytes (the sum of the table's). The
 * record's properties are read, checked and written in table order; objects it reads get them
 * in that order too, so every record of a type has the same shape.
 */
export function record<E>(table: RecordTable<E>, { compiled = true }: CompileOption = {}): FieldKind<E> {
  const layout = layoutOf(table);
  const { names, kinds, defaults, size } = layout;
  const access = (compiled ? compile<E>(layout) : undefined) ?? interpret<E>(layout);
  const n = names.length;
  return {
    size,
    read: access.read,
    check: access.check,
    write: access.write,
    toJSON(e) {
      const out: JsonObject = {};
      for (let j = 0; j < n; j++) {
        const kind = kinds[j]!;
        const v = (e as Fields)[names[j]!];
        if (kind.writeJSON) kind.writeJSON(out, names[j]!, v);
        else out[names[j]!] = kind.toJSON(v);
      }
      return out;
    },
    fromJSON(json, path) {
      const o = asObject(json, path);
      const e: Fields = {};
      for (let j = 0; j < n; j++) {
        const kind = kinds[j]!;
        const name = names[j]!;
        e[name] = kind.readJSON ? kind.readJSON(o, name, path) : kind.fromJSON(o[name] ?? defaults[j], `${path}.${name}`);
      }
      return e as E;
    },
  };
}

/** Content holding a list of records under `key`. */
export type RecordListContent<K extends string, E> = { readonly [P in K]: readonly E[] };

/** Options of {@link recordListCodec}. */
export interface RecordListOptions<E> extends CompileOption {
  /** Called before the elements are checked; throws an EncodeError to refuse the list as a whole. */
  checkList?(list: readonly E[]): void;
}

/** The per-message loops of a record list: over its records, and the content object around them. */
interface ListAccess<C> {
  /** Reads `n` records at `offset` into the content. */
  read(bytes: Uint8Array, view: DataView, offset: number, n: number): C;
  /** Checks every record (EncodeError) and returns their count. */
  check(type: string, content: C): number;
  write(bytes: Uint8Array, view: DataView, offset: number, content: C, type: string): void;
}

function walkList<E, C>(element: FieldKind<E>, key: string): ListAccess<C> {
  const size = element.size;
  const listOf = (content: C) => (content as Record<string, readonly E[]>)[key]!;
  return {
    read(bytes, view, offset, n) {
      const list = new Array<E>(n);
      for (let i = 0; i < n; i++) list[i] = element.read(bytes, view, offset + i * size);
      return { [key]: list } as C;
    },
    check(type, content) {
      const list = listOf(content);
      for (let i = 0; i < list.length; i++) element.check(type, `${key}[${i}]`, list[i]!);
      return list.length;
    },
    write(bytes, view, offset, content, type) {
      const list = listOf(content);
      for (let i = 0; i < list.length; i++) element.write(bytes, view, offset + i * size, list[i]!, type, key);
    },
  };
}

/** The same as {@link walkList}, as code of the list's own (see compileFunction). */
function compileList<C>(element: FieldKind<unknown>, key: string): ListAccess<C> | undefined {
  const name = JSON.stringify(key);
  return compileFunction<ListAccess<C>>(`
    const size = element.size;
    return {
      read(bytes, view, offset, n) {
        const list = new Array(n);
        for (let i = 0; i < n; i++) list[i] = element.read(bytes, view, offset + i * size);
        return { ${name}: list };
      },
      check(type, content) {
        const list = content[${name}];
        for (let i = 0; i < list.length; i++) element.check(type, ${JSON.stringify(`${key}[`)} + i + ']', list[i]);
        return list.length;
      },
      write(bytes, view, offset, content, type) {
        const list = content[${name}];
        for (let i = 0; i < list.length; i++) element.write(bytes, view, offset + i * size, list[i], type, ${name});
      },
    };`, { element });
}

/**
 * The codec of a `type` whose content is `{ [key]: E[] }` on the wire as a plain run of
 * `element.size`-byte records: no count, no padding (the count is the content length over the
 * record size). Element paths in errors are `key[i]` (EncodeError) and `<path>.key[i]` (JSON).
 */
export function recordListCodec<T extends string, K extends string, E>(
  type: T, key: K, element: FieldKind<E>, { checkList, compiled = true }: RecordListOptions<E> = {},
): ContentCodec<T, RecordListContent<K, E>> {
  type C = RecordListContent<K, E>;
  const size = element.size;
  const access = (compiled ? compileList<C>(element as FieldKind<unknown>, key) : undefined) ?? walkList<E, C>(element, key);
  return {
    type,
    decode(bytes, view, offset, length) {
      return access.read(bytes, view, offset, expectElements(type, length, size));
    },
    size(content) {
      checkList?.(content[key]);
      return access.check(type, content) * size;
    },
    encode(content, bytes, view, offset) {
      access.write(bytes, view, offset, content, type);
    },
    toJSON(content) {
      const out: JsonObject = {};
      out[key] = content[key].map((e) => element.toJSON(e));
      return out;
    },
    fromJSON(json, path) {
      const list = asArray(asObject(json, path)[key], `${path}.${key}`);
      // A computed key types as a string index, not as `K`.
      return { [key]: list.map((v, i) => element.fromJSON(v, `${path}.${key}[${i}]`)) } as unknown as C;
    },
  };
}
