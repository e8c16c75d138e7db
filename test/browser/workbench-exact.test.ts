// The workbench against a known upstream (createServer broadcasting chosen messages, no
// simulator): the image panel's pixels equal the IMAGE sent through a known window/level (8-bit,
// 16-bit big-endian, RGB), per-device rates equal the sent rates within 5%, and a triad sits where
// its TRANSFORM puts it and moves when the TRANSFORM changes (the WebGL canvas changes too).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IgtlBridge } from '../../src/bridge/index.js';
import { createImageContent, createMessage, Timestamp, type IgtlMessage } from '../../src/index.js';
import { createServer, type IgtlServer } from '../../src/node.js';
import { deviceRows, hooks, openWorkbench, screenshot, sleep, type Browser, type Workbench } from './helpers.js';

const W = 64;
const H = 48;
// Test patterns: gradients plus a checker, so that a flipped or shifted image cannot match.
const pattern8 = Uint8Array.from({ length: W * H }, (_, p) => ((p % W) * 4 + Math.floor(p / W) * 2 + ((p % W >> 3) + (Math.floor(p / W) >> 3)) % 2 * 60) & 0xff);
const pattern16 = Uint16Array.from({ length: W * H }, (_, p) => (p % W) * 60 + Math.floor(p / W) * 25 + (((p % W >> 2) + (Math.floor(p / W) >> 2)) % 2) * 500);
const patternRgb = Uint8Array.from({ length: W * H * 3 }, (_, i) => {
  const p = Math.floor(i / 3);
  return [(p % W) * 4, Math.floor(p / W) * 5, 255 - (p % W) * 2][i % 3]!;
});
const xy = (p: number) => [p % W, Math.floor(p / W), (((p % W) >> 3) + (Math.floor(p / W) >> 3)) % 2] as const;
// Every other scalar type, each with a pattern that spans its range (negatives for the signed
// ones, values over 2^31 for uint32, fractions for the floats) and a window/level that clamps at
// both ends; some big-endian.
const scalarCases = [
  { device: 'Int8', data: Int8Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return ((x * 4 + y * 2 + c * 60) & 0xff) - 128; }), wl: { window: 180, level: -10 }, endian: 2, info: 'int8' },
  { device: 'Int16', data: Int16Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return x * 60 + y * 25 + c * 500 - 2000; }), wl: { window: 3000, level: 0 }, endian: 1, info: 'int16' },
  { device: 'Int32', data: Int32Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return (x * 60 + y * 25 + c * 500) * 1000 - 1_500_000; }), wl: { window: 3_000_000, level: 500_000 }, endian: 2, info: 'int32' },
  { device: 'Uint32', data: Uint32Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return 3_000_000_000 + x * 60 + y * 25 + c * 500; }), wl: { window: 4000, level: 3_000_002_000 }, endian: 1, info: 'uint32' },
  { device: 'Float32', data: Float32Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return (x - 32) / 10 + y / 20 + c * 0.5; }), wl: { window: 6, level: 0.5 }, endian: 2, info: 'float32' },
  { device: 'Float64', data: Float64Array.from({ length: W * H }, (_, p) => { const [x, y, c] = xy(p); return Math.sin(x / 7) * 100 + y * 1.5 + c * 20; }), wl: { window: 250, level: 30 }, endian: 1, info: 'float64' },
] as const;
// RGBA: the 4th component is opacity (160 ... 255, so that the canvas's premultiplied storage
// keeps the colours within one step).
const patternRgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => {
  const [x, y] = xy(Math.floor(i / 4));
  return [x * 4, y * 5, 255 - x * 2, 160 + ((x + y) % 96)][i % 4]!;
});

// Two PLUS tools whose names share their first 20 bytes: the header holds those 20 bytes, the
// metadata IGTL_DEVICE_NAME the whole name (PlusLib vtkPlusIgtlMessageCommon).
const LONG_NAMES = ['ReferenceToTrackerLongNameTransformA', 'ReferenceToTrackerLongNameTransformB'] as const;
const LONG_HEADER = LONG_NAMES[0].slice(0, 20);

