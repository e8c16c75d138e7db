import { describe, it, expect } from 'vitest';
import {
  decodeSensorUnit, encodeSensorUnit, EncodeError, InvalidJsonMessageError, sensorCodec, SensorPrefix, SensorUnit, type SensorContent,
} from '../../../src/index.js';
import { decode, encode, expectEncodeError, expectMalformedContent, hex, toHex, viaJSON } from '../../support/codec.js';

const unused = { unit: 0, exponent: 0 };
const MM = 0xb044000000000000n;
const M_PER_S2 = 0x00443e0000000000n;

describe('SENSOR', () => {
  it('writes LARRAY, status, the unit and big-endian float64 values', () => {
    const c: SensorContent = { status: 0, unit: MM, data: [1.5, -2] };
    const bytes = encode(sensorCodec, c);
    expect(toHex(bytes)).toBe('02' + '00' + 'b044000000000000' + '3ff8000000000000' + 'c000000000000000');
    expect(decode(sensorCodec, bytes)).toEqual(c);
  });

  it('carries no values as the 10-byte fixed part', () => {
    expect(toHex(encode(sensorCodec, { status: 7, unit: 0n, data: [] }))).toBe('0007' + '00'.repeat(8));
    expect(decode(sensorCodec, hex('0007 0000000000000000'))).toEqual({ status: 7, unit: 0n, data: [] });
  });

  it('writes 255 values, the most LARRAY can count, and refuses 256 instead of wrapping to 0', () => {
    const data = Array.from({ length: 255 }, (_, i) => i / 3);
    const bytes = encode(sensorCodec, { status: 0, unit: 0n, data });
    expect(bytes[0]).toBe(255);
    expect(decode(sensorCodec, bytes).data).toEqual(data);
    expect(() => sensorCodec.size({ status: 0, unit: 0n, data: [...data, 1] })).toThrow(EncodeError);
  });

  it('refuses a status or a unit that does not fit its field', () => {
    expect(() => sensorCodec.size({ status: 256, unit: 0n, data: [] })).toThrow(EncodeError);
    expect(() => sensorCodec.size({ status: 0, unit: -1n, data: [] })).toThrow(EncodeError);
    expect(() => sensorCodec.size({ status: 0, unit: 2n ** 64n, data: [] })).toThrow(EncodeError);
  });

  it.each([
    ['', 'content is 0 bytes, expected at least 10'],
    ['00 00 000000000000', 'content is 8 bytes, expected at least 10'],
    ['01 00 0000000000000000', 'content is 10 bytes, LARRAY 1 needs 18'],
    ['00 00 0000000000000000 00', 'content is 11 bytes, LARRAY 0 needs 10'],
    ['01 00 0000000000000000 0000000000000000 00', 'content is 19 bytes, LARRAY 1 needs 18'],
  ])('refuses content "%s" with the header attached', (content, detail) => {
    expectMalformedContent('SENSOR', hex(content), detail);
  });

  it('gives the unit as a decimal string, its hex and its fields in JSON', () => {
    expect(sensorCodec.toJSON({ status: 0, unit: MM, data: [0.25, NaN] })).toEqual({
      larray: 2,
      status: 0,
      unit: '12701276849091641344',
      unitHex: 'b044000000000000',
      unitFields: { prefix: 11, units: [{ unit: 1, exponent: 1 }, unused, unused, unused, unused, unused] },
      data: [0.25, 'NaN'],
    });
  });

  it('round-trips a unit above 2^53 through the JSON text exactly', () => {
    const c: SensorContent = { status: 0, unit: 0xffffffffffffffffn, data: [1e300, -0] };
    expect(viaJSON(sensorCodec, c)).toEqual(c);
  });

  it('reads `unit` and ignores the derived fields in JSON', () => {
    const c = sensorCodec.fromJSON({ larray: 9, unit: M_PER_S2.toString(), unitHex: 'ff', unitFields: { prefix: 3, units: [] }, status: 0, data: [1] }, '$.content');
    expect(c).toEqual({ status: 0, unit: M_PER_S2, data: [1] });
  });

  it('accepts unitFields in place of a missing unit', () => {
    const c = sensorCodec.fromJSON({ unitFields: { prefix: 11, units: [{ unit: 1, exponent: 1 }] }, status: 0, data: [] }, '$.content');
    expect(c.unit).toBe(MM);
    expect(() => sensorCodec.fromJSON({ unitFields: { prefix: 0, units: [{ unit: 1, exponent: -8 }] }, data: [] }, '$.content'))
      .toThrow('$.content.unitFields.units[0].exponent');
  });

  it('rejects a JSON unit outside uint64 or not a decimal string', () => {
    expect(() => sensorCodec.fromJSON({ unit: '-1', status: 0, data: [] }, '$.content')).toThrow(InvalidJsonMessageError);
    expect(() => sensorCodec.fromJSON({ unit: (2n ** 64n).toString(), status: 0, data: [] }, '$.content')).toThrow('$.content.unit');
    expect(() => sensorCodec.fromJSON({ unit: '0x10', status: 0, data: [] }, '$.content')).toThrow('$.content.unit');
  });
});

