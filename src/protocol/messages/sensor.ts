// SENSOR: an array of float64 readings with a packed SI unit (OpenIGTLink Documents/Protocol/sensordata.md).
import type { ContentCodec } from '../codec.js';
import type { JsonObject, JsonValue } from '../json-types.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError, hex64 } from '../errors.js';
import { checkInt } from './encode-checks.js';
import { asArray, asBigInt, asInt, asNumbers, asObject, nums } from './json-fields.js';

const LARRAY = 0; // uint8 number of values
const STATUS = 1; // uint8 (reserved, 0)
const UNIT = 2; // uint64 bit-packed unit
const DATA = 10; // float64[LARRAY]
const FIXED_SIZE = 10;
const MAX_VALUES = 255;
const UINT64_MAX = 2n ** 64n - 1n;

// UNIT bit layout: PREFIX in bits 63-60, then slot k (0..5) with a 6-bit unit at shift
// 10 * (5 - k) + 4 and a 4-bit two's-complement exponent at shift 10 * (5 - k).
const PREFIX_SHIFT = 60n;
const UNIT_SLOTS = 6;
const UNIT_MASK = 0x3f;
const EXPONENT_MASK = 0xf;
const MIN_EXPONENT = -7;
const MAX_EXPONENT = 7;

/** SI prefixes of a SENSOR unit (the 4-bit PREFIX field). 0x8 is undefined. */
export const SensorPrefix = {
  NONE: 0x0, DEKA: 0x1, HECTO: 0x2, KILO: 0x3, MEGA: 0x4, GIGA: 0x5, TERA: 0x6, PETA: 0x7,
  DECI: 0x9, CENTI: 0xa, MILLI: 0xb, MICRO: 0xc, NANO: 0xd, PICO: 0xe, FEMTO: 0xf,
} as const;

/** SI base and derived units of a SENSOR unit slot (the 6-bit UNIT field). */
export const SensorUnit = {
  NONE: 0x00, METRE: 0x01, GRAM: 0x02, SECOND: 0x03, AMPERE: 0x04, KELVIN: 0x05, MOLE: 0x06, CANDELA: 0x07,
  RADIAN: 0x08, STERADIAN: 0x09, HERTZ: 0x0a, NEWTON: 0x0b, PASCAL: 0x0c, JOULE: 0x0d, WATT: 0x0e, COULOMB: 0x0f,
  VOLT: 0x10, FARAD: 0x11, OHM: 0x12, SIEMENS: 0x13, WEBER: 0x14, TESLA: 0x15, HENRY: 0x16, LUMEN: 0x17,
  LUX: 0x18, BECQUEREL: 0x19, GRAY: 0x1a, SIEVERT: 0x1b,
} as const;

/** One unit slot: a unit (see {@link SensorUnit}) raised to an exponent. */
export interface SensorUnitTerm {
  /** 6-bit unit code (0 = unused slot). */
  readonly unit: number;
  /** −7..7 (4-bit two's complement on the wire; the undefined pattern 0x8 decodes as −8). */
  readonly exponent: number;
}

/** The fields of a packed SENSOR unit. */
export interface SensorUnitFields {
  /** 4-bit prefix (see {@link SensorPrefix}); it scales the whole product of units. */
  readonly prefix: number;
  /** The slots in wire order (6 when decoded; fewer are padded with unit 0, exponent 0 when encoded). */
  readonly units: readonly SensorUnitTerm[];
}

/** Content of a SENSOR message. */
export interface SensorContent {
  /** Reserved status byte (the C++ library always writes 0). */
  readonly status: number;
  /** The packed 64-bit unit (see `decodeSensorUnit` / `encodeSensorUnit`). */
  readonly unit: bigint;
  /** Readings (at most 255). */
  readonly data: readonly number[];
}

/**
 * Unpacks a SENSOR unit into its prefix and six unit slots (OpenIGTLink Documents/Protocol/sensordata.md). Never throws:
 * every 64-bit value has a reading (the undefined exponent pattern 0x8 gives −8).
 *
 * @example decodeSensorUnit(0xB044000000000000n) // millimetre: { prefix: 11, units: [{ unit: 1, exponent: 1 }, 5 × { unit: 0, exponent: 0 }] }
 */
export function decodeSensorUnit(unit: bigint): SensorUnitFields {
  const v = BigInt.asUintN(64, unit);
  const units: SensorUnitTerm[] = [];
  for (let k = 0; k < UNIT_SLOTS; k++) {
    const shift = BigInt(10 * (UNIT_SLOTS - 1 - k));
    const e = Number((v >> shift) & BigInt(EXPONENT_MASK));
    units.push({ unit: Number((v >> (shift + 4n)) & BigInt(UNIT_MASK)), exponent: e >= 8 ? e - 16 : e });
  }
  return { prefix: Number(v >> PREFIX_SHIFT), units };
}

