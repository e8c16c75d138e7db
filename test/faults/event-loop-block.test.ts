// The application blocks the event loop (a synchronous reconstruction, a long JSON.parse, a
// debugger pause) while its peer, another process, streams on: the peer's bytes wait in the
// kernel's socket buffer. When the loop runs again, Node runs its due timers before it reads
// the sockets, so the liveness deadlines that fell due during the block fire first: without a
// turn of I/O before the verdict, a live peer was declared stale and dead (`idle`, "nothing
// received for 1000 ms") and its connection torn down with its data still unread. The rule
// (src/connection/liveness.ts): a verdict is given only after the channel has had one turn of
// I/O since the deadline fell due; a peer that really is silent gets it one loop turn later.
// The same for the time-out of a request (`query`, `command`, the v3 Version handshake): its
// answer may be what waits unread; and for the connect time-out of TCP/TLS, whose connection
// may be established unseen (src/connection/io-turn.ts).
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { command, query } from '../../operators/index.js';
import { connectTcp, createMessage, DeadPeerError, type ConnectionState, type IgtlError } from '../../src/node.js';
import { simulateFor, stopAllCli } from '../e2e/cli-harness.js';

afterAll(stopAllCli);

// Wide enough that a peer starved by a loaded machine (CI runs test files side by side on 2
// cores) does not really fall silent for that long between two of its 100 Hz messages.
const STALE_AFTER_MS = 1000;
const IDLE_TIMEOUT_MS = 2000;

/** Blocks this process's event loop for `ms` (no timer, no socket read runs meanwhile). */
function blockEventLoop(ms: number): number {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
  return performance.now();
}

/** A client of a simulator (another process) streaming TRANSFORMs at 100 Hz, with its states, errors and a message counter. */
async function streamingPeer(ctx: TestContext) {
  const { sim, port } = await simulateFor(ctx, ['--rate', '100', '--streams', 'TRANSFORM', '--tools', 'Stylus']);
  const conn = connectTcp({ port, staleAfterMs: STALE_AFTER_MS, idleTimeoutMs: IDLE_TIMEOUT_MS, reconnect: false });
  const states: { kind: ConnectionState['kind']; at: number }[] = [];
  const errors: { error: IgtlError; at: number }[] = [];
  conn.state$.subscribe((s) => states.push({ kind: s.kind, at: performance.now() }));
  conn.errors$.subscribe((error) => errors.push({ error, at: performance.now() }));
  let received = 0;
  const waiters: { n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  // A connection torn down fails the wait at once (instead of a test time-out).
  conn.state$.subscribe((s) => {
    if (s.kind === 'closed') for (const w of waiters.splice(0)) w.reject(new Error(`closed: ${s.reason?.message}`));
  });
  const sub = conn.subscribe({
    next: () => {
      received++;
      for (const w of waiters.filter((x) => received >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    error: () => {},
  });
  ctx.onTestFinished(() => sub.unsubscribe());
  /** Resolves once `more` messages beyond those received so far have arrived. */
  const moreMessages = (more: number) => new Promise<void>((resolve, reject) => waiters.push({ n: received + more, resolve, reject }));
  await moreMessages(20);
  return { sim, conn, states, errors, moreMessages };
}

describe('a blocked event loop is not a silent peer', () => {
  it('a peer that streamed on while the loop was blocked past staleAfterMs and idleTimeoutMs stays open, and its messages keep coming', { timeout: 30_000 }, async (ctx) => {
    const { states, errors, moreMessages } = await streamingPeer(ctx);
    const from = states.length;
    const fromErrors = errors.length;
    // Blocked for 2.5 s: both deadlines (1 s, 2 s) fall due during it, while the peer's
    // TRANSFORMs (about 250 of them) queue in the socket buffer.
    blockEventLoop(IDLE_TIMEOUT_MS + 500);
    // The proof that the verdicts had their chance: messages arrive after the block (the timers
    // that fell due ran before the first of them was read).
    await moreMessages(50);
    expect(states.slice(from).map((s) => s.kind)).toEqual([]);
    expect(errors.slice(fromErrors).map((e) => e.error.code)).toEqual([]);
  });

  it('a peer that stopped during the block is still found dead, within idleTimeoutMs of the loop running again', { timeout: 30_000 }, async (ctx) => {
    const { sim, states, errors } = await streamingPeer(ctx);
    // The peer's process stops (its kernel keeps the connection open, as with a hung tracker).
    sim.child.kill('SIGSTOP');
    ctx.onTestFinished(() => {
      sim.child.kill('SIGCONT');
    });
    const from = states.length;
    const fromErrors = errors.length;
    const resumed = blockEventLoop(IDLE_TIMEOUT_MS + 500);
    const dead = await new Promise<{ error: IgtlError; at: number }>((resolve, reject) => {
      const poll = setInterval(() => {
        const found = errors.slice(fromErrors).find((e) => e.error instanceof DeadPeerError);
        if (found) {
          clearInterval(poll);
          resolve(found);
        } else if (performance.now() - resumed > 10_000) {
          clearInterval(poll);
          reject(new Error(`no DeadPeerError within 10 s; states ${JSON.stringify(states.slice(from))}`));
        }
      }, 20);
    });
    expect((dead.error as DeadPeerError).rule).toBe('idle');
    // What was in flight when it stopped may be read right after the block; from then on the
    // rules take their usual time, and no longer (generous margins for a loaded machine).
    expect(dead.at - resumed).toBeLessThan(IDLE_TIMEOUT_MS + 1000);
    expect(states.slice(from).map((s) => s.kind)).toContain('closed');
    expect(states.at(-1)!.kind).toBe('closed');
  });

  it('a query and a command answered while the loop was blocked past their time-out get their answers, not a QueryTimeoutError', { timeout: 30_000 }, async (ctx) => {
    // A quiet peer (no streams), so that the answers can only be the replies.
    const { port } = await simulateFor(ctx, ['--streams', 'none']);
    const conn = connectTcp({ port, reconnect: false });
    ctx.onTestFinished(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((st) => st.kind === 'open')));
    const status = firstValueFrom(query(conn, createMessage('GET_STATUS', {}, { deviceName: '' }), { timeoutMs: 500 }));
    const rate = firstValueFrom(command(conn, 'GetFrameRate', {}, { timeoutMs: 500 }));
    status.catch(() => {});
    rate.catch(() => {});
    // Both requests are written (the connection flushes its sends in a microtask), then the
    // loop is blocked past their time-outs while the answers arrive (the simulator has 1.5 s).
    await new Promise((resolve) => setImmediate(resolve));
    blockEventLoop(1500);
    expect((await status).type).toBe('STATUS');
    expect((await rate).status).toBe('SUCCESS');
  });

  it('a TCP connection established while the loop was blocked past connectTimeoutMs opens, with no failed attempt', { timeout: 30_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--streams', 'none']);
    const conn = connectTcp({ port, connectTimeoutMs: 300, reconnect: false });
    ctx.onTestFinished(() => conn.close());
    const states: string[] = [];
    conn.state$.subscribe((st) => states.push(st.kind));
    conn.connect();
    // The connect call is made (Node issues it on the next tick), then the loop is blocked past
    // the time-out while the kernel completes the handshake.
    await new Promise((resolve) => setImmediate(resolve));
    blockEventLoop(1000);
    const settled = await firstValueFrom(conn.state$.pipe(filter((st) => st.kind === 'open' || st.kind === 'closed')));
    expect(settled.kind).toBe('open');
    expect(states).not.toContain('closed');
  });
});
