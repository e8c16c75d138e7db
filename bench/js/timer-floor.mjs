// The floor of benchmark 8 for a Node process: a bare setTimeout loop paced as
// bench/js/scale-server.mjs paces its ticks (<hz> for <seconds>, drift-free), doing nothing else.
// Prints one JSON line with the CPU it used (user + system as a % of one core, and each in seconds).
// What a Node server ticking at <hz> costs before it sends anything: waking up, running a timer
// and going back to sleep, at every tick (the C++ server sleeps and wakes too: its 1-client row).
//
// Usage: node bench/js/timer-floor.mjs <hz> <seconds>
import { emit, now, paced } from './common.mjs';

const hz = Number(process.argv[2] ?? 120);
const seconds = Number(process.argv[3] ?? 10);
const ticks = Math.round(seconds * hz);
const cpu0 = process.cpuUsage();
const t0 = now();
await paced(hz, ticks, () => {});
const wall = now() - t0;
const cpu = process.cpuUsage(cpu0);
emit({ seconds: wall, cpuPercent: (100 * (cpu.user + cpu.system)) / 1e6 / wall, userSeconds: cpu.user / 1e6, sysSeconds: cpu.system / 1e6 });
