// How the bridge says no over HTTP: a status, the reason in plain text, and the headers the status
// needs (Retry-After with 429, Sec-WebSocket-Version with 426). A refused WebSocket upgrade has no
// ServerResponse (Node hands over the raw socket), so its answer is written by hand; a refused page
// request uses the response. Either way the reason passes through the redaction helper: it may
// quote a request URL or a header, and so a token.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { remoteAddressOf } from '../transport/acceptor.js';
import { redact } from './redact.js';
import type { Refusal } from './security.js';

/** Answers a refused upgrade on its raw socket and ends the socket. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal, secrets: readonly string[]): void {
  const body = `${redact(refusal.reason, secrets)}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      Object.entries(refusal.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Answers a refused page request. */
export function refusePage(res: ServerResponse, refusal: Refusal, secrets: readonly string[]): void {
  res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(`${redact(refusal.reason, secrets)}\n`);
}

/** `address:port` of a request's client (IPv4-mapped addresses in their IPv4 form), for log lines. */
export function remoteOf(req: IncomingMessage): string {
  const { address, port } = remoteAddressOf(req.socket);
  return `${address}:${port}`;
}
