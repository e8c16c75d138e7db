// The tracker of the bridge benchmark: a TCP server that, once its one client (the bridge or the
// raw relay under test) has connected and "go" arrives on stdin, sends a TRANSFORM and a TDATA
// (2 tools) every 1/<hz> s for <seconds>, each stamped with CLOCK_MONOTONIC at send time (the
// WebSocket clients compare it with their own CLOCK_MONOTONIC: the latency through the
// process under test). Then it closes the connection. Prints {"listening":port} first, then one
// JSON line with what it sent.
//
// Usage: node bench/js/bridge-source.mjs <hz> <seconds>
import net from 'node:net';
import { igtl, emit } from './common.mjs';

const hz = Number(process.argv[2] ?? 120);
const seconds = Number(process.argv[3] ?? 10);
const server = net.createServer();
const connected = new Promise((resolve) => server.once('connection', resolve));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
emit({ listening: server.address().port });
const socket = await connected;
socket.setNoDelay(true);
socket.on('error', () => {});
server.close();
await new Promise((resolve) => {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => d.includes('go') && resolve());
});

/** CLOCK_MONOTONIC now as an OpenIGTLink timestamp (seconds, 2^-32 s fraction). */
function monotonicStamp() {
  const ns = process.hrtime.bigint();
  return new igtl.Timestamp(Number(ns / 1_000_000_000n), Number(((ns % 1_000_000_000n) << 32n) / 1_000_000_000n));
}

const matrix = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const period = 1000 / hz;
const ticks = Math.round(seconds * hz);
let sent = 0;
await new Promise((resolve) => {
  let tick = 0;
  const start = performance.now();
  const step = () => {
    if (tick >= ticks) return resolve();
    const m = matrix.slice();
    m[3] = tick;
    const timestamp = monotonicStamp();
    const transform = igtl.createMessage('TRANSFORM', { matrix: m }, { deviceName: 'Stylus', timestamp });
    const tdata = igtl.createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: m }, { name: 'Probe', type: 2, matrix: m }] }, { deviceName: 'Tracker', timestamp });
    // Two writes, as a tracker sends them (the C++ library sends each message on its own).
    socket.write(igtl.encodeMessage(transform));
    socket.write(igtl.encodeMessage(tdata));
    sent += 2;
    tick++;
    setTimeout(step, Math.max(0, start + tick * period - performance.now()));
  };
  step();
});
// Let the last messages reach the clients before the relay sees the end.
await new Promise((r) => setTimeout(r, 300));
socket.end();
emit({ sent, ticks });
process.exit(0);
