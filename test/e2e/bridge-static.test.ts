// The bridge's static file handler (--static DIR) when a file cannot be read: the bridge is the
// OR's only relay to the pages, so one request must never take the process down.
//
// The bridge runs in a child process (dist/, so build first), as an unprivileged user when the
// tests run as root: root reads a file of mode 000, anybody else cannot.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bridgeHooks, until } from './bridge-kit.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bridgeModule = path.join(root, 'dist', 'src', 'bridge', 'index.js');
const { defer } = bridgeHooks();

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('bridge static files', () => {
  it('answers 404 for a file it may not read, and goes on serving (it crashed on an unhandled EACCES)', async () => {
    if (!existsSync(bridgeModule)) throw new Error(`${bridgeModule} is missing: build first (npm run build)`);
    const dir = mkdtempSync(path.join(tmpdir(), 'igtl-bridge-static-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, 'index.html'), '<h1>page</h1>', { mode: 0o644 });
    writeFileSync(path.join(dir, 'locked.html'), 'secret', { mode: 0o644 });
    chmodSync(path.join(dir, 'locked.html'), 0o000);
    const script = `
      const { createBridge } = await import(${JSON.stringify(bridgeModule)});
      const b = createBridge({ upstream: { port: 1 }, port: 0, staticDir: ${JSON.stringify(dir)} });
      await b.listen();
      console.log('PORT ' + b.address.port);`;
    const asRoot = process.getuid?.() === 0;
    const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    defer(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until(`the bridge's port (stderr: ${stderr})`, () => /PORT \d+/.test(stdout), 10_000);
    const base = `http://127.0.0.1:${/PORT (\d+)/.exec(stdout)![1]}`;

    expect(await httpGet(`${base}/locked.html`)).toMatchObject({ status: 404, body: 'not found\n' });
    // Still there: the page is served, and the process has not exited.
    expect(await httpGet(`${base}/`)).toMatchObject({ status: 200, body: '<h1>page</h1>' });
    expect(child.exitCode).toBeNull();
    expect(stderr).not.toMatch(/EACCES/);
  });
});
