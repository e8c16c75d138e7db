// The workbench in Chromium when its bridge stops (a hung process, a machine or a cable gone: no
// close reaches the page) while the tracker behind it is fine. The page's WebSocket only falls
// silent: before, the header said "stale: the tracker sends nothing" (the bridge's last word was
// that its tracker is live) for as long as TCP kept the socket. Now it says at once that nothing
// comes from the bridge (health `bridge-silent`), and within the default heartbeat (15 s) that
// the bridge is down (the page pings it when silent; an igtl-rx bridge answers itself). The
// simulator and the bridge (`igtl-rx bridge`, which serves the page) run as processes of their
// own, so the bridge can be stopped with SIGSTOP.
import { afterAll, describe, expect, it } from 'vitest';
import { simulateFor, startCli, stopAllCli } from '../e2e/cli-harness.js';
import { exclusive, launch, screenshot, type Browser } from './helpers.js';

let browser: Browser | undefined;
let release: (() => void) | undefined;
afterAll(async () => {
  await browser?.close();
  await stopAllCli();
  release?.();
});

describe('workbench: a bridge that stops', () => {
  it('says nothing comes from the bridge within seconds, and bridge down within the heartbeat', { timeout: 60_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--rate', '50', '--streams', 'TRANSFORM,STATUS']);
    const bridge = startCli(['bridge', '--igtl', `127.0.0.1:${port}`, '--port', '0']);
    ctx.onTestFinished(async () => {
      bridge.child.kill('SIGCONT');
      await bridge.stop();
    });
    const http = (await bridge.waitFor(/workbench: open (http:\/\/[\d.]+:\d+\/)/, 15_000))[1]!;
    release = await exclusive('workbench-bridge-vanishes');
    browser = await launch();
    const { page } = browser;
    await page.goto(http);
    await page.waitForSelector('#health[data-health="live"]', { timeout: 15_000 });
    // A second of the stream: the page's heartbeat probe was answered long since.
    await page.waitForTimeout(1000);

    bridge.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await page.waitForSelector('#health[data-health="bridge-silent"]', { timeout: 6000 });
    const silentAfter = Date.now() - stoppedAt;
    expect(await page.textContent('#health')).toMatch(/nothing from the bridge/);
    await screenshot(page, 'workbench-bridge-silent.png');
    await page.waitForSelector('#health[data-health="bridge-down"]', { timeout: 20_000 });
    const downAfter = Date.now() - stoppedAt;
    // The connection's stale rule (3 s), then the heartbeat: pinged after 5 s, 10 s unanswered.
    expect(silentAfter).toBeLessThan(5000);
    expect(downAfter).toBeGreaterThanOrEqual(14_000);
    expect(downAfter).toBeLessThan(18_000);
    expect(await page.getAttribute('#peer-state', 'data-peer')).toBe('unknown');
    await screenshot(page, 'workbench-bridge-down.png');
  });
});
