// The workbench against a known upstream (createServer broadcasting chosen messages, no
// simulator): the image panel's pixels equal the IMAGE sent through a known window/level (8-bit,
// 16-bit big-endian, RGB), per-device rates equal the sent rates within 5%, and a triad sits where
// its TRANSFORM puts it and moves when the TRANSFORM changes (the WebGL canvas changes too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, type IgtlBridge } from '../../src/bridge/index.js';
import { createImageContent, createMessage, Timestamp, type IgtlMessage } from '../../src/index.js';
import { createServer, type IgtlServer } from '../../src/node.js';
import { deviceRows, hooks, launch, pageDir, screenshot, sleep, type Browser } from './helpers.js';
import { exclusive } from './helpers.js';

const W = 64;
const H = 48;
// Test patterns: gradients plus a checker, so that a flipped or shifted image cannot match.
const pattern8 = Uint8Array.from({ length: W * H }, (_, p) => ((p % W) * 4 + Math.floor(p / W) * 2 + ((p % W >> 3) + (Math.floor(p / W) >> 3)) % 2 * 60) & 0xff);
const pattern16 = Uint16Array.from({ length: W * H }, (_, p) => (p % W) * 60 + Math.floor(p / W) * 25 + (((p % W >> 2) + (Math.floor(p / W) >> 2)) % 2) * 500);
const patternRgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => {
  const p = Math.floor(i / 3);
  return [(p % W) * 4, Math.floor(p / W) * 5, 255 - (p % W) * 2][i % 3]!;
});
const WL8 = { window: 200, level: 120 };
const WL16 = { window: 3000, level: 2200 };

/** What the page must show: `(v - (level - window/2)) * 255 / window`, clamped to 0-255. */
const expected = (v: number, wl: { window: number; level: number }) => Math.min(255, Math.max(0, Math.round(((v - (wl.level - wl.window / 2)) * 255) / wl.window)));

const translation = (x: number, y: number, z: number) => [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1];

