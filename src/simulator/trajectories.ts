// Smooth, seeded tool trajectories (pure: no I/O, no time source). A moving tool follows a
// sum-of-sines (Lissajous-like) path with a slowly wobbling orientation, so poses, velocities
// and accelerations are all continuous; a static tool (the Reference) never moves. The same seed
// and tool name always give the same trajectory, whatever other tools exist.
import type { Matrix4, Vec3, Vec4 } from '../protocol/messages/vectors.js';
import { TrackingType } from '../protocol/messages/tdata.js';
import { deriveSeed, seededRandom, type Random } from './prng.js';

/** A tool of the simulated navigation set-up. */
export interface ToolSpec {
  /** Name used as TRANSFORM device name and TDATA/QTDATA element name (at most 20 bytes). */
  readonly name: string;
  /** A static tool never moves (default: true only for a tool named `Reference`). */
  readonly static?: boolean;
  /** TDATA/QTDATA element type (default: TRACKER for a static tool, INSTRUMENT_6D otherwise). */
  readonly trackingType?: number;
}

/** The tools of the default set-up: a pointer, an ultrasound probe and a reference body. */
export const DEFAULT_TOOLS: readonly ToolSpec[] = Object.freeze([{ name: 'Stylus' }, { name: 'Probe' }, { name: 'Reference' }]);

/** A tool pose in three forms (all describe the same rigid transform, tool to tracker, mm). */
export interface Pose {
  /** Row-major 4x4, translation at indices 3, 7, 11. */
  readonly matrix: Matrix4;
  /** Translation x, y, z in mm. */
  readonly position: Vec3;
  /** Rotation as a unit quaternion qx, qy, qz, w. */
  readonly quaternion: Vec4;
}

/** The motion of one tool: a pure function of time. */
export interface Trajectory {
  readonly name: string;
  readonly static: boolean;
  readonly trackingType: number;
  /** The pose at `t` seconds after the simulation started (any real `t`, also negative). */
  poseAt(t: number): Pose;
}

const TWO_PI = 2 * Math.PI;
const DEG = Math.PI / 180;

/** One smooth scalar signal: a constant plus a few sines. */
interface Wave {
  readonly base: number;
  readonly terms: readonly { readonly amplitude: number; readonly frequency: number; readonly phase: number }[];
}

function waveAt(w: Wave, t: number): number {
  let v = w.base;
  for (const term of w.terms) v += term.amplitude * Math.sin(TWO_PI * term.frequency * t + term.phase);
  return v;
}

function between(rand: Random, lo: number, hi: number): number {
  return lo + (hi - lo) * rand();
}

/**
 * A hand-held motion along one axis: a main sine and a faster, smaller one. Frequencies stay
 * below 0.5 Hz: a person moving a tool, not a vibration.
 */
function handWave(rand: Random, base: number, amplitude: number): Wave {
  return {
    base,
    terms: [
      { amplitude, frequency: between(rand, 0.05, 0.25), phase: between(rand, 0, TWO_PI) },
      { amplitude: amplitude / 4, frequency: between(rand, 0.25, 0.5), phase: between(rand, 0, TWO_PI) },
    ],
  };
}

/**
 * The pose of the Euler angles (radians) `yaw` about z, `pitch` about y, `roll` about x
 * (R = Rz Ry Rx) and translation `p`.
 */
export function poseFromEuler(yaw: number, pitch: number, roll: number, p: Vec3): Pose {
  const [cz, sz] = [Math.cos(yaw), Math.sin(yaw)];
  const [cy, sy] = [Math.cos(pitch), Math.sin(pitch)];
  const [cx, sx] = [Math.cos(roll), Math.sin(roll)];
  const matrix: Matrix4 = [
    cz * cy, cz * sy * sx - sz * cx, cz * sy * cx + sz * sx, p[0],
    sz * cy, sz * sy * sx + cz * cx, sz * sy * cx - cz * sx, p[1],
    -sy, cy * sx, cy * cx, p[2],
    0, 0, 0, 1,
  ];
  // The same rotation as a quaternion (half angles), w kept non-negative.
  const [hcz, hsz] = [Math.cos(yaw / 2), Math.sin(yaw / 2)];
  const [hcy, hsy] = [Math.cos(pitch / 2), Math.sin(pitch / 2)];
  const [hcx, hsx] = [Math.cos(roll / 2), Math.sin(roll / 2)];
  let q: [number, number, number, number] = [
    hsx * hcy * hcz - hcx * hsy * hsz,
    hcx * hsy * hcz + hsx * hcy * hsz,
    hcx * hcy * hsz - hsx * hsy * hcz,
    hcx * hcy * hcz + hsx * hsy * hsz,
  ];
  if (q[3] < 0) q = [-q[0], -q[1], -q[2], -q[3]];
  return { matrix, position: [p[0], p[1], p[2]], quaternion: q };
}

/**
 * The trajectory of a tool, from the simulation seed and the tool's name.
 *
 * @example
 * const stylus = createTrajectory({ name: 'Stylus' }, 1);
 * stylus.poseAt(0.5).matrix; // the same 16 numbers on every run
 */
export function createTrajectory(tool: ToolSpec | string, seed: number): Trajectory {
  const spec: ToolSpec = typeof tool === 'string' ? { name: tool } : tool;
  const isStatic = spec.static ?? spec.name.toLowerCase() === 'reference';
  const trackingType = spec.trackingType ?? (isStatic ? TrackingType.TRACKER : TrackingType.INSTRUMENT_6D);
  const rand = seededRandom(deriveSeed(seed, 'tool', spec.name));
  // A working volume in front of an optical tracker: x, y within +-100 mm, z at 200-300 mm away.
  const centre: Vec3 = [between(rand, -80, 80), between(rand, -80, 80), between(rand, -300, -200)];
  const base = [between(rand, -180, 180) * DEG, between(rand, -30, 30) * DEG, between(rand, -30, 30) * DEG] as const;
  if (isStatic) {
    const pose = poseFromEuler(base[0], base[1], base[2], centre);
    return { name: spec.name, static: true, trackingType, poseAt: () => pose };
  }
  const position = [0, 1, 2].map((axis) => handWave(rand, centre[axis]!, between(rand, 20, axis === 2 ? 30 : 60)));
  const angles = [0, 1, 2].map((axis) => handWave(rand, base[axis]!, between(rand, 10, 35) * DEG));
  return {
    name: spec.name,
    static: false,
    trackingType,
    poseAt(t) {
      return poseFromEuler(waveAt(angles[0]!, t), waveAt(angles[1]!, t), waveAt(angles[2]!, t), [
        waveAt(position[0]!, t),
        waveAt(position[1]!, t),
        waveAt(position[2]!, t),
      ]);
    },
  };
}

/** Multiplies two row-major 4x4 matrices (`a * b`). */
export function multiply(a: Matrix4, b: Matrix4): Matrix4 {
  const out = new Array<number>(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
      out[r * 4 + c] = s;
    }
  }
  return out;
}
