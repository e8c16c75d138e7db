// Benchmark 10: the igtl-rx codec in a browser. Bundles bench/js/browser-codec-page.mjs (the
// `igtl-rx` entry from dist/, with esbuild for platform browser, as test/browser does), serves it
// from 127.0.0.1 and drives Debian's Chromium headless through playwright-core:
//   TRANSFORM decode+CRC, <n> messages from one buffer (the pool of common.mjs: 1024 distinct
//   TRANSFORMs, 4 devices) through MessageDecoder; TRANSFORM encode+CRC, <n> into one buffer;
//   IMAGE 512x512x100 uint16 decode+CRC (decodeMessage on the 52 MB message); CRC-64 over 64 MiB
//   with the kernel the page gets (WebAssembly) and with the JavaScript fallback kernel.
// Each timed step is repeated in the page (0.3 s or more per timed call), median of <reps> calls. Times: the renderer process's CPU time (CDP
// Performance.getMetrics ProcessTime, read around each step; the C++ side times CPU time too),
// and the page's wall clock (performance.now) for the record.
//
// Usage: node bench/js/browser-codec.mjs [n = 1000000] [reps = 3]
// Environment: CHROMIUM_PATH (default /usr/bin/chromium). Prints one JSON line.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { emit, median } from './common.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const n = Number(process.argv[2] ?? 1_000_000);
const reps = Number(process.argv[3] ?? 3);
if (!existsSync(CHROMIUM)) {
  process.stderr.write(`no Chromium at ${CHROMIUM}: bash scripts/setup-browser.sh installs it\n`);
  process.exit(1);
}

const bundle = await build({
  entryPoints: [path.join(HERE, 'browser-codec-page.mjs')],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  minify: true,
  write: false,
  logLevel: 'silent',
});
const script = bundle.outputFiles[0].contents;
const server = http.createServer((req, res) => {
  if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
  else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>igtl-rx codec benchmark</title><script type="module" src="/bench.js"></script>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.igtlBenchReady === true, undefined, { timeout: 60_000 }).catch((err) => {
    throw new Error(`page not ready: ${problems.join('; ') || err.message}`);
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const cpuSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'ProcessTime')?.value;
  };
  /**
   * `reps` times: runs `step` `times` times in a row in the page (ProcessTime moves in 10 ms
   * ticks: each timed call lasts 0.3 s or more); median renderer CPU seconds and median page
   * wall-clock seconds, per run of `step`.
   */
  const measure = async (step, times) => {
    const cpu = [];
    const wall = [];
    for (let r = 0; r < reps; r++) {
      const c0 = await cpuSeconds();
      const ms = await page.evaluate(([s, k]) => window.igtlBench.repeat(s, k), [step, times]);
      const c1 = await cpuSeconds();
      wall.push(ms / 1000 / times);
      if (c0 !== undefined && c1 !== undefined) cpu.push((c1 - c0) / times);
    }
    const w = median(wall);
    // No ProcessTime in this Chromium: wall clock only.
    return { seconds: cpu.length ? median(cpu) : w, wallSeconds: w, clock: cpu.length ? 'renderer CPU' : 'wall' };
  };

  const backend = await page.evaluate(() => window.igtlBench.backend());
  await page.evaluate((count) => window.igtlBench.prepareTransforms(count), n);
  const decode = await measure('transformDecode', 3);
  const encode = await measure('transformEncode', 3);
  await page.evaluate(() => window.igtlBench.releaseTransforms());
  const imageBytes = await page.evaluate(() => window.igtlBench.prepareImage());
  const image = await measure('imageDecode', 10);
  await page.evaluate(() => window.igtlBench.releaseImage());
  const crcBytes = await page.evaluate(() => window.igtlBench.prepareCrc(64));
  const crc = await measure('crc', 8);
  const crcJs = await measure('crcJs', 4);
  const [crcValue, crcJsValue] = await page.evaluate(() => window.igtlBench.crcValues());
  if (crcValue !== crcJsValue) throw new Error(`CRC kernels differ in the page: ${crcValue} vs ${crcJsValue}`);
  if (problems.length) throw new Error(`page errors: ${problems.join('; ')}`);
  emit({
    mode: 'browser-codec',
    chromium: browser.version(),
    backend,
    n,
    clock: decode.clock,
    transformDecodePerSecond: n / decode.seconds,
    transformEncodePerSecond: n / encode.seconds,
    imageBytes,
    imageDecodeMBps: imageBytes / image.seconds / 1e6,
    imageDecodeSeconds: image.seconds,
    crcBytes,
    crc: crcValue,
    crcMBps: crcBytes / crc.seconds / 1e6,
    crcJsMBps: crcBytes / crcJs.seconds / 1e6,
    wall: {
      transformDecodePerSecond: n / decode.wallSeconds,
      transformEncodePerSecond: n / encode.wallSeconds,
      imageDecodeMBps: imageBytes / image.wallSeconds / 1e6,
      crcMBps: crcBytes / crc.wallSeconds / 1e6,
      crcJsMBps: crcBytes / crcJs.wallSeconds / 1e6,
    },
  });
} finally {
  await browser.close();
  server.close();
}
