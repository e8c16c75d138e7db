// A tool or an image that stops while the connection stays live is drawn stale, not frozen as if
// tracked: the page's header is about the connection (live: other tools still arrive), so each
// thing drawn carries its own freshness (examples/web/freshness.ts, threshold `deviceStale=`).
// An igtl-rx server of the test's own plays the tracker: two tools at 50 Hz and an image at
// 10 Hz; one tool (as a tool leaving the camera's view does when PLUS stops sending it) and the
// image stop, then come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY, createImageContent, createMessage, createServer, metadataOf, type IgtlServer } from '../../src/node.js';
import { hooks, openWorkbench, screenshot, type Browser, type WithSceneReadback, type Workbench } from './helpers.js';

const DEVICE_STALE_MS = 1000;

/**
 * For each tool, the pixels of the 3D view near its triad (a box around the point its label is
 * anchored to, examples/web/scene.ts placeLabels) drawn in a bright, saturated colour: its axes
 * (red, green, blue at full intensity). A stale triad is drawn at 20% and has none. The tools are
 * placed far from the world axes and the image plane (both at the origin), so nothing else in
 * the boxes is bright and saturated. The most of three looks, 100 ms apart.
 */
async function triadPixels(page: Browser['page']): Promise<Record<string, number>> {
  const most: Record<string, number> = {};
  for (let i = 0; i < 3; i++) {
    const counts = await page.evaluate(async () => {
      const { width, height, data: d, box } = await (window as unknown as WithSceneReadback).__igtlSceneReadback();
      const cv = { width, height };
      const scale = cv.width / box.width;
      const out: Record<string, number> = {};
      for (const label of document.querySelectorAll<HTMLElement>('#scene-labels .label')) {
        const r = label.getBoundingClientRect();
        // placeLabels puts the label 8 px right of and 4 px above the triad's origin.
        const ax = (r.left - box.left - 8) * scale;
        const ay = (r.bottom - box.top + 4) * scale;
        let n = 0;
        for (let y = Math.max(0, Math.round(ay - 70)); y < Math.min(cv.height, ay + 70); y++) {
          for (let x = Math.max(0, Math.round(ax - 70)); x < Math.min(cv.width, ax + 70); x++) {
            const p = (y * cv.width + x) * 4;
            const max = Math.max(d[p]!, d[p + 1]!, d[p + 2]!);
            const min = Math.min(d[p]!, d[p + 1]!, d[p + 2]!);
            if (max >= 200 && max - min >= 120) n++;
          }
        }
        out[(label.textContent ?? '').split(' ')[0]!] = n;
      }
      return out;
    });
    for (const [tool, n] of Object.entries(counts)) most[tool] = Math.max(most[tool] ?? 0, n);
    await new Promise((r) => setTimeout(r, 100));
  }
  return most;
}

