// TLS under faults, client and server: what a connection that cannot trust its peer, or that
// meets a peer speaking the other protocol (TLS against plain TCP, the usual mistake next to
// 3D Slicer and PLUS), says and does. Certificates are made per run (tls-fault-certs.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, connect as netConnect, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createNodeTlsServer, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import WebSocket, { WebSocketServer } from 'ws';
import { ConnectionError, DesyncError, InvalidOptionError, PeerClosedError, connectTcp, connectTls, connectWebSocket, createMessage, createServer, type ConnectionState, type IgtlConnection, type WebSocketTlsOptions } from '../../../src/node.js';
import { encodeMessage } from '../../../src/index.js';
import { makeFaultCerts, type FaultCerts } from './tls-fault-certs.js';

let certs: FaultCerts;
beforeAll(() => {
  certs = makeFaultCerts();
});
afterAll(() => certs.cleanup());

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** A raw TLS server (Node's, not ours) that serves `cert` and says nothing; closed (and its sockets cut) after the test. */
async function rawTlsServer(cert: string): Promise<number> {
  const sockets: Socket[] = [];
  const server = createNodeTlsServer({ key: certs.serverKey, cert }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.resume();
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

/** A plain TCP server that runs `onSocket` for each client; closed (and its sockets cut) after the test. */
async function rawTcpServer(onSocket: (s: Socket) => void = () => {}): Promise<number> {
  const sockets: Socket[] = [];
  const server: NetServer = createNetServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as { port: number }).port;
}

/** The first failed attempt of a connection: its state (which says why) and the time it took. */
async function firstFailure(conn: IgtlConnection): Promise<{ state: Extract<ConnectionState, { kind: 'reconnecting' }>; reason: ConnectionError }> {
  cleanup.push(() => conn.close());
  const failed = firstValueFrom(conn.state$.pipe(filter((s): s is Extract<ConnectionState, { kind: 'reconnecting' }> => s.kind === 'reconnecting')));
  conn.connect();
  const state = await failed;
  expect(state.reason).toBeInstanceOf(ConnectionError);
  return { state, reason: state.reason as ConnectionError };
}

const causeCode = (err: Error) => (err.cause as { code?: string } | undefined)?.code;

describe('TLS client: certificates are verified by default', () => {
  it('opens with a certificate from the CA it is given, by IP address and by name', async () => {
    const port = await rawTlsServer(certs.server);
    for (const host of ['127.0.0.1', 'localhost']) {
      const conn = connectTls({ host, port, tls: { ca: certs.ca }, reconnect: false });
      cleanup.push(() => conn.close());
      conn.connect();
      await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    }
  });

  it.each([
    ['a CA the client does not know (no ca option)', 'server', '127.0.0.1', false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['a self-signed certificate', 'selfSigned', '127.0.0.1', true, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['an expired certificate', 'expired', '127.0.0.1', true, 'CERT_HAS_EXPIRED'],
    ['a certificate not yet valid', 'notYetValid', 'localhost', true, 'CERT_NOT_YET_VALID'],
    ['a certificate for another host, by IP', 'wrongHost', '127.0.0.1', true, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['a certificate for another host, by name', 'wrongHost', 'localhost', true, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['a certificate from another CA', 'wrongCa', 'localhost', true, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  ] as const)('refuses %s, says so in the state, and backs off', async (_, which, host, withCa, code) => {
    const port = await rawTlsServer(certs[which]);
    const conn = connectTls({ host, port, ...(withCa ? { tls: { ca: certs.ca } } : {}), reconnect: { initialDelayMs: 50, factor: 2, jitter: 0 } });
    const { state, reason } = await firstFailure(conn);
    expect(causeCode(reason)).toBe(code);
    expect(reason.message).toMatch(new RegExp(`^tls://${host}:${port}: the server's certificate was refused: .*\\(${code}\\)$`));
    // Not a tight loop: the next attempt waits, and the wait grows.
    expect(state.delayMs).toBe(50);
    const next = await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'reconnecting' && s.attempt > state.attempt)));
    expect(next.kind === 'reconnecting' && next.delayMs).toBe(100);
    expect(next.kind === 'reconnecting' && causeCode(next.reason!)).toBe(code);
  });
});

describe('TLS client: handshakes that stall', () => {
  it('a server that accepts and never answers the ClientHello: connectTimeoutMs covers the handshake, and the state says so', async () => {
    const port = await rawTcpServer();
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca }, connectTimeoutMs: 200, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/connect timed out after 200 ms: TCP connected, but the TLS handshake did not finish: the peer does not answer TLS \(a plain OpenIGTLink server/);
  });

  it('a server that sends half its side of the handshake and stops: the same', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server } });
    await server.listen();
    cleanup.push(() => server.close());
    // A relay that passes the client's bytes on but only the first 100 of the server's.
    const port = await rawTcpServer((client) => {
      const upstream = netConnect(server.address.port, '127.0.0.1');
      upstream.on('error', () => {});
      client.on('close', () => upstream.destroy());
      let passed = 0;
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d: Buffer) => {
        if (passed < 100) client.write(d.subarray(0, 100 - passed));
        passed += d.length;
      });
    });
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca }, connectTimeoutMs: 200, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/connect timed out after 200 ms: TCP connected, but the TLS handshake did not finish/);
  });
});

