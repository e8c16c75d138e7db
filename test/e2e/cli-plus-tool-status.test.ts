// A tool PLUS has lost, against the emulated PlusServer (test/support/plus-emulator.ts). With
// SendValidTransformsOnly="FALSE" PLUS keeps sending it: in TDATA with its last matrix and
// `<name>Status` metadata (S15, vtkPlusIgtlMessageCommon.cxx PackTrackingDataMessage), in a
// TRANSFORM as the identity with TransformStatus/TransformValid (S12, S14: GetIgtlMatrix returns
// the identity for any status but OK). Metadata is sent in v3 framing only (S4, S10), so the
// verbs announce v3 (--announce-v3). Neither demo nor monitor may show such a pose as a pose.
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import type { Matrix4 } from '../../src/node.js';
import { PlusEmulator } from '../support/plus-emulator.js';
import { jsonLines, runCli, simulateFor, startCli, stopAllCli, type CliProcess } from './cli-harness.js';

afterAll(stopAllCli);

const at = (x: number): Matrix4 => [1, 0, 0, x, 0, 1, 0, 20, 0, 0, 1, 30, 0, 0, 0, 1];

/** The emulated PLUS, sending every 20 ms what `frame()` says; stopped when the test ends. */
async function plusSending(ctx: TestContext, frame: (plus: PlusEmulator) => void): Promise<PlusEmulator> {
  const plus = await PlusEmulator.start();
  const timer = setInterval(() => frame(plus), 20);
  ctx.onTestFinished(async () => {
    clearInterval(timer);
    await plus.close();
  });
  return plus;
}

function cli(ctx: TestContext, args: readonly string[]): CliProcess {
  const p = startCli(args);
  ctx.onTestFinished(async () => {
    await p.stop();
  });
  return p;
}

describe.concurrent('a tool PLUS reports lost (status not OK) is not shown as tracked', () => {
  it('demo --announce-v3 drops the lost tool\'s TDATA poses, says the status, and is live again when PLUS tracks it', { timeout: 30_000 }, async (ctx) => {
    let stylus = 'OK';
    const plus = await plusSending(ctx, (p) => p.sendTrackingData([
      // The lost tool's matrix stays the last one PLUS had (S15): a frozen pose, if drawn.
      { name: 'StylusToTracker', matrix: at(7), status: stylus },
      { name: 'ProbeToTracker', matrix: at(-3) },
    ]));
    const demo = cli(ctx, ['demo', '--connect', `127.0.0.1:${plus.port}`, '--tool', 'StylusToTracker', '--rate', '20', '--stale', '500', '--announce-v3']);
    await demo.waitFor(/^StylusToTracker x= {0,2}7\.00 y=20\.00 z=30\.00 mm \(TDATA "TDATA_2Elem" \/ StylusToTracker\)$/m);
    // Only v3 carries the status: wait until PLUS answers this client in v3 (S4).
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (plus.clientVersion() === 2) resolve();
      }, 10);
      ctx.onTestFinished(() => clearInterval(poll));
      setTimeout(() => clearInterval(poll), 5000);
    });
    let mark = demo.stdout.length;
    stylus = 'OUT_OF_VIEW';
    // A frame in flight may still say OK; give it 100 ms, then no pose may be printed.
    await new Promise((r) => setTimeout(r, 100));
    const quietFrom = demo.stdout.length;
    const [line] = await demo.waitFor(/^StylusToTracker: no pose for .*$/m, 5000, 'stdout', mark);
    expect(line).toMatch(/^StylusToTracker: no pose for \d+\.\d s \(the sender says OUT_OF_VIEW; the last one is shown as it was\)$/);
    expect(demo.stdout.slice(quietFrom, demo.stdout.indexOf(line!, mark))).not.toMatch(/^StylusToTracker x=/m);
    mark = demo.stdout.length;
    stylus = 'OK';
    await demo.waitFor(/^StylusToTracker: live again$/m, 5000, 'stdout', mark);
    await demo.waitFor(/^StylusToTracker x=/m, 5000, 'stdout', mark);
  });

  it('monitor --announce-v3 puts the status before the value: [OUT_OF_VIEW] t=(0, 0, 0) for the identity PLUS sends', { timeout: 30_000 }, async (ctx) => {
    const plus = await plusSending(ctx, (p) => {
      p.sendTransform('StylusToTracker', at(7), 'OUT_OF_VIEW');
      p.sendTransform('ProbeToTracker', at(-3), 'OK');
    });
    const mon = cli(ctx, ['monitor', `127.0.0.1:${plus.port}`, '--json', '--type', 'TRANSFORM', '--interval', '300', '--announce-v3']);
    await mon.waitFor(/"kind":"rates".*"invalidPose":"OUT_OF_VIEW"/);
    const rates = jsonLines(mon.stdout).filter((l) => l.kind === 'rates' && JSON.stringify(l).includes('invalidPose'));
    const rows = rates.at(-1)!.rows as { deviceName: string; value: string; invalidPose?: string }[];
    expect(rows.find((r) => r.deviceName === 'StylusToTracker')).toMatchObject({ invalidPose: 'OUT_OF_VIEW', value: 't=(0, 0, 0)' });
    expect(rows.find((r) => r.deviceName === 'ProbeToTracker')).not.toHaveProperty('invalidPose');
  });

  it('the simulator plays it too (simulate --out-of-view Stylus:2:1 --send-lost): demo says the status, then live again', { timeout: 30_000 }, async (ctx) => {
    const { sim, port } = await simulateFor(ctx, ['--out-of-view', 'Stylus:2:1', '--send-lost']);
    await sim.waitFor(/^Stylus out of view for 1 s of every 2 s: sent as PLUS sends a lost tool/m);
    const demo = cli(ctx, ['demo', '--connect', `127.0.0.1:${port}`, '--rate', '20', '--stale', '300', '--announce-v3']);
    const [line] = await demo.waitFor(/^Stylus: no pose for .*$/m, 10_000);
    expect(line).toMatch(/\(the sender says OUT_OF_VIEW; the last one is shown as it was\)$/);
    const mark = demo.stdout.indexOf(line!);
    await demo.waitFor(/^Stylus: live again$/m, 5000, 'stdout', mark);
    // While out of view, the identity PLUS-style poses were never shown as positions.
    const between = demo.stdout.slice(mark, demo.stdout.indexOf('Stylus: live again', mark));
    expect(between).not.toMatch(/^Stylus x= {0,3}0\.00 y= {0,3}0\.00 z= {0,3}0\.00/m);
  });

  it('simulate refuses an --out-of-view it cannot follow, with a usage error (exit 2)', async () => {
    for (const [args, message] of [
      [['--out-of-view', 'Needle:2:1'], /no tool named "Needle"/],
      [['--out-of-view', 'Stylus:2:2'], /0 < FOR < EVERY/],
      [['--out-of-view', 'Stylus'], /TOOL:EVERY:FOR/],
      [['--send-lost'], /--send-lost is for the tools of --out-of-view/],
    ] as const) {
      const r = await runCli(['simulate', '--port', '0', '--duration', '1', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
