import { describe, expect, it } from 'vitest';
import { deriveSeed, seededRandom } from '../../../src/simulator/prng.js';
import { createTrajectory, DEFAULT_TOOLS, multiply, poseFromEuler } from '../../../src/simulator/trajectories.js';

/** R * R^T = I and det R = 1 for the rotation part of a row-major 4x4. */
function expectRigid(m: readonly number[]): void {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += m[i * 4 + k]! * m[j * 4 + k]!;
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 9);
    }
  }
  const det =
    m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!);
  expect(det).toBeCloseTo(1, 9);
  expect(m.slice(12)).toEqual([0, 0, 0, 1]);
}

describe('seededRandom', () => {
  it('gives the same numbers for the same seed and different ones for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('derives independent seeds per name and number', () => {
    expect(deriveSeed(1, 'tool', 'Stylus')).toBe(deriveSeed(1, 'tool', 'Stylus'));
    expect(deriveSeed(1, 'tool', 'Stylus')).not.toBe(deriveSeed(1, 'tool', 'Probe'));
    expect(deriveSeed(1, 'frame', 1)).not.toBe(deriveSeed(1, 'frame', 2));
    expect(deriveSeed(1, 'ab', 'c')).not.toBe(deriveSeed(1, 'a', 'bc'));
  });
});

describe('createTrajectory', () => {
  it('is the same function of time for the same seed and tool, whatever the other tools', () => {
    const a = createTrajectory('Stylus', 7);
    const b = createTrajectory({ name: 'Stylus' }, 7);
    for (const t of [0, 0.5, 12.25, 3600]) expect(b.poseAt(t)).toEqual(a.poseAt(t));
    expect(createTrajectory('Stylus', 8).poseAt(1).matrix).not.toEqual(a.poseAt(1).matrix);
    expect(createTrajectory('Probe', 7).poseAt(1).matrix).not.toEqual(a.poseAt(1).matrix);
  });

  it('keeps the Reference still and moves the others', () => {
    const [stylus, probe, reference] = DEFAULT_TOOLS.map((t) => createTrajectory(t, 1));
    expect(reference!.static).toBe(true);
    expect(reference!.trackingType).toBe(1);
    expect(reference!.poseAt(0)).toEqual(reference!.poseAt(100));
    for (const tool of [stylus!, probe!]) {
      expect(tool.static).toBe(false);
      expect(tool.trackingType).toBe(2);
      expect(tool.poseAt(0).position).not.toEqual(tool.poseAt(2).position);
    }
  });

  it('moves smoothly, like a hand: bounded speed and no jumps between 1 kHz samples', () => {
    const tool = createTrajectory('Stylus', 1);
    const dt = 0.001;
    let maxSpeed = 0;
    let maxAccelStep = 0;
    let prevV: number[] | undefined;
    for (let i = 0; i < 20_000; i++) {
      const p0 = tool.poseAt(i * dt).position;
      const p1 = tool.poseAt((i + 1) * dt).position;
      const v = [0, 1, 2].map((k) => (p1[k]! - p0[k]!) / dt);
      maxSpeed = Math.max(maxSpeed, Math.hypot(...v));
      if (prevV) maxAccelStep = Math.max(maxAccelStep, Math.hypot(...v.map((x, k) => x - prevV![k]!)));
      prevV = v;
    }
    expect(maxSpeed).toBeLessThan(250); // mm/s
    expect(maxSpeed).toBeGreaterThan(5);
    expect(maxAccelStep).toBeLessThan(1); // mm/s change per ms
  });

  it('stays in the working volume in front of the tracker', () => {
    for (const name of ['Stylus', 'Probe', 'Needle', 'Reference']) {
      const tool = createTrajectory(name, 3);
      for (let t = 0; t < 120; t += 0.37) {
        const [x, y, z] = tool.poseAt(t).position;
        expect(Math.abs(x)).toBeLessThan(200);
        expect(Math.abs(y)).toBeLessThan(200);
        expect(z).toBeLessThan(-120);
        expect(z).toBeGreaterThan(-380);
      }
    }
  });

  it('gives a rigid matrix, and a quaternion and position that describe the same pose', () => {
    const tool = createTrajectory('Probe', 5);
    for (const t of [0, 1.3, 7.9, 42]) {
      const { matrix, position, quaternion } = tool.poseAt(t);
      expectRigid(matrix);
      expect([matrix[3], matrix[7], matrix[11]]).toEqual(position);
      const [x, y, z, w] = quaternion;
      expect(Math.hypot(x, y, z, w)).toBeCloseTo(1, 12);
      expect(w).toBeGreaterThanOrEqual(0);
      // The rotation matrix of the quaternion.
      const r = [
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
      ];
      [0, 1, 2, 4, 5, 6, 8, 9, 10].forEach((mi, i) => expect(matrix[mi]).toBeCloseTo(r[i]!, 12));
    }
  });
});

describe('poseFromEuler and multiply', () => {
  it('builds rotations about z, y, x and composes them', () => {
    const yaw90 = poseFromEuler(Math.PI / 2, 0, 0, [1, 2, 3]).matrix;
    expect(yaw90.map((v) => Math.round(v * 1e12) / 1e12 + 0)).toEqual([0, -1, 0, 1, 1, 0, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1]);
    const twice = multiply(yaw90, yaw90);
    expect(twice.map((v) => Math.round(v * 1e12) / 1e12 + 0)).toEqual([-1, 0, 0, -1, 0, -1, 0, 3, 0, 0, 1, 6, 0, 0, 0, 1]);
  });
});
