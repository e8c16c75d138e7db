// A bridge and a raw WebSocket client for the dead-client test (test/faults/bridge-dead-client.test.ts),
// run inside the test network namespace (test/support/netns.ts). Events on stdout, one JSON a line.
//   node netns-bridge.mjs bridge <host> <port>
//     A bridge on host:port in front of a silent OpenIGTLink peer of its own (127.0.0.4, never
//     blackholed). events: listening, client {id}, client-state {id, kind, code, rule}
//   node netns-bridge.mjs wsclient <host> <port> <localAddress>
//     A plain `ws` client (no OpenIGTLink heartbeat: it never sends the probe), bound to
//     localAddress, that sends one frame and then nothing. events: open, notice {kind}
import { createServer as createNetServer } from 'node:net';
import { emit, exitAfter } from './netns-child.mjs';

const { createBridge } = await import(new URL('../../dist/src/bridge/index.js', import.meta.url).href);
const { encodeMessage, createMessage, IDENTITY } = await import(new URL('../../dist/src/node.js', import.meta.url).href);
const { default: WebSocket } = await import('ws');

exitAfter(90_000);
const [role, host, portArg, localAddress] = process.argv.slice(2);
const port = Number(portArg);
const describe = (s) => ({ kind: s.kind, code: s.reason?.code, rule: s.reason?.rule });

if (role === 'bridge') {
  // The tracker: accepts and says nothing (its silence is not the client's).
  const silent = createNetServer((s) => s.on('error', (e) => emit('tracker-error', { message: e.message })));
  await new Promise((resolve) => silent.listen(0, '127.0.0.4', resolve));
  const bridge = createBridge({ host, port, upstream: { host: '127.0.0.4', port: silent.address().port } });
  bridge.clients$.subscribe((c) => {
    emit('client', { id: c.id });
    c.state$.subscribe((s) => emit('client-state', { id: c.id, ...describe(s) }));
  });
  await bridge.listen();
  emit('listening', { port });
} else {
  const ws = new WebSocket(`ws://${host}:${port}/`, { localAddress });
  ws.on('error', (e) => emit('ws-error', { message: e.message }));
  ws.on('message', (data, isBinary) => {
    if (!isBinary) emit('notice', { kind: JSON.parse(data.toString()).state?.kind });
  });
  ws.on('open', () => {
    ws.send(encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Tool' })));
    emit('open');
  });
}
