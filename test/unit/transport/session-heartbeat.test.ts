// A server session sends a client nothing unasked (docs/connections.md, "Liveness"), also when
// the server's heartbeat is tuned: the C++ query clients read the first message after their
// request as its answer (test/interop/cpp-clients.test.ts, LabelMetaClient).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMessage, createServer, encodeMessage, type IgtlServer } from '../../../src/node.js';
import { listeningServer } from '../../support/fault-kit.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const server = (options: Parameters<typeof createServer>[0]): Promise<IgtlServer> => listeningServer((fn) => void cleanup.push(fn), options);

/**
 * Connects a raw client that asks GET_CAPABIL once connected, and resolves with the TYPE of the
 * first message it receives: the answer, unless the session sent something unasked before it.
 */
function firstTypeAfterAsking(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    cleanup.push(() => socket.destroy());
    let got = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(encodeMessage(createMessage('GET_CAPABIL', {}, { deviceName: 'asker' }))));
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 14) resolve(got.subarray(2, 14).toString('latin1').replace(/\0+$/, ''));
    });
  });
}

describe('server sessions and the heartbeat', () => {
  it('a session with the default heartbeat answers first: no probe', async () => {
    const s = await server({});
    expect(await firstTypeAfterAsking(s.address.port)).toBe('CAPABILITY');
  });

  it('a session whose heartbeat timing is tuned still sends no probe (it sent GET_STATUS igtl-rx-ping first)', async () => {
    const s = await server({ heartbeat: { intervalMs: 2000, timeoutMs: 4000 } });
    expect(await firstTypeAfterAsking(s.address.port)).toBe('CAPABILITY');
  });

  it('probe: true, asked for in so many words, is honoured', async () => {
    const s = await server({ heartbeat: { intervalMs: 2000, timeoutMs: 4000, probe: true } });
    expect(await firstTypeAfterAsking(s.address.port)).toBe('GET_STATUS');
  });
});
