/**
 * Helpers for the interop and fault tests (test/interop/cpp-*.test.ts, test/faults/*.test.ts):
 * the values the C++ example programs compute, parsers for their printed output, small RxJS /
 * promise utilities with bounded waits, and raw-socket helpers.
 */
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'vitest';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import type { ConnectionState, IgtlConnection, IgtlMessage } from '../../src/node.js';
import { CPP_PEER_IMG_DIR } from './cpp-peers.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// What the C++ examples compute
// ---------------------------------------------------------------------------------------------

const f32 = Math.fround;

/**
 * igtl::QuaternionToMatrix (igtlMath.cxx, 1.11): normalises q = (x, y, z, w), then the usual
 * rotation matrix. Returned row-major 4x4 with zero translation, computed in float32 like C++.
 */
export function quaternionToMatrix(q: readonly number[]): number[] {
  const mod = f32(Math.sqrt(f32(f32(f32(q[0]! * q[0]!) + f32(q[1]! * q[1]!)) + f32(f32(q[2]! * q[2]!) + f32(q[3]! * q[3]!)))));
  const x = f32(q[0]! / mod);
  const y = f32(q[1]! / mod);
  const z = f32(q[2]! / mod);
  const w = f32(q[3]! / mod);
  const xx = x * x * 2;
  const xy = x * y * 2;
  const xz = x * z * 2;
  const xw = x * w * 2;
  const yy = y * y * 2;
  const yz = y * z * 2;
  const yw = y * w * 2;
  const zz = z * z * 2;
  const zw = z * w * 2;
  return [
    1 - (yy + zz), xy - zw, xz + yw, 0,
    xy + zw, 1 - (xx + zz), yz - xw, 0,
    xz - yw, yz + xw, 1 - (xx + yy), 0,
    0, 0, 0, 1,
  ].map(f32);
}

/** The position and (unnormalised) quaternion of the examples' GetRandomTest* for angles phi, theta. */
export function examplePose(phi: number, theta: number): { position: [number, number, number]; quaternion: [number, number, number, number] } {
  const c = f32(Math.cos(phi));
  const s = f32(Math.sin(phi));
  return {
    position: [f32(50 * c), f32(50 * s), f32(50 * c)],
    quaternion: [0, f32(0.6666666666 * f32(Math.cos(theta))), f32(0.577350269189626), f32(0.6666666666 * f32(Math.sin(theta)))],
  };
}

/** The examples' GetRandomTestMatrix(phi, theta): rotation from the quaternion, translation from phi. */
export function exampleMatrix(phi: number, theta: number): number[] {
  const { position, quaternion } = examplePose(phi, theta);
  const m = quaternionToMatrix(quaternion);
  m[3] = position[0];
  m[7] = position[1];
  m[11] = position[2];
  return m;
}

/**
 * Angle sequence of a `static float a = 0; ... a = a + step;` in C++: each sum is done in double
 * and stored as float. Returns the angle after `k` steps.
 */
export function floatAngle(step: number, k: number): number {
  let a = 0;
  for (let i = 0; i < k; i++) a = f32(a + step);
  return a;
}

/**
 * The k-th matrix (0-based, counted over the whole life of the process) that TrackerServer,
 * TrackerClient, BindServer and BindClient send: phi += 0.2, theta += 0.1 per message.
 */
export function trackerMatrix(k: number): number[] {
  return exampleMatrix(floatAngle(0.2, k), floatAngle(0.1, k));
}

/** Step of phi and theta of each channel of TrackingDataServer / QuaternionTrackingDataServer. */
export const TRACKING_CHANNEL_STEPS = [
  { phi: 0.1, theta: 0.2 },
  { phi: 0.2, theta: 0.1 },
  { phi: 0.3, theta: 0.05 },
] as const;

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/** Expects two row-major matrices to agree within `tol` in every element. */
export function expectMatrixClose(actual: readonly number[], expected: readonly number[], tol = 1e-4, what = 'matrix'): void {
  expect(actual, what).toHaveLength(16);
  for (let i = 0; i < 16; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      expect.fail(`${what}[${i}] (row ${Math.floor(i / 4)}, col ${i % 4}) is ${actual[i]}, expected ${expected[i]} (±${tol})\n` +
        `actual:   ${fmtMatrix(actual)}\nexpected: ${fmtMatrix(expected)}`);
    }
  }
}

