// A plain WebSocket relay and an igtl-rx WebSocket client for the half-open WebSocket test
// (test/faults/dead-peer.test.ts), run inside the test network namespace
// (test/support/netns.ts). Events on stdout, one JSON a line.
//   node netns-ws.mjs relay <host> <port> <streamHz>
//     A `ws` server that streams TRANSFORMs in binary frames and answers nothing (not an igtl-rx
//     bridge: no heartbeat, no WebSocket pings). events: listening, client
//   node netns-ws.mjs client <host> <port>
//     connectWebSocket with `ws` and the DEFAULT options. events: state {kind, code, rule}, got {n}
import { emit, exitAfter } from './netns-child.mjs';

const { connectWebSocket, createMessage, encodeMessage, IDENTITY } = await import(new URL('../../dist/src/node.js', import.meta.url).href);
const { default: WebSocket, WebSocketServer } = await import('ws');

exitAfter(90_000);
const [role, host, portArg, hzArg] = process.argv.slice(2);
const port = Number(portArg);
const describe = (s) => ({ kind: s.kind, code: s.reason?.code, rule: s.reason?.rule });

if (role === 'relay') {
  const wss = new WebSocketServer({ host, port });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    emit('client');
  });
  wss.on('listening', () => emit('listening', { port }));
  let n = 0;
  setInterval(() => {
    const frame = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? ++n : v)) }, { deviceName: 'Tool' }));
    for (const c of wss.clients) c.send(frame);
  }, 1000 / Number(hzArg ?? 100));
} else {
  const conn = connectWebSocket(`ws://${host}:${port}/`, { WebSocket });
  conn.state$.subscribe((s) => emit('state', describe(s)));
  let got = 0;
  conn.subscribe({ next: () => { if (++got % 100 === 0) emit('got', { n: got }); }, error: () => {} });
}
