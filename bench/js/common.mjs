// Shared helpers of the JS benchmark workers (bench/js/*.mjs). Each worker runs in its own Node
// process, started by bench/run.mjs, and prints one JSON line per result on stdout.
import * as igtl from '../../dist/src/index.js';

export { igtl };

export const POOL = 1024; // distinct message contents, cycled (same as the C++ side)
export const DEVICES = ['Tracker', 'StylusToTracker', 'ProbeToTracker', 'Reference'];
export const STATUS_TEXT = ['Tracking OK', 'Probe not visible', 'Reference lost: check the camera', 'OK'];

/** The k-th pool matrix (row-major 4x4), the same values as poolMatrix() in the C++ programs. */
export function poolMatrix(k) {
  const m = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  m[3] = Math.fround(k * 0.5);
  m[7] = Math.fround(k * -0.25);
  m[11] = k % 97;
  m[1] = Math.fround(Math.fround(k % 13) * Math.fround(0.01));
  return m;
}

export function transformPool() {
  const out = [];
  for (let k = 0; k < POOL; k++) {
    out.push(igtl.createMessage('TRANSFORM', { matrix: poolMatrix(k) }, {
      deviceName: DEVICES[k % 4],
      timestamp: new igtl.Timestamp(1700000000 + k, k * 4096),
    }));
  }
  return out;
}

export function statusPool() {
  const out = [];
  for (let k = 0; k < POOL; k++) {
    out.push(igtl.createMessage('STATUS', {
      code: 1 + (k % 19),
      subcode: BigInt(k * 1000),
      errorName: k % 2 ? 'TrackerError' : '',
      statusMessage: STATUS_TEXT[k % 4],
    }, { deviceName: DEVICES[k % 4], timestamp: new igtl.Timestamp(1700000000 + k, 0) }));
  }
  return out;
}

/** `n` messages from `pool`, encoded back to back into one buffer. */
export function packAll(pool, n) {
  const size = pool.reduce((s, m) => s + igtl.encodedSize(m), 0);
  const perRound = pool.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += igtl.encodedSize(pool[i % perRound]);
  void size;
  const out = new Uint8Array(total);
  let off = 0;
  for (let i = 0; i < n; i++) off += igtl.encodeMessageInto(pool[i % perRound], out, off);
  return out;
}

/** Wall-clock seconds. */
export const now = () => performance.now() / 1000;

/**
 * CPU seconds used by this process (user + system, all threads: V8's GC helpers count too).
 * The in-memory benchmarks time with this rather than the wall clock: other processes share the
 * machine, and CPU time does not count the time spent waiting for a core. The C++ side uses
 * CLOCK_PROCESS_CPUTIME_ID.
 */
export const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/**
 * Calls `onTick(k)` for k = 0 .. ticks - 1 at `hz`, without drift (tick k is due at start + k / hz,
 * one setTimeout per tick); resolves after the last. The pacing of benchmark 8's servers.
 */
export function paced(hz, ticks, onTick) {
  const period = 1000 / hz;
  return new Promise((resolve) => {
    let tick = 0;
    const start = performance.now();
    const step = () => {
      if (tick >= ticks) {
        resolve();
        return;
      }
      onTick(tick);
      tick++;
      setTimeout(step, Math.max(0, start + tick * period - performance.now()));
    };
    step();
  });
}

/**
 * Benchmark 8's servers: `ticks` ticks paced at `hz`, each given the tick's two messages (a
 * TRANSFORM of one tool and a TDATA of two, the C++ server's contents: bench/cpp/igtlbench_scale_server.cxx);
 * `onMeasure()` is called when the first of the last `measuredTicks` is due (the warm-up before is
 * not counted). Resolves with the wall time and the CPU (user, system: microseconds) of the measured ticks.
 */
export async function fanOutTicks(hz, ticks, measuredTicks, onTick, onMeasure = () => {}) {
  const matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const warm = ticks - measuredTicks;
  let cpu0 = process.cpuUsage();
  let t0 = now();
  await paced(hz, ticks, (tick) => {
    if (tick === warm) {
      cpu0 = process.cpuUsage();
      t0 = now();
      onMeasure();
    }
    const m = matrix.slice();
    m[3] = tick;
    const timestamp = igtl.Timestamp.now();
    const transform = igtl.createMessage('TRANSFORM', { matrix: m }, { deviceName: 'Stylus', timestamp });
    const tdata = igtl.createMessage('TDATA', {
      elements: [
        { name: 'Stylus', type: 2, matrix: m },
        { name: 'Probe', type: 2, matrix: m },
      ],
    }, { deviceName: 'Tracker', timestamp });
    onTick(transform, tdata);
  });
  return { wall: now() - t0, cpu: process.cpuUsage(cpu0) };
}

/** The JSON line of a benchmark 8 server: what it sent and the CPU of its measured ticks (see fanOutTicks). */
export function fanOutReport({ wall, cpu }, extra) {
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { ...extra, seconds: wall, cpuSeconds, cpuPercent: (100 * cpuSeconds) / wall, userSeconds: cpu.user / 1e6, sysSeconds: cpu.system / 1e6, ...memory() };
}

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export function argValue(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}

export function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
