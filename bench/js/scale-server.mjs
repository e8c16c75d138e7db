// igtl-rx side of benchmark 8 (scale): one igtl-rx server, <clients> clients, each sent a
// TRANSFORM and a TDATA (2 tools) at <hz> for <seconds> with server.broadcast(). Prints
// {"listening":port} first, then one JSON line with the CPU the process used over the sending
// period (user + system as a % of one core, and each in seconds) and what it sent, after
// <warmup> seconds of sending that are not counted (JIT compilation of the send path; the C++
// side, bench/cpp/igtlbench_scale_server.cxx, leaves out the same).
//
// Usage: node bench/js/scale-server.mjs <port> <clients> <hz> <seconds> [warmup seconds, default 0]
import { emit, fanOutReport, fanOutTicks } from './common.mjs';
import { createServer } from '../../dist/src/node.js';

const [portArg, clientsArg, hzArg, secondsArg, warmupArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const hz = Number(hzArg);
const seconds = Number(secondsArg);
const server = createServer({ port: Number(portArg), maxClients: clients + 16, housekeeping: false });
const address = await server.listen();
emit({ listening: address.port });

let connected = 0;
const ready = new Promise((resolve) => {
  server.sessions$.subscribe(() => {
    if (++connected === clients) resolve();
  });
});
await ready;

const measured = Math.round(seconds * hz);
let sent = 0;
let failed = 0;
const time = await fanOutTicks(hz, Math.round(Number(warmupArg ?? 0) * hz) + measured, measured, (transform, tdata) => {
  for (const msg of [transform, tdata]) {
    const r = server.broadcast(msg, { policy: 'latest' });
    sent += r.queued;
    failed += r.dropped;
  }
}, () => (sent = failed = 0));
await new Promise((r) => setTimeout(r, 100));
emit(fanOutReport(time, { sent, failed }));
await server.close();
process.exit(0);
