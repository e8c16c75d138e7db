// The request/stream operators against the real C++ peers: STT_/STP_ with stream(), GET_ with
// query(), and PLUS-style keep-alive STATUS messages that must not disturb ofType users.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createRawServer, type Server, type Socket } from 'node:net';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { IDENTITY, Timestamp, connectTcp, createMessage, encodeMessage, type IgtlConnection } from '../../src/node.js';
import { ofType, query, stream } from '../../operators/index.js';
import { startCppServer, stopAllCppPeers, type CppPeer } from '../support/cpp-peers.js';

let connections: IgtlConnection[] = [];
let servers: Server[] = [];
afterEach(async () => {
  for (const c of connections) c.close();
  connections = [];
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  servers = [];
  await stopAllCppPeers();
});

function connect(port: number): IgtlConnection {
  // Debian's 1.11 library reads legacy framing only.
  const conn = connectTcp({ port, maxHeaderVersion: 1, reconnect: false });
  connections.push(conn);
  return conn;
}

describe('stream() against the C++ TrackingDataServer', () => {
  it('sends STT_TDATA on subscribe, receives TDATA, and sends STP_TDATA when the last subscriber leaves', async () => {
    const { peer, port }: { peer: CppPeer; port: number } = await startCppServer('TrackingDataServer', (p) => [String(p)]);
    const conn = connect(port);
    const closed = new Promise<void>((resolve) => conn.state$.pipe(filter((s) => s.kind === 'closed'), take(1)).subscribe(() => resolve()));
    conn.connect();
    const tdata = await firstValueFrom(stream(conn, 'TDATA', { resolutionMs: 20 }).pipe(take(5), toArray()));
    expect(tdata).toHaveLength(5);
    for (const m of tdata) {
      expect(m.type).toBe('TDATA');
      if (m.type !== 'TDATA') continue;
      expect(m.deviceName).toBe('Tracker');
      expect(m.content.elements.map((e) => e.name)).toEqual(['Channel 0', 'Channel 1', 'Channel 2']);
      expect(m.content.elements.map((e) => e.type)).toEqual([1, 2, 4]);
    }
    await peer.waitForOutput('Interval = 20 (ms)');
    // Leaving the stream sends STP_TDATA; this server answers by closing the connection.
    await peer.waitForOutput('Received a STP_TDATA message.', 5000);
    await closed;
  });
});

describe('query() against the C++ ImageMetaServer', () => {
  it('gets the IMGMETA answer to GET_IMGMETA, matched by type and device name', async () => {
    const { port } = await startCppServer('ImageMetaServer', (p) => [String(p)]);
    const conn = connect(port);
    const reply = await firstValueFrom(query(conn, createMessage('GET_IMGMETA', {}, { deviceName: 'Atlas', timestamp: Timestamp.ZERO }), { timeoutMs: 5000 }));
    expect(reply.type).toBe('IMGMETA');
    expect(reply.deviceName).toBe('Atlas');
    if (reply.type !== 'IMGMETA') return;
    expect(reply.content.images.map((i) => i.deviceName)).toEqual(['IMAGE_0', 'IMAGE_1', 'IMAGE_2']);
    expect(reply.content.images.map((i) => i.modality)).toEqual(['CT', 'MRI', 'PET']);
  });
});

describe('PLUS keep-alives', () => {
  it('pass as STATUS messages that ofType("TRANSFORM") users never see', async () => {
    // PLUS sends an empty-name STATUS every 0.25 s when idle; here faster, between poses.
    const keepAlive = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { timestamp: Timestamp.ZERO }));
    const pose = (n: number) => encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'StylusToTracker' }));
    const server = createRawServer((s: Socket) => {
      s.on('error', () => {});
      let n = 0;
      const t = setInterval(() => {
        if (s.destroyed) return clearInterval(t);
        s.write(n % 2 === 0 ? keepAlive : pose(n));
        n++;
      }, 5);
      s.on('close', () => clearInterval(t));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const conn = connectTcp({ port: (server.address() as { port: number }).port, reconnect: false, idleTimeoutMs: 200 });
    connections.push(conn);
    const errors: unknown[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    const statuses = firstValueFrom(conn.pipe(ofType('STATUS'), take(10), toArray()));
    const poses = await firstValueFrom(conn.pipe(ofType('TRANSFORM'), take(10), toArray()));
    expect(poses.every((m) => m.type === 'TRANSFORM' && m.deviceName === 'StylusToTracker')).toBe(true);
    expect(poses.map((m) => m.content.matrix[3])).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect((await statuses).every((m) => m.deviceName === '' && m.content.code === 1)).toBe(true);
    expect(errors).toEqual([]);
  });
});
