// `igtl-rx monitor` and `igtl-rx demo` tell the truth about the connection, end to end: a peer
// that dies, one that comes back, one that falls silent, and Ctrl-C in a real terminal.
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom, map, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY, Timestamp, type IgtlServer } from '../../src/node.js';
import { HAS_SCRIPT, jsonLines, simulateFor, startCli, stopAllCli, type CliProcess, type StartOptions } from './cli-harness.js';

// The tests wait for real timers (a peer's death, a reconnect, 3 s of silence): they run side by
// side (describe.concurrent), so each one stops what it started when it ends.
afterAll(stopAllCli);

/** Starts `igtl-rx ...args`, stopped when the test ends. */
function cli(ctx: TestContext, args: readonly string[], options?: StartOptions): CliProcess {
  const p = startCli(args, options);
  ctx.onTestFinished(async () => {
    await p.stop();
  });
  return p;
}

/** Liveness: `staleAfterMs` of the connection layer (docs/connections.md), and the slack asked for. */
const STALE_AFTER_MS = 3000;

/** An igtl-rx server in this process, sending a TRANSFORM every 20 ms until told to stop. */
async function tracker(ctx: TestContext): Promise<{ server: IgtlServer; port: number; pause(): void; resume(): void }> {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  let timer: NodeJS.Timeout | undefined;
  const pose = () => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.now() });
  const resume = () => {
    timer ??= setInterval(() => server.broadcast(pose()), 20);
  };
  const pause = () => {
    clearInterval(timer);
    timer = undefined;
  };
  resume();
  ctx.onTestFinished(async () => {
    pause();
    await server.close();
  });
  return { server, port, pause, resume };
}

/** The JSON lines printed so far, from the `from`-th character of stdout on. */
const linesOf = (p: CliProcess, from = 0) => jsonLines(p.stdout.slice(from));

describe.concurrent('monitor when the peer goes away', () => {
  it('prints "state: closed by peer" when the simulator is killed, and exits 3', async (ctx) => {
    const { sim, port } = await simulateFor(ctx, ['--quiet']);
    const mon = cli(ctx, ['monitor', `127.0.0.1:${port}`, '--interval', '300']);
    await mon.waitFor(/^state: open 127\.0\.0\.1:\d+$/m);
    await mon.waitFor(/^TRANSFORM\s+"Stylus"/m);
    sim.child.kill('SIGKILL');
    await mon.waitFor(/^state: closed by peer$/m, 5000);
    expect((await mon.exited).code).toBe(3);
    expect(mon.stderr).toBe(`igtl-rx: 127.0.0.1:${port}: closed by peer\n`);
    // The last table says so too (with the errors the connection reported, the close among them
    // once connections report it as a PeerClosedError).
    expect(mon.stdout).toMatch(/^connection: closed by peer {3}errors: \d+/m);
  });

  it('with --keep-going shows reconnecting (attempt, delay, why) and goes live again when a simulator comes back on the port', async (ctx) => {
    const first = await simulateFor(ctx, ['--quiet']);
    const port = first.port;
    const mon = cli(ctx, ['monitor', `127.0.0.1:${port}`, '--json', '--keep-going', '--interval', '300']);
    await mon.waitFor(/"kind":"message"/);
    first.sim.child.kill('SIGKILL');
    await mon.waitFor(/"state":"reconnecting"/, 5000);
    const reconnecting = linesOf(mon).find((l) => l.kind === 'state' && l.state === 'reconnecting')!;
    expect(reconnecting).toMatchObject({ attempt: 1, reason: 'peer-closed', message: 'closed by peer' });
    expect(reconnecting.delayMs).toBeGreaterThan(0);
    // Still running, still reporting (the refused attempts are counted as errors).
    await mon.waitFor(/"kind":"error","at":[\d.]+,"code":"connection"/, 5000);
    expect(mon.child.exitCode).toBeNull();

    const mark = mon.stdout.length;
    const again = cli(ctx, ['simulate', '--port', String(port), '--quiet']);
    await again.waitFor(/listening on/, 15_000);
    await mon.waitFor(/"state":"open"[^]*"kind":"message"/, 15_000, 'stdout', mark);
    const after = linesOf(mon, mark);
    expect(after.find((l) => l.kind === 'state' && l.state === 'open')).toMatchObject({ remote: `127.0.0.1:${port}` });
    const rates = linesOf(mon).filter((l) => l.kind === 'rates');
    expect(rates[rates.length - 1]).toHaveProperty('errors');
    expect(mon.child.exitCode).toBeNull();
    expect((await mon.stop()).code).toBe(130);
  });
});