describe('SENSOR unit helpers', () => {
  it('unpacks m·s⁻² (0x00443E0000000000)', () => {
    expect(decodeSensorUnit(M_PER_S2)).toEqual({
      prefix: SensorPrefix.NONE,
      units: [{ unit: SensorUnit.METRE, exponent: 1 }, { unit: SensorUnit.SECOND, exponent: -2 }, unused, unused, unused, unused],
    });
  });

  it('packs m·s⁻² and millimetre to the spec examples', () => {
    expect(encodeSensorUnit({ prefix: 0, units: [{ unit: SensorUnit.METRE, exponent: 1 }, { unit: SensorUnit.SECOND, exponent: -2 }] })).toBe(M_PER_S2);
    expect(encodeSensorUnit({ prefix: SensorPrefix.MILLI, units: [{ unit: SensorUnit.METRE, exponent: 1 }] })).toBe(MM);
  });

  it('puts slot k at shift 10 * (5 - k)', () => {
    const units = [1, 2, 3, 4, 5, 6].map((unit) => ({ unit, exponent: -7 }));
    const packed = encodeSensorUnit({ prefix: 15, units });
    let expected = 15n << 60n;
    units.forEach((u, k) => {
      expected |= (BigInt(u.unit) << BigInt(10 * (5 - k) + 4)) | (0x9n << BigInt(10 * (5 - k)));
    });
    expect(packed).toBe(expected);
    expect(decodeSensorUnit(packed)).toEqual({ prefix: 15, units });
  });

  it('round-trips every exponent from -7 to 7 and every unit code in the last slot', () => {
    for (let exponent = -7; exponent <= 7; exponent++) {
      const fields = { prefix: 1, units: [unused, unused, unused, unused, unused, { unit: 63, exponent }] };
      expect(decodeSensorUnit(encodeSensorUnit(fields))).toEqual(fields);
    }
  });

  it('reads the undefined exponent pattern 0x8 as -8 without throwing', () => {
    expect(decodeSensorUnit(0x0060000000000000n).units[0]).toEqual({ unit: 1, exponent: -8 });
  });

  it.each([
    [{ prefix: 0, units: [{ unit: 1, exponent: -8 }] }, 'units[0].exponent'],
    [{ prefix: 0, units: [{ unit: 1, exponent: 8 }] }, 'units[0].exponent'],
    [{ prefix: 0, units: [unused, { unit: 64, exponent: 1 }] }, 'units[1].unit'],
    [{ prefix: 16, units: [] }, 'prefix'],
    [{ prefix: 0, units: [unused, unused, unused, unused, unused, unused, unused] }, '7 slots'],
    [{ prefix: 0, units: [{ unit: 1, exponent: 0.5 }] }, 'units[0].exponent'],
  ])('refuses to pack %j with an EncodeError', (fields, message) => {
    expectEncodeError(() => encodeSensorUnit(fields), message);
  });
});
