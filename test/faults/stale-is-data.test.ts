// A tracker that stops streaming while its process stays up answers our heartbeat pings. The
// connection said `stale` 3 s after the last data, then `open` again as soon as an answer came
// (any bytes counted), stale, open...: with the default heartbeat, "live" for 3 s out of every
// 5 while nothing came, and a bridge relayed each flip to its pages as the tracker's state. Now
// only data makes it `open` (src/connection/liveness.ts: a message other than heartbeat traffic
// and keep-alives). Over a real socket, with an igtl-rx server that answers pings.
import type { AddressInfo } from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { connectTcp, createMessage, createServer, IDENTITY, type IgtlSession } from '../../src/node.js';

describe('a tracker that stops streaming but answers pings', () => {
  it('is stale from staleAfterMs after its last data until its next data, through several heartbeat rounds', { timeout: 20_000 }, async (ctx) => {
    const server = createServer({ port: 0 });
    const { port } = (await server.listen()) as AddressInfo;
    ctx.onTestFinished(() => server.close());
    const session = firstValueFrom(server.sessions$) as Promise<IgtlSession>;
    // Pinged after 300 ms of silence, every 300 ms: about six rounds in the 2 s of silence.
    const conn = connectTcp({ port, staleAfterMs: 200, heartbeat: { intervalMs: 300, timeoutMs: 1000 }, reconnect: false });
    ctx.onTestFinished(() => conn.close());
    const states: string[] = [];
    conn.state$.subscribe((s) => states.push(s.kind));
    conn.connect();
    const peer = await session;
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const pose = (n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Stylus' });
    const got = firstValueFrom(conn.pipe(filter((m) => m.type === 'TRANSFORM' && m.content.matrix[3] === 2)));
    await peer.send(pose(1));
    // Two seconds without data (the heartbeat goes on), then data again: the event that ends
    // the quiet period.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await peer.send(pose(2));
    await got;
    expect(states.slice(states.indexOf('open'))).toEqual(['open', 'stale', 'open']);
  });
});