/**
 * Packs a prefix and up to six unit slots into a SENSOR unit (OpenIGTLink Documents/Protocol/sensordata.md). Throws an
 * {@link EncodeError} when a field is out of range (prefix 0..15, unit 0..63, exponent −7..7),
 * where the C packer would silently return 0.
 *
 * @example encodeSensorUnit({ prefix: SensorPrefix.NONE, units: [{ unit: SensorUnit.METRE, exponent: 1 }, { unit: SensorUnit.SECOND, exponent: -2 }] }) // 0x00443E0000000000n
 */
export function encodeSensorUnit(fields: SensorUnitFields): bigint {
  checkInt('SENSOR', 'unit prefix', fields.prefix, 0, 15);
  if (fields.units.length > UNIT_SLOTS) throw new EncodeError('SENSOR', `unit has ${fields.units.length} slots, at most ${UNIT_SLOTS} fit`);
  let v = BigInt(fields.prefix) << PREFIX_SHIFT;
  fields.units.forEach((t, k) => {
    checkInt('SENSOR', `units[${k}].unit`, t.unit, 0, UNIT_MASK);
    checkInt('SENSOR', `units[${k}].exponent`, t.exponent, MIN_EXPONENT, MAX_EXPONENT);
    const shift = BigInt(10 * (UNIT_SLOTS - 1 - k));
    v |= (BigInt(t.unit) << (shift + 4n)) | (BigInt(t.exponent & EXPONENT_MASK) << shift);
  });
  return v;
}

/** Codec of SENSOR. */
export const sensorCodec: ContentCodec<'SENSOR', SensorContent> = {
  type: 'SENSOR',
  decode(_bytes, view, offset, length) {
    if (length < FIXED_SIZE) throw new MalformedMessageError('SENSOR', `content is ${length} bytes, expected at least ${FIXED_SIZE}`);
    const n = view.getUint8(offset + LARRAY);
    // C++ does not check and ignores extra bytes (sensordata.md); we refuse them, as they could not be re-encoded.
    if (length !== FIXED_SIZE + 8 * n) throw new MalformedMessageError('SENSOR', `content is ${length} bytes, LARRAY ${n} needs ${FIXED_SIZE + 8 * n}`);
    const data = new Array<number>(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat64(offset + DATA + i * 8);
    return { status: view.getUint8(offset + STATUS), unit: view.getBigUint64(offset + UNIT), data };
  },
  size(content) {
    // LARRAY is a uint8: C++ SetLength(256) silently wraps to 0 (vectors README, quirk 16).
    if (content.data.length > MAX_VALUES) throw new EncodeError('SENSOR', `data has ${content.data.length} values, LARRAY (uint8) holds at most ${MAX_VALUES}`);
    checkInt('SENSOR', 'status', content.status, 0, 255);
    if (typeof content.unit !== 'bigint' || content.unit < 0n || content.unit > UINT64_MAX) {
      throw new EncodeError('SENSOR', `unit must be a bigint in 0..${UINT64_MAX}, got ${String(content.unit)}`);
    }
    return FIXED_SIZE + 8 * content.data.length;
  },
  encode(content, _bytes, view, offset) {
    view.setUint8(offset + LARRAY, content.data.length);
    view.setUint8(offset + STATUS, content.status);
    view.setBigUint64(offset + UNIT, content.unit);
    for (let i = 0; i < content.data.length; i++) view.setFloat64(offset + DATA + i * 8, content.data[i]!);
  },
  toJSON(content) {
    const fields = decodeSensorUnit(content.unit);
    const unitFields: JsonObject = { prefix: fields.prefix, units: fields.units.map((t) => ({ unit: t.unit, exponent: t.exponent })) };
    return {
      larray: content.data.length,
      status: content.status,
      unit: content.unit.toString(),
      unitHex: hex64(content.unit),
      unitFields,
      data: nums(content.data),
    };
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    const unit = o.unit === undefined && o.unitFields !== undefined ? unitFromJSON(o.unitFields, `${path}.unitFields`) : asBigInt(o.unit, `${path}.unit`);
    if (unit < 0n || unit > UINT64_MAX) throw new InvalidJsonMessageError(`${path}.unit`, `${unit} is outside the uint64 range`);
    return {
      status: asInt(o.status ?? 0, `${path}.status`, 0, 255),
      unit,
      data: asNumbers(o.data, `${path}.data`),
    };
  },
};

// `unit` is the canonical field; `unitFields` is accepted in its place for hand-written JSON.
function unitFromJSON(json: JsonValue, path: string): bigint {
  const o = asObject(json, path);
  const units = asArray(o.units, `${path}.units`);
  if (units.length > UNIT_SLOTS) throw new InvalidJsonMessageError(`${path}.units`, `expected at most ${UNIT_SLOTS} slots, got ${units.length}`);
  return encodeSensorUnit({
    prefix: asInt(o.prefix, `${path}.prefix`, 0, 15),
    units: units.map((u, k) => {
      const t = asObject(u, `${path}.units[${k}]`);
      return {
        unit: asInt(t.unit, `${path}.units[${k}].unit`, 0, UNIT_MASK),
        exponent: asInt(t.exponent, `${path}.units[${k}].exponent`, MIN_EXPONENT, MAX_EXPONENT),
      };
    }),
  });
}
