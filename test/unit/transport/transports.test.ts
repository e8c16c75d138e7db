import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { format } from 'node:util';
import createDebug from 'debug';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { VirtualAction, VirtualTimeScheduler, firstValueFrom, filter, take, timeout, toArray } from 'rxjs';
import {
  ConnectionError,
  DatagramTooLargeError,
  DatagramsDroppedError,
  IDENTITY,
  InvalidOptionError,
  Timestamp,
  connectTcp,
  connectTls,
  connectUdp,
  createMessage,
  createServer,
  encodeMessage,
  type IgtlConnection,
  type IgtlError,
  type IgtlMessage,
  type IgtlServer,
  type TlsOptions,
} from '../../../src/node.js';
import { listeningServer } from '../../support/fault-kit.js';
import { makeTestCerts, type TestCerts } from './certs.js';

const pose = (n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Tool', timestamp: Timestamp.ZERO });
const xOf = (m: IgtlMessage) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : NaN);

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const server = (options: Parameters<typeof createServer>[0] = {}): Promise<IgtlServer> => listeningServer((fn) => void cleanup.push(fn), options);

describe('TLS', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(() => certs.cleanup());

  it('carries messages both ways once the server certificate verifies against the CA', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert } });
    s.sessions$.subscribe((session) => session.pipe(take(1)).subscribe((m) => void session.send(pose(xOf(m) * 10))));
    const conn = connectTls({ port: s.address.port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    const reply = firstValueFrom(conn);
    await conn.send(pose(4));
    expect(xOf(await reply)).toBe(40);
  });

  it('sends no SNI server name for an IP address (RFC 6066; Node warns DEP0123), and still verifies the certificate', async () => {
    const names: (string | false | null)[] = [];
    const sockets: TLSSocket[] = [];
    const raw = createTlsServer({ key: certs.key, cert: certs.cert }, (socket) => {
      sockets.push(socket);
      names.push(socket.servername);
      socket.write(encodeMessage(pose(5)));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => {
      raw.close(resolve);
      for (const s of sockets) s.destroy();
    }));
    const conn = connectTls({ host: '127.0.0.1', port: (raw.address() as AddressInfo).port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    expect(xOf(await firstValueFrom(conn))).toBe(5);
    expect(names).toEqual([false]);
  });

  it('a server that refuses our client certificate (TLS 1.3: after our side of the handshake) is a failed attempt: maxAttempts ends it', async () => {
    // No client certificate given: the server's alert arrives a round trip after `secureConnect`,
    // so each attempt opens for a few ms. It counted as a working connection: the retries stayed
    // at initialDelayMs and never reached maxAttempts.
    const s = await server({ tls: { key: certs.key, cert: certs.cert, ca: certs.ca, requestCert: true, rejectUnauthorized: true } });
    const conn = connectTls({ port: s.address.port, tls: { ca: certs.ca, minVersion: 'TLSv1.3' }, reconnect: { initialDelayMs: 20, maxAttempts: 3 } });
    cleanup.push(() => conn.close());
    const retries: number[] = [];
    conn.state$.subscribe((st) => {
      if (st.kind === 'reconnecting') retries.push(st.attempt);
    });
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    const ended = await firstValueFrom(conn).then(() => undefined, (e: unknown) => e);
    expect(ended).toBeInstanceOf(ConnectionError);
    expect((ended as ConnectionError).message).toBe('gave up after 3 failed connection attempts');
    expect(retries).toEqual([2, 3]);
    // Each refusal was said, with the server's reason.
    expect(errors.filter((e) => /certificate required/.test(e.message))).toHaveLength(3);
  });

  it('refuses TLS material no attempt could use when the connection is made (it retried for ever with the same OpenSSL error)', () => {
    const refusal = (tls: TlsOptions['tls']) => {
      try {
        connectTls({ port: 1, tls }).close();
      } catch (err) {
        return err instanceof InvalidOptionError ? `${err.option}: ${err.message}` : `not an InvalidOptionError: ${String(err)}`;
      }
      return undefined;
    };
    expect(refusal({ cert: 'not a certificate', key: 'not a key' })).toMatch(/^tls: .*no start line/);
    expect(refusal({ cert: certs.ca, key: certs.key })).toMatch(/^tls: .*key values mismatch/);
    expect(refusal({ ca: certs.ca })).toBeUndefined();
    expect(refusal({ cert: certs.cert, key: certs.key, ca: certs.ca })).toBeUndefined();
  });

  it('refuses a server whose certificate does not verify, by default', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert } });
    const conn = connectTls({ port: s.address.port, reconnect: false });
    await expect(firstValueFrom(conn)).rejects.toBeInstanceOf(ConnectionError);
    await expect(firstValueFrom(conn).catch((e: ConnectionError) => String(e.cause))).resolves.toMatch(/self.signed|unable to verify|certificate/i);
  });

  it('says in the server log why a TLS handshake failed (a client that does not trust the certificate, a plain TCP client)', async () => {
    const lines: string[] = [];
    const waiting: { match: RegExp; resolve: () => void }[] = [];
    const savedLog = createDebug.log;
    const savedNamespaces = createDebug.disable();
    createDebug.log = (...args: unknown[]) => {
      const line = format(...args);
      lines.push(line);
      for (const w of waiting) if (w.match.test(line)) w.resolve();
    };
    createDebug.enable('igtl-rx:server');
    cleanup.push(() => {
      createDebug.log = savedLog;
      createDebug.disable();
      if (savedNamespaces) createDebug.enable(savedNamespaces);
    });
    const logged = (match: RegExp) => new Promise<void>((resolve) => (lines.some((l) => match.test(l)) ? resolve() : waiting.push({ match, resolve })));
    const s = await server({ tls: { key: certs.key, cert: certs.cert } });
    const untrusting = connectTls({ port: s.address.port, reconnect: false });
    await expect(firstValueFrom(untrusting)).rejects.toBeInstanceOf(ConnectionError);
    await logged(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*ECONNRESET.*does not trust this certificate/);
    const plain = connectTcp({ port: s.address.port, reconnect: false });
    cleanup.push(() => plain.close());
    plain.connect(); // its heartbeat probe is the first thing it writes: not a TLS hello
    await logged(/TLS handshake with 127\.0\.0\.1:\d+ failed: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\)/);
    expect(s.sessions.size).toBe(0);
  });

  it('cuts a host outside the allow-list before the TLS handshake: its client never sees the connection open', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert }, allow: ['127.0.0.2'] });
    const conn = connectTls({ port: s.address.port, tls: { ca: certs.ca }, reconnect: false });
    const kinds: string[] = [];
    conn.state$.subscribe((st) => kinds.push(st.kind));
    await expect(firstValueFrom(conn)).rejects.toBeInstanceOf(ConnectionError);
    expect(kinds).toEqual(['idle', 'connecting', 'closed']);
    expect(s.sessions.size).toBe(0);
  });

  it('closes a socket that never starts a TLS handshake after handshakeTimeout (10 s); Node left it open for ever', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert } });
    const silent = netConnect({ port: s.address.port, host: '127.0.0.1' });
    silent.on('error', () => {});
    cleanup.push(() => silent.destroy());
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      silent.once('close', () => resolve());
      setTimeout(() => reject(new Error('still open after 40 s')), 40_000).unref();
    });
    expect(performance.now() - t0).toBeGreaterThan(9_000);
  }, 60_000);

  it('holds at most maxClients TLS handshakes under way: a flood of silent sockets cuts its oldest, a real client still gets in', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert }, maxClients: 2 });
    const tcp = s['acceptor'].server;
    const accepted = (n: number) =>
      new Promise<void>((resolve) => {
        let seen = 0;
        const on = () => {
          if (++seen === n) {
            tcp.off('connection', on);
            resolve();
          }
        };
        tcp.on('connection', on);
      });
    // One at a time, each accepted before the next: the server's arrival order is known.
    const silent = [];
    for (let i = 0; i < 5; i++) {
      const one = accepted(1);
      const sock = netConnect({ port: s.address.port, host: '127.0.0.1' });
      sock.on('error', () => {});
      cleanup.push(() => sock.destroy());
      silent.push({ sock, closed: new Promise<void>((resolve) => sock.once('close', () => resolve())) });
      await one;
    }
    const t0 = performance.now();
    // The three oldest were cut as the fourth and fifth came: long before the 10 s time-out
    // (which held every one of them before, however many came).
    await Promise.all(silent.slice(0, 3).map((x) => x.closed));
    expect(performance.now() - t0).toBeLessThan(5_000);
    // A real client comes in (cutting the oldest silent one left) and is served.
    s.sessions$.subscribe((session) => void session.send(pose(7)));
    const conn = connectTls({ port: s.address.port, tls: { ca: certs.ca }, reconnect: false });
    cleanup.push(() => conn.close());
    expect(xOf(await firstValueFrom(conn))).toBe(7);
    await silent[3]!.closed;
    expect(silent[4]!.sock.destroyed).toBe(false);
  });

  it('closes at once with a TLS handshake under way (a silent socket), not after it times out', async () => {
    const s = createServer({ port: 0, tls: { key: certs.key, cert: certs.cert } });
    await s.listen();
    const silent = netConnect({ port: s.address.port, host: '127.0.0.1' });
    silent.on('error', () => {});
    cleanup.push(() => silent.destroy());
    const cut = new Promise<void>((resolve) => silent.once('close', () => resolve()));
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    const t0 = performance.now();
    await s.close();
    await cut;
    // At once; the handshake time-out would take 10 s (and Node's own never closed it).
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('accepts an unverified certificate only when told to (lab use)', async () => {
    const s = await server({ tls: { key: certs.key, cert: certs.cert } });
    s.sessions$.subscribe((session) => void session.send(pose(1)));
    const conn = connectTls({ port: s.address.port, reconnect: false, allowUnverifiedCertificate: true });
    cleanup.push(() => conn.close());
    expect(xOf(await firstValueFrom(conn))).toBe(1);
  });
});

