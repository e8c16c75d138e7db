// The bridge's own per-message CPU, without sockets: the path from a chunk of the peer's bytes
// to the bytes handed to each client's channel (the upstream connection's framer and decoder,
// the fan-out's groups, each client's queue and flush), with channels that take every write and
// do nothing. What the socket writes cost (the same for the bridge and a raw relay) is left out,
// so a change to the bridge's own work shows clearly. Tracker traffic as in bridge-source.mjs:
// a TRANSFORM and a TDATA (2 tools) per tick, in one chunk.
//
// Usage: node bench/js/bridge-relay-cpu.mjs <clients> [ticks] [rounds]
// Prints {"clients", "nsPerMessage" (CPU ns per message, median of the rounds), "rounds": [...]}.
import { Observable } from 'rxjs';
import { emit, igtl, median } from './common.mjs';
import { IgtlConnection } from '../../dist/src/connection/connection.js';
import { ClientGroups } from '../../dist/src/bridge/fan-out.js';
import { parseClientFilter } from '../../dist/src/bridge/client-filter.js';
import { defaultRegistry } from '../../dist/src/protocol/messages/index.js';

const clients = Number(process.argv[2] ?? 10);
const ticks = Number(process.argv[3] ?? 20000);
const rounds = Number(process.argv[4] ?? 5);

/** A channel factory whose channel opens at once, takes every write, and lets the test push chunks. */
function channel() {
  let push;
  const factory = () =>
    new Observable((sub) => {
      sub.next({ type: 'open', channel: { kind: 'stream', remote: 'bench:1', write: () => true, pause() {}, resume() {}, close() {} } });
      push = (chunk) => sub.next({ type: 'data', chunk });
    });
  return { factory, push: (chunk) => push(chunk) };
}

const streamed = new Set(['TRANSFORM', 'TDATA']);
const isStreamed = (m) => streamed.has(m.type);
const policyOf = (m) => (isStreamed(m) ? 'latest' : 'lossless');

const up = channel();
const upstream = new IgtlConnection(up.factory, { heartbeat: false, eager: true, reconnect: false });
let id = 0;
// As the bridge does (`receivedFrame` exists from the forwarding change on; a build before it ignores the argument).
const received = upstream.receivedFrame ? (msg) => upstream.receivedFrame(msg) : undefined;
const groups = new ClientGroups(upstream, isStreamed, { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => ++id }, policyOf, received);
for (let i = 0; i < clients; i++) {
  const ch = channel();
  const conn = new IgtlConnection(ch.factory, { heartbeat: false, eager: true, reconnect: false, legacyEmptyQueries: false, sendPolicy: policyOf });
  conn.subscribe({ error: () => {} });
  groups.join(Object.assign(conn, { filter: parseClientFilter(new URLSearchParams('')), relayed: 0 }));
}

/** One tick's chunk: a TRANSFORM and a TDATA, fresh bytes (as a socket delivers them). */
function chunk(k) {
  const m = [1, 0, 0, k, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const timestamp = new igtl.Timestamp(1700000000 + k, k * 4096);
  const t = igtl.encodeMessage(igtl.createMessage('TRANSFORM', { matrix: m }, { deviceName: 'Stylus', timestamp }));
  const d = igtl.encodeMessage(igtl.createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: m }, { name: 'Probe', type: 2, matrix: m }] }, { deviceName: 'Tracker', timestamp }));
  const out = Buffer.allocUnsafeSlow(t.length + d.length);
  out.set(t, 0);
  out.set(d, t.length);
  return out;
}
const chunks = Array.from({ length: 1024 }, (_, k) => chunk(k));

async function run(n) {
  for (let i = 0; i < n; i++) {
    // A copy: each chunk is a socket's fresh buffer, and the frames forwarded are views on it.
    up.push(Buffer.from(chunks[i & 1023]));
    await null; // the clients' flush (a microtask), as between two socket reads
  }
}

await run(Math.min(ticks, 5000)); // warm-up
// CPU time (user + system, the process's: GC helper threads included), not wall time: the
// machine may be shared, and a preempted round would otherwise look slow.
const results = [];
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage();
  await run(ticks);
  const c = process.cpuUsage(c0);
  results.push(((c.user + c.system) * 1000) / (2 * ticks));
}
emit({ clients, nsPerMessage: Math.round(median(results)), rounds: results.map(Math.round) });
process.exit(0);
