import { describe, it, expect } from 'vitest';
import {
  decodeMessage, defaultRegistry, encodeMessage, EMPTY_METADATA, EncodeError, InvalidJsonMessageError, MalformedMessageError,
  stringifyJSON, Timestamp, trajectoryCodec, type ContentCodec, type TrajectoryElement,
} from '../../../src/index.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Decodes content placed at offset 5 of a larger buffer (codec offsets are absolute). */
function decode<C>(codec: ContentCodec<string, C>, content: Uint8Array): C {
  const buf = new Uint8Array(content.length + 9);
  buf.set(content, 5);
  return codec.decode(buf, new DataView(buf.buffer), 5, content.length, { registry: defaultRegistry });
}

/** Encodes into a 0xEE-filled buffer at offset 3, checking that exactly size() bytes are written. */
function encode<C>(codec: ContentCodec<string, C>, content: C): Uint8Array {
  const n = codec.size(content);
  const buf = new Uint8Array(n + 6).fill(0xee);
  codec.encode(content, buf, new DataView(buf.buffer), 3);
  expect(toHex(buf.subarray(0, 3)) + toHex(buf.subarray(3 + n))).toBe('ee'.repeat(6));
  return buf.slice(3, 3 + n);
}

/** Decodes a v1 frame with the given raw content through the real decoder and returns its error. */
function decodeError(type: string, content: Uint8Array): MalformedMessageError {
  const frame = encodeMessage({
    type: 'UNKNOWN', typeName: type, headerVersion: 1, deviceName: 'Tool', timestamp: Timestamp.ZERO, messageId: 0,
    metadata: EMPTY_METADATA, content: { raw: content },
  });
  try {
    decodeMessage(frame);
  } catch (err) {
    if (err instanceof MalformedMessageError) return err;
    throw err;
  }
  throw new Error(`${type} content of ${content.length} bytes decoded without error`);
}

/** Content -> canonical JSON text -> content again. */
function viaJSON<C>(codec: ContentCodec<string, C>, content: C): C {
  return codec.fromJSON(JSON.parse(stringifyJSON(codec.toJSON(content))), '$.content');
}

const ascii = (s: string): string => toHex(new TextEncoder().encode(s));
const traj: TrajectoryElement = {
  name: 'Biopsy', group: 'Trajectory', type: 3, rgba: [1, 2, 3, 4], entry: [1, 2, 3], target: [-1, -2, -3], radius: 0.5, owner: 'CT',
};

describe('TRAJ', () => {
  it('lays a trajectory out at the spec offsets with a zero reserved byte', () => {
    const bytes = encode(trajectoryCodec, { trajectories: [traj] });
    expect(bytes.length).toBe(150);
    expect(toHex(bytes.subarray(0, 64))).toBe(ascii('Biopsy') + '00'.repeat(58));
    expect(toHex(bytes.subarray(64, 96))).toBe(ascii('Trajectory') + '00'.repeat(22));
    expect(toHex(bytes.subarray(96, 102))).toBe('03' + '00' + '01020304');
    expect(toHex(bytes.subarray(102, 114))).toBe('3f800000' + '40000000' + '40400000');
    expect(toHex(bytes.subarray(114, 126))).toBe('bf800000' + 'c0000000' + 'c0400000');
    expect(toHex(bytes.subarray(126, 130))).toBe('3f000000');
    expect(toHex(bytes.subarray(130, 150))).toBe(ascii('CT') + '00'.repeat(18));
    expect(decode(trajectoryCodec, bytes)).toEqual({ trajectories: [traj] });
  });

  it('reads TYPE as a signed byte', () => {
    const bytes = encode(trajectoryCodec, { trajectories: [{ ...traj, type: -1 }] });
    expect(bytes[96]).toBe(0xff);
    expect(decode(trajectoryCodec, bytes).trajectories[0]!.type).toBe(-1);
  });

  it('ignores a non-zero reserved byte on receive', () => {
    const bytes = encode(trajectoryCodec, { trajectories: [traj] });
    bytes[97] = 0x5a;
    expect(decode(trajectoryCodec, bytes)).toEqual({ trajectories: [traj] });
  });

  it('reads and writes names that fill their fields exactly, with no NUL', () => {
    const full = { ...traj, name: 'n'.repeat(64), group: 'g'.repeat(32), owner: 'o'.repeat(20) };
    expect(decode(trajectoryCodec, encode(trajectoryCodec, { trajectories: [full, traj] }))).toEqual({ trajectories: [full, traj] });
  });

  it('carries an empty list as empty content', () => {
    expect(encode(trajectoryCodec, { trajectories: [] }).length).toBe(0);
    expect(decode(trajectoryCodec, new Uint8Array(0))).toEqual({ trajectories: [] });
  });

  it.each([
    [{ ...traj, name: 'n'.repeat(65) }, 'trajectories[0].name'],
    [{ ...traj, group: 'g'.repeat(33) }, 'trajectories[0].group'],
    [{ ...traj, owner: 'o'.repeat(21) }, 'trajectories[0].owner'],
    [{ ...traj, type: 128 }, 'trajectories[0].type'],
    [{ ...traj, type: -129 }, 'trajectories[0].type'],
    [{ ...traj, rgba: [0, 0, 0, 256] }, 'trajectories[0].rgba[3]'],
    [{ ...traj, target: [0, 0] }, 'trajectories[0].target'],
  ])('refuses to size %j', (bad, message) => {
    expect(() => trajectoryCodec.size({ trajectories: [bad as TrajectoryElement] })).toThrow(EncodeError);
    expect(() => trajectoryCodec.size({ trajectories: [bad as TrajectoryElement] })).toThrow(message);
  });

  it.each([149, 151, 299])('refuses %i content bytes with the header attached', (n) => {
    const err = decodeError('TRAJ', new Uint8Array(n));
    expect(err.header?.type).toBe('TRAJ');
    expect(err.detail).toBe(`content is ${n} bytes, not a multiple of the 150-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { trajectories: [traj, { ...traj, type: 1, entry: [Infinity, 0, -0] as const }] };
    expect(toHex(encode(trajectoryCodec, viaJSON(trajectoryCodec, c)))).toBe(toHex(encode(trajectoryCodec, c)));
  });

  it('rejects a JSON type outside int8', () => {
    const json = JSON.parse(stringifyJSON(trajectoryCodec.toJSON({ trajectories: [traj] })));
    expect(() => trajectoryCodec.fromJSON({ trajectories: [{ ...json.trajectories[0], type: 200 }] }, '$.content'))
      .toThrow(InvalidJsonMessageError);
  });
});
