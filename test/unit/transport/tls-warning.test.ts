// allowUnverifiedCertificate is said out loud: one process warning per connection (not per
// reconnect), none when certificates are verified.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, skip } from 'rxjs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { connectTls, connectWebSocket, createServer, UNVERIFIED_TLS_WARNING, type IgtlConnection, type IgtlServer } from '../../../src/node.js';
import { makeTestCerts, type TestCerts } from './certs.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** Collects the process warnings emitted from now on. */
function captureWarnings(): Error[] {
  const seen: Error[] = [];
  const onWarning = (w: Error) => seen.push(w);
  process.on('warning', onWarning);
  cleanup.push(() => process.off('warning', onWarning));
  return seen;
}

/** Opens `conn`, then reconnects it and waits for it to be open again (a second channel). */
async function openTwice(conn: IgtlConnection): Promise<void> {
  conn.connect();
  await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
  const reopened = firstValueFrom(conn.state$.pipe(skip(1), filter((s) => s.kind === 'open')));
  conn.reconnect();
  await reopened;
}

/**
 * Resolves once every warning emitted before this call has been delivered: warnings are
 * delivered in order, so a sentinel of our own arriving proves nothing else is pending.
 */
async function warningsDelivered(seen: Error[]): Promise<Error[]> {
  const mark = `sentinel ${Math.random()}`;
  const arrived = new Promise<void>((resolve) => {
    const check = (w: Error) => {
      if (w.message === mark) {
        process.off('warning', check);
        resolve();
      }
    };
    process.on('warning', check);
  });
  process.emitWarning(mark, { code: 'IGTLRX_TEST_SENTINEL' });
  await arrived;
  // Node's DEP0123 (an IP address as SNI server name) counts too: connectTls sends none.
  return seen.filter((w) => codeOf(w) !== 'IGTLRX_TEST_SENTINEL');
}

const codeOf = (w: Error) => (w as Error & { code?: string }).code;

describe('TLS without certificate verification', () => {
  let certs: TestCerts;
  let server: IgtlServer;
  beforeAll(async () => {
    certs = makeTestCerts();
    server = createServer({ port: 0, tls: { key: certs.key, cert: certs.cert } });
    await server.listen();
  });
  afterAll(async () => {
    await server.close();
    certs.cleanup();
  });

  it('emits one IGTLRX_TLS_UNVERIFIED warning per connection, also across reconnects', async () => {
    const seen = captureWarnings();
    const conn = connectTls({ port: server.address.port, allowUnverifiedCertificate: true, reconnect: { initialDelayMs: 10 } });
    cleanup.push(() => conn.close());
    // A second open of the same connection (after a reconnect) is the same connection: no new warning.
    await openTwice(conn);
    const warnings = await warningsDelivered(seen);
    expect(warnings.map(codeOf)).toEqual([UNVERIFIED_TLS_WARNING]);
    expect(warnings[0]!.name).toBe('SecurityWarning');
    expect(warnings[0]!.message).toMatch(new RegExp(`tls://127\\.0\\.0\\.1:${server.address.port}: allowUnverifiedCertificate is on`));

    const other = connectTls({ port: server.address.port, allowUnverifiedCertificate: true, reconnect: false });
    cleanup.push(() => other.close());
    expect((await warningsDelivered(seen)).map(codeOf)).toEqual([UNVERIFIED_TLS_WARNING, UNVERIFIED_TLS_WARNING]);
  });

  it('emits nothing when the certificate is verified', async () => {
    const seen = captureWarnings();
    const conn = connectTls({ port: server.address.port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    expect(await warningsDelivered(seen)).toEqual([]);
  });
});

describe('wss:// without certificate verification (connectWebSocket with ws)', () => {
  let certs: TestCerts;
  let port: number;
  let close: () => Promise<void>;
  beforeAll(async () => {
    certs = makeTestCerts();
    const https = createHttpsServer({ key: certs.key, cert: certs.cert });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws) => ws.on('error', () => {}));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    port = (https.address() as AddressInfo).port;
    close = () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      return new Promise((resolve) => https.close(() => resolve()));
    };
  });
  afterAll(async () => {
    await close();
    certs.cleanup();
  });

  it('opens to a certificate no CA given vouches for, and says so once per connection', async () => {
    const seen = captureWarnings();
    const conn = connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, allowUnverifiedCertificate: true, reconnect: { initialDelayMs: 10 } });
    cleanup.push(() => conn.close());
    await openTwice(conn);
    const warnings = await warningsDelivered(seen);
    expect(warnings.map(codeOf)).toEqual([UNVERIFIED_TLS_WARNING]);
    expect(warnings[0]!.message).toMatch(new RegExp(`wss://127\\.0\\.0\\.1:${port}/: allowUnverifiedCertificate is on`));
  });

  it('emits nothing when the certificate is verified (`tls: { ca }`)', async () => {
    const seen = captureWarnings();
    const conn = connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    expect(await warningsDelivered(seen)).toEqual([]);
  });
});