/** A STATUS message as a plain OpenIGTLink server (3D Slicer) sends one when a client connects. */
const STATUS_BYTES = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: 'Server' }));

describe('one end TLS, the other plain TCP', () => {
  it('TLS client, plain igtl-rx server: the client hears "does not speak TLS", the session a ConnectionError, no DesyncError', async () => {
    const server = createServer({ port: 0 });
    await server.listen();
    cleanup.push(() => server.close());
    const sessionErrors = firstValueFrom(server.sessions$.pipe(take(1))).then((s) => firstValueFrom(s.errors$));
    const { reason } = await firstFailure(connectTls({ port: server.address.port, tls: { ca: certs.ca }, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/the peer hung up during the TLS handshake: it does not speak TLS \(a plain OpenIGTLink server\? use connectTcp\)/);
    const sessionError = await sessionErrors;
    expect(sessionError).not.toBeInstanceOf(DesyncError);
    expect(sessionError).toBeInstanceOf(ConnectionError);
    expect(sessionError.message).toMatch(/: the peer speaks TLS \(its first bytes are a TLS record, not an OpenIGTLink header\)/);
  });

  it('TLS client, a plain server that speaks first (STATUS on connect, as Slicer): "the peer does not speak TLS"', async () => {
    const port = await rawTcpServer((s) => s.write(STATUS_BYTES));
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca }, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/: the peer does not speak TLS \(it answered with bytes that are not TLS: a plain OpenIGTLink server\? use connectTcp\)/);
  });

  it('plain client, TLS igtl-rx server: the server reports the client on errors$, holds no session', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server } });
    await server.listen();
    cleanup.push(() => server.close());
    const reported = firstValueFrom(server.errors$);
    const conn = connectTcp({ port: server.address.port, reconnect: { initialDelayMs: 50 } });
    cleanup.push(() => conn.close());
    conn.connect();
    const err = await reported;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/^127\.0\.0\.1:\d+: TLS handshake failed: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\); the client does not speak TLS \(plain OpenIGTLink to a TLS port\? it should use connectTls\)$/);
    expect(server.sessions.size).toBe(0);
  });

  it('plain client, a server that answers in TLS (an alert): the client hears "the peer speaks TLS", not a DesyncError', async () => {
    // A TLS 1.2 alert record: fatal (2), protocol_version (70).
    const port = await rawTcpServer((s) => s.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])));
    const conn = connectTcp({ port, reconnect: { initialDelayMs: 50 } });
    const errors = firstValueFrom(conn.errors$);
    const { reason } = await firstFailure(conn);
    expect(reason.message).toMatch(/: the peer speaks TLS/);
    expect(await errors).toBe(reason);
  });
});

