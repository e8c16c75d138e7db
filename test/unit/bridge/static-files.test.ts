// The bridge's static file handler on its own (a plain HTTP server), with raw requests, so that
// the request target reaches it exactly as written (an HTTP client would normalize it).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFiles } from '../../../src/bridge/static-files.js';

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  // The served directory itself lies under a dot-directory, as npx's cache (~/.npm/_npx/...).
  dir = mkdtempSync(path.join(tmpdir(), 'igtl-static-'));
  const site = path.join(dir, '.cache', 'site');
  mkdirSync(path.join(site, '.git'), { recursive: true });
  mkdirSync(path.join(site, 'sub'));
  writeFileSync(path.join(site, 'index.html'), '<h1>page</h1>');
  writeFileSync(path.join(site, 'sub', 'app.js'), 'app');
  writeFileSync(path.join(site, '.env'), 'SECRET=1');
  writeFileSync(path.join(site, '.git', 'config'), '[core]');
  symlinkSync('.env', path.join(site, 'env.txt'));
  symlinkSync('index.html', path.join(site, '.page.html'));
  server = createServer(staticFiles(site));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Status, headers (lower-case names) and body of `<method> <target>`, the target sent byte for byte. */
function get(target: string, method = 'GET'): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const headers = new Map(head.split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const));
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers, body });
    });
    s.on('error', reject);
    s.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  });
}

describe('static files: dotfiles', () => {
  it('serves the page and its files (from a directory under a dot-directory)', async () => {
    expect(await get('/')).toMatchObject({ status: 200, body: '<h1>page</h1>' });
    expect(await get('/sub/app.js')).toMatchObject({ status: 200, body: 'app' });
  });

  it.each(['/.env', '/.git/config', '/%2eenv', '/sub/../.env', '/sub/%2e%2e/.git/config', '/env.txt', '/.page.html'])('refuses %s with a 404 (it was served, 200)', async (target) => {
    const { status, body } = await get(target);
    expect(status).toBe(404);
    expect(body).not.toMatch(/SECRET|\[core\]|page/);
  });
});

describe('static files: response headers', () => {
  it('lets only pages of its own origin frame a file (no frame protection: any page could frame the bridge page)', async () => {
    for (const target of ['/', '/sub/app.js']) {
      const { status, headers } = await get(target);
      expect(status).toBe(200);
      expect(headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('static files: methods', () => {
  it.each(['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'])('answers %s with 405 and Allow: GET, HEAD (it had no Allow header)', async (method) => {
    const { status, headers } = await get('/', method);
    expect(status).toBe(405);
    expect(headers.get('allow')).toBe('GET, HEAD');
  });
});
