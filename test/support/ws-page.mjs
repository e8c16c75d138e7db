// A page's connection to an igtl-rx bridge, in a process of its own (so a test can stop it with
// SIGSTOP, as a machine or network that vanishes): connectWebSocket with its defaults.
//   node ws-page.mjs <url>      stdout: {"ev":"open"} once open, {"ev":"got","n"} every 50 messages
import WebSocket from 'ws';
import { emit } from './netns-child.mjs';

const dist = new URL('../../dist/src/node.js', import.meta.url);
const { connectWebSocket } = await import(dist.href);

const conn = connectWebSocket(process.argv[2], { WebSocket, reconnect: false });
conn.state$.subscribe((s) => {
  if (s.kind === 'open') emit('open');
});
let got = 0;
conn.subscribe({ next: () => { if (++got % 50 === 0) emit('got', { n: got }); }, error: () => {} });
setTimeout(() => process.exit(0), 120_000).unref();