describe('TLS client: a server that refuses its certificate (TLS 1.3: after the client\'s side of the handshake)', () => {
  async function mutualServer() {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true } });
    await server.listen();
    cleanup.push(() => server.close());
    server.errors$.subscribe(() => {});
    return server.address.port;
  }

  it('none given where one is required (the alert certificate_required): says so, the alert stays the cause', async () => {
    const port = await mutualServer();
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca, minVersion: 'TLSv1.3' }, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/: the server refused this client's certificate: it requires a client certificate and none was given \(tls\.cert and tls\.key\): .*\(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)$/s);
    expect(causeCode(reason)).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it.each([
    ['from another CA', 'clientWrongCa'],
    ['that has expired', 'clientExpired'],
  ] as const)('one %s, to an igtl-rx server (which closes without an alert): says it was most likely refused, not "closed by the peer"', async (_, which) => {
    const port = await mutualServer();
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca, key: certs.clientKey, cert: certs[which], minVersion: 'TLSv1.3' }, reconnect: { initialDelayMs: 50 } }));
    expect(reason).not.toBeInstanceOf(PeerClosedError);
    expect(reason.message).toMatch(/: the server closed the connection right after the TLS handshake, before a byte: it most likely refused this client's certificate/);
  });

  it('one from another CA, to an OpenSSL server (the alert unknown_ca): says which refusal, the alert stays the cause', async () => {
    const port = 40000 + Math.floor(Math.random() * 20000);
    const dir = mkdtempSync(join(tmpdir(), 'igtl-rx-sserver-'));
    for (const [f, text] of [['cert.pem', certs.server], ['key.pem', certs.serverKey], ['ca.pem', certs.ca]] as const) writeFileSync(join(dir, f), text);
    const server = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', 'cert.pem', '-key', 'key.pem', '-CAfile', 'ca.pem', '-Verify', '1', '-verify_return_error', '-tls1_3'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    cleanup.push(() => {
      server.kill();
      rmSync(dir, { recursive: true, force: true });
    });
    // s_server prints ACCEPT once it listens. Its stdin stays open: at its end s_server hangs up.
    await new Promise<void>((resolve, reject) => {
      let said = '';
      const read = (chunk: Buffer) => {
        said += chunk.toString();
        if (/ACCEPT/.test(said)) resolve();
      };
      server.stdout.on('data', read);
      server.stderr.on('data', read);
      server.once('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${said}`)));
    });
    const { reason } = await firstFailure(connectTls({ port, tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientWrongCa }, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/: the server refused this client's certificate: signed by a CA the server does not trust: .*\(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)$/s);
    expect(causeCode(reason)).toBe('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  });
});

describe('TLS server under faults', () => {
  async function mutualServer() {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true } });
    await server.listen();
    cleanup.push(() => server.close());
    return server;
  }

  it.each([
    ['from another CA', 'clientWrongCa', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['that has expired', 'clientExpired', 'CERT_HAS_EXPIRED'],
  ] as const)('a client certificate %s: reported on errors$ with the reason, no session; a good client still gets in', async (_, which, code) => {
    const server = await mutualServer();
    const reported = firstValueFrom(server.errors$);
    const bad = connectTls({ port: server.address.port, tls: { ca: certs.ca, key: certs.clientKey, cert: certs[which] }, reconnect: false });
    cleanup.push(() => bad.close());
    bad.state$.subscribe({ error: () => {} });
    bad.connect();
    const err = await reported;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+: TLS handshake failed: client certificate refused \\(${code}\\)$`));
    expect(server.sessions.size).toBe(0);

    const good = connectTls({ port: server.address.port, tls: { ca: certs.ca, key: certs.clientKey, cert: certs.client }, reconnect: false });
    cleanup.push(() => good.close());
    const session = firstValueFrom(server.sessions$);
    good.connect();
    await firstValueFrom(good.state$.pipe(filter((s) => s.kind === 'open')));
    await session;
    expect(server.sessions.size).toBe(1);
  });

  it('a client that never finishes its handshake: reported on errors$ after handshakeTimeout', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server, handshakeTimeout: 200 } });
    await server.listen();
    cleanup.push(() => server.close());
    const reported = firstValueFrom(server.errors$);
    const silent = netConnect(server.address.port, '127.0.0.1');
    silent.on('error', () => {});
    cleanup.push(() => silent.destroy());
    const closed = new Promise((resolve) => silent.once('close', resolve));
    const err = await reported;
    expect(err.message).toMatch(/the client did not finish the handshake in time/);
    await closed; // and its socket is closed, not held
  });

  it('errors$ completes when the server closes', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server } });
    await server.listen();
    const all = firstValueFrom(server.errors$.pipe(toArray()));
    await server.close();
    expect(await all).toEqual([]);
  });
});

describe('wss:// through connectWebSocket in Node', () => {
  /** Client certificates seen by the server (the subject's CN, or undefined for none). */
  const clientNames: (string | undefined)[] = [];
  async function wssServer(https = createHttpsServer({ key: certs.serverKey, cert: certs.server })): Promise<number> {
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws, req) => {
      ws.on('error', () => {});
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      clientNames.push(typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined);
      ws.send(encodeMessage(createMessage('STRING', { encoding: 3, value: 'over wss' }, { deviceName: 'Bridge' })));
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      return new Promise((resolve) => https.close(resolve));
    });
    return (https.address() as { port: number }).port;
  }

  it("verifies the server's certificate by default", async () => {
    const port = await wssServer();
    const { reason } = await firstFailure(connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/wss:\/\/127\.0\.0\.1:\d+\/.*(certificate|verify)/);
  });

  it('opens with `tls: { ca }` (a bridge whose certificate a private CA signed) and carries messages', async () => {
    const port = await wssServer();
    const conn = connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    const first = await firstValueFrom(conn);
    expect(first).toMatchObject({ type: 'STRING', deviceName: 'Bridge', content: { value: 'over wss' } });
  });

  it('sends the client certificate of `tls: { cert, key }` to a server that asks for one; without it the server refuses', async () => {
    const https = createHttpsServer({ key: certs.serverKey, cert: certs.server, ca: certs.ca, requestCert: true, rejectUnauthorized: true });
    https.on('tlsClientError', () => {});
    const port = await wssServer(https);
    clientNames.length = 0;
    const conn = connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, tls: { ca: certs.ca, cert: certs.client, key: certs.clientKey }, reconnect: false });
    cleanup.push(() => conn.close());
    expect((await firstValueFrom(conn)).deviceName).toBe('Bridge');
    expect(clientNames).toEqual(['client']);
    const refused = await firstFailure(connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, tls: { ca: certs.ca }, reconnect: { initialDelayMs: 50 } }));
    expect(refused.reason).toBeInstanceOf(ConnectionError);
    expect(clientNames).toEqual(['client']);
  });

  it('verifies with `tls` given: a certificate of another CA is refused, and `rejectUnauthorized: false` slipped into `tls` changes nothing', async () => {
    const port = await wssServer(createHttpsServer({ key: certs.serverKey, cert: certs.wrongCa }));
    const slipped = { ca: certs.ca, rejectUnauthorized: false } as WebSocketTlsOptions;
    const { reason } = await firstFailure(connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket, tls: slipped, reconnect: { initialDelayMs: 50 } }));
    expect(reason.message).toMatch(/wss:\/\/127\.0\.0\.1:\d+\/.*(certificate|verify)/);
  });

  it('refuses TLS material Node cannot use when the connection is made, as connectTls does (it failed every attempt, for ever)', () => {
    const refusal = (tls: WebSocketTlsOptions) => {
      try {
        connectWebSocket('wss://127.0.0.1:1/', { WebSocket, tls }).close();
      } catch (err) {
        return err instanceof InvalidOptionError ? `${err.option}: ${err.message}` : `not an InvalidOptionError: ${String(err)}`;
      }
      return undefined;
    };
    expect(refusal({ cert: 'not a certificate', key: 'not a key' })).toMatch(/^tls: .*no start line/);
    expect(refusal({ cert: certs.ca, key: certs.clientKey })).toMatch(/^tls: .*key values mismatch/);
    expect(refusal({ ca: certs.ca, cert: certs.client, key: certs.clientKey })).toBeUndefined();
  });

  it('refuses `tls` with the platform WebSocket (it takes no TLS settings, and would drop them without a word)', () => {
    class PlatformLike {
      static readonly CLOSING = 2;
    }
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    Object.defineProperty(globalThis, 'WebSocket', { value: PlatformLike, configurable: true, writable: true });
    try {
      expect(() => connectWebSocket('wss://127.0.0.1:1/', { tls: { ca: certs.ca } })).toThrow(InvalidOptionError);
      expect(() => connectWebSocket('wss://127.0.0.1:1/', { allowUnverifiedCertificate: true })).toThrow(/platform's WebSocket takes no TLS settings/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
      else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    }
  });

  it('opens with the CA passed through a WebSocket subclass (the way to give ws its TLS options)', async () => {
    const port = await wssServer();
    class TrustingWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { ca: certs.ca });
      }
    }
    const conn = connectWebSocket(`wss://127.0.0.1:${port}/`, { WebSocket: TrustingWebSocket, reconnect: false });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
  });
});

