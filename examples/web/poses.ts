// From tracking messages to tool poses: the page's OpenIGTLink-specific geometry.
import { fullDeviceName, positionQuaternion, type IgtlMessage } from '../../src/index.js';

/** A row-major 4x4 rigid transform (translation in mm at 3, 7, 11), as OpenIGTLink sends it. */
export type Mat4 = readonly number[];

/** Where one tool is and how it is oriented. */
export interface ToolPose {
  readonly tool: string;
  readonly matrix: Mat4;
}

/** Tracking types the page draws as tools. */
export const TRACKING_TYPES = ['TRANSFORM', 'POSITION', 'TDATA', 'QTDATA'] as const;

/**
 * The tool a tracking message is about: its full device name (`fullDeviceName`), or for a TDATA/QTDATA message split
 * into one element per message (`splitElements()`), the element's name.
 */
export function toolOf(msg: IgtlMessage): string {
  if ((msg.type === 'TDATA' || msg.type === 'QTDATA') && msg.content.elements.length === 1) return msg.content.elements[0]!.name;
  return fullDeviceName(msg);
}

/** A rotation [qx, qy, qz, w] and a translation as a row-major 4x4. */
export function fromQuaternion(q: readonly number[], p: readonly number[]): Mat4 {
  const [x = 0, y = 0, z = 0, w = 1] = q;
  const n = Math.hypot(x, y, z, w) || 1;
  const [a, b, c, d] = [x / n, y / n, z / n, w / n];
  return [
    1 - 2 * (b * b + c * c), 2 * (a * b - c * d), 2 * (a * c + b * d), p[0] ?? 0,
    2 * (a * b + c * d), 1 - 2 * (a * a + c * c), 2 * (b * c - a * d), p[1] ?? 0,
    2 * (a * c - b * d), 2 * (b * c + a * d), 1 - 2 * (a * a + b * b), p[2] ?? 0,
    0, 0, 0, 1,
  ];
}

/** The pose in a (split) tracking message, or undefined for other messages. */
export function poseOf(msg: IgtlMessage): ToolPose | undefined {
  const tool = toolOf(msg);
  switch (msg.type) {
    case 'TRANSFORM':
      return { tool, matrix: msg.content.matrix };
    case 'POSITION':
      return { tool, matrix: fromQuaternion(positionQuaternion(msg.content), msg.content.position) };
    case 'TDATA': {
      const m = msg.content.elements[0]?.matrix;
      return m && { tool, matrix: m };
    }
    case 'QTDATA': {
      const e = msg.content.elements[0];
      return e && { tool, matrix: fromQuaternion(e.quaternion, e.position) };
    }
    default:
      return undefined;
  }
}

/** The product a · b of two row-major 4x4 matrices. */
export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out: number[] = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
    out[r * 4 + c] = s;
  }
  return out;
}