describe.concurrent('monitor when the peer falls silent', () => {
  // Needs the connection layer's liveness (the 'stale' state, option staleAfterMs).
  it(`shows stale within staleAfterMs + 1 s of the last message, and open again when data returns`, { timeout: 30_000 }, async (ctx) => {
    const { port, pause, resume } = await tracker(ctx);
    const mon = cli(ctx, ['monitor', `127.0.0.1:${port}`, '--json', '--interval', '300']);
    await mon.waitFor(/"kind":"message"/);
    pause();
    const pausedAt = Date.now();
    await mon.waitFor(/"state":"stale"/, STALE_AFTER_MS + 1000 + 500);
    expect(Date.now() - pausedAt).toBeLessThanOrEqual(STALE_AFTER_MS + 1000 + 500);
    const stale = linesOf(mon).find((l) => l.kind === 'state' && l.state === 'stale')!;
    expect(stale).toMatchObject({ remote: expect.stringMatching(/^127\.0\.0\.1:/) });
    expect(stale.silentMs).toBeGreaterThanOrEqual(1000);
    const mark = mon.stdout.length;
    resume();
    await mon.waitFor(/"state":"open"/, 5000, 'stdout', mark);
    expect(mon.child.exitCode).toBeNull();
  });
});

/**
 * An igtl-rx server in this process sending TDATA with two tools, Stylus and Probe, every 20 ms;
 * `hide(true)` leaves the Stylus out (a tool out of the camera's view: PLUS then sends TDATA
 * without it), so the connection stays busy while one tool has stopped.
 */
async function twoToolTracker(ctx: TestContext): Promise<{ port: number; hide(hidden: boolean): void }> {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  let hidden = false;
  const timer = setInterval(() => {
    const names = hidden ? ['Probe'] : ['Stylus', 'Probe'];
    server.broadcast(createMessage('TDATA', { elements: names.map((name) => ({ name, type: 2, matrix: IDENTITY })) }, { deviceName: 'Tracker', timestamp: Timestamp.now() }));
  }, 20);
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await server.close();
  });
  return { port, hide: (h) => (hidden = h) };
}

describe.concurrent('a tool that stops while the connection goes on', () => {
  it('monitor marks its row stale (and only its row), live again when it returns', { timeout: 30_000 }, async (ctx) => {
    const { port, hide } = await twoToolTracker(ctx);
    const mon = cli(ctx, ['monitor', `127.0.0.1:${port}`, '--json', '--split', '--interval', '250', '--stale', '600']);
    const rowsOf = (l: Record<string, unknown>) => l.rows as { element: string; stale: boolean; silentMs: number }[];
    const rates = (from: number) => linesOf(mon, from).filter((l) => l.kind === 'rates');
    await mon.waitFor(/"element":"Stylus"/);
    let mark = mon.stdout.length;
    hide(true);
    const hiddenAt = Date.now();
    await mon.waitFor(/"element":"Stylus","stale":true|"stale":true[^}]*"element":"Stylus"/, 5000, 'stdout', mark);
    // Within the threshold and one refresh (plus slack for a busy machine).
    expect(Date.now() - hiddenAt).toBeLessThan(600 + 250 + 1500);
    const staleLine = rates(mark).find((l) => rowsOf(l).some((r) => r.element === 'Stylus' && r.stale))!;
    expect(rowsOf(staleLine).find((r) => r.element === 'Stylus')!.silentMs).toBeGreaterThanOrEqual(600);
    // The Probe and the connection are live all along.
    expect(rowsOf(staleLine).find((r) => r.element === 'Probe')!.stale).toBe(false);
    expect(staleLine.state).toBe('open');
    mark = mon.stdout.length;
    hide(false);
    await mon.waitFor(/"kind":"rates"/, 5000, 'stdout', mark);
    await mon.waitFor(/"kind":"rates"/, 5000, 'stdout', mon.stdout.length);
    const back = rates(mark).at(-1)!;
    expect(rowsOf(back).map((r) => [r.element, r.stale])).toEqual([['Probe', false], ['Stylus', false]]);
  });

  it('demo says the followed tool has no pose (not live), and when it is live again', { timeout: 30_000 }, async (ctx) => {
    const { port, hide } = await twoToolTracker(ctx);
    const demo = cli(ctx, ['demo', '--connect', `127.0.0.1:${port}`, '--rate', '10', '--stale', '500']);
    await demo.waitFor(/^Stylus x=/m);
    let mark = demo.stdout.length;
    hide(true);
    const [line] = await demo.waitFor(/^Stylus: no pose for .*$/m, 5000, 'stdout', mark);
    expect(line).toMatch(/^Stylus: no pose for \d+\.\d s \(the last one is shown as it was\)$/);
    // At the threshold (the timer's lateness on a busy machine aside).
    expect(Number(/for ([\d.]+) s/.exec(line)![1])).toBeGreaterThanOrEqual(0.5);
    // Nothing else said the connection was in trouble: it was not.
    expect(demo.stdout.slice(mark)).not.toMatch(/^state: /m);
    mark = demo.stdout.length;
    hide(false);
    await demo.waitFor(/^Stylus: live again$/m, 5000, 'stdout', mark);
    await demo.waitFor(/^Stylus x=/m, 5000, 'stdout', mark);
    expect(demo.child.exitCode).toBeNull();
  });
});

