// The WebSocket clients of the bridge benchmark: <clients> `ws` connections to <url>, in this
// one process (so their cost is not counted in the process under test). Each reads the
// OpenIGTLink byte stream from its binary frames (frame boundaries mean nothing), and for every
// whole message takes its latency: CLOCK_MONOTONIC now minus the header timestamp, which
// bench/js/bridge-source.mjs set to CLOCK_MONOTONIC at send time. Text frames (the bridge's
// notices) are ignored. Prints {"connected":n} once every client is open; ends when every
// client is closed (or after <seconds>) with one JSON line: messages per client, latency
// percentiles (ms) over the messages after the warm-up (<warmup> seconds, default 1).
//
// Usage: node bench/js/bridge-clients.mjs <url> <clients> <seconds> [warmup]
import WebSocket from 'ws';
import { emit } from './common.mjs';

const [url, clientsArg, secondsArg, warmupArg] = process.argv.slice(2);
const n = Number(clientsArg);
const warmupNs = Number(warmupArg ?? 1) * 1e9;
const deadline = setTimeout(finish, Number(secondsArg ?? 60) * 1000);
const latencies = [];
const perClient = new Array(n).fill(0);
let firstStampNs = -1;
let open = 0;
let closed = 0;

function client(i) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let pending = Buffer.alloc(0);
  ws.on('open', () => {
    if (++open === n) emit({ connected: n });
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const now = Number(process.hrtime.bigint());
    let buf = pending.length > 0 ? Buffer.concat([pending, data]) : data;
    let off = 0;
    while (buf.length - off >= 58) {
      const body = Number(buf.readBigUInt64BE(off + 42));
      if (buf.length - off < 58 + body) break;
      const stampNs = buf.readUInt32BE(off + 34) * 1e9 + (buf.readUInt32BE(off + 38) * 1e9) / 2 ** 32;
      if (firstStampNs < 0) firstStampNs = stampNs;
      // The warm-up (JIT, connection set-up) is left out.
      if (stampNs - firstStampNs > warmupNs) latencies.push((now - stampNs) / 1e6);
      perClient[i]++;
      off += 58 + body;
    }
    pending = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    if (++closed === n) finish();
  });
}

for (let i = 0; i < n; i++) client(i);

function finish() {
  clearTimeout(deadline);
  const s = Float64Array.from(latencies).sort();
  const q = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]);
  const per = [...perClient].sort((a, b) => a - b);
  emit({
    clients: n,
    messages: per.reduce((a, b) => a + b, 0),
    minPerClient: per[0],
    medianPerClient: per[per.length >> 1],
    p50: q(0.5),
    p99: q(0.99),
    max: s.length ? s[s.length - 1] : NaN,
    samples: s.length,
  });
  process.exit(0);
}
