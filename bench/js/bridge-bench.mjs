// One measurement of the bridge benchmark (used by bench/run.mjs): starts the tracker
// (bridge-source.mjs), the process under test (bridge-server.mjs: the igtl-rx bridge or the raw
// relay) and the WebSocket clients (bridge-clients.mjs), each in its own process; once every
// client is connected, tells the tracker to go. Resolves with { server, clients }: the CPU of
// the process under test over the sending period and the clients' latency figures.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function start(args, timeoutMs) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = [];
  let err = '';
  let out = '';
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  child.stdout.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i).trim();
      out = out.slice(i + 1);
      if (!line.startsWith('{')) continue;
      const json = JSON.parse(line);
      lines.push(json);
      for (const w of [...waiters]) if (w.test(json)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(json);
      }
    }
  });
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise((resolve, reject) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters) w.reject(new Error(`${path.basename(args[0])} exited (${code ?? signal})\n${err.slice(-2000)}`));
      if (code === 0) resolve(lines);
      else reject(new Error(`${path.basename(args[0])} ${args.slice(1).join(' ')}: exit ${code ?? signal}\n${err.slice(-2000)}`));
    }),
  );
  done.catch(() => {});
  const wait = (test) => {
    const found = lines.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => waiters.push({ test, resolve, reject }));
  };
  return { child, done, wait };
}

/**
 * @param {{ kind: 'relay' | 'bridge', clients: number, hz?: number, seconds?: number, warmup?: number, root?: string }} o
 *   seconds: the measured period; warmup: seconds of traffic before it (default 2), left out of
 *   the CPU (bridge-server.mjs) and latency (bridge-clients.mjs) figures of both processes under
 *   test; root: the directory of bench/js to run (default this one)
 */
export async function measureBridge({ kind, clients, hz = 120, seconds = 10, warmup = 2, root }) {
  const js = (name) => path.join(root ?? HERE, name);
  const timeoutMs = (warmup + seconds + 60) * 1000;
  const source = start([js('bridge-source.mjs'), String(hz), String(warmup + seconds)], timeoutMs);
  const procs = [source];
  try {
    const { listening: upstreamPort } = await source.wait((j) => j.listening !== undefined);
    const server = start([js('bridge-server.mjs'), kind, String(upstreamPort), String(clients), String(warmup)], timeoutMs);
    procs.push(server);
    const { listening: wsPort } = await server.wait((j) => j.listening !== undefined);
    const cl = start([js('bridge-clients.mjs'), `ws://127.0.0.1:${wsPort}/`, String(clients), String(warmup + seconds + 30), String(Math.max(1, warmup))], timeoutMs);
    procs.push(cl);
    await cl.wait((j) => j.connected !== undefined);
    source.child.stdin.write('go\n');
    const [srcOut, serverOut, clientOut] = await Promise.all([source.done, server.done, cl.done]);
    return { source: srcOut.at(-1), server: serverOut.at(-1), clients: clientOut.at(-1) };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
}

// Stand-alone: node bench/js/bridge-bench.mjs relay|bridge <clients> [seconds] [warmup]
if (import.meta.url === `file://${process.argv[1]}`) {
  const [kind, clients, seconds, warmup] = process.argv.slice(2);
  const r = await measureBridge({ kind, clients: Number(clients), seconds: Number(seconds ?? 10), warmup: Number(warmup ?? 2) });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
