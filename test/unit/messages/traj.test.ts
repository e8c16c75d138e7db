import { describe, it, expect } from 'vitest';
import { InvalidJsonMessageError, stringifyJSON, trajectoryCodec, type TrajectoryElement } from '../../../src/index.js';
import {
  ascii, decode, encode, expectEmptyContent, expectEncodeError, expectJsonRoundTrip, expectMalformedContent, expectRoundTrip, toHex,
} from '../../support/codec.js';

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
    expectRoundTrip(trajectoryCodec, { trajectories: [full, traj] });
  });

  it('carries an empty list as empty content', () => {
    expectEmptyContent(trajectoryCodec, { trajectories: [] });
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
    expectEncodeError(() => trajectoryCodec.size({ trajectories: [bad as TrajectoryElement] }), message);
  });

  it.each([149, 151, 299])('refuses %i content bytes with the header attached', (n) => {
    expectMalformedContent('TRAJ', new Uint8Array(n), `content is ${n} bytes, not a multiple of the 150-byte element`);
  });

  it('round-trips through JSON', () => {
    const c = { trajectories: [traj, { ...traj, type: 1, entry: [Infinity, 0, -0] as const }] };
    expectJsonRoundTrip(trajectoryCodec, c);
  });

  it('rejects a JSON type outside int8', () => {
    const json = JSON.parse(stringifyJSON(trajectoryCodec.toJSON({ trajectories: [traj] })));
    expect(() => trajectoryCodec.fromJSON({ trajectories: [{ ...json.trajectories[0], type: 200 }] }, '$.content'))
      .toThrow(InvalidJsonMessageError);
  });
});