describe('workbench against a known upstream', () => {
  let release: (() => void) | undefined;
  let server: IgtlServer;
  let bridge: IgtlBridge;
  let browser: Browser;
  let timer: NodeJS.Timeout;
  let moverAt = translation(10, 20, 30);
  const sent = new Map<string, number>();
  let started = 0;
  let pageLiveAt = 0;

  // Drift-free sending: each stream sends floor(elapsed × rate) messages in total.
  const streams: { key: string; hz: number; make: () => IgtlMessage }[] = [
    { key: 'TRANSFORM ToolA', hz: 50, make: () => createMessage('TRANSFORM', { matrix: translation(Math.random(), 0, 0) }, { deviceName: 'ToolA', timestamp: Timestamp.now() }) },
    { key: 'TRANSFORM ToolB', hz: 20, make: () => createMessage('TRANSFORM', { matrix: translation(0, Math.random(), 0) }, { deviceName: 'ToolB', timestamp: Timestamp.now() }) },
    {
      key: 'TDATA Tracker',
      hz: 40,
      make: () =>
        createMessage('TDATA', { elements: [{ name: 'ToolA', type: 2, matrix: translation(1, 2, 3) }, { name: 'ToolC', type: 2, matrix: translation(-50, 0, 0) }] }, { deviceName: 'Tracker', timestamp: Timestamp.now() }),
    },
    { key: 'TRANSFORM Mover', hz: 25, make: () => createMessage('TRANSFORM', { matrix: moverAt }, { deviceName: 'Mover', timestamp: Timestamp.now() }) },
    { key: 'IMAGE Pattern8', hz: 5, make: () => createMessage('IMAGE', createImageContent({ data: pattern8, size: [W, H, 1], spacing: [1, 1, 1] }), { deviceName: 'Pattern8' }) },
    {
      key: 'IMAGE Pattern16',
      hz: 5,
      make: () => createMessage('IMAGE', createImageContent({ data: pattern16, size: [W, H, 1], endian: 1, spacing: [1, 1, 1], origin: [0, 80, 0] }), { deviceName: 'Pattern16' }),
    },
    { key: 'IMAGE Rgb', hz: 5, make: () => createMessage('IMAGE', createImageContent({ data: patternRgb, size: [W, H, 1], numComponents: 3, spacing: [1, 1, 1], origin: [0, -80, 0] }), { deviceName: 'Rgb' }) },
  ];

  beforeAll(async () => {
    release = await exclusive(import.meta.url);
    const dir = await pageDir();
    server = createServer({ port: 0 });
    const { port } = await server.listen();
    started = performance.now();
    timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      for (const s of streams) {
        const due = Math.floor(elapsed * s.hz);
        let n = sent.get(s.key) ?? 0;
        for (; n < due; n++) void server.broadcast(s.make());
        sent.set(s.key, n);
      }
    }, 4);
    bridge = createBridge({ upstream: { port }, port: 0, staticDir: dir });
    await bridge.listen();
    browser = await launch({ width: 1280, height: 800 });
    await browser.page.goto(`http://127.0.0.1:${bridge.address.port}/?image=Pattern8&window=${WL8.window}&level=${WL8.level}`);
    await browser.page.waitForSelector('#health[data-health="live"]', { timeout: 10_000 });
    pageLiveAt = performance.now();
  }, 120_000);

  afterAll(async () => {
    clearInterval(timer);
    await browser?.close();
    await bridge?.close();
    await server?.close();
    release?.();
  });

  /** The image canvas's pixels (RGBA) once it shows `device` with the window/level given. */
  async function canvasPixels(device: string, wl: { window: number; level: number }): Promise<number[]> {
    const { page } = browser;
    await page.waitForFunction(
      ({ device, wl }) => {
        const c = document.querySelector<HTMLCanvasElement>('#image')!;
        return c.dataset.device === device && Number(c.dataset.window) === wl.window && Number(c.dataset.level) === wl.level;
      },
      { device, wl },
      { timeout: 5000 },
    );
    return page.$eval('#image', (c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
    });
  }

  function compare(rgba: number[], channel: (p: number, c: number) => number): { worst: number; mismatches: number } {
    expect(rgba.length).toBe(W * H * 4);
    let worst = 0;
    let mismatches = 0;
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(rgba[p * 4 + c]! - channel(p, c));
        worst = Math.max(worst, d);
        if (d > 1) mismatches++;
      }
      expect(rgba[p * 4 + 3]).toBe(255);
    }
    return { worst, mismatches };
  }

  it('draws an 8-bit IMAGE through a known window/level, pixel for pixel', async () => {
    const rgba = await canvasPixels('Pattern8', WL8);
    // Rounding may differ by one (Uint8ClampedArray rounds half to even).
    expect(compare(rgba, (p) => expected(pattern8[p]!, WL8))).toEqual({ worst: expect.any(Number), mismatches: 0 });
    // Clamping happens at both ends with this window (20 ... 220).
    expect(rgba.some((v, i) => i % 4 === 0 && v === 0)).toBe(true);
    expect(rgba.some((v, i) => i % 4 === 0 && v === 255)).toBe(true);
  });

  it('draws a 16-bit big-endian IMAGE through a window/level typed into the panel', async () => {
    const { page } = browser;
    await page.selectOption('#image-device', 'Pattern16');
    await page.fill('#wl-window', String(WL16.window));
    await page.fill('#wl-level', String(WL16.level));
    await page.dispatchEvent('#wl-level', 'change');
    const rgba = await canvasPixels('Pattern16', WL16);
    expect(compare(rgba, (p) => expected(pattern16[p]!, WL16)).mismatches).toBe(0);
    expect(await page.textContent('#image-info')).toMatch(/64×48×1 uint16×1 BE/);
    // The pixel under the cursor: the raw uint16 value.
    const box = (await page.locator('#image').boundingBox())!;
    const scale = Math.min(box.width / W, box.height / H);
    const left = box.x + (box.width - W * scale) / 2;
    const top = box.y + (box.height - H * scale) / 2;
    await page.mouse.move(left + (10 + 0.5) * scale, top + (7 + 0.5) * scale);
    await expect.poll(() => page.textContent('#pixel')).toBe(`pixel (10, 7) = ${pattern16[7 * W + 10]}`);
  });

  it('draws an RGB IMAGE (window 255, level 127.5: the colours as sent)', async () => {
    const { page } = browser;
    await page.selectOption('#image-device', 'Rgb');
    await page.fill('#wl-window', '255');
    await page.fill('#wl-level', '127.5');
    await page.dispatchEvent('#wl-level', 'change');
    const rgba = await canvasPixels('Rgb', { window: 255, level: 127.5 });
    expect(compare(rgba, (p, c) => patternRgb[p * 3 + c]!).mismatches).toBe(0);
    await screenshot(page, 'workbench-exact.png');
  });

  it('shows per-device rates equal to the sent rates within 5%', async () => {
    const { page } = browser;
    const want: Record<string, number> = { 'TRANSFORM ToolA': 50, 'TRANSFORM ToolB': 20, 'TDATA Tracker': 40, 'TRANSFORM Mover': 25, 'IMAGE Pattern8': 5 };
    const within = (rows: Awaited<ReturnType<typeof deviceRows>>) =>
      Object.entries(want).map(([key, hz]) => {
        const shown = rows.find((r) => `${r.type} ${r.device}` === key)?.hz ?? 0;
        return { key, hz, shown, ok: Math.abs(shown - hz) <= hz * 0.05 };
      });
    // Read eight reports, 500 ms apart, once the page's 2 s window is full: the median of each
    // device is within 5% of its sent rate, and no single report is off by more than 10% (a
    // report can catch a burst: the sender catches up after a stall of this busy process).
    await sleep(Math.max(0, 3000 - (performance.now() - pageLiveAt)));
    const readings: ReturnType<typeof within>[] = [];
    for (let i = 0; i < 8; i++) {
      readings.push(within(await deviceRows(page)));
      await sleep(500);
    }
    for (const [key, hz] of Object.entries(want)) {
      const shown = readings.map((r) => r.find((x) => x.key === key)!.shown).sort((a, b) => a - b);
      const median = (shown[3]! + shown[4]!) / 2;
      expect(Math.abs(median - hz), `${key}: median ${median} Hz of ${shown.join(', ')} (sent ${hz} Hz)`).toBeLessThanOrEqual(hz * 0.05);
      expect(Math.max(...shown.map((v) => Math.abs(v - hz))), `${key}: ${shown.join(', ')} (sent ${hz} Hz)`).toBeLessThanOrEqual(hz * 0.1);
    }
    // What was sent, for the record.
    const seconds = (performance.now() - started) / 1000;
    console.log(`workbench rates: sent ${Object.keys(want).map((k) => `${k} ${((sent.get(k) ?? 0) / seconds).toFixed(2)} Hz`).join(', ')}; shown ${JSON.stringify(within(await deviceRows(page)).map((r) => [r.key, r.shown]))}`);
  });

  it('puts a triad where its TRANSFORM says, and moves it when the TRANSFORM changes', async () => {
    const { page } = browser;
    const at = async (tool: string) => (await hooks(page)).triads[tool];
    await expect.poll(() => at('Mover')).toEqual([10, 20, 30]);
    const sceneBefore = await page.$eval('#scene', (c) => (c as HTMLCanvasElement).toDataURL());
    moverAt = translation(-40, 5, 60);
    await expect.poll(() => at('Mover'), { timeout: 3000 }).toEqual([-40, 5, 60]);
    await sleep(200);
    const sceneAfter = await page.$eval('#scene', (c) => (c as HTMLCanvasElement).toDataURL());
    expect(sceneAfter).not.toBe(sceneBefore);
    // TDATA elements are tools too (ToolC only comes in TDATA).
    expect(await at('ToolC')).toEqual([-50, 0, 0]);
    expect(browser.problems).toEqual([]);
  });
});