describe.skipIf(!HAS_SCRIPT).concurrent('Ctrl-C in a terminal', () => {
  for (const verb of ['monitor', 'demo'] as const) {
    it(`${verb}: sends STP_ for every stream it started, then exits 130`, async (ctx) => {
      const { server, port } = await tracker(ctx);
      const wanted = verb === 'monitor' ? ['STP_TDATA', 'STP_TRANS'] : ['STP_TDATA'];
      const queries = server.messages$.pipe(map((m) => m.message.type as string), filter((t) => t.startsWith('STT_') || t.startsWith('STP_')));
      const stops = firstValueFrom(queries.pipe(filter((t) => t.startsWith('STP_')), take(wanted.length), toArray()));
      const started = firstValueFrom(queries.pipe(filter((t) => t.startsWith('STT_')), take(wanted.length), toArray()));
      const args = verb === 'monitor' ? ['monitor', `127.0.0.1:${port}`, '--stream', 'TDATA', '--stream', 'TRANSFORM'] : ['demo', '--connect', `127.0.0.1:${port}`];
      const view = cli(ctx, args, { terminal: { rows: 40, columns: 160 } });
      expect((await started).sort()).toEqual(wanted.map((t) => t.replace('STP_', 'STT_')).sort());
      // The live view is drawn (log-update has hidden the cursor, and signal-exit is listening).
      await view.waitFor(/connection: open 127\.0\.0\.1:\d+/);
      await view.waitFor(/\x1b\[\?25l/);
      view.child.stdin!.write('\x03');
      expect((await stops).sort()).toEqual([...wanted].sort());
      expect((await view.exited).code).toBe(130);
      // The cursor is shown again.
      expect(view.stdout).toMatch(/\x1b\[\?25h[^]*$/);
    });
  }

  for (const verb of ['monitor', 'demo'] as const) {
    it(`${verb}: the live view says a tool that stopped is not live, while the connection is open`, { timeout: 30_000 }, async (ctx) => {
      const { port, hide } = await twoToolTracker(ctx);
      const args = verb === 'monitor' ? ['monitor', `127.0.0.1:${port}`, '--split', '--stale', '600'] : ['demo', '--connect', `127.0.0.1:${port}`, '--stale', '600'];
      const view = cli(ctx, args, { terminal: { rows: 40, columns: 200 } });
      await view.waitFor(verb === 'monitor' ? /"Tracker\/Stylus" +\d+\.\d / : /Stylus +x +-?\d/);
      const mark = view.stdout.length;
      hide(true);
      const stale = verb === 'monitor' ? /"Tracker\/Stylus" +stale .*STALE \d\.\d s: Stylus\(/ : /Stylus +x .*NOT LIVE: no pose for \d\.\d s/;
      await view.waitFor(stale, 5000, 'stdout', mark);
      expect(view.stdout.slice(mark)).not.toMatch(/"Tracker\/Probe" +stale/);
      expect(view.stdout.slice(mark)).toMatch(/connection: open 127\.0\.0\.1:\d+/);
    });
  }
});