describe('workbench: a silent tool or image is drawn stale while the connection is live', () => {
  let workbench: Workbench | undefined;
  let server: IgtlServer | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let browser: Browser;
  /**
   * What the test tracker sends now. Probe 'lost': as PlusServer sends a tool it has lost with
   * SendValidTransformsOnly="FALSE" (test/support/plus-emulator.ts S12, S14): the identity
   * matrix, TransformValid 0 and TransformStatus OUT_OF_VIEW in v3 metadata.
   */
  const sending: { Probe: boolean | 'lost'; image: boolean } = { Probe: true, image: true };
  /** Bright triad pixels of each tool while both are live. */
  let liveTriads: Record<string, number> = {};

  beforeAll(async () => {
    workbench = await openWorkbench(import.meta.url, async () => {
      const srv = createServer({ port: 0 });
      server = srv;
      const { port } = await srv.listen();
      const pixels = new Uint8Array(64 * 64).map((_, i) => i % 251);
      let tick = 0;
      timer = setInterval(() => {
        tick++;
        // Far from the world axes and the image plane (at the origin), 200 mm or more apart.
        const matrix = (x: number) => [1, 0, 0, x, 0, 1, 0, 300, 0, 0, 1, -50, 0, 0, 0, 1];
        srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(450 + (tick % 50)) }, { deviceName: 'Stylus' }));
        if (sending.Probe === 'lost') {
          srv.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Probe', headerVersion: 2, metadata: metadataOf({ TransformValid: '0', TransformStatus: 'OUT_OF_VIEW' }) }));
        } else if (sending.Probe) srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(200 - (tick % 50)) }, { deviceName: 'Probe' }));
        if (sending.image && tick % 5 === 0) srv.broadcast(createMessage('IMAGE', createImageContent({ data: pixels, size: [64, 64, 1] }), { deviceName: 'Ultrasound' }));
      }, 20);
      // announceV3: an igtl-rx server, as PLUS, answers a client in legacy framing (no metadata)
      // until it has sent v3 (docs/connections.md, "Header versions").
      return { upstream: { port, announceV3: true }, viewport: { width: 1280, height: 800 }, query: `?deviceStale=${DEVICE_STALE_MS}`, live: { timeoutMs: 30_000, screenshot: 'workbench-stale-failed.png' } };
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
    liveTriads = await triadPixels(page);
    expect(liveTriads.Stylus).toBeGreaterThan(20);
    expect(liveTriads.Probe).toBeGreaterThan(20);
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
    // On screen: the Probe's triad is faint, the Stylus's as bright as before.
    const staleTriads = await triadPixels(page);
    expect(staleTriads.Probe).toBeLessThan(0.2 * liveTriads.Probe!);
    expect(staleTriads.Stylus).toBeGreaterThan(0.5 * liveTriads.Stylus!);
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
  });

  it("draws a tool that stops stale on time when the page's clock steps back an hour just then (durations are on the monotonic clock)", async () => {
    const { page } = browser;
    sending.Probe = false;
    // A step of the system clock as the browser sees it: Date.now() (RxJS's asyncScheduler reads
    // it) an hour back from now on; performance.now() and the timers go on.
    await page.evaluate(() => {
      const real = Date.now.bind(Date);
      (window as unknown as { __realDateNow: () => number }).__realDateNow = real;
      Date.now = () => real() - 3_600_000;
    });
    try {
      await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual(['Probe']);
      // Its age is the silence, in seconds, not an hour off.
      const label = (await page.textContent('#scene-labels .label.stale')) ?? '';
      const age = Number(/no pose for (\d+\.\d) s$/.exec(label)?.[1]);
      expect(age).toBeGreaterThanOrEqual(DEVICE_STALE_MS / 1000);
      expect(age).toBeLessThan(10);
    } finally {
      await page.evaluate(() => {
        Date.now = (window as unknown as { __realDateNow: () => number }).__realDateNow;
      });
      sending.Probe = true;
    }
    await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual([]);
  });

  it('draws a tool its sender marks lost (PLUS: identity matrix, TransformStatus OUT_OF_VIEW) stale where it was, not at the origin', async () => {
    const { page } = browser;
    const before = (await hooks(page)).triads.Probe!;
    expect(before[1]).toBeCloseTo(300, 0);
    sending.Probe = 'lost';
    await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual(['Probe']);
    // Messages still arrive for it, and none moved it to the origin.
    const h = await hooks(page);
    expect(h.triads.Probe![1]).toBeCloseTo(300, 0);
    expect(h.health).toBe('live');
    expect(await page.textContent('#scene-labels .label.stale')).toMatch(/^Probe · no pose for \d+\.\d s$/);
    // The device table is about traffic, which still flows: its row says the poses are not valid.
    await expect.poll(async () => page.textContent('#devices tr[data-device="Probe"] td.info'), { timeout: 5000 }).toBe('not valid: OUT_OF_VIEW');
    sending.Probe = true;
    await expect.poll(async () => (await hooks(page)).staleTools, { timeout: 10_000 }).toEqual([]);
    await expect.poll(async () => page.textContent('#devices tr[data-device="Probe"] td.info'), { timeout: 5000 }).toBe('');
  });

  it('with probe=, draws the image plane faint while the probe is stale, however new the images are (its place is an old pose)', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => browser.problems.push(`page error (probe page): ${e.message}`));
    try {
      await page.goto(`${workbench!.url}?probe=Probe&deviceStale=${DEVICE_STALE_MS}`);
      const plane = async () => (await hooks(page)).planes['Ultrasound'];
      await expect.poll(async () => (await plane())?.faint, { timeout: 10_000 }).toBe(false);
      sending.Probe = 'lost';
      await expect.poll(async () => (await plane())?.faint, { timeout: 10_000 }).toBe(true);
      // The images still arrive: the image itself is not stale, its place is.
      expect((await hooks(page)).image?.stale).toBe(false);
      sending.Probe = true;
      await expect.poll(async () => (await plane())?.faint, { timeout: 10_000 }).toBe(false);
    } finally {
      sending.Probe = true;
      await page.close();
    }
    expect(browser.problems).toEqual([]);
  });
});
