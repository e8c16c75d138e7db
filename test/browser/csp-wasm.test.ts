// A page whose Content-Security-Policy does not allow WebAssembly ('wasm-unsafe-eval' missing from
// script-src) still decodes: the CRC-64 falls back to its JavaScript kernel, says so once on the
// `igtl-rx:codec` debug namespace, and still catches a corrupted body (docs/browser.md,
// "Content-Security-Policy and the CRC"). The same page with 'wasm-unsafe-eval' uses WebAssembly:
// the CSP is what makes the difference.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exclusive, launch, root, type Browser } from './helpers.js';

// The codec from the package entry (src/index.ts) and the CRC module's own report of its kernel.
const ENTRY = `
import { createImageContent, createMessage, decodeMessage, encodeMessage, Timestamp } from './src/index.ts';
import { crc64Backend } from './src/protocol/crc64.ts';

window.cspProbe = () => {
  const pixels = new Uint8Array(64 * 64 * 4); // a 16 KiB body: above the WebAssembly threshold
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) & 0xff;
  const content = createImageContent({ data: pixels, size: [64, 64, 4] });
  const wire = encodeMessage(createMessage('IMAGE', content, { deviceName: 'Probe', timestamp: Timestamp.ZERO }));
  const back = decodeMessage(wire);
  const same = back.type === 'IMAGE' && back.content.data.length === pixels.length && back.content.data.every((v, i) => v === pixels[i]);
  const bad = wire.slice();
  bad[bad.length - 100] ^= 1;
  let corrupted = 'accepted';
  try {
    decodeMessage(bad);
  } catch (err) {
    corrupted = err.name;
  }
  return { backend: crc64Backend(), same, corrupted };
};
`;

const POLICIES = {
  '/strict': "default-src 'self'; script-src 'self'",
  '/allowed': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
};

interface Probe {
  backend: 'wasm' | 'js';
  same: boolean;
  corrupted: string;
}

describe('a page whose CSP refuses WebAssembly', () => {
  let release: (() => void) | undefined;
  let server: http.Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    release = await exclusive(import.meta.url);
    const bundle = await build({
      stdin: { contents: ENTRY, resolveDir: root, loader: 'ts', sourcefile: 'csp-entry.ts' },
      absWorkingDir: root,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.contents;
    server = http.createServer((req, res) => {
      const policy = POLICIES[req.url as keyof typeof POLICIES];
      if (req.url === '/probe.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else if (policy) res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy }).end('<!doctype html><script type="module" src="/probe.js"></script>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launch();
    // The debug package reads its namespaces from localStorage in a browser.
    await browser.context.addInitScript(() => localStorage.setItem('debug', 'igtl-rx:codec'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    release?.();
  });

  async function probe(pathname: string): Promise<{ result: Probe; logs: string[] }> {
    const page = await browser.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    try {
      await page.goto(`${base}${pathname}`);
      await page.waitForFunction(() => typeof (window as unknown as { cspProbe?: unknown }).cspProbe === 'function');
      const result = await page.evaluate(() => (window as unknown as { cspProbe: () => Probe }).cspProbe());
      return { result, logs };
    } finally {
      await page.close();
    }
  }

  it('decodes with the JavaScript CRC kernel, still rejects a corrupted body, and says why once on igtl-rx:codec', async () => {
    const { result, logs } = await probe('/strict');
    expect(result).toEqual({ backend: 'js', same: true, corrupted: 'CrcMismatchError' });
    const fallback = logs.filter((l) => l.includes('igtl-rx:codec') && l.includes('CRC-64'));
    expect(fallback).toHaveLength(1);
    expect(fallback[0]).toContain("'wasm-unsafe-eval'");
    expect(fallback[0]).toContain('JavaScript kernel');
    expect(fallback[0]).toMatch(/WebAssembly refused: .*(unsafe-eval|Content Security Policy)/i);
  });

  it("with 'wasm-unsafe-eval' in script-src the same page uses the WebAssembly kernel and logs nothing", async () => {
    const { result, logs } = await probe('/allowed');
    expect(result).toEqual({ backend: 'wasm', same: true, corrupted: 'CrcMismatchError' });
    expect(logs.filter((l) => l.includes('CRC-64'))).toEqual([]);
  });
});

