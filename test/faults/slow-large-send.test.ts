// A large image sent to a peer on a slow link is not a write stall. The write-stall rule closed
// the connection once the socket had refused bytes for `writeStallMs`, whether or not the peer
// was taking them: a 48 MiB image to a peer reading about 13 MiB/s was cut off after 1 s as "the
// peer has taken no bytes" (with the default 10 s, any image over ~10 s of link time, and again
// after every reconnect). Now the rule counts from the last byte the peer took
// (src/connection/outbox.ts, stalledSince). Over a real socket, with the peer pacing its reads.
import net from 'node:net';
import tls from 'node:tls';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it, type TestContext } from 'vitest';
import { connectTcp, connectTls, createImageContent, createMessage, DeadPeerError, type IgtlConnection, type IgtlError } from '../../src/node.js';
import { makeTestCerts, type TestCerts } from '../unit/transport/certs.js';
import WebSocket, { WebSocketServer } from 'ws';
import { connectWebSocket } from '../../src/index.js';

/** 48 MiB of pixels: more than loopback's socket buffers take at once. */
const image = createMessage('IMAGE', createImageContent({ data: new Uint8Array(4096 * 4096 * 3).fill(7), size: [4096, 4096, 3] }), { deviceName: 'US' });

/** A raw TCP peer that reads with a pause after each chunk (`pauseMs`; undefined: never reads); resolves its port and a byte counter. */
async function slowReader(ctx: TestContext, pauseMs: number | undefined, certs?: TestCerts): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (pauseMs === undefined) {
      socket.pause();
      return;
    }
    socket.on('data', (chunk) => {
      received += chunk.length;
      socket.pause();
      setTimeout(() => socket.resume(), pauseMs);
    });
  };
  const server = certs ? tls.createServer({ key: certs.key, cert: certs.cert }, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, received: () => received };
}

/** A client with a 1 s write-stall rule and nothing else that could close it. */
function client(ctx: TestContext, port: number, certs?: TestCerts) {
  const options = { port, writeStallMs: 1000, reconnect: false, heartbeat: false, idleTimeoutMs: 0 } as const;
  const conn: IgtlConnection = certs ? connectTls({ ...options, tls: { ca: certs.ca } }) : connectTcp(options);
  ctx.onTestFinished(() => conn.close());
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  conn.connect();
  return { conn, errors };
}

describe('a large image sent over a slow link', () => {
  for (const transport of ['TCP', 'TLS'] as const) it(`is taken whole by a peer that reads it for seconds, with writeStallMs 1000 (${transport})`, { timeout: 60_000 }, async (ctx) => {
    const certs = transport === 'TLS' ? makeTestCerts() : undefined;
    if (certs) ctx.onTestFinished(() => certs.cleanup());
    const peer = await slowReader(ctx, certs ? 1 : 4, certs); // TLS: 16 KiB records, so shorter pauses
    const { conn, errors } = client(ctx, peer.port, certs);
    const start = performance.now();
    expect(await conn.send(image)).toBe('written');
    const total = image.type === 'IMAGE' ? image.content.data.length : 0;
    while (peer.received() < total && conn.state.kind !== 'closed') await new Promise((r) => setTimeout(r, 50));
    expect(performance.now() - start).toBeGreaterThan(1000); // it did take longer than writeStallMs
    expect(errors.map((e) => e.message)).toEqual([]); // messages only: a report holds the 48 MiB frame
    expect(peer.received()).toBeGreaterThanOrEqual(total);
    expect(conn.state.kind).not.toBe('closed'); // (stale: it sent us nothing, which is true)
  });

  it('is taken whole by a WebSocket peer that reads it for seconds, with writeStallMs 1000 (ws in Node)', { timeout: 60_000 }, async (ctx) => {
    // ws's bufferedAmount moves per frame only: the progress is read from its socket.
    let received = 0;
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1 << 30 });
    await new Promise((resolve) => wss.once('listening', resolve));
    ctx.onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    wss.on('connection', (ws) => {
      const raw = (ws as unknown as { _socket: net.Socket })._socket;
      raw.on('data', (chunk: Buffer) => {
        received += chunk.length;
        raw.pause();
        setTimeout(() => raw.resume(), 4);
      });
    });
    const conn = connectWebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`, { WebSocket, writeStallMs: 1000, reconnect: false, heartbeat: false, idleTimeoutMs: 0 });
    ctx.onTestFinished(() => conn.close());
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.connect();
    expect(await conn.send(image)).toBe('written');
    const start = performance.now();
    const total = image.type === 'IMAGE' ? image.content.data.length : 0;
    while (received < total && conn.state.kind !== 'closed') await new Promise((r) => setTimeout(r, 50));
    expect(performance.now() - start).toBeGreaterThan(1000);
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(received).toBeGreaterThanOrEqual(total);
  });

  it('still closes on a peer that takes none of it, after writeStallMs', { timeout: 30_000 }, async (ctx) => {
    const peer = await slowReader(ctx, undefined);
    const { conn, errors } = client(ctx, peer.port);
    void conn.send(image).catch(() => {});
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'closed')));
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('write-stall');
    expect(dead!.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(dead!.elapsedMs).toBeLessThan(5000);
  });
});
