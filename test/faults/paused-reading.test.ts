// A `for await` consumer that stops pulling (it saves a file, waits for the user) holds reading
// paused once it is `highWaterMark` messages behind: the peer's bytes wait in the socket
// buffers. That silence is ours, not the peer's: before, the heartbeat declared a live peer dead
// ("no answer to a heartbeat": its answer was unread), and `idleTimeoutMs` and the read rule
// fired the same way, tearing the connection down under the consumer. The dead-peer rules now
// wait while reading is paused and count from the resume (src/connection/liveness.ts); `stale`
// still says that nothing current arrives; a peer that really stopped is still found, after the
// resume. Against a simulator in another process.
import { afterAll, describe, expect, it, vi, type TestContext } from 'vitest';
import { connectTcp, DeadPeerError, type IgtlError, type IgtlMessage } from '../../src/node.js';
import { simulateFor, stopAllCli } from '../e2e/cli-harness.js';

afterAll(stopAllCli);

const RULES = { heartbeat: { intervalMs: 200, timeoutMs: 400 }, staleAfterMs: 500, idleTimeoutMs: 1000 } as const;
/** How long the consumer stops pulling: every rule above falls due several times over. */
const PAUSE_MS = 3000;

async function slowConsumer(ctx: TestContext) {
  const { sim, port } = await simulateFor(ctx, ['--rate', '100', '--streams', 'TRANSFORM', '--tools', 'Stylus']);
  const conn = connectTcp({ port, reconnect: false, ...RULES });
  // Resolves when the pull buffer pauses reading (it is highWaterMark messages ahead of the consumer).
  const paused = new Promise<void>((resolve) => {
    const pauseReading = conn.pauseReading.bind(conn);
    vi.spyOn(conn, 'pauseReading').mockImplementation(() => {
      pauseReading();
      resolve();
    });
  });
  const states: { kind: string; at: number }[] = [];
  const errors: { error: IgtlError; at: number }[] = [];
  conn.state$.subscribe((s) => states.push({ kind: s.kind, at: performance.now() }));
  conn.errors$.subscribe((error) => errors.push({ error, at: performance.now() }));
  const iterator = conn.messages({ highWaterMark: 10 })[Symbol.asyncIterator]();
  ctx.onTestFinished(async () => {
    await iterator.return?.();
  });
  const pull = async (n: number): Promise<IgtlMessage[]> => {
    const got: IgtlMessage[] = [];
    while (got.length < n) {
      const r = await iterator.next();
      if (r.done) break;
      got.push(r.value);
    }
    return got;
  };
  return { sim, conn, states, errors, pull, paused };
}

/** The consumer is busy elsewhere: it does not pull for `ms` (the scenario, not an assertion). */
const busyElsewhere = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a for-await consumer that stops pulling', () => {
  it('keeps its connection to a live peer: stale while paused, never dead, open again as it reads, and the stream goes on in order', { timeout: 30_000 }, async (ctx) => {
    const { states, errors, pull, paused } = await slowConsumer(ctx);
    await pull(20);
    const from = states.length;
    await busyElsewhere(PAUSE_MS);
    await paused; // (long since: 10 messages at 100 Hz)
    // Reading resumes as the consumer pulls: what waited, then what comes, in order.
    const after = await pull(200);
    expect(after).toHaveLength(200);
    const times = after.map((m) => m.timestamp.toMillis());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(states.slice(from).map((s) => s.kind)).toEqual(['stale', 'open']);
    expect(errors.map((e) => e.error.code)).toEqual([]);
  });

  it('still finds a peer that stopped while it was paused, once reading resumes', { timeout: 30_000 }, async (ctx) => {
    const { sim, errors, pull, paused } = await slowConsumer(ctx);
    await pull(20);
    // The peer stops once reading is paused (stopped before that, it is found as any silent peer).
    await paused;
    sim.child.kill('SIGSTOP');
    ctx.onTestFinished(() => {
      sim.child.kill('SIGCONT');
    });
    await busyElsewhere(PAUSE_MS);
    const resumedAt = performance.now();
    // What waited is read; then nothing comes, and the peer does not answer its pings.
    await pull(Number.MAX_SAFE_INTEGER).catch(() => []);
    const dead = errors.find((e) => e.error instanceof DeadPeerError);
    expect(dead).toBeDefined();
    expect(dead!.at).toBeGreaterThan(resumedAt);
    expect(['heartbeat', 'idle']).toContain((dead!.error as DeadPeerError).rule);
    expect(dead!.at - resumedAt).toBeLessThan(RULES.idleTimeoutMs + 1000);
  });
});
