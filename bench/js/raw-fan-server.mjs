// The Node floor of benchmark 8's fan-out: what any Node server doing the same work costs, with
// no igtl-rx connection, outbox or broadcast: a plain net server, the two messages of a tick
// (TRANSFORM + TDATA, as bench/js/scale-server.mjs builds them) encoded once with igtl-rx's
// encoder, joined, and written to every client with one socket.write each (igtl-rx also writes
// once per client per tick; the C++ server sends each message: two send() calls). Same pacing,
// warm-up and output as scale-server.mjs, so the difference between the two is the library's
// own per-session work and the difference to the C++ server is Node's.
//
// Usage: node bench/js/raw-fan-server.mjs <port> <clients> <hz> <seconds> [warmup seconds, default 0]
import net from 'node:net';
import { igtl, emit, fanOutReport, fanOutTicks } from './common.mjs';

const [portArg, clientsArg, hzArg, secondsArg, warmupArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const hz = Number(hzArg);
const seconds = Number(secondsArg);
const sockets = [];
let ready;
const allConnected = new Promise((resolve) => (ready = resolve));
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('data', () => {});
  socket.on('error', () => {});
  if (sockets.push(socket) === clients) ready();
});
await new Promise((resolve) => server.listen(Number(portArg), '127.0.0.1', resolve));
emit({ listening: server.address().port });
await allConnected;

const measured = Math.round(seconds * hz);
let sent = 0;
const time = await fanOutTicks(hz, Math.round(Number(warmupArg ?? 0) * hz) + measured, measured, (transform, tdata) => {
  const both = Buffer.concat([igtl.encodeMessage(transform), igtl.encodeMessage(tdata)]);
  for (const socket of sockets) socket.write(both);
  sent += 2 * sockets.length;
}, () => (sent = 0));
await new Promise((r) => setTimeout(r, 100));
emit(fanOutReport(time, { sent }));
for (const socket of sockets) socket.destroy();
server.close();
process.exit(0);
