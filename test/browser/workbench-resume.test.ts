// The workbench's first frames after the page could not run: what they show must already be
// true. A page whose main thread is held (a long task, a GC, a laptop waking, a tab the browser
// froze or throttled in the background) gets its animation frame before any of its tasks: the
// timers that decide freshness (watchFreshness, the connection's liveness) and the WebSocket's
// events come after that frame. Before the fix, a tool that fell silent meanwhile was drawn live
// in that frame (and an image, and its device row), and a held timer (a background tab's timers
// are throttled to once a second, after 5 minutes to once a minute) kept it live for as long as
// it was held: the page decided freshness only when watchFreshness's timer said so. Now every
// frame checks the age of what it draws (examples/web/freshness.ts, docs/browser.md).
//
// Headless Chromium (156) neither hides a tab nor freezes one (CDP Page.setWebLifecycleState
// `frozen` is accepted and changes nothing: timers and frames go on, measured), so the test
// holds the page the two ways it can: its main thread busy (as workbench-freeze.test.ts), and
// its timers held by an init script (what a throttled background tab does to them), with the
// page's frames running, so that every frame is looked at.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBridge, type IgtlBridge } from '../../src/bridge/index.js';
import { createImageContent, createMessage, createServer, type IgtlServer } from '../../src/node.js';
import { openWorkbench, sleep, type Workbench } from './helpers.js';

const DEVICE_STALE_MS = 1000;
const HOLD_MS = 3000;
const LONG_HOLD_MS = 20_000;

/** What one animation frame of the page showed (read right after the page's own loop drew it). */
interface Frame {
  readonly t: number;
  /** Tools drawn stale (the triad faint, the label with its age). */
  readonly staleTools: string[];
  /** The 2D image is dimmed. */
  readonly imageStale: boolean;
  /** The image's plane in the 3D view is faint. */
  readonly planeFaint: boolean | undefined;
  /** Device rows greyed, as `TYPE:device`. */
  readonly staleRows: string[];
  readonly health: string;
}

/**
 * Holds the page's timers while `window.__holdTimers` is true (an init script, so the library's
 * RxJS timers are among them): a callback due meanwhile runs when they are released, as a
 * throttled background tab runs it late. Frames and WebSocket events go on.
 */
function holdableTimers(): void {
  const w = window as unknown as { __holdTimers: boolean; __releaseTimers: () => void };
  const held: (() => void)[] = [];
  w.__holdTimers = false;
  w.__releaseTimers = () => {
    w.__holdTimers = false;
    for (const run of held.splice(0)) run();
  };
  const realTimeout = window.setTimeout.bind(window);
  const realInterval = window.setInterval.bind(window);
  const wrap = (fn: TimerHandler, args: unknown[]) => () => {
    const run = () => (typeof fn === 'function' ? (fn as (...a: unknown[]) => void)(...args) : undefined);
    if (w.__holdTimers) held.push(run);
    else run();
  };
  window.setTimeout = ((fn: TimerHandler, ms?: number, ...args: unknown[]) => realTimeout(wrap(fn, args), ms)) as typeof window.setTimeout;
  window.setInterval = ((fn: TimerHandler, ms?: number, ...args: unknown[]) => realInterval(wrap(fn, args), ms)) as typeof window.setInterval;
}

