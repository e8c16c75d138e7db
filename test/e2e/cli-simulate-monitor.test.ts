// `igtl-rx simulate` + `igtl-rx monitor --json`, end to end: the rates asked for are the rates seen.
// Each test runs its own simulator and monitor for a few seconds of real time, mostly waiting:
// the tests of a group run side by side (describe.concurrent), each stopping its own simulator;
// the two groups run one after the other, so that at most three pairs of processes start at once.
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { jsonLines, runCli, startSimulate, stopAllCli } from './cli-harness.js';

interface RateRow {
  type: string;
  deviceName: string;
  hz: number;
  count: number;
  latencyMs: number | null;
}

afterAll(stopAllCli);

/** Starts a simulator that is stopped when the test ends. */
async function simulatorFor(ctx: TestContext, args: string[]): Promise<number> {
  const { sim, port } = await startSimulate(args);
  ctx.onTestFinished(async () => {
    await sim.stop();
  });
  return port;
}

/** Monitors a simulator at `rate` Hz for `seconds` and returns the JSON lines. */
async function monitorSimulator(ctx: TestContext, rate: number, seconds: number, extra: string[] = []) {
  const port = await simulatorFor(ctx, ['--rate', String(rate), '--quiet']);
  const mon = await runCli(['monitor', `127.0.0.1:${port}`, '--json', '--duration', String(seconds), ...extra], { timeoutMs: (seconds + 15) * 1000 });
  expect(mon.stderr).toBe('');
  expect(mon.code).toBe(0);
  const lines = jsonLines(mon.stdout);
  return { messages: lines.filter((l) => l.kind === 'message'), reports: lines.filter((l) => l.kind === 'rates') as unknown as { rows: RateRow[] }[] };
}

/** Rate of one device from the message lines: (n - 1) / (last - first receive time). */
function measuredHz(messages: Record<string, unknown>[], device: string): number {
  const times = messages.filter((m) => m.type === 'TRANSFORM' && m.deviceName === device).map((m) => m.receivedAt as number);
  return ((times.length - 1) * 1000) / (times[times.length - 1]! - times[0]!);
}

describe.concurrent('igtl-rx simulate + monitor --json: rates', () => {
  for (const rate of [60, 250]) {
    // A rate measured on a shared CI box: retried once before it counts as a failure.
    it(`sees every tool at ${rate} Hz within 10%`, { retry: 1 }, async (ctx) => {
      const { messages, reports } = await monitorSimulator(ctx, rate, 3.5);
      // The rate lines (measureRate over the last second, every second), without the last one,
      // written when --duration ends the run: each tool's mean over the full windows. (A single
      // window can dip when a busy CI box stalls a process for 100 ms.)
      const full = reports.slice(0, -1);
      expect(full.length).toBeGreaterThanOrEqual(3);
      for (const report of full) {
        expect(report.rows.filter((r) => r.type === 'TRANSFORM').map((r) => r.deviceName).sort()).toEqual(['Probe', 'Reference', 'Stylus']);
      }
      for (const tool of ['Stylus', 'Probe', 'Reference']) {
        const hz = full.map((report) => report.rows.find((r) => r.type === 'TRANSFORM' && r.deviceName === tool)!.hz);
        const mean = hz.reduce((a, b) => a + b, 0) / hz.length;
        expect(mean).toBeGreaterThan(rate * 0.9);
        expect(mean).toBeLessThan(rate * 1.1);
      }
      // The message lines agree, tool by tool, over the whole run.
      for (const tool of ['Stylus', 'Probe', 'Reference']) {
        const hz = measuredHz(messages, tool);
        expect(hz).toBeGreaterThan(rate * 0.9);
        expect(hz).toBeLessThan(rate * 1.1);
      }
      const last = full[full.length - 1]!;
      process.stdout.write(`[rates] asked ${rate} Hz: ${last.rows.filter((r) => r.type === 'TRANSFORM').map((r) => `${r.deviceName} ${r.hz} Hz`).join(', ')}; from message lines Stylus ${measuredHz(messages, 'Stylus').toFixed(1)} Hz\n`);
    });
  }
});

describe.concurrent('igtl-rx simulate + monitor: output', () => {
  // A latency and a throttled rate measured on a shared CI box: retried once, like the rates.
  it('prints one JSON line per message with type, device, timestamp, latency and canonical content', { retry: 1 }, async (ctx) => {
    const { messages, reports } = await monitorSimulator(ctx, 60, 1.5, ['--device', 'Stylus', '--type', 'TRANSFORM,STATUS']);
    expect(messages.length).toBeGreaterThan(50);
    const m = messages[0]!;
    expect(m).toMatchObject({ kind: 'message', type: 'TRANSFORM', deviceName: 'Stylus', headerVersion: 1, bytes: 106 });
    expect(typeof m.receivedAt).toBe('number');
    expect(m.timestampRaw).toMatch(/^\d+$/);
    // Loopback: receive time minus timestamp is small (and the clocks are the same machine's).
    expect(Math.abs(m.latencyMs as number)).toBeLessThan(200);
    expect((m.content as { matrix: number[][] }).matrix).toHaveLength(4);
    expect(String(m.summary)).toMatch(/^t=\(/);
    // --device filters everything else out (STATUS is from "Simulator").
    expect(new Set(messages.map((x) => x.deviceName))).toEqual(new Set(['Stylus']));
    expect(reports.length).toBeGreaterThanOrEqual(1);
  });

  it('throttles with --rate and splits TDATA into tools with --element', { retry: 1 }, async (ctx) => {
    const port = await simulatorFor(ctx, ['--rate', '100', '--streams', 'TDATA', '--quiet']);
    const mon = await runCli(['monitor', `127.0.0.1:${port}`, '--json', '--duration', '2.2', '--element', 'Probe', '--rate', '20'], { timeoutMs: 20_000 });
    expect(mon.code).toBe(0);
    const lines = jsonLines(mon.stdout);
    const msgs = lines.filter((l) => l.kind === 'message');
    expect(msgs.every((x) => x.type === 'TDATA' && (x.content as { elements: { name: string }[] }).elements.map((e) => e.name).join() === 'Probe')).toBe(true);
    const reports = lines.filter((l) => l.kind === 'rates') as unknown as { rows: (RateRow & { element: string })[] }[];
    const row = reports[reports.length - 2]!.rows[0]!;
    expect(row).toMatchObject({ type: 'TDATA', deviceName: 'Tracker', element: 'Probe' });
    expect(row.hz).toBeGreaterThanOrEqual(17);
    expect(row.hz).toBeLessThanOrEqual(21);
  });

  it('prints a plain table every interval when stdout is not a terminal', async (ctx) => {
    const port = await simulatorFor(ctx, ['--quiet']);
    const mon = await runCli(['monitor', `127.0.0.1:${port}`, '--duration', '1.3', '--interval', '500'], { timeoutMs: 20_000 });
    expect(mon.code).toBe(0);
    expect(mon.stdout).toMatch(/^TYPE\s+DEVICE\s+Hz\s+kB\/s\s+TIMESTAMP\s+LATENCY\s+COUNT\s+VALUE$/m);
    expect(mon.stdout).toMatch(/^TRANSFORM\s+"Stylus"\s+[\d.]+\s+[\d.]+\s+\d\d:\d\d:\d\d\.\d{3}\s+-?[\d.]+ ms\s+\d+\s+t=\(/m);
    expect(mon.stdout.match(/^TYPE /gm)!.length).toBeGreaterThanOrEqual(2);
  });
});
