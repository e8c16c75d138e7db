// What `lossless` promises across forced restarts of the peer (docs/connections.md, "What
// survives a reconnect"): numbered messages to an igtl-rx server that is killed with SIGKILL five
// times while they flow. Every message that resolved `written` either reached a server or was
// reported in an UnconfirmedDeliveryError (with its bytes); with `resendUnconfirmed` every one
// arrives, and the only duplicates are messages that had been reported.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { IDENTITY, UnconfirmedDeliveryError, connectTcp, createMessage, decodeMessage, type IgtlError } from '../../src/node.js';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'count-server.mjs');
const N = 30_000;
const RESTARTS = 5;
const pose = (n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Counter' });

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.length = 0;
});

/** Starts a count server recording into `file`; resolves with its port once listening. */
function startServer(port: number, file: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVER, String(port), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`count server exited (${code ?? signal}) before listening`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const ev = JSON.parse(line) as { ev: string; port?: number };
      if (ev.ev === 'listening') resolve({ port: ev.port!, child });
    });
  });
}

/** Every number the servers recorded, in order of arrival. */
function recorded(file: string): number[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function run(resendUnconfirmed: boolean) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'igtl-rx-lossless-')), 'got.txt');
  let server = await startServer(0, file);
  const port = server.port;
  // Heartbeats every 200 ms confirm delivery often, so reports stay small; the limits are raised
  // because the test writes far faster than a tracker (30 000 messages in about two seconds).
  const conn = connectTcp({
    port,
    resendUnconfirmed,
    heartbeat: { intervalMs: 200, timeoutMs: 5000 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    retainUnconfirmedBytes: 64 * 1024 * 1024,
    queue: { maxMessages: 100_000, maxBytes: 64 * 1024 * 1024 },
  });
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  conn.connect();
  const restartEvery = Math.floor(N / (RESTARTS + 1));
  let restarts = 0;
  for (let n = 1; n <= N; n += 500) {
    // (n moves on by 200 more after a restart: those messages went to the server that died.)
    const batch: Promise<unknown>[] = [];
    for (let k = n; k < n + 500 && k <= N; k++) batch.push(conn.send(pose(k)));
    const results = await Promise.all(batch);
    await new Promise((r) => setTimeout(r, 40)); // ~12 000 messages/s: heartbeats (200 ms) confirm as it goes
    expect(new Set(results)).toEqual(new Set(['written']));
    if (n + 500 <= N && (n + 499) % restartEvery < 500 && restarts < RESTARTS) {
      restarts++;
      // A forced restart: the server stops reading (SIGSTOP), the next messages are written into
      // its socket buffers (they resolve 'written'), and it dies with them (SIGKILL), then comes back.
      server.child.kill('SIGSTOP');
      const doomed: Promise<unknown>[] = [];
      for (let k = 0; k < 200; k++) doomed.push(conn.send(pose(n + 500 + k)));
      expect(new Set(await Promise.all(doomed))).toEqual(new Set(['written']));
      n += 200;
      await killed(server.child);
      server = await startServer(port, file);
    }
  }
  // The last server stays up: wait until it has the last number (nothing after it can be missing).
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const check = () => (recorded(file).includes(N) ? resolve() : Date.now() > deadline ? reject(new Error(`server never got ${N}`)) : setTimeout(check, 20));
    check();
  });
  conn.close();
  const reports = errors.filter((e): e is UnconfirmedDeliveryError => e instanceof UnconfirmedDeliveryError);
  const reported = new Set(reports.flatMap((r) => r.frames.map((f) => decodeMessage(f))).map((m) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : -1)));
  expect(restarts).toBe(RESTARTS);
  return { got: recorded(file), reports, reported };
}

describe('lossless across forced restarts of the peer', () => {
  it('every message written either arrived or was reported unconfirmed, with its bytes', async () => {
    const { got, reports, reported } = await run(false);
    expect(reports.length).toBe(RESTARTS);
    const received = new Set(got);
    const missing: number[] = [];
    for (let n = 1; n <= N; n++) if (!received.has(n)) missing.push(n);
    expect(missing.length).toBeGreaterThanOrEqual(RESTARTS * 200); // what the stopped servers never read
    expect(missing.filter((n) => !reported.has(n))).toEqual([]);
    // Reports count exactly what they carry (retention was large enough), and no message arrived twice.
    for (const r of reports) expect(r.frames.length).toBe(r.messages);
    expect(got.length).toBe(received.size);
    console.log(reports.map((r) => `${r.messages}/${r.confirmation}`).join(" "));
    console.log(`lossless restarts: ${N} sent, ${received.size} arrived, ${missing.length} lost, ${reported.size} reported unconfirmed over ${reports.length} reports`);
  }, 90_000);

  it('with resendUnconfirmed every message arrives; the only duplicates are reported ones', async () => {
    const { got, reports, reported } = await run(true);
    expect(reports.length).toBe(RESTARTS);
    expect(reports.every((r) => r.resent)).toBe(true);
    const counts = new Map<number, number>();
    for (const n of got) counts.set(n, (counts.get(n) ?? 0) + 1);
    for (let n = 1; n <= N; n++) expect(counts.has(n), `message ${n} arrived`).toBe(true);
    const duplicated = [...counts].filter(([, c]) => c > 1).map(([n]) => n);
    expect(duplicated.filter((n) => !reported.has(n))).toEqual([]);
    console.log(`resendUnconfirmed: ${N} sent, all arrived, ${duplicated.length} twice (all of them reported)`);
  }, 90_000);
});
