// Benchmark 7b: a stalled consumer. An igtl-rx server sends TRANSFORMs at <hz> with the `latest`
// policy to a client that connects and never reads (its socket is paused), for <seconds>.
// Once the kernel's and Node's socket buffers are full, the session's send queue conflates:
// it holds the newest message per (type, device), plus what one burst queued while the socket was
// still writable; it does not grow, and memory stays bounded. Samples RSS / heap / queue every second.
//
// Usage: node bench/js/stall.mjs <seconds> [hz] [devices]
import net from 'node:net';
import { igtl, emit, now } from './common.mjs';
import { createServer } from '../../dist/src/node.js';

const seconds = Number(process.argv[2] ?? 20);
const hz = Number(process.argv[3] ?? 1000);
const devices = Number(process.argv[4] ?? 4);
const server = createServer({ port: 0, housekeeping: false, sendPolicy: 'latest' });
const { port } = await server.listen();
const session = await new Promise((resolve) => {
  server.sessions$.subscribe(resolve);
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.pause(); // the stalled consumer: connected, never reads
});
let queue = { messages: 0, bytes: 0, dropped: 0, replaced: 0 };
session.queue$.subscribe((q) => (queue = q));
const samples = [];
let sent = 0;
const t0 = now();
const start = performance.now();
let tick = 0;
// Retained memory: with --expose-gc, a full collection at the middle and at the end of the run
// (two forced GCs in all), so that the second half's growth is what is kept, not garbage that
// V8 has not collected yet (its old generation grows for 10-40 s before the first mark-compact).
const afterGc = [];
const collect = () => {
  if (typeof globalThis.gc !== 'function') return;
  globalThis.gc();
  const m = process.memoryUsage();
  afterGc.push({ t: now() - t0, rss: m.rss, heapUsed: m.heapUsed });
};
await new Promise((resolve) => {
  const timer = setInterval(() => {
    if (afterGc.length === 0 && now() - t0 >= seconds / 2) collect();
    const m = process.memoryUsage();
    samples.push({ t: now() - t0, rss: m.rss, heapUsed: m.heapUsed, queued: queue.messages, queuedBytes: queue.bytes });
    if (now() - t0 >= seconds) {
      clearInterval(timer);
      collect();
      resolve();
    }
  }, 1000);
  const step = () => {
    if (now() - t0 >= seconds) return;
    const due = Math.floor(((performance.now() - start) * hz) / 1000);
    for (; tick < due; tick++) {
      const matrix = [1, 0, 0, tick, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
      session.next(igtl.createMessage('TRANSFORM', { matrix }, { deviceName: `Tool${tick % devices}` }));
      sent++;
    }
    setTimeout(step, 1);
  };
  step();
});
const half = samples.filter((s) => s.t >= seconds / 2);
const firstHalf = samples.filter((s) => s.t < seconds / 2);
emit({
  mode: 'stall', seconds, hz, devices, sent, replaced: queue.replaced, dropped: queue.dropped,
  maxQueued: Math.max(...samples.map((s) => s.queued)), maxQueuedBytes: Math.max(...samples.map((s) => s.queuedBytes)),
  maxQueuedFirstHalf: Math.max(0, ...firstHalf.map((s) => s.queued)), maxQueuedSecondHalf: Math.max(0, ...half.map((s) => s.queued)),
  rssPeak: Math.max(...samples.map((s) => s.rss)), heapPeak: Math.max(...samples.map((s) => s.heapUsed)),
  rssSecondHalfGrowth: half.length ? half[half.length - 1].rss - half[0].rss : 0,
  heapSecondHalfGrowth: half.length ? half[half.length - 1].heapUsed - half[0].heapUsed : 0,
  afterGc: afterGc.map((s) => [Math.round(s.t), s.rss, s.heapUsed]),
  samples: samples.map((s) => [Math.round(s.t), s.rss, s.heapUsed, s.queued]),
});
await server.close();
process.exit(0);