describe('workbench: the first frame after the page could not run shows what is stale as stale', () => {
  let workbench: Workbench | undefined;
  let server: IgtlServer | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let secondBridge: IgtlBridge | undefined;
  const sending = { Probe: true, image: true, Stylus: true };

  beforeAll(async () => {
    workbench = await openWorkbench(import.meta.url, async () => {
      const srv = createServer({ port: 0 });
      server = srv;
      const { port } = await srv.listen();
      const pixels = new Uint8Array(64 * 64).map((_, i) => i % 251);
      let tick = 0;
      timer = setInterval(() => {
        tick++;
        const matrix = (x: number) => [1, 0, 0, x, 0, 1, 0, 300, 0, 0, 1, -50, 0, 0, 0, 1];
        if (sending.Stylus) srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(450 + (tick % 50)) }, { deviceName: 'Stylus' }));
        if (sending.Probe) srv.broadcast(createMessage('TRANSFORM', { matrix: matrix(200 - (tick % 50)) }, { deviceName: 'Probe' }));
        if (sending.image && tick % 5 === 0) srv.broadcast(createMessage('IMAGE', createImageContent({ data: pixels, size: [64, 64, 1] }), { deviceName: 'Ultrasound' }));
      }, 20);
      return { upstream: { port }, query: `?deviceStale=${DEVICE_STALE_MS}`, live: { timeoutMs: 30_000, screenshot: 'workbench-resume-failed.png' } };
    });
    const { page, context } = workbench.browser;
    // The timers of the page, holdable: an init script runs before the page's own, so reload.
    await context.addInitScript(holdableTimers);
    await page.reload();
    await page.waitForSelector('#health[data-health="live"]', { timeout: 30_000 });
    await page.waitForFunction(() => (window as unknown as { __workbench: { image?: unknown } }).__workbench.image !== undefined, undefined, { timeout: 10_000 });
    // Every frame recorded, after the page's own loop drew it (registered later: runs later).
    await page.evaluate(() => {
      type W = { __workbench: { staleTools: string[]; image?: { stale: boolean }; planes: Record<string, { faint: boolean }>; health: string }; __frames: Frame[] };
      const w = window as unknown as W;
      w.__frames = [];
      const frame = () => {
        const wb = w.__workbench;
        const staleRows = [...document.querySelectorAll<HTMLElement>('#devices tr[data-stale="true"]')].map((tr) => `${tr.dataset.type}:${tr.dataset.device}`);
        w.__frames.push({ t: performance.now(), staleTools: wb.staleTools, imageStale: wb.image?.stale ?? false, planeFaint: wb.planes['Ultrasound']?.faint, staleRows, health: wb.health });
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
  }, 120_000);

  afterAll(async () => {
    if (timer) clearInterval(timer);
    await secondBridge?.close();
    await workbench?.close();
    await server?.close();
  });

  const page = () => workbench!.browser.page;
  const staleTools = () => page().evaluate(() => (window as unknown as { __workbench: { staleTools: string[] } }).__workbench.staleTools);

  // Each test starts with everything sent and drawn live (whatever the test before left).
  beforeEach(async () => {
    sending.Probe = sending.image = sending.Stylus = true;
    await expect.poll(staleTools, { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => page().evaluate(() => (window as unknown as { __workbench: { image?: { stale: boolean } } }).__workbench.image?.stale), { timeout: 10_000 }).toBe(false);
    await sleep(1000);
  });
  /** The frames recorded since the last call, with `t` from `since`. */
  async function takeFrames(since: number): Promise<Frame[]> {
    const frames = await page().evaluate(() => {
      const w = window as unknown as { __frames: Frame[] };
      return w.__frames.splice(0);
    });
    return frames.map((f) => ({ ...f, t: f.t - since }));
  }
  const now = () => page().evaluate(() => performance.now());
  /** Waits until the page has recorded frames until `ms` after the hold that ended at `at` + HOLD_MS. */
  const framesAfter = (at: number, ms: number) =>
    expect.poll(() => page().evaluate(() => (window as unknown as { __frames: Frame[] }).__frames.at(-1)?.t ?? 0), { timeout: 10_000 }).toBeGreaterThan(at + HOLD_MS + ms);
  const describeFrames = (frames: Frame[]) =>
    frames.slice(0, 6).map((f) => `${f.t.toFixed(0)} ms: tools [${f.staleTools.join(',')}] image ${f.imageStale ? 'stale' : 'live'} plane ${f.planeFaint ? 'faint' : 'bright'} rows [${f.staleRows.join(',')}] ${f.health}`).join('; ');

  it('after its main thread was busy for 3 s while the Probe and the image stopped: stale from the first frame', async () => {
    await takeFrames(0);
    sending.Probe = false;
    sending.image = false;
    const at = await page().evaluate((ms) => {
      const start = performance.now();
      while (performance.now() < start + ms);
      return start;
    }, HOLD_MS);
    await framesAfter(at, 500);
    const frames = await takeFrames(at);
    const after = frames.filter((f) => f.t > 0);
    const report = describeFrames(after);
    console.log(`busy main thread: ${report}`);
    expect(frames.filter((f) => f.t <= 0).every((f) => f.staleTools.length === 0 && !f.imageStale), report).toBe(true);
    expect(after.length).toBeGreaterThan(5);
    // Every frame after the hold, the first included: the Probe and the image are 3 s old. (The
    // Stylus is drawn stale too until its backlog is worked through: its drawn pose is as old.)
    const wrong = after.filter((f) => !f.staleTools.includes('Probe') || !f.imageStale || f.planeFaint !== true || !f.staleRows.includes('TRANSFORM:Probe') || !f.staleRows.includes('IMAGE:Ultrasound'));
    expect(wrong.map((f) => f.t.toFixed(0)), report).toEqual([]);
    // And the first frame is not live in the header either: nothing has come for 3 s.
    expect(after[0]!.health, report).not.toBe('live');
  }, 30_000);

  it("while its timers are held (a background tab's): the Probe and the image are stale once their age passes the threshold, on every frame", async () => {
    await takeFrames(0);
    await page().evaluate(() => ((window as unknown as { __holdTimers: boolean }).__holdTimers = true));
    const at = await now();
    sending.Probe = false;
    sending.image = false;
    await sleep(HOLD_MS);
    const frames = await takeFrames(at);
    await page().evaluate(() => (window as unknown as { __releaseTimers: () => void }).__releaseTimers());
    // A frame's allowance: what it shows was decided at its start; the image's last one came up to 100 ms before the stop.
    const late = frames.filter((f) => f.t > DEVICE_STALE_MS + 150);
    const report = describeFrames(late);
    console.log(`timers held: ${late.length} frames after ${DEVICE_STALE_MS + 150} ms: ${report}`);
    expect(late.length).toBeGreaterThan(20);
    // (The Stylus goes stale too: throttleTracking draws a tool's next pose when its window's
    // timer ends, so with the timers held the Stylus's drawn pose stops: it is as old as it is
    // drawn. Its row, about traffic, stays live: its messages still arrive.)
    const wrong = late.filter((f) => !f.staleTools.includes('Probe') || !f.imageStale || f.planeFaint !== true || f.staleRows.join() !== 'IMAGE:Ultrasound,TRANSFORM:Probe');
    expect(wrong.length, report).toBe(0);
  }, 30_000);

  it('held for 20 s (longer than the bridge waits for a client\'s heartbeat answer): not live in the first frame, then reconnected and live', async () => {
    await takeFrames(0);
    const at = await page().evaluate((ms) => {
      const start = performance.now();
      while (performance.now() < start + ms);
      return start;
    }, LONG_HOLD_MS);
    await expect.poll(() => page().evaluate(() => (window as unknown as { __frames: Frame[] }).__frames.at(-1)?.t ?? 0), { timeout: 10_000 }).toBeGreaterThan(at + LONG_HOLD_MS + 3000);
    const after = (await takeFrames(at)).filter((f) => f.t > 0);
    const changes = after.filter((f, i) => i === 0 || f.health !== after[i - 1]!.health || f.staleTools.join() !== after[i - 1]!.staleTools.join());
    const report = describeFrames(changes);
    console.log(`held ${LONG_HOLD_MS} ms: ${report}`);
    expect(after[0]!.staleTools.sort(), report).toEqual(['Probe', 'Stylus']);
    expect(after[0]!.health, report).not.toBe('live');
    await expect.poll(staleTools, { timeout: 15_000 }).toEqual([]);
  }, 60_000);

  it('when the bridge vanished while the page was held: no tool live in the first frame; after the bridge restarts, only what is sent again is live', async () => {
    await takeFrames(0);
    const bridgePort = workbench!.bridge.address.port;
    const upstreamPort = server!.address.port;
    // Held first (the busy loop starts with the evaluate), then the bridge goes.
    const busy = page().evaluate((ms) => {
      const start = performance.now();
      while (performance.now() < start + ms);
      return start;
    }, HOLD_MS);
    // (The page cannot say when its loop has started: it is busy. 200 ms is ample for the evaluate to reach it.)
    await sleep(200);
    await workbench!.bridge.close();
    const at = await busy;
    await framesAfter(at, 500);
    const after = (await takeFrames(at)).filter((f) => f.t > 0);
    const report = describeFrames(after);
    console.log(`bridge gone while held: ${report}`);
    const first = after[0]!;
    expect(first.staleTools.sort(), report).toEqual(['Probe', 'Stylus']);
    expect(first.imageStale, report).toBe(true);
    expect(first.health, report).not.toBe('live');
    await page().waitForSelector('#health[data-health="bridge-down"]', { timeout: 10_000 });
    // The bridge back on the same port, its tracker sending the Stylus only.
    sending.Probe = false;
    sending.image = false;
    const restart = await now();
    secondBridge = createBridge({ upstream: { port: upstreamPort }, port: bridgePort, staticDir: (await import('./helpers.js').then((h) => h.pageDir())) });
    await secondBridge.listen();
    await page().waitForSelector('#health[data-health="live"]', { timeout: 15_000 });
    await expect.poll(staleTools, { timeout: 10_000 }).toEqual(['Probe']);
    const back = (await takeFrames(restart)).filter((f) => f.t > 0);
    // From the restart on, the Probe and the image (not sent again) are never drawn live; the
    // Stylus is, once its poses come again.
    const wrongBack = back.filter((f) => !f.staleTools.includes('Probe') || !f.imageStale || f.planeFaint !== true);
    expect(wrongBack.length, describeFrames(wrongBack)).toBe(0);
    expect(back.at(-1)!.staleTools, describeFrames(back.slice(-1))).toEqual(['Probe']);
    expect(workbench!.browser.problems.filter((p) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(p))).toEqual([]);
  }, 60_000);
});