describe('TLS errors in an established session', () => {
  /**
   * A relay between a client and a TLS server that passes bytes both ways and, on `inject`,
   * writes `bytes` into the encrypted stream towards the side named.
   */
  async function relay(target: number) {
    const pairs: { client: Socket; upstream: Socket }[] = [];
    const port = await rawTcpServer((client) => {
      const upstream = netConnect(target, '127.0.0.1');
      upstream.on('error', () => {});
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      pairs.push({ client, upstream });
    });
    return { port, inject: (towards: 'client' | 'server', bytes: Buffer) => pairs.forEach((p) => (towards === 'client' ? p.client : p.upstream).write(bytes)) };
  }
  /** An application-data record whose MAC cannot verify. */
  const FORGED_RECORD = Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20, ...Array<number>(32).fill(7)]);

  it('server: a forged record from a client closes its session at once with the TLS error (it stayed open until the read time-out); other sessions go on', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server }, readTimeoutMs: 3000 });
    await server.listen();
    cleanup.push(() => server.close());
    const other = connectTls({ port: server.address.port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => other.close());
    const otherSession = firstValueFrom(server.sessions$);
    other.connect();
    await otherSession;
    const { port, inject } = await relay(server.address.port);
    const victim = connectTls({ port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => victim.close());
    victim.state$.subscribe({ error: () => {} });
    const session = firstValueFrom(server.sessions$);
    victim.connect();
    const s = await session;
    const ended = firstValueFrom(s.state$.pipe(filter((st) => st.kind === 'closed')));
    inject('server', FORGED_RECORD);
    const closed = await ended;
    expect(closed.kind === 'closed' && closed.reason).toBeInstanceOf(ConnectionError);
    expect(closed.kind === 'closed' && closed.reason?.name).toBe('ConnectionError'); // not DeadPeerError (the read time-out)
    expect(closed.kind === 'closed' && closed.reason?.message).toMatch(/bad record mac|decryption failed/i);
    expect(server.sessions.size).toBe(1);
    expect(other.state.kind).toBe('open');
  });

  it('client: a forged record from the server ends the attempt with the TLS error, not a silent open connection', async () => {
    const server = createServer({ port: 0, tls: { key: certs.serverKey, cert: certs.server } });
    await server.listen();
    cleanup.push(() => server.close());
    const { port, inject } = await relay(server.address.port);
    const conn = connectTls({ port, tls: { ca: certs.ca }, reconnect: { initialDelayMs: 50 }, readTimeoutMs: 3000, heartbeat: false, staleAfterMs: 0 });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const failed = firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'reconnecting')));
    inject('client', FORGED_RECORD);
    const state = await failed;
    expect(state.kind === 'reconnecting' && state.reason?.name).toBe('ConnectionError');
    expect(state.kind === 'reconnecting' && state.reason?.message).toMatch(/bad record mac|decryption failed/i);
  });
});