describe('UDP', () => {
  it('carries one message per datagram between two sockets', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx2 = connectUdp({ localPort: fixed });
    const got = firstValueFrom(rx2.pipe(take(3), toArray()));
    await firstValueFrom(rx2.state$.pipe(filter((s) => s.kind === 'open')));
    const tx = connectUdp({ port: fixed });
    tx.connect();
    cleanup.push(() => tx.close(), () => rx2.close());
    for (const n of [1, 2, 3]) await tx.send(pose(n));
    expect((await got).map(xOf)).toEqual([1, 2, 3]);
  });

  it('a sender nobody sends to (no localPort) is never stale; a receiver, or a sender bound to a localPort, is when nothing comes', async () => {
    // Virtual time for the liveness rules: flush() runs them to the end, so "never stale" is
    // proved over all of time, not over a wait.
    const scheduler = new VirtualTimeScheduler(VirtualAction);
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ localPort: fixed, scheduler });
    const tx = connectUdp({ port: fixed, scheduler });
    const both = connectUdp({ port: fixed, localPort: fixed + 1, scheduler });
    const kinds = new Map<IgtlConnection, string[]>([[rx, []], [tx, []], [both, []]]);
    for (const [conn, seen] of kinds) {
      conn.state$.subscribe((s) => seen.push(s.kind));
      conn.connect();
      cleanup.push(() => conn.close());
    }
    const got = firstValueFrom(rx.pipe(take(3), toArray()));
    await until('all three open', () => [...kinds.values()].every((seen) => seen.includes('open')));
    for (const n of [1, 2, 3]) await tx.send(pose(n));
    expect((await got).map(xOf)).toEqual([1, 2, 3]);
    scheduler.flush();
    expect(scheduler.frame).toBeGreaterThanOrEqual(3000);
    expect(kinds.get(tx)).toEqual(['idle', 'connecting', 'open']);
    expect(rx.state.kind).toBe('stale');
    expect(both.state.kind).toBe('stale');
  });

  it('with family udp6 and no addresses, binds and sends on the IPv6 loopback', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ family: 'udp6', localPort: fixed });
    const got = firstValueFrom(rx.pipe(take(1)));
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind !== 'idle' && s.kind !== 'connecting')));
    expect(rx.state.kind).toBe('open');
    const tx = connectUdp({ family: 'udp6', port: fixed });
    tx.connect();
    cleanup.push(() => tx.close(), () => rx.close());
    await tx.send(pose(6));
    expect(xOf(await got)).toBe(6);
  });

  it('reports a datagram that is not OpenIGTLink, or cut short, and goes on with the next one', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ localPort: fixed });
    const errors: IgtlError[] = [];
    rx.errors$.subscribe((e) => errors.push(e));
    rx.connect(); // held past take(3), so the state after it is the receiver's own
    const got = firstValueFrom(rx.pipe(take(3), toArray()));
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind === 'open')));
    const raw = createSocket('udp4');
    cleanup.push(() => raw.close(), () => rx.close());
    const datagram = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => raw.send(bytes, fixed, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    // Datagrams on loopback arrive in order: each later one proves the earlier was handled.
    await datagram(encodeMessage(pose(1)));
    await datagram(new TextEncoder().encode('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n\r\n'));
    await datagram(encodeMessage(pose(2)).subarray(0, 70));
    await datagram(encodeMessage(pose(3)));
    await datagram(encodeMessage(pose(4)));
    expect((await got).map(xOf)).toEqual([1, 3, 4]);
    expect(rx.state.kind).toBe('open');
    expect(errors.map((e) => e.name)).toEqual(['DesyncError', 'TruncatedMessageError']);
  });

  it("with oversize: 'close', reports a datagram whose body is over maxBodySize and goes on (it closed the receiver for good)", async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ localPort: fixed, oversize: 'close', maxBodySize: 1000 });
    const errors: IgtlError[] = [];
    rx.errors$.subscribe((e) => errors.push(e));
    rx.connect();
    const got = firstValueFrom(rx.pipe(take(1)));
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind === 'open')));
    const raw = createSocket('udp4');
    cleanup.push(() => raw.close(), () => rx.close());
    const datagram = (bytes: Uint8Array) => new Promise<void>((resolve, reject) => raw.send(bytes, fixed, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    await datagram(encodeMessage(createMessage('STRING', { encoding: 3, value: 'x'.repeat(2000) }, { deviceName: 'Big', timestamp: Timestamp.ZERO })));
    await datagram(encodeMessage(pose(2)));
    expect(xOf(await got)).toBe(2);
    expect(rx.state.kind).toBe('open');
    expect(errors.map((e) => e.name)).toEqual(['BodyTooLargeError']);
  });

  it('reports a datagram the OS refuses to send (only its callback hears of it) on errors$', async () => {
    // An IPv6 peer on a udp4 socket (a likely slip: family left at its default) makes every
    // send fail with EINVAL, without leaving the host.
    const tx = connectUdp({ host: '::1', port: 9 });
    const refused = firstValueFrom(tx.errors$.pipe(timeout(10_000)));
    tx.connect();
    cleanup.push(() => tx.close());
    await tx.send(pose(1)); // handed to the socket: 'written' is all a send can know at once
    const err = await refused;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(/^udp:\/\/::1:9: datagram not sent: .*EINVAL/);
  });

  it('counts the datagrams a paused reader drops and reports them when it resumes: each one is delivered or reported', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ localPort: fixed });
    const sent = 200;
    let delivered = 0;
    let dropped = 0;
    let settle = (): void => {};
    const accounted = new Promise<void>((resolve) => (settle = resolve));
    const check = () => {
      if (delivered + dropped === sent) settle();
    };
    rx.errors$.subscribe((e) => {
      if (e instanceof DatagramsDroppedError) dropped += e.datagrams;
      check();
    });
    rx.subscribe(() => {
      delivered++;
      check();
    });
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind === 'open')));
    const tx = connectUdp({ port: fixed });
    tx.connect();
    cleanup.push(() => tx.close(), () => rx.close());
    rx.pauseReading();
    for (let n = 1; n <= sent; n++) await tx.send(pose(n));
    // Time for the receiver to read them while paused (setup, not an assertion: any it reads
    // only after resuming are delivered, and still accounted for).
    await new Promise((resolve) => setTimeout(resolve, 500));
    rx.resumeReading();
    await Promise.race([accounted, new Promise((_, reject) => setTimeout(() => reject(new Error(`${delivered} delivered + ${dropped} reported dropped of ${sent}`)), 10_000))]);
    expect(dropped).toBeGreaterThan(0);
  });

  // Linux counts them per socket (/proc/net/udp); elsewhere the OS tells no one.
  it.runIf(process.platform === 'linux')('reports the datagrams the OS drops at a full receive buffer (a burst while the reader is busy): each one is delivered or reported', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    const rx = connectUdp({ localPort: fixed });
    const sent = 3000;
    let delivered = 0;
    let dropped = 0;
    const reasons = new Set<string>();
    let settle = (): void => {};
    const accounted = new Promise<void>((resolve) => (settle = resolve));
    const check = () => {
      if (delivered + dropped === sent) settle();
    };
    rx.errors$.subscribe((e) => {
      if (e instanceof DatagramsDroppedError) {
        dropped += e.datagrams;
        reasons.add(e.reason);
      }
      check();
    });
    rx.subscribe(() => {
      delivered++;
      check();
    });
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind === 'open')));
    const raw = createSocket('udp4');
    cleanup.push(() => raw.close(), () => rx.close());
    const bytes = encodeMessage(pose(1));
    const handed: Promise<void>[] = [];
    for (let n = 0; n < sent; n++) handed.push(new Promise((resolve, reject) => raw.send(bytes, fixed, '127.0.0.1', (err) => (err ? reject(err) : resolve()))));
    // The receiver cannot read while this thread is busy: its socket buffer (~200 KiB) overflows.
    const busyUntil = performance.now() + 300;
    while (performance.now() < busyUntil);
    await Promise.all(handed);
    await Promise.race([accounted, new Promise((_, reject) => setTimeout(() => reject(new Error(`${delivered} delivered + ${dropped} reported dropped of ${sent}`)), 10_000))]);
    expect(dropped).toBeGreaterThan(0);
    expect([...reasons]).toEqual(['receive-buffer-full']);
  });

  it('with allow, reads only the datagrams of allowed senders, and reports the others with their senders (a second sender was taken for the peer)', async () => {
    const fixed = 40000 + Math.floor(Math.random() * 20000);
    expect(() => connectUdp({ localPort: fixed, allow: ['10.1.2.0/33'] })).toThrow(InvalidOptionError);
    const rx = connectUdp({ localPort: fixed, allow: ['127.0.0.1'] });
    const refused: DatagramsDroppedError[] = [];
    rx.errors$.subscribe((e) => {
      if (e instanceof DatagramsDroppedError) refused.push(e);
    });
    const got: number[] = [];
    rx.subscribe((m) => got.push(xOf(m)));
    await firstValueFrom(rx.state$.pipe(filter((s) => s.kind === 'open')));
    const bound = (address: string) =>
      new Promise<ReturnType<typeof createSocket>>((resolve) => {
        const s = createSocket('udp4');
        s.bind(0, address, () => resolve(s));
      });
    const peer = await bound('127.0.0.1');
    const stranger = await bound('127.0.0.2');
    cleanup.push(() => peer.close(), () => stranger.close(), () => rx.close());
    const datagram = (from: typeof peer, n: number) => new Promise<void>((resolve, reject) => from.send(encodeMessage(pose(n)), fixed, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    for (const n of [1, 2, 3]) await datagram(stranger, n);
    await datagram(peer, 4);
    // Loopback keeps the order: the peer's pose arriving proves the stranger's were handled.
    await until('the peer pose', () => got.length > 0);
    await until('every refused datagram reported', () => refused.reduce((sum, e) => sum + e.datagrams, 0) === 3);
    expect(got).toEqual([4]);
    expect(refused.map((e) => e.reason)).toEqual(refused.map(() => 'sender-not-allowed'));
    expect(refused[0]!.senders).toEqual([`127.0.0.2:${stranger.address().port}`]);
    expect(refused[0]!.message).toMatch(/datagrams \(\d+ bytes\) dropped: their senders are not in the allow-list \(127\.0\.0\.2:\d+\)$/);
  });

  it('refuses a message larger than a datagram with a typed error', async () => {
    const tx = connectUdp({ port: 9 });
    tx.connect();
    cleanup.push(() => tx.close());
    const big = createMessage('STRING', { encoding: 3, value: 'x'.repeat(65_500) }, { timestamp: Timestamp.ZERO });
    await expect(tx.send(big)).rejects.toBeInstanceOf(DatagramTooLargeError);
  });
});

