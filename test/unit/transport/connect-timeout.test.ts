// The TCP/TLS connect time-out (socketChannelFactory): a socket that never connects (a peer that
// never answers the SYN) fails the attempt with "connect timed out", one turn of I/O after the
// time-out (src/connection/io-turn.ts); a socket that connects in time is not touched; a TLS
// handshake that keeps trickling in does not keep the attempt alive (the socket's idle timer
// counts the TLS socket's data, not the handshake's bytes). The case
// of a connection established while the event loop was blocked past the time-out is in
// test/faults/event-loop-block.test.ts.
import net from 'node:net';
import tls from 'node:tls';
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../../src/index.js';
import { connectTls } from '../../../src/node.js';
import { socketChannelFactory } from '../../../src/transport/socket-channel.js';
import { makeTestCerts } from './certs.js';

describe('connect time-out', () => {
  it('a socket that never connects fails the attempt with a ConnectionError after connectTimeoutMs', async () => {
    const socket = new net.Socket(); // never asked to connect: nothing will ever answer
    const start = performance.now();
    const events = firstValueFrom(socketChannelFactory(() => socket, 'tcp://nowhere', 'connect', 150)().pipe(toArray()));
    const err = await events.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toBe('tcp://nowhere: connect timed out after 150 ms');
    expect(performance.now() - start).toBeGreaterThanOrEqual(149);
    expect(socket.destroyed).toBe(true);
  });

  it('a socket that connects in time opens and is not destroyed by the timer', async () => {
    // The peer says something 300 ms after the connection, past the 150 ms time-out.
    const server = net.createServer((s) => setTimeout(() => s.write('x'), 300));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const socket = net.connect(port, '127.0.0.1');
      const events = await firstValueFrom(socketChannelFactory(() => socket, `tcp://127.0.0.1:${port}`, 'connect', 150)().pipe(take(2), toArray()));
      // Data after the time-out, not "connect timed out": the timer was off once connected.
      expect(events.map((e) => e.type)).toEqual(['open', 'data']);
    } finally {
      server.close();
    }
  });

  it('a TLS handshake that is still trickling in at connectTimeoutMs fails the attempt', async () => {
    const certs = makeTestCerts();
    const tlsServer = tls.createServer({ key: certs.key, cert: certs.cert });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    // A relay in front of it: the client's bytes go straight through, the server's one byte
    // every 20 ms (its handshake, a few KiB, would take a minute).
    const relay = net.createServer((client) => {
      const upstream = net.connect((tlsServer.address() as net.AddressInfo).port, '127.0.0.1');
      const pending: number[] = [];
      const drip = setInterval(() => {
        const b = pending.shift();
        if (b !== undefined && !client.destroyed) client.write(Buffer.of(b));
      }, 20);
      upstream.on('data', (d: Buffer) => pending.push(...d));
      client.on('data', (d: Buffer) => upstream.write(d));
      const end = () => {
        clearInterval(drip);
        upstream.destroy();
        client.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const { port } = relay.address() as net.AddressInfo;
    try {
      const conn = connectTls({ port, tls: { ca: certs.ca }, connectTimeoutMs: 500, reconnect: false });
      const errors: Error[] = [];
      conn.errors$.subscribe((e) => errors.push(e));
      conn.connect();
      const start = performance.now();
      await firstValueFrom(conn.state$.pipe(filter((st) => st.kind === 'closed')));
      expect(performance.now() - start).toBeLessThan(3000);
      expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/connect timed out after 500 ms/));
    } finally {
      relay.close();
      tlsServer.close();
      certs.cleanup();
    }
  });
});
