// A large image over a slow link is not a slowloris. The read rule cut off any message still
// arriving after `readTimeoutMs` (30 s): a 256 MiB volume over a link under 72 Mbit/s (Wi-Fi)
// was cut off, and after the reconnect cut off again, for ever. Now a message that keeps coming
// at 1 MiB/s or more on average is left to finish; a trickle is still cut off at readTimeoutMs
// (src/connection/liveness.ts). Over a real socket, with the sender pacing its writes.
import net from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it, type TestContext } from 'vitest';
import { connectTcp, createImageContent, createMessage, DeadPeerError, encodeMessage, Timestamp, type IgtlError } from '../../src/node.js';

/** 8 MiB of pixels (2048 x 1024 x 4 bytes). */
const image = encodeMessage(createMessage('IMAGE', createImageContent({ data: new Uint8Array(2048 * 1024 * 4).fill(7), size: [2048, 1024, 4] }), { deviceName: 'US', timestamp: Timestamp.ZERO }));

/** A raw TCP peer that writes `bytes` in `chunk`-byte pieces, one every `everyMs`. */
async function pacedSender(ctx: TestContext, bytes: Uint8Array, chunk: number, everyMs: number): Promise<number> {
  const server = net.createServer((socket) => {
    let off = 0;
    const timer = setInterval(() => {
      if (off >= bytes.length || socket.destroyed) return clearInterval(timer);
      socket.write(bytes.subarray(off, off + chunk));
      off += chunk;
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ctx.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

/** A client of that peer (a 1 s read rule, nothing else that could close it) and its errors. */
function client(ctx: TestContext, port: number) {
  const conn = connectTcp({ port, readTimeoutMs: 1000, reconnect: false, heartbeat: false });
  ctx.onTestFinished(() => conn.close());
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  return { conn, errors };
}

describe('a large image over a slow link', () => {
  it('arriving at about 2 MiB/s for 4 s, is received whole with readTimeoutMs 1000', { timeout: 30_000 }, async (ctx) => {
    const { conn, errors } = client(ctx, await pacedSender(ctx, image, 64 * 1024, 30));
    const start = performance.now();
    const msg = await firstValueFrom(conn.pipe(filter((m) => m.type === 'IMAGE')));
    expect(performance.now() - start).toBeGreaterThan(2000); // it did take seconds
    expect(msg.type === 'IMAGE' && msg.content.data.length).toBe(2048 * 1024 * 4);
    expect(errors).toEqual([]);
  });

  it('trickling at 64 KiB/s, is cut off by the read rule at readTimeoutMs', { timeout: 30_000 }, async (ctx) => {
    const { conn, errors } = client(ctx, await pacedSender(ctx, image, 6 * 1024, 100));
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'closed')));
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('read-timeout');
    expect(dead!.elapsedMs).toBeGreaterThanOrEqual(1000);
    expect(dead!.elapsedMs).toBeLessThan(2000);
  });
});
