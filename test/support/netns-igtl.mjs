// igtl-rx peers with their DEFAULT options for the dead-peer tests (test/faults/dead-peer.test.ts),
// run inside the test network namespace (test/support/netns.ts). Events on stdout, one JSON a line.
//   node netns-igtl.mjs server <host> <port> <streamHz>
//     events: listening, session {remote}, session-state {kind, code, rule}, got {n}
//   node netns-igtl.mjs client <host> <port> <sendHz> [idleTimeoutMs]
//     events: state {kind, code, rule}, error {code, rule}, got {n}, sent {n}
// streamHz / sendHz: TRANSFORMs per second the server broadcasts / the client sends (0 = none).
import { emit, exitAfter } from './netns-child.mjs';

const dist = new URL('../../dist/src/node.js', import.meta.url);
const { connectTcp, createServer, createMessage, IDENTITY } = await import(dist.href);

exitAfter(90_000);
const [role, host, portArg, hzArg, idleArg] = process.argv.slice(2);
const port = Number(portArg);
const hz = Number(hzArg ?? 0);
const pose = (n) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Tool' });
const describe = (s) => ({ kind: s.kind, code: s.reason?.code, rule: s.reason?.rule });

if (role === 'server') {
  const server = createServer({ host, port });
  server.sessions$.subscribe((s) => {
    emit('session', { remote: `${s.remoteAddress}:${s.remotePort}` });
    s.state$.subscribe((st) => emit('session-state', describe(st)));
    s.errors$.subscribe((e) => emit('session-error', { code: e.code, rule: e.rule }));
  });
  let got = 0;
  server.messages$.subscribe(() => {
    if (++got % 100 === 0) emit('got', { n: got });
  });
  await server.listen();
  emit('listening', { port });
  if (hz > 0) {
    let n = 0;
    setInterval(() => server.broadcast(pose(++n)), 1000 / hz);
  }
} else {
  const conn = connectTcp({ host, port, ...(idleArg ? { idleTimeoutMs: Number(idleArg) } : {}) });
  conn.state$.subscribe((s) => emit('state', describe(s)));
  conn.errors$.subscribe((e) => emit('error', { code: e.code, rule: e.rule, message: e.message }));
  let got = 0;
  conn.subscribe({ next: () => { if (++got % 100 === 0) emit('got', { n: got }); }, error: () => {} });
  if (hz > 0) {
    let n = 0;
    setInterval(() => {
      conn.next(pose(++n));
      if (n % 100 === 0) emit('sent', { n });
    }, 1000 / hz);
  }
}
