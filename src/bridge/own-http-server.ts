// The HTTP server the bridge opens when it is not given one: it answers page requests (the files
// of `staticDir`, or 426 "connect with a WebSocket"), after the same address and Host checks as
// an upgrade (DNS rebinding), bounds how long a request may take to arrive, and how many sockets
// that are not WebSocket clients it holds. A server of the user's keeps its own rules: none of
// this is applied to it.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { remoteAddressOf } from '../transport/acceptor.js';
import { capConnections, type ConnectionCap } from './connection-cap.js';
import { refusePage, remoteOf } from './http-refusals.js';
import type { RedactingLog } from './redact.js';
import type { Refusal } from './security.js';
import { staticFiles } from './static-files.js';

/**
 * How long the bridge's own HTTP server waits for a request (page or WebSocket upgrade): its
 * headers, and a body if any, within 10 s, checked every second; then 408 and the socket closes.
 * With Node's defaults (60 s for headers, checked every 30 s) a socket to the bridge that sent
 * nothing, or half a request, was still open after 130 s: such sockets need no token, and each
 * held a descriptor for as long as the sender liked. A browser sends its request at once.
 */
const REQUEST_LIMITS = { headersTimeout: 10_000, requestTimeout: 10_000, connectionsCheckingInterval: 1000 } as const;

/** What the bridge's own server needs from the bridge. */
export interface OwnHttpServerOptions {
  /** Serve the files of this directory (else every page request gets 426). */
  readonly staticDir: string | undefined;
  /** The checks every request gets, page or WebSocket (address, Host). */
  readonly check: (req: IncomingMessage) => Refusal | undefined;
  /** Most connections that are not WebSocket clients (see connection-cap.ts). */
  readonly maxPendingConnections: number;
  readonly log: RedactingLog;
  /** The secrets no refusal text may hold. */
  readonly secrets: readonly string[];
}

/** The bridge's own HTTP server (not listening yet) and the bound on its pending connections. */
export function ownHttpServer(options: OwnHttpServerOptions): { readonly http: HttpServer; readonly connectionCap: ConnectionCap } {
  const { log, secrets, maxPendingConnections: maxPending } = options;
  const files = options.staticDir === undefined ? undefined : staticFiles(options.staticDir);
  const http = createHttpServer(REQUEST_LIMITS, (req: IncomingMessage, res: ServerResponse) => {
    // The page gets the same Host and address checks as the WebSocket (DNS rebinding).
    const refusal = options.check(req);
    if (refusal) {
      log('refused %s: %s %s', remoteOf(req), req.method ?? '?', refusal.reason);
      refusePage(res, refusal, secrets);
    } else if (files) files(req, res);
    else {
      res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
      res.end('igtl-rx bridge: connect with a WebSocket\n');
    }
  });
  http.on('error', (err) => log('http server error: %s', err.message));
  const connectionCap = capConnections(http, maxPending, (socket, pending) => {
    const { address, port } = remoteAddressOf(socket);
    log('cut %s:%d: %d connections that are not WebSocket clients (maxPendingConnections %d); it was the oldest', address, port, pending + 1, maxPending);
  });
  return { http, connectionCap };
}
