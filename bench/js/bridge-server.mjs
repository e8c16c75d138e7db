// The process under test of the bridge benchmark: the igtl-rx bridge, or a raw byte relay (the
// floor: TCP bytes from the tracker sent on as they come, as binary frames, to every client,
// with no parsing, no filter and no backpressure handling). Connects to the tracker at
// <upstreamPort>, takes WebSocket clients; prints {"listening":port} first; measures its own
// CPU (user + system) from the moment <clients> clients are connected until the tracker closes
// the connection, then prints one JSON line and exits (which closes the clients).
//
// Usage: node bench/js/bridge-server.mjs relay|bridge <upstreamPort> <clients>
import net from 'node:net';
import { WebSocketServer } from 'ws';
import { emit, memory, now } from './common.mjs';
import { createBridge } from '../../dist/src/node.js';

const [kind, upstreamArg, clientsArg] = process.argv.slice(2);
const upstreamPort = Number(upstreamArg);
const clients = Number(clientsArg);

let cpu0;
let t0;
let clientCount = 0;
let upstreamEnded;
const ended = new Promise((resolve) => (upstreamEnded = resolve));
const clientJoined = () => {
  if (++clientCount === clients) {
    cpu0 = process.cpuUsage();
    t0 = now();
  }
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
