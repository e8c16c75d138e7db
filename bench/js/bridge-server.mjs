// The process under test of the bridge benchmark: the igtl-rx bridge, or a raw byte relay (the
// floor: TCP bytes from the tracker sent on as they come, as binary frames, to every client,
// with no parsing, no filter and no backpressure handling). Connects to the tracker at
// <upstreamPort>, takes WebSocket clients; prints {"listening":port} first; measures its own
// CPU (user + system) from the moment <clients> clients are connected until the tracker closes
// the connection, then prints one JSON line and exits (which closes the clients). With
// <warmup> seconds (default 0), the measurement starts that long after the first bytes from the
// tracker instead: both processes under test compile their hot code (JIT, on helper threads that
// count in the process's CPU) in the first second or two, a fixed cost that says nothing of the
// cost per message and weighs most in a short run with few clients.
//
// Usage: node bench/js/bridge-server.mjs relay|bridge <upstreamPort> <clients> [warmup]
import net from 'node:net';
import { take } from 'rxjs';
import { WebSocketServer } from 'ws';
import { emit, memory, now } from './common.mjs';
import { createBridge } from '../../dist/src/node.js';

const [kind, upstreamArg, clientsArg, warmupArg] = process.argv.slice(2);
const upstreamPort = Number(upstreamArg);
const clients = Number(clientsArg);
const warmupMs = Number(warmupArg ?? 0) * 1000;

let cpu0;
let t0;
let clientCount = 0;
let upstreamEnded;
const ended = new Promise((resolve) => (upstreamEnded = resolve));
const startMeasuring = () => {
  cpu0 = process.cpuUsage();
  t0 = now();
};
const clientJoined = () => {
  if (++clientCount === clients && warmupMs === 0) startMeasuring();
};
let firstBytes = false;
/** The tracker's first bytes arrived: the measurement starts after the warm-up. */
const trafficStarted = () => {
  if (firstBytes || warmupMs === 0) return;
  firstBytes = true;
  setTimeout(startMeasuring, warmupMs);
};

let close;
if (kind === 'relay') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, clientTracking: false });
  const sockets = new Set();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    clientJoined();
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  const upstream = net.connect(upstreamPort, '127.0.0.1');
  upstream.setNoDelay(true);
  upstream.on('data', (chunk) => {
    trafficStarted();
    for (const ws of sockets) ws.send(chunk, { binary: true });
  });
  upstream.on('close', () => upstreamEnded());
  await new Promise((resolve) => upstream.once('connect', resolve));
  emit({ listening: wss.address().port });
  close = async () => {
    for (const ws of sockets) ws.terminate();
    wss.close();
  };
} else {
  const bridge = createBridge({ upstream: { host: '127.0.0.1', port: upstreamPort, reconnect: false }, port: 0, maxClients: clients + 8 });
  bridge.clients$.subscribe(clientJoined);
  // One extra subscriber for the first message only (take(1) unsubscribes it).
  bridge.upstream.pipe(take(1)).subscribe(trafficStarted);
  bridge.upstream.state$.subscribe((s) => {
    if (s.kind === 'closed' || s.kind === 'reconnecting') upstreamEnded();
  });
  const address = await bridge.listen();
  await new Promise((resolve) => {
    const sub = bridge.upstream.state$.subscribe((s) => {
      if (s.kind === 'open') {
        resolve();
        queueMicrotask(() => sub.unsubscribe());
      }
    });
  });
  emit({ listening: address.port });
  close = () => bridge.close();
}

await ended;
const wall = now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
emit({ kind, clients, seconds: wall, cpuSeconds, cpuPercent: (100 * cpuSeconds) / wall, userSeconds: cpu.user / 1e6, sysSeconds: cpu.system / 1e6, ...memory() });
await close();
process.exit(0);
