// The workbench page in real headless Chromium (Debian's chromium, driven by playwright-core):
// simulator -> bridge (which serves the page) -> page. Every device listed with its rate (no
// double counting of a tool sent as TRANSFORM and inside TDATA), triads moving and drawn at most
// at the display rate, the image in 2D and 3D, STATUS, the inspector, a bridge filter toggle,
// the layout from 700 px to 4K, and the tracker dying and coming back while the bridge runs.
// Screenshots in test-results/workbench-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { deviceRows, hooks, openWorkbench, sceneColours, screenshot, sleep, type Browser, type Workbench } from './helpers.js';

const TOOLS = ['Stylus', 'Probe', 'Needle'];
const RATE_HZ = 100;
const DISPLAY_HZ = 30;

describe('workbench page in headless Chromium', () => {
  let workbench: Workbench | undefined;
  let sim: Simulator | undefined;
  let simPort: number;
  let browser: Browser;
  const simOptions = (port: number): SimulatorOptions => ({
    port,
    trackingRateHz: RATE_HZ,
    tools: TOOLS,
    streams: ['TRANSFORM', 'TDATA', 'IMAGE', 'STATUS'],
    statusIntervalMs: 500,
  });

  beforeAll(async () => {
    workbench = await openWorkbench(import.meta.url, async () => {
      sim = createSimulator(simOptions(0));
      simPort = (await sim.start()).port;
      return { upstream: { port: simPort, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } }, viewport: { width: 1280, height: 800 }, query: `?hz=${DISPLAY_HZ}` };
    });
    browser = workbench.browser;
  }, 120_000);

  afterAll(async () => {
    await workbench?.close();
    await sim?.stop();
  });

  it('connects through the bridge and lists every device', async () => {
    const { page } = browser;
    await page.waitForSelector('#health[data-health="live"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('#devices tr').length >= 6, undefined, { timeout: 10_000 });
    const keys = (await deviceRows(page)).map((r) => `${r.type} ${r.device}`).sort();
    expect(keys).toEqual(expect.arrayContaining([...TOOLS.map((t) => `TRANSFORM ${t}`), 'TDATA Tracker', 'IMAGE Ultrasound', 'STATUS Simulator']));
  });

  it('shows each (type, device) at its sent rate: a tool in TRANSFORM and in TDATA is not counted twice', async () => {
    const { page } = browser;
    const near = (hz: number, want: number) => Math.abs(hz - want) < want * 0.15;
    let rows = await deviceRows(page);
    const good = () =>
      TOOLS.every((t) => near(rows.find((r) => r.type === 'TRANSFORM' && r.device === t)?.hz ?? 0, RATE_HZ)) &&
      near(rows.find((r) => r.type === 'TDATA')?.hz ?? 0, RATE_HZ) &&
      near(rows.find((r) => r.type === 'IMAGE')?.hz ?? 0, 10);
    for (let i = 0; i < 24 && !good(); i++) {
      await sleep(250);
      rows = await deviceRows(page);
    }
    expect(rows.map((r) => `${r.type} ${r.device} ${r.hz}`)).toSatisfy(() => good());
    // Bandwidth: an IMAGE of 256x256 uint8 at 10 Hz is ~660 kB/s.
    const image = rows.find((r) => r.type === 'IMAGE')!;
    expect(image.bps).toBeGreaterThan(400_000);
    expect(image.bps).toBeLessThan(1_000_000);
  });

  it('moves a triad per tool, drawn at most at the display rate per stream', async () => {
    const { page } = browser;
    const a = await hooks(page);
    await sleep(2000);
    const b = await hooks(page);
    const seconds = (b.at - a.at) / 1000;
    for (const tool of TOOLS) {
      const [x0, y0, z0] = a.triads[tool]!;
      const [x1, y1, z1] = b.triads[tool]!;
      expect(Math.hypot(x1 - x0, y1 - y0, z1 - z0), `${tool} moved`).toBeGreaterThan(0.1);
      // throttleTracking(30) per stream: the tool arrives as TRANSFORM and inside TDATA (two
      // streams, each at most 30/s), although 2 x 100 poses per second arrive.
      const updates = (b.updates[tool] ?? 0) - (a.updates[tool] ?? 0);
      expect(updates, `${tool} updates in ${seconds.toFixed(2)} s`).toBeGreaterThan(DISPLAY_HZ * seconds * 0.3);
      expect(updates, `${tool} updates in ${seconds.toFixed(2)} s`).toBeLessThanOrEqual(2 * (Math.ceil(DISPLAY_HZ * seconds) + 1));
    }
    expect(b.renders).toBeGreaterThan(a.renders);
  });

  it('shows the ultrasound image in the image panel and in the 3D view', async () => {
    const { page } = browser;
    await page.waitForFunction(() => (window as unknown as { __workbench: { image?: unknown } }).__workbench.image !== undefined, undefined, { timeout: 5000 });
    const h = await hooks(page);
    expect(h.image).toMatchObject({ device: 'Ultrasound', width: 256, height: 256 });
    expect(await sceneColours(page)).toBeGreaterThan(30);
    // The pixel under the cursor.
    const box = (await page.locator('#image').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => page.textContent('#pixel')).toMatch(/pixel \(\d+, \d+\) = \d+/);
  });

  it('shows the STATUS messages with their full text', async () => {
    const statuses = await browser.page.$$eval('#status li', (lis) => lis.map((li) => ({ code: (li as HTMLElement).dataset.code, text: li.textContent ?? '' })));
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(statuses[0]!.code).toBe('1');
    expect(statuses[0]!.text).toMatch(/Simulator: 1 OK Tracking Stylus, Probe, Needle at 100 Hz; Ultrasound 256x256 at 10 Hz/);
  });

  it('inspects a clicked device live', async () => {
    const { page } = browser;
    await page.click('#devices tr[data-type="TRANSFORM"][data-device="Stylus"] td.device');
    await expect.poll(() => page.textContent('#inspector')).toMatch(/type:\s+TRANSFORM[\s\S]*device:\s+"Stylus"[\s\S]*matrix: \[/);
    const first = await page.textContent('#inspector');
    await expect.poll(() => page.textContent('#inspector'), { timeout: 3000 }).not.toBe(first);
    await page.click('#devices tr[data-type="IMAGE"] td.device');
    await expect.poll(() => page.textContent('#inspector')).toMatch(/data: Uint8Array\(65536\)/);
  });

  it('sets the bridge filter from a type toggle (reconnects with ?type=...)', async () => {
    const { page } = browser;
    await page.uncheck('#type-chips label[data-type="IMAGE"] input');
    await expect.poll(async () => (await hooks(page)).filter.types.sort()).toEqual(['STATUS', 'TDATA', 'TRANSFORM']);
    expect(new URL(page.url()).searchParams.get('type')?.split(',').sort()).toEqual(['STATUS', 'TDATA', 'TRANSFORM']);
    // No more IMAGE: its row goes stale (3 s), the others stay live.
    await page.waitForSelector('#devices tr[data-type="IMAGE"][data-stale="true"]', { timeout: 8000 });
    expect((await deviceRows(page)).filter((r) => r.stale).map((r) => r.type)).toEqual(['IMAGE']);
    await screenshot(page, 'workbench-filtered.png');
    await page.check('#type-chips label[data-type="IMAGE"] input');
    await page.waitForSelector('#devices tr[data-type="IMAGE"][data-stale="false"]', { timeout: 8000 });
    expect((await hooks(page)).filter.types).toEqual([]);
  });

  it('fits from 700 px to 4K: no horizontal scrolling, screenshots saved', async () => {
    const { page } = browser;
    for (const [width, height] of [[700, 900], [1280, 800], [3840, 2160]] as const) {
      await page.setViewportSize({ width, height });
      // The page has seen the new size and had two frames to lay itself out (resize handlers and
      // ResizeObserver callbacks run before a frame is painted).
      await page.waitForFunction((w) => window.innerWidth === w, width);
      await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
      await screenshot(page, `workbench-${width}.png`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(browser.problems).toEqual([]);
  });

  it('shows the tracker down within 3 s of the simulator dying, and live within 10 s of its restart', async () => {
    const { page } = browser;
    await page.waitForSelector('#health[data-health="live"]', { timeout: 5000 });
    const died = Date.now();
    await sim!.stop();
    await page.waitForFunction(() => ['tracker-down', 'no-data'].includes(document.querySelector<HTMLElement>('#health')!.dataset.health ?? ''), undefined, { timeout: 3000 });
    const downAfter = Date.now() - died;
    const shown = `${await page.getAttribute('#health', 'data-health')}, peer ${await page.getAttribute('#peer-state', 'data-peer')}`;
    // The bridge is still there: the page never lost its WebSocket.
    expect(await page.getAttribute('#bridge-state', 'data-state')).toMatch(/open|stale/);
    await screenshot(page, 'workbench-tracker-down.png');
    await sleep(1000);
    sim = createSimulator(simOptions(simPort));
    await sim.start();
    const restarted = Date.now();
    await page.waitForSelector('#health[data-health="live"]', { timeout: 10_000 });
    const upAfter = Date.now() - restarted;
    console.log(`workbench: tracker down shown after ${downAfter} ms (${shown}), live again ${upAfter} ms after the restart`);
    expect(await page.isHidden('#error')).toBe(true);
    expect(browser.problems).toEqual([]);
  });
});
