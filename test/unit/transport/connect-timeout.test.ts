// The TCP/TLS connect time-out (socketChannelFactory): a socket that never connects (a peer that
// never answers the SYN) fails the attempt with "connect timed out", one turn of I/O after the
// time-out (src/connection/io-turn.ts); a socket that connects in time is not touched. The case
// of a connection established while the event loop was blocked past the time-out is in
// test/faults/event-loop-block.test.ts.
import net from 'node:net';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../../src/index.js';
import { socketChannelFactory } from '../../../src/transport/socket-channel.js';

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
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const socket = net.connect(port, '127.0.0.1');
      const first = await firstValueFrom(socketChannelFactory(() => socket, `tcp://127.0.0.1:${port}`, 'connect', 150)());
      expect(first.type).toBe('open');
      expect(socket.timeout).toBe(0); // the connect timer is off once connected
      socket.destroy();
    } finally {
      server.close();
    }
  });
});
