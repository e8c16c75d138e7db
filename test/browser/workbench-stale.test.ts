// A tool or an image that stops while the connection stays live is drawn stale, not frozen as if
// tracked: the page's header is about the connection (live: other tools still arrive), so each
// thing drawn carries its own freshness (examples/web/freshness.ts, threshold `deviceStale=`).
// An igtl-rx server of the test's own plays the tracker: two tools at 50 Hz and an image at
// 10 Hz; one tool (as a tool leaving the camera's view does when PLUS stops sending it) and the
// image stop, then come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageContent, createMessage, createServer, type IgtlServer } from '../../src/node.js';
import { hooks, openWorkbench, screenshot, type Browser, type Workbench } from './helpers.js';

const DEVICE_STALE_MS = 1000;

describe('workbench: a silent tool or image is drawn stale while the connection is live', () => {
  let workbench: Workbench | undefined;
  let server: IgtlServer | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let browser: Browser;
  /** What the test tracker sends now. */
  const sending = { Probe: true, image: true };

  beforeAll(async () => {
    workbench = await openWorkbench(import.meta.url, async () => {
      const srv = createServer({ port: 0 });
      server = srv;
      const { port } = await srv.listen();
      const pixels = new Uint8Array(64 * 64).map((_, i) => i % 251);
      let tick = 0;
      timer = setInterval(() => {
        tick++;
        const matrix = (x: number) => [1, 0, 0, x, 0, 1, 0, 10, 0, 0, 1, -50, 0, 0, 0, 1];
        srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(tick % 100) }, { deviceName: 'Stylus' }));
        if (sending.Probe) srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(-(tick % 100)) }, { deviceName: 'Probe' }));
        if (sending.image && tick % 5 === 0) srv.broadcast(createMessage('IMAGE', createImageContent({ data: pixels, size: [64, 64, 1] }), { deviceName: 'Ultrasound' }));
      }, 20);
      return { upstream: { port }, viewport: { width: 1280, height: 800 }, query: `?deviceStale=${DEVICE_STALE_MS}`, live: { timeoutMs: 30_000, screenshot: 'workbench-stale-failed.png' } };
    });
    browser = workbench.browser;
  }, 120_000);

  afterAll(async () => {
    if (timer) clearInterval(timer);
    await workbench?.close();
    await server?.close();
  });

  it('draws both tools and the image live while they arrive', async () => {
    const { page } = browser;
    await expect.poll(async () => Object.keys((await hooks(page)).triads).sort(), { timeout: 10_000 }).toEqual(['Probe', 'Stylus']);
    await expect.poll(async () => (await hooks(page)).image?.version ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    const h = await hooks(page);
    expect(h.staleTools).toEqual([]);
    expect(h.image?.stale).toBe(false);
    expect(await page.getAttribute('#image', 'data-stale')).not.toBe('true');
  });

  it('marks the tool that stopped, and the image, stale; the connection and the other tool stay live', async () => {
    const { page } = browser;
    sending.Probe = false;
    sending.image = false;
    await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual(['Probe']);
    await expect.poll(async () => (await hooks(page)).image?.stale, { timeout: 10_000 }).toBe(true);
    const h = await hooks(page);
    expect(h.health).toBe('live');
    // What the user sees: the label says how old the pose is, the image is dimmed with its age.
    expect(await page.textContent('#scene-labels .label.stale')).toMatch(/^Probe · no pose for \d+\.\d s$/);
    expect(await page.getAttribute('#image', 'data-stale')).toBe('true');
    expect(Number(await page.$eval('#image', (el) => getComputedStyle(el).opacity))).toBeLessThan(0.5);
    expect(await page.textContent('#image-info')).toMatch(/^no new image for \d+\.\d s · 64×64/);
    await screenshot(page, 'workbench-stale.png');
  });

  it('draws them live again when they come back', async () => {
    const { page } = browser;
    sending.Probe = true;
    sending.image = true;
    await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual([]);
    await expect.poll(async () => (await hooks(page)).image?.stale, { timeout: 10_000 }).toBe(false);
    expect(await page.textContent('#scene-labels .label:not(.stale)')).toBeTruthy();
    expect(await page.textContent('#image-info')).not.toMatch(/no new image/);
    expect(Number(await page.$eval('#image', (el) => getComputedStyle(el).opacity))).toBe(1);
    expect(browser.problems).toEqual([]);
  });
});
