// Shared by the workbench browser tests: the page (the one that ships, dist/web, built when
// missing), headless Chromium through playwright-core, the set-up of a test file (openWorkbench),
// and the page's test hooks.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createBridge, type BridgeOptions, type IgtlBridge } from '../../src/bridge/index.js';
import { buildPage } from '../../examples/web/build.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const RESULTS = path.join(root, 'test-results');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shipped page (dist/web, from `npm run build`); built into test-results/ when missing. */
export async function pageDir(): Promise<string> {
  const shipped = path.join(root, 'dist', 'web');
  if (existsSync(path.join(shipped, 'index.html')) && existsSync(path.join(shipped, 'main.js'))) return shipped;
  return buildPage(path.join(RESULTS, 'workbench-page'), { minify: true, sourcemap: false });
}

/** A browser with one page; `problems` collects console errors and page errors. */
export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: string[];
  close(): Promise<void>;
}

export async function launch(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  // Installs Chromium with apt-get when missing; fails loudly when it cannot.
  const setup = spawnSync('bash', [path.join(root, 'scripts', 'setup-browser.sh')], { stdio: 'inherit' });
  if (setup.status !== 0) throw new Error(`scripts/setup-browser.sh failed (exit ${setup.status}): no headless Chromium at ${CHROMIUM}`);
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'igtl-rx-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      // WebGL on the CPU (SwiftShader through ANGLE): works with --disable-gpu in Debian's build.
      '--enable-unsafe-swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  await context.addInitScript(defineSceneReadback);
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, name), fullPage: true });
}

/** The page's test hooks (window.__workbench). */
export interface Hooks {
  health: string;
  triads: Record<string, [number, number, number]>;
  staleTools: string[];
  updates: Record<string, number>;
  frames: { fps: number; drawMsPerFrame: number; maxDrawMs: number; frames: number; totalDrawMs: number; longFrames: number };
  renders: number;
  planes: Record<string, { placement: number[]; world: number[]; faint: boolean }>;
  image: { device: string; width: number; height: number; window: number; level: number; version: number; timestampMs: number; ageMs: number; stale: boolean } | undefined;
  filter: { types: string[]; devices: string[]; rate: number | undefined };
}

export async function hooks(page: Page): Promise<Hooks & { at: number }> {
  return page.evaluate(() => {
    const w = (window as unknown as { __workbench: Hooks }).__workbench;
    return {
      at: performance.now(),
      health: w.health,
      triads: w.triads,
      staleTools: w.staleTools,
      updates: w.updates,
      frames: w.frames,
      renders: w.renders,
      planes: w.planes,
      image: w.image,
      filter: w.filter,
    };
  });
}

/** One row of the device list. */
export interface DeviceRow {
  type: string;
  device: string;
  hz: number;
  bps: number;
  stale: boolean;
}

export async function deviceRows(page: Page): Promise<DeviceRow[]> {
  return page.$$eval('#devices tr', (trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { type: d.type ?? '', device: d.device ?? '', hz: Number(d.hz), bps: Number(d.bps), stale: d.stale === 'true' };
    }),
  );
}

/** The 3D view's canvas read back as RGBA, with its place on the page (CSS pixels). */
export interface SceneReadback {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
  readonly box: DOMRect;
}

/** A page (in the browser) with {@link defineSceneReadback}'s function. */
export interface WithSceneReadback {
  __igtlSceneReadback(): Promise<SceneReadback>;
}

/**
 * Defines `window.__igtlSceneReadback()` in every page {@link launch} opens (an init script): a
 * function passed to `page.evaluate` cannot import, so the tests that look at the scene's pixels
 * call this one. The WebGL canvas keeps its drawing buffer; it is copied through a PNG into a 2D
 * canvas, whose pixels can be read.
 */
function defineSceneReadback(): void {
  (window as unknown as WithSceneReadback).__igtlSceneReadback = async () => {
    const c = document.getElementById('scene') as HTMLCanvasElement;
    const img = new Image();
    img.src = c.toDataURL('image/png');
    await img.decode();
    const cv = document.createElement('canvas');
    cv.width = img.width;
    cv.height = img.height;
    const ctx = cv.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    return { width: cv.width, height: cv.height, data: ctx.getImageData(0, 0, cv.width, cv.height).data, box: c.getBoundingClientRect() };
  };
}

/** Distinct colours in the WebGL canvas (read back: the renderer preserves its drawing buffer). */
export async function sceneColours(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const { data } = await (window as unknown as WithSceneReadback).__igtlSceneReadback();
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return seen.size;
  });
}

/**
 * Runs the browser test files one at a time (vitest runs files in parallel): a lock directory
 * under test-results/. Each Chromium with a live page needs a core of its own, and the load
 * test's numbers mean nothing while other browsers compete for the CPU. Returns the release.
 */
export async function exclusive(name: string): Promise<() => void> {
  const { mkdirSync: mkdir, rmSync: rm, statSync, writeFileSync } = await import('node:fs');
  mkdir(RESULTS, { recursive: true });
  const lock = path.join(RESULTS, '.browser-lock');
  for (;;) {
    try {
      mkdir(lock);
      writeFileSync(path.join(lock, 'owner'), `${process.pid} ${name}\n`);
      return () => rm(lock, { recursive: true, force: true });
    } catch {
      // A lock left by a killed run (older than 3 minutes) is taken over.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000) rm(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(200);
    }
  }
}

/** The page served by a bridge, open in headless Chromium: see {@link openWorkbench}. */
export interface Workbench {
  readonly bridge: IgtlBridge;
  readonly browser: Browser;
  /** The page's address on the bridge (http://127.0.0.1:PORT/). */
  readonly url: string;
  /** Closes the browser and the bridge, and lets the next browser test file run. */
  close(): Promise<void>;
}

/** Options of {@link openWorkbench}. */
export interface WorkbenchOptions {
  /** The bridge's upstream (its port, reconnection, ...). */
  readonly upstream: BridgeOptions['upstream'];
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Appended to the page's address: `?hz=30`. */
  readonly query?: string;
  /**
   * Waits this long for the page to show the tracker live (default: not at all); on a timeout,
   * saves test-results/<screenshot> and prints the header and the page's problems first.
   */
  readonly live?: { readonly timeoutMs: number; readonly screenshot: string };
}

/**
 * The set-up of a browser test file: the browser lock (one browser file at a time, see
 * {@link exclusive}), then `start()` (the test's upstream peer, started only once the lock is
 * held), a bridge serving the shipped page, and Chromium on it.
 */
export async function openWorkbench(name: string, start: () => Promise<WorkbenchOptions>): Promise<Workbench> {
  const release = await exclusive(name);
  let bridge: IgtlBridge | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await bridge?.close();
    release();
  };
  try {
    const dir = await pageDir();
    const options = await start();
    bridge = createBridge({ ...(options.upstream === undefined ? {} : { upstream: options.upstream }), port: 0, staticDir: dir });
    await bridge.listen();
    browser = await launch(options.viewport);
    const url = `http://127.0.0.1:${bridge.address.port}/`;
    await browser.page.goto(`${url}${options.query ?? ''}`);
    if (options.live) {
      try {
        await browser.page.waitForSelector('#health[data-health="live"]', { timeout: options.live.timeoutMs });
      } catch (err) {
        await screenshot(browser.page, options.live.screenshot);
        console.log(await browser.page.textContent('header'), browser.problems);
        throw err;
      }
    }
    return { bridge, browser, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
