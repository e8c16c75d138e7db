// The workbench in Chromium with a bridge that wants a token: given as `#token=` (a fragment,
// which the browser sends to no server), the page presents it as a WebSocket subprotocol, never in
// a URL: the WebSocket's URL and the page's own URL after load hold no token, and the page is
// live. A wrong token leaves it refused (never live). `igtl-rx bridge` serves the page.
import { afterAll, describe, expect, it } from 'vitest';
import { simulateFor, startCli, stopAllCli } from '../e2e/cli-harness.js';
import { exclusive, launch, type Browser } from './helpers.js';

const TOKEN = '5e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b';

let browser: Browser | undefined;
let release: (() => void) | undefined;
afterAll(async () => {
  await browser?.close();
  await stopAllCli();
  release?.();
});

describe('workbench: the bridge token', () => {
  it('connects with #token= presented as a subprotocol: no token in the WebSocket URL nor in the address bar', { timeout: 60_000 }, async (ctx) => {
    const { port } = await simulateFor(ctx, ['--rate', '50', '--streams', 'TRANSFORM,STATUS']);
    const bridge = startCli(['bridge', '--igtl', `127.0.0.1:${port}`, '--port', '0'], { env: { IGTL_RX_BRIDGE_TOKEN: TOKEN } });
    ctx.onTestFinished(async () => {
      await bridge.stop();
    });
    const http = (await bridge.waitFor(/workbench: open (http:\/\/[\d.]+:\d+\/)/, 15_000))[1]!;
    release = await exclusive('workbench-token');
    browser = await launch();
    const { page } = browser;
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${http}?hz=30#token=${TOKEN}`);
    await page.waitForSelector('#health[data-health="live"]', { timeout: 15_000 });
    expect(sockets.length).toBeGreaterThan(0);
    for (const url of sockets) expect(url).not.toContain(TOKEN);
    expect(page.url()).toBe(`${http}?hz=30`);
    // A reload (the token gone from the address bar) still connects: the tab remembers it.
    sockets.length = 0;
    await page.reload();
    await page.waitForSelector('#health[data-health="live"]', { timeout: 15_000 });
    for (const url of sockets) expect(url).not.toContain(TOKEN);

    // A wrong token: refused (401) on every attempt, never live. Two refusals logged by the
    // bridge prove the page has tried, and tried again, and been refused.
    const logged = bridge.stderr.length;
    const wrong = await browser.context.newPage();
    await wrong.goto(`${http}#token=${'0'.repeat(32)}`);
    await bridge.waitFor(/missing or wrong token[\s\S]*missing or wrong token/, 15_000, 'stderr', logged);
    expect(await wrong.getAttribute('#health', 'data-health')).not.toBe('live');
    expect(browser.problems.filter((p) => p.includes(TOKEN))).toEqual([]);
  });
});
