// A tiny static file handler: the bridge can serve the page that connects to it (same origin,
// so the default Origin check lets it in). GET and HEAD only, no directory listings, no path
// can leave the directory, and no dotfile is served.
import { open, realpath, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';

const TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json'],
  ['.map', 'application/json'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.txt', 'text/plain; charset=utf-8'],
]);

/**
 * A response that makes no progress this long, ms, cuts its connection. Measured before: 20
 * sockets that sent 8 requests each for the 840 KB main.js and read nothing held 80 open files
 * (and the sockets) after 40 s, for as long as they liked; no token is needed to ask for files.
 */
const STALLED_RESPONSE_MS = 15_000;

/**
 * Only pages of the bridge's own origin may show its files in a frame. Any other page the
 * operator has open could frame the bridge's page (a loopback URL, which passes the Host check,
 * and whose WebSocket then has the bridge's own origin) under a decoy and have the operator
 * click its buttons: with `clientSends`, a page's buttons drive the device. `frame-ancestors`
 * for browsers with CSP 2, X-Frame-Options for older ones.
 */
const NO_FRAMING = { 'content-security-policy': "frame-ancestors 'self'", 'x-frame-options': 'SAMEORIGIN' } as const;

/**
 * True when a path (relative to the served directory) passes through a dotfile or dot-directory:
 * `.env`, `.git/config`, `.npmrc` hold secrets, not the page, and a directory served as it is
 * (a checkout, a build folder) may have them. Checked on the path asked for and on the real
 * path (a symlink to one); the directory's own path may hold dots (npx installs under ~/.npm).
 */
function isHidden(relative: string): boolean {
  return relative.split(path.sep).some((segment) => segment.startsWith('.'));
}

/** Returns a request handler serving the files under `dir` (`/` serves `index.html`). */
export function staticFiles(dir: string): (req: IncomingMessage, res: ServerResponse) => void {
  const root = path.resolve(dir);
  const fail = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
    res.end(`${text}\n`);
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // A 405 says which methods there are (RFC 9110, 15.5.6: it must).
      fail(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      fail(res, 400, 'bad path');
      return;
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    void (async () => {
      let handle: FileHandle | undefined;
      try {
        // realpath: a symlink inside the directory must not lead out of it either.
        const [realRoot, real] = await Promise.all([realpath(root), realpath(file)]);
        if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new Error('outside');
        if (isHidden(path.relative(root, file)) || isHidden(path.relative(realRoot, real))) throw new Error('dotfile');
        // Open first, then stat and read the open file: a file the bridge may not read
        // (EACCES), or one removed or replaced after the check, fails here, as a 404, and not
        // as an 'error' event on a read stream with no listener, which ended the process.
        handle = await open(real, 'r');
        const info = await handle.stat();
        if (!info.isFile()) throw new Error('not a file');
        res.writeHead(200, {
          'content-type': TYPES.get(path.extname(real).toLowerCase()) ?? 'application/octet-stream',
          'content-length': info.size,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
          ...NO_FRAMING,
        });
        if (req.method === 'HEAD') {
          res.end();
          await handle.close();
          return;
        }
        // The stream owns the handle (closes it); a read error mid-file cuts this response only.
        const body = handle.createReadStream();
        handle = undefined;
        // A reader that stops reading stalls the stream (backpressure): the file stays open,
        // for ever. Each chunk read means the socket took the one before; none for
        // STALLED_RESPONSE_MS cuts the connection. The socket, not the response: a response
        // queued behind another (pipelined requests) has no socket yet, and its destroy() waits
        // for one. And the socket's end ends every file opened for it: a queued response is not
        // told when its socket closes, and its file stayed open.
        const socket = req.socket;
        const stalled = setTimeout(() => socket.destroy(), STALLED_RESPONSE_MS).unref();
        body.on('data', () => stalled.refresh());
        const gone = () => body.destroy();
        socket.once('close', gone);
        pipeline(body, res, () => {
          clearTimeout(stalled);
          socket.off('close', gone);
        });
      } catch {
        await handle?.close().catch(() => {});
        fail(res, 404, 'not found');
      }
    })();
  };
}
