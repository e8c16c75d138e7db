// The reader of a verb's stdout going away (EPIPE). Measured before:
// - `monitor --json > fifo` whose reader was stuck, SIGTERM, the reader killed 300 ms later:
//   exit 0, nothing said: the EPIPE exited 0 at once, as if the monitor had been asked nothing.
//   Now a verb that is ending keeps its status (143 here) and says the last lines are lost.
// - `simulate | head -n 1`: the next log line (a client "connected") killed the simulator, and
//   every later client got ECONNREFUSED. stdout is only its log: it now serves on.
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom, map, take } from 'rxjs';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY } from '../../src/node.js';
import { runCli, startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** A server in this process sending 4000 TRANSFORMs a second (a pipe whose reader stops fills at once); `asked(type)` resolves once a client sent that query. */
async function fastTracker(ctx: TestContext) {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  const timer = setInterval(() => {
    for (let i = 0; i < 20; i++) server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: `Tool${i}` }));
  }, 5);
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await server.close();
  });
  const queries = server.messages$.pipe(map((m) => m.message.type as string));
  return { port, asked: (type: string) => firstValueFrom(queries.pipe(filter((t) => t === type), take(1)), { defaultValue: 'never' }) };
}

/** `monitor --json --stream TDATA` on a fast tracker, once its STT_ is in and a message printed; `stp`: its STP_ at the server. */
async function streamingMonitor(ctx: TestContext) {
  const { port, asked } = await fastTracker(ctx);
  const stt = asked('STT_TDATA');
  const stp = asked('STP_TDATA');
  const mon = startCli(['monitor', `127.0.0.1:${port}`, '--json', '--stream', 'TDATA']);
  ctx.onTestFinished(async () => {
    await mon.stop(500);
  });
  await stt;
  await mon.waitFor(/"kind":"message"/);
  return { mon, stp };
}

describe('the reader of stdout goes away', () => {
  it('monitor: after SIGTERM, a reader that goes during the last flush leaves the status 143 (it was 0)', { timeout: 30_000 }, async (ctx) => {
    const { mon, stp } = await streamingMonitor(ctx);
    // The reader stops reading; at 4000 lines a second the pipe is full long before 1.5 s.
    mon.child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 1500));
    mon.child.kill('SIGTERM');
    // The STP_ proves the monitor is ending (its last flush waits up to 1 s for the stuck
    // reader); now the reader goes: the monitor's next write gets EPIPE.
    expect(await stp).toBe('STP_TDATA');
    mon.child.stdout!.destroy();
    const timer = setTimeout(() => mon.child.kill('SIGKILL'), 10_000);
    const exit = await mon.exited;
    clearTimeout(timer);
    expect(exit).toEqual({ code: 143, signal: null });
    expect(mon.stderr).toMatch(/^igtl-rx: stdout was closed by its reader: the last lines are not written$/m);
    // The reader going is not a reader that took nothing (the wait ends at the EPIPE).
    expect(mon.stderr).not.toMatch(/took nothing/);
  });

  it('simulate: serves on when its log reader goes (simulate | head), says so once, exits 0 on Ctrl-C', { timeout: 30_000 }, async () => {
    const sim = startCli(['simulate', '--port', '0']);
    const port = Number((await sim.waitFor(/listening on [\d.]+:(\d+)/, 15_000))[1]);
    await sim.waitFor(/seed 1/);
    sim.child.stdout!.destroy();
    // Each query is a client: "connected" and "left" are logged, into the closed pipe.
    for (let i = 0; i < 3; i++) {
      const q = await runCli(['query', `127.0.0.1:${port}`, 'GET_STATUS']);
      expect(q.stderr).toBe('');
      expect(q.code).toBe(0);
      expect(q.stdout).toMatch(/^STATUS\s+"Simulator"/);
    }
    expect(sim.stderr.match(/stdout was closed by its reader/g)).toEqual(['stdout was closed by its reader']);
    expect(sim.stderr).toMatch(/^igtl-rx: stdout was closed by its reader: no more log lines there; serving goes on\n$/);
    expect(await sim.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('a live verb whose reader goes while it runs (monitor | head)', () => {
  it('monitor stops as on a signal: STP_ written, one line, exit 0 (it was cut by process.exit: no STP_)', { timeout: 30_000 }, async (ctx) => {
    const { mon, stp } = await streamingMonitor(ctx);
    mon.child.stdout!.destroy();
    const timer = setTimeout(() => mon.child.kill('SIGKILL'), 10_000);
    const exit = await mon.exited;
    clearTimeout(timer);
    expect(exit).toEqual({ code: 0, signal: null });
    // Written before the exit: the server has it, or never gets it (then 'never' once it closes).
    expect(await Promise.race([stp, new Promise((r) => setTimeout(() => r('not within 3000 ms'), 3000))])).toBe('STP_TDATA');
    expect(mon.stderr).toBe('igtl-rx: stdout was closed by its reader: stopping\n');
  });
});
