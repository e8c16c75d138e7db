// `igtl-rx simulate` + `igtl-rx monitor`, end to end: one JSON line per message, throttling and
// element filters, the plain table. Each test runs its own simulator and monitor for a second or
// two of real time, mostly waiting: they run side by side (describe.concurrent), each stopping its
// own simulator. (Rate accuracy, measured over seconds: cli-simulate-monitor-rates.test.ts.)
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonLines, monitorSimulator, runCli, simulateFor, stopAllCli, type RateRow } from './cli-harness.js';

afterAll(stopAllCli);

describe.concurrent('igtl-rx simulate + monitor --json', () => {
  // A latency and a throttled rate measured on a shared CI box: retried once.
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
    const { port } = await simulateFor(ctx, ['--rate', '100', '--streams', 'TDATA', '--quiet']);
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

  it('simulate --allow: a client from an address not listed is cut as it connects, a listed one is served', async (ctx) => {
    const { port } = await simulateFor(ctx, ['--allow', '127.0.0.2', '--quiet']);
    const client = (localAddress: string) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      socket.on('error', () => undefined);
      ctx.onTestFinished(() => void socket.destroy());
      return socket;
    };
    // Not listed: closed by the simulator with nothing sent.
    const outsider = client('127.0.0.1');
    let outsiderBytes = 0;
    outsider.on('data', (c: Buffer) => (outsiderBytes += c.length));
    await new Promise<void>((resolve) => outsider.once('close', () => resolve()));
    expect(outsiderBytes).toBe(0);
    // Listed: gets the default streams.
    const listed = client('127.0.0.2');
    const first = await new Promise<Buffer>((resolve) => listed.once('data', resolve));
    expect(first.length).toBeGreaterThan(0);
    // A bad entry is a usage error.
    const bad = await runCli(['simulate', '--port', '0', '--allow', 'nonsense', '--duration', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/allow.*nonsense/);
  });

  it('prints a plain table every interval when stdout is not a terminal', async (ctx) => {
    const { port } = await simulateFor(ctx, ['--quiet']);
    const mon = await runCli(['monitor', `127.0.0.1:${port}`, '--duration', '1.3', '--interval', '500'], { timeoutMs: 20_000 });
    expect(mon.code).toBe(0);
    expect(mon.stdout).toMatch(/^TYPE\s+DEVICE\s+Hz\s+kB\/s\s+TIMESTAMP\s+LATENCY\s+COUNT\s+VALUE$/m);
    expect(mon.stdout).toMatch(/^TRANSFORM\s+"Stylus"\s+[\d.]+\s+[\d.]+\s+\d\d:\d\d:\d\d\.\d{3}\s+-?[\d.]+ ms\s+\d+\s+t=\(/m);
    expect(mon.stdout.match(/^TYPE /gm)!.length).toBeGreaterThanOrEqual(2);
  });
});