// Tracked ultrasound: a probe pose (rotation about z then x, and a translation) and an IMAGE
// whose matrix is image-to-probe (tilted axes, anisotropic spacing, an origin).
const deg = Math.PI / 180;
const rz = (a: number) => [Math.cos(a), -Math.sin(a), 0, 0, Math.sin(a), Math.cos(a), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const rx = (a: number) => [1, 0, 0, 0, 0, Math.cos(a), -Math.sin(a), 0, 0, Math.sin(a), Math.cos(a), 0, 0, 0, 0, 1];
const mul = (a: readonly number[], b: readonly number[]) => Array.from({ length: 16 }, (_, i) => [0, 1, 2, 3].reduce((s, k) => s + a[Math.floor(i / 4) * 4 + k]! * b[k * 4 + (i % 4)]!, 0));
const PROBE_POSE = (() => {
  const m = mul(rz(30 * deg), rx(20 * deg));
  m[3] = 100;
  m[7] = -50;
  m[11] = 30;
  return m;
})();
const US_SIZE = [32, 24, 1] as const;
const usContent = createImageContent({
  data: Uint8Array.from({ length: US_SIZE[0] * US_SIZE[1] }, (_, p) => p & 0xff),
  size: [...US_SIZE],
  spacing: [0.2, 0.3, 1],
  directions: [[Math.cos(10 * deg), Math.sin(10 * deg), 0], [-Math.sin(10 * deg), Math.cos(10 * deg), 0], [0, 0, 1]],
  origin: [10, -20, 5],
});
/** The plane mesh's world matrix for a placement: i, j axes scaled by the image size, centred on P. */
const planeOf = (m: readonly number[]) => [m[0]! * US_SIZE[0], m[1]! * US_SIZE[1], m[2]!, m[3]!, m[4]! * US_SIZE[0], m[5]! * US_SIZE[1], m[6]!, m[7]!, m[8]! * US_SIZE[0], m[9]! * US_SIZE[1], m[10]!, m[11]!, 0, 0, 0, 1];
const WL8 = { window: 200, level: 120 };
const WL16 = { window: 3000, level: 2200 };

/** What the page must show: `(v - (level - window/2)) * 255 / window`, clamped to 0-255. */
const expected = (v: number, wl: { window: number; level: number }) => Math.min(255, Math.max(0, Math.round(((v - (wl.level - wl.window / 2)) * 255) / wl.window)));

const translation = (x: number, y: number, z: number) => [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1];

describe('workbench against a known upstream', () => {
  let workbench: Workbench | undefined;
  let server: IgtlServer | undefined;
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
    { key: 'IMAGE Rgba', hz: 2, make: () => createMessage('IMAGE', createImageContent({ data: patternRgba, size: [W, H, 1], numComponents: 4, spacing: [1, 1, 1], origin: [0, -160, 0] }), { deviceName: 'Rgba' }) },
    ...scalarCases.map((c, n) => ({
      key: `IMAGE ${c.device}`,
      hz: 2,
      make: () => createMessage('IMAGE', createImageContent({ data: c.data, size: [W, H, 1], endian: c.endian, spacing: [1, 1, 1], origin: [100, -160 + n * 60, 0] }), { deviceName: c.device }),
    })),
    ...LONG_NAMES.map((name, n) => ({
      key: `TRANSFORM ${name}`,
      hz: 10,
      make: () => createMessage('TRANSFORM', { matrix: translation(200 + n * 50, -100, 0) }, { deviceName: LONG_HEADER, timestamp: Timestamp.now(), metadata: { IGTL_DEVICE_NAME: name } }),
    })),
    { key: 'TRANSFORM ProbeTool', hz: 20, make: () => createMessage('TRANSFORM', { matrix: PROBE_POSE }, { deviceName: 'ProbeTool', timestamp: Timestamp.now() }) },
    { key: 'IMAGE US', hz: 5, make: () => createMessage('IMAGE', usContent, { deviceName: 'US', timestamp: Timestamp.now() }) },
  ];

  beforeAll(async () => {
    workbench = await openWorkbench(import.meta.url, async () => {
      server = createServer({ port: 0 });
      const { port } = await server.listen();
      started = performance.now();
      timer = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        for (const s of streams) {
          const due = Math.floor(elapsed * s.hz);
          let n = sent.get(s.key) ?? 0;
          for (; n < due; n++) server!.broadcast(s.make());
          sent.set(s.key, n);
        }
      }, 4);
      // announceV3 as 3D Slicer does: the server (PLUS's rule) answers a client in the highest
      // header version it has sent, and only v3 framing carries IGTL_DEVICE_NAME.
      return {
        upstream: { port, announceV3: true },
        viewport: { width: 1280, height: 800 },
        query: `?image=Pattern8&window=${WL8.window}&level=${WL8.level}`,
        live: { timeoutMs: 10_000, screenshot: 'workbench-exact-failed.png' },
      };
    });
    ({ bridge, browser } = workbench);
    pageLiveAt = performance.now();
  }, 120_000);

  afterAll(async () => {
    clearInterval(timer);
    await workbench?.close();
    await server?.close();
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

  function compare(rgba: number[], channel: (p: number, c: number) => number, alpha: (p: number) => number = () => 255): { worst: number; mismatches: number } {
    expect(rgba.length).toBe(W * H * 4);
    let worst = 0;
    let mismatches = 0;
    for (let p = 0; p < W * H; p++) {
      for (let c = 0; c < 3; c++) {
        const d = Math.abs(rgba[p * 4 + c]! - channel(p, c));
        worst = Math.max(worst, d);
        if (d > 1) mismatches++;
      }
      expect(rgba[p * 4 + 3]).toBe(alpha(p));
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

  /** Selects `device` in the panel and types a window/level; the canvas's pixels once drawn. */
  async function drawWith(device: string, wl: { window: number; level: number }): Promise<number[]> {
    const { page } = browser;
    await page.selectOption('#image-device', device);
    await page.fill('#wl-window', String(wl.window));
    await page.fill('#wl-level', String(wl.level));
    await page.dispatchEvent('#wl-level', 'change');
    return canvasPixels(device, wl);
  }

  for (const c of scalarCases) {
    it(`draws a ${c.info} IMAGE (${c.endian === 1 ? 'big' : 'little'}-endian) through a known window/level, pixel for pixel`, async () => {
      const rgba = await drawWith(c.device, c.wl);
      expect(compare(rgba, (p) => expected(c.data[p]!, c.wl)).mismatches).toBe(0);
      // The window clamps at both ends: black and white both present.
      expect(rgba.some((v, i) => i % 4 === 0 && v === 0)).toBe(true);
      expect(rgba.some((v, i) => i % 4 === 0 && v === 255)).toBe(true);
      expect(await browser.page.textContent('#image-info')).toContain(`64×48×1 ${c.info}×1 ${c.endian === 1 ? 'BE' : 'LE'}`);
    });
  }

  it('draws an RGBA IMAGE with its alpha as opacity (window 255, level 127.5: as sent)', async () => {
    const rgba = await drawWith('Rgba', { window: 255, level: 127.5 });
    expect(compare(rgba, (p, c) => patternRgba[p * 4 + c]!, (p) => patternRgba[p * 4 + 3]!).mismatches).toBe(0);
    expect(await browser.page.textContent('#image-info')).toContain('64×48×1 uint8×4');
  });

  it('lists, labels and rates PLUS long names by their full name (IGTL_DEVICE_NAME), two tools sharing 20 header bytes', async () => {
    const { page } = browser;
    const longRows = async () => (await deviceRows(page)).filter((r) => r.type === 'TRANSFORM' && r.device.startsWith(LONG_HEADER));
    await expect.poll(async () => (await longRows()).map((r) => r.device).sort(), { timeout: 5000 }).toEqual([...LONG_NAMES]);
    // Each counted alone (10 Hz), not the two merged under the header name (20 Hz).
    await expect.poll(async () => (await longRows()).every((r) => Math.abs(r.hz - 10) <= 1.5), { timeout: 8000 }).toBe(true);
    // The device cell and the 3D labels show the full names, the triads are keyed by them.
    const cells = await page.$$eval('#devices tr td.device', (tds) => tds.map((td) => td.textContent));
    for (const name of LONG_NAMES) expect(cells).toContain(name);
    const h = await hooks(page);
    expect(h.triads[LONG_NAMES[0]]).toEqual([200, -100, 0]);
    expect(h.triads[LONG_NAMES[1]]).toEqual([250, -100, 0]);
    expect(h.triads[LONG_HEADER]).toBeUndefined();
    const labels = await page.$$eval('#scene-labels .label', (ls) => ls.map((l) => l.textContent));
    for (const name of LONG_NAMES) expect(labels).toContain(name);
    // The inspector follows the B tool alone, under its full name.
    await page.click(`#devices tr[data-device="${LONG_NAMES[1]}"]`);
    await expect.poll(() => page.textContent('#inspector-title'), { timeout: 3000 }).toBe(`TRANSFORM ${LONG_NAMES[1]}`);
    await expect.poll(() => page.textContent('#inspector'), { timeout: 3000 }).toContain(`device:        "${LONG_NAMES[1]}"`);
    const text = (await page.textContent('#inspector'))!;
    expect(text).toContain(`header name:   "${LONG_HEADER}"`);
    expect(text).toMatch(/\s250\n/);
  });

  it('places the ultrasound plane by its IMAGE matrix, and with probe= by probe pose x IMAGE matrix', async () => {
    const close = (a: readonly number[] | undefined, b: readonly number[]) => a !== undefined && a.length === 16 && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-3);
    const planeOn = async (page: typeof browser.page) => (await hooks(page)).planes['US'];
    // Without probe=: the IMAGE matrix.
    await expect.poll(() => planeOn(browser.page), { timeout: 5000 }).toBeDefined();
    const plain = (await planeOn(browser.page))!;
    expect(close(plain.placement, usContent.matrix), JSON.stringify(plain.placement)).toBe(true);
    expect(close(plain.world, planeOf(usContent.matrix)), JSON.stringify(plain.world)).toBe(true);
    // With probe=ProbeTool: probe pose x IMAGE matrix.
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => browser.problems.push(`page error (probe page): ${e.message}`));
    try {
      await page.goto(`http://127.0.0.1:${bridge.address.port}/?probe=ProbeTool&image=US`);
      await page.waitForSelector('#health[data-health="live"]', { timeout: 10_000 });
      const want = mul(PROBE_POSE, usContent.matrix);
      // Not simply the IMAGE matrix: the probe pose moves and turns it.
      expect(close(want, usContent.matrix)).toBe(false);
      await expect.poll(async () => close((await planeOn(page))?.placement, want), { timeout: 5000 }).toBe(true);
      const tracked = (await planeOn(page))!;
      expect(close(tracked.world, planeOf(want)), JSON.stringify(tracked.world)).toBe(true);
      expect(await page.textContent('#probe-mode')).toContain('tracked by ProbeTool');
      await screenshot(page, 'workbench-probe.png');
    } finally {
      await page.close();
    }
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
    // A render after the triad moved (instead of a fixed wait).
    const rendersThen = (await hooks(page)).renders;
    await expect.poll(async () => (await hooks(page)).renders, { timeout: 3000 }).toBeGreaterThan(rendersThen);
    const sceneAfter = await page.$eval('#scene', (c) => (c as HTMLCanvasElement).toDataURL());
    expect(sceneAfter).not.toBe(sceneBefore);
    // TDATA elements are tools too (ToolC only comes in TDATA).
    expect(await at('ToolC')).toEqual([-50, 0, 0]);
    expect(browser.problems).toEqual([]);
  });
});
