/**
 * An igtl-rx server against an emulated 3D Slicer client (test/support/slicer-emulator.ts, where
 * each behaviour cites the SlicerOpenIGTLink / OpenIGTLinkIO source it comes from: L1..L4). Each
 * test is one failure of issue 14 and fails on the code before the fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, map, take, timeout } from 'rxjs';
import { connectTcp, createMessage, createServer, IDENTITY, type IgtlServer, type IgtlSession, type Matrix4 } from '../../src/node.js';
import { ofDevice, query, QueryTimeoutError, trackingKey } from '../../operators/index.js';
import { SlicerClientEmulator, SlicerServerEmulator } from '../support/slicer-emulator.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ server: IgtlServer; slicer: SlicerClientEmulator; session: IgtlSession }> {
  const server = createServer({ port: 0 });
  cleanup.push(() => server.close());
  const sessionP = firstValueFrom(server.sessions$);
  const { port } = await server.listen();
  const slicer = await SlicerClientEmulator.connect(port);
  cleanup.push(() => slicer.close());
  const session = await sessionP;
  // L1: the announcement (unnamed STATUS, v3 framing) arrives first.
  await firstValueFrom(server.messages$.pipe(filter((m) => m.message.type === 'STATUS'), take(1), timeout(2000)));
  return { server, slicer, session };
}

const matrix = (x: number): Matrix4 => IDENTITY.map((v, i) => (i === 3 ? x : v)) as unknown as Matrix4;

describe('3D Slicer client (emulated from SlicerOpenIGTLink and OpenIGTLinkIO sources)', () => {
  it('negotiateVersion() on the server side gives v2: Slicer answers no Version but announced v3 framing (L1)', async () => {
    const { session } = await setup();
    expect(session.peerHeaderVersion).toBe(2);
    expect(await session.negotiateVersion({ timeoutMs: 200 })).toBe(2);
  });

  it('a long name sent to Slicer arrives whole as Slicer reads names (L3)', async () => {
    const { slicer, session } = await setup();
    const name = 'NeedleTipToReferenceCoordinates';
    await session.send(createMessage('TRANSFORM', { matrix: matrix(3) }, { deviceName: name }));
    const got = await slicer.waitFor((r) => r.msg.type === 'TRANSFORM');
    expect(got.name).toBe(name);
    expect(got.msg.deviceName).toBe(name.slice(0, 20));
    expect(got.msg.headerVersion).toBe(2);
  });

  it("a long name from Slicer (cut header + IGTL_DEVICE_NAME, L2) is found whole by ofDevice and trackingKey", async () => {
    const { server, slicer } = await setup();
    const name = 'StylusTipToReferenceCoordinates';
    const got = firstValueFrom(server.messages$.pipe(map((m) => m.message), ofDevice(name), take(1), timeout(2000)));
    slicer.sendTransform(name, matrix(5));
    const msg = await got;
    expect(msg.deviceName).toBe(name.slice(0, 20));
    expect(trackingKey(msg)).toBe(`TRANSFORM\u0000${name}`);
  });

  it("query(GET_STATUS) to a Slicer server is not answered by Slicer's connect announcement (L1, L5)", async () => {
    const slicer = await SlicerServerEmulator.start();
    cleanup.push(() => slicer.close());
    const conn = connectTcp({ port: slicer.port, reconnect: false, heartbeat: false });
    cleanup.push(() => conn.close());
    conn.connect();
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const announced = firstValueFrom(conn.pipe(filter((m) => m.type === 'STATUS' && m.metadata.has('dummy')), timeout(3000)));
    // Old code: the announcement, an unnamed STATUS in v3 framing, was taken as the answer
    // (an OK from a peer that answers no GET_STATUS).
    const reply = firstValueFrom(query(conn, createMessage('GET_STATUS', {}, { deviceName: 'Tracker' }), { timeoutMs: 1500 })).catch((e: unknown) => e);
    await announced;
    expect(slicer.announcements).toBe(1);
    expect(await reply).toBeInstanceOf(QueryTimeoutError);
  });
});