/** Expects numbers to agree within `tol` each. */
export function expectNumbersClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  expect(actual.length, `${what}.length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol)) {
      expect.fail(`${what}[${i}] is ${actual[i]}, expected ${expected[i]} (±${tol}): [${Array.from(actual).join(', ')}] vs [${Array.from(expected).join(', ')}]`);
    }
  }
}

function fmtMatrix(m: readonly number[]): string {
  return [0, 1, 2, 3].map((r) => m.slice(r * 4, r * 4 + 4).map((v) => v.toPrecision(6)).join(' ')).join(' | ');
}

/** Expects a rigid transform: orthonormal rotation with determinant +1 and bottom row 0 0 0 1. */
export function expectRigid(m: readonly number[], tol = 1e-5): void {
  expect(m.slice(12)).toEqual([0, 0, 0, 1]);
  const col = (c: number) => [m[c]!, m[4 + c]!, m[8 + c]!];
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = col(a).reduce((s, v, i) => s + v * col(b)[i]!, 0);
      expect(Math.abs(dot - (a === b ? 1 : 0)), `column ${a} . column ${b}`).toBeLessThan(tol);
    }
  }
  const [a, b, c] = [col(0), col(1), col(2)];
  const det = a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) - b[0]! * (a[1]! * c[2]! - a[2]! * c[1]!) + c[0]! * (a[1]! * b[2]! - a[2]! * b[1]!);
  expect(Math.abs(det - 1), 'determinant - 1').toBeLessThan(tol);
}

// ---------------------------------------------------------------------------------------------
// Parsing the C++ programs' output
// ---------------------------------------------------------------------------------------------

/**
 * Every matrix printed by igtl::PrintMatrix (stdout), as row-major 16 numbers, in order:
 * `=============` / four rows `a, b, c, d` / `=============`.
 */
export function parsePrintedMatrices(stdout: string): number[][] {
  const out: number[][] = [];
  const re = /^=============\n([^\n]*)\n([^\n]*)\n([^\n]*)\n([^\n]*)\n=============$/gm;
  for (let m = re.exec(stdout); m !== null; m = re.exec(stdout)) {
    const rows = [m[1]!, m[2]!, m[3]!, m[4]!].map((r) => r.split(',').map((v) => Number(v.trim())));
    if (rows.every((r) => r.length === 4 && r.every((v) => Number.isFinite(v)))) out.push(rows.flat());
  }
  return out;
}

/** Lines of `text` that are 3 or 4 comma-separated numbers (igtl::PrintVector3 / PrintVector4). */
export function parsePrintedVectors(text: string): number[][] {
  const out: number[][] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(',').map((p) => p.trim());
    if ((parts.length === 3 || parts.length === 4) && parts.every((p) => p !== '' && Number.isFinite(Number(p)))) out.push(parts.map(Number));
  }
  return out;
}

/** Compares numbers printed with 6 significant digits (default `std::cout` precision). */
export function expectPrintedClose(printed: readonly number[], exact: readonly number[], what = 'printed'): void {
  expect(printed.length, `${what}.length`).toBe(exact.length);
  for (let i = 0; i < exact.length; i++) {
    const tol = Math.max(1e-6, Math.abs(exact[i]!) * 6e-6);
    if (!(Math.abs(printed[i]! - exact[i]!) <= tol)) expect.fail(`${what}[${i}] printed ${printed[i]}, sent ${exact[i]}`);
  }
}

/**
 * igtl_frac_to_nanosec of the 1.11 library (the peers here): the step values are halved with
 * rounding down (500000000, 250000000, ..., 976562, 488281, ...), unlike later versions whose
 * steps round up (OpenIGTLink Documents/Protocol/timestamp.md, `fractionToNanoseconds`). Observed: fraction 0x1F9ADD24 prints
 * as 123456778 ns in 1.11 (later versions: 123456789). The two differ by at most ~32 ns.
 */
export function cpp111FractionToNanoseconds(fraction: number): number {
  let base = 1_000_000_000;
  let ns = 0;
  for (let i = 0; i < 32; i++) {
    base = Math.floor(base / 2);
    if (fraction & (0x80000000 >>> i)) ns += base;
  }
  return ns;
}

/**
 * igtl_nanosec_to_frac of the 1.11 library: greedy over the rounded-down steps, taking a step
 * only while the rest is strictly greater (so the zero steps of bits 2..0 are not all set).
 * Determined from TrackerClient3, which prints the nanoseconds it puts in the header.
 */
export function cpp111NanosecondsToFraction(ns: number): number {
  let base = 1_000_000_000;
  let rest = ns;
  let frac = 0;
  for (let i = 0; i < 32; i++) {
    base = Math.floor(base / 2);
    if (rest > base) {
      frac += 2 ** (31 - i);
      rest -= base;
    }
  }
  return frac;
}

/** The pixels of igtlTestImage<n>.raw (n = 1..6), 256 x 256 uint8. */
export function testImage(n: number): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(CPP_PEER_IMG_DIR, `igtlTestImage${n}.raw`)));
}

// ---------------------------------------------------------------------------------------------
// Waiting (always bounded)
// ---------------------------------------------------------------------------------------------

/** Resolves with the first value of `source` matching `pred`; rejects after `ms`. */
export function firstMatch<T>(source: Observable<T>, pred: (v: T) => boolean, ms: number, what = 'value'): Promise<T> {
  return firstValueFrom(source.pipe(filter(pred), timeout({ first: ms, with: () => { throw new Error(`timed out after ${ms} ms waiting for ${what}`); } })));
}

/** Waits for a connection state of `kind`. */
export function waitForState(conn: IgtlConnection, kind: ConnectionState['kind'], ms = 5000): Promise<ConnectionState> {
  return firstMatch(conn.state$, (s) => s.kind === kind, ms, `state ${kind}`);
}

/** Polls `cond` every 10 ms until true; rejects after `ms` with `what`. */
export async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await sleep(10);
  }
}

/** Narrows to one message type. */
export function isType<K extends IgtlMessage['type']>(type: K): (m: IgtlMessage) => m is Extract<IgtlMessage, { type: K }> {
  return (m): m is Extract<IgtlMessage, { type: K }> => m.type === type;
}

/**
 * Collects what a subscription delivers: values, completion and error, so tests can wait for a
 * count with a bound and assert afterwards.
 */
export class Recorder<T> {
  readonly values: T[] = [];
  completed = false;
  error: unknown = undefined;
  private waiters: (() => void)[] = [];

  readonly observer = {
    next: (v: T) => {
      this.values.push(v);
      this.wake();
    },
    error: (e: unknown) => {
      this.error = e;
      this.wake();
    },
    complete: () => {
      this.completed = true;
      this.wake();
    },
  };

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `cond()` holds (checked after every event); rejects after `ms`. */
  until(cond: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (cond()) {
          clearTimeout(timer);
          resolve();
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        reject(new Error(`timed out after ${ms} ms waiting for ${what} (have ${this.values.length} values, completed=${this.completed}, error=${String(this.error)})`));
      }, ms);
      const arm = (): void => {
        if (!check()) this.waiters.push(arm);
      };
      arm();
    });
  }

  /** Waits for at least `n` values. */
  count(n: number, ms: number): Promise<void> {
    return this.until(() => this.values.length >= n, ms, `${n} values`);
  }

  /** Waits for completion or error. */
  end(ms: number): Promise<void> {
    return this.until(() => this.completed || this.error !== undefined, ms, 'the end of the stream');
  }
}

// ---------------------------------------------------------------------------------------------
// Raw sockets
// ---------------------------------------------------------------------------------------------

/** A raw TCP server on 127.0.0.1 (random port) that hands each accepted socket to `onSocket`. */
export async function rawServer(onSocket: (socket: net.Socket, index: number) => void): Promise<{ server: net.Server; port: number; sockets: net.Socket[]; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s, sockets.length - 1);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects a raw socket to 127.0.0.1:port. */
export function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