describe('server housekeeping and version negotiation', () => {
  it('answers GET_STATUS, GET_CAPABIL and echoes the request message ID in v3 framing', async () => {
    const s = await server();
    const conn = connectTcp({ port: s.address.port, reconnect: false, legacyEmptyQueries: false });
    cleanup.push(() => conn.close());
    const replies = firstValueFrom(conn.pipe(take(2), toArray()));
    await conn.send(createMessage('GET_STATUS', {}, { headerVersion: 2, messageId: 77, deviceName: 'Ping' }));
    await conn.send(createMessage('GET_CAPABIL', {}, { headerVersion: 2, messageId: 78 }));
    const [status, capability] = await replies;
    expect(status).toMatchObject({ type: 'STATUS', deviceName: 'Ping', messageId: 77, headerVersion: 2, content: { code: 1 } });
    expect(capability!.type).toBe('CAPABILITY');
    expect(capability!.messageId).toBe(78);
    if (capability!.type === 'CAPABILITY') expect(capability!.content.types).toContain('TRANSFORM');
  });

  it('answers a v1 client in v1 framing (min of server maximum and client version)', async () => {
    const s = await server();
    const conn = connectTcp({ port: s.address.port, reconnect: false });
    cleanup.push(() => conn.close());
    const reply = firstValueFrom(conn);
    await conn.send(createMessage('GET_STATUS', {}, { headerVersion: 1 }));
    expect((await reply).headerVersion).toBe(1);
  });

  it('negotiates v3 with a server that answers the Version command', async () => {
    const s = await server();
    const conn = connectTcp({ port: s.address.port, reconnect: false, maxHeaderVersion: 1 });
    cleanup.push(() => conn.close());
    conn.connect();
    expect(await conn.negotiateVersion()).toBe(2);
    expect(conn.headerVersion).toBe(2);
  });

  it('stays on header version 1 when the peer never answers', async () => {
    const s = await server({ housekeeping: false });
    const conn = connectTcp({ port: s.address.port, reconnect: false });
    cleanup.push(() => conn.close());
    conn.connect();
    expect(await conn.negotiateVersion({ timeoutMs: 200 })).toBe(1);
    expect(conn.headerVersion).toBe(1);
  });

  it('refuses clients beyond maxClients and outside the allow-list', async () => {
    const s = await server({ maxClients: 1 });
    const a = connectTcp({ port: s.address.port, reconnect: false });
    cleanup.push(() => a.close());
    a.connect();
    await firstValueFrom(s.sessions$);
    const b = connectTcp({ port: s.address.port, reconnect: false });
    const outcome = await new Promise<string>((resolve) => b.subscribe({ complete: () => resolve('closed'), error: () => resolve('closed') }));
    expect(outcome).toBe('closed');
    expect(s.sessions.size).toBe(1);
    const s2 = await server({ allow: ['10.9.9.9'] });
    const c = connectTcp({ port: s2.address.port, reconnect: false });
    const outcome2 = await new Promise<string>((resolve) => c.subscribe({ complete: () => resolve('closed'), error: () => resolve('closed') }));
    expect(outcome2).toBe('closed');
    expect(s2.sessions.size).toBe(0);
  });

  it('broadcasts to every session through its own queue', async () => {
    const s = await server();
    const clients: IgtlConnection[] = [0, 1, 2].map(() => connectTcp({ port: s.address.port, reconnect: false }));
    cleanup.push(() => clients.forEach((c) => c.close()));
    const got = clients.map((c) => firstValueFrom(c.pipe(take(5), toArray())));
    while (s.sessions.size < 3) await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 5; i++) s.broadcast(pose(i));
    for (const g of got) expect((await g).map(xOf)).toEqual([0, 1, 2, 3, 4]);
  });
});
