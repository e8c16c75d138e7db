// Replies of the peer to the pages that asked. The bridge's pages share its one connection to
// the peer, so the peer answers them all as one client; a page whose request (a query, a
// command) is waiting must not take another page's reply for its own.
import { describe, expect, it } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { createMessage, createServer, type IgtlMessage, type WebSocketConnection } from '../../src/node.js';
import { QueryFailedError, query } from '../../operators/index.js';
import { bridgeHooks, bridgeOf, openPage, until } from './bridge-kit.js';

const { defer } = bridgeHooks();

/**
 * An igtl-rx server as the peer, a bridge to it that lets pages send, the peer's session of the
 * bridge's link, and two pages on the bridge.
 */
async function twoPagesOnePeer() {
  const peer = createServer({ port: 0 });
  await peer.listen();
  defer(() => peer.close());
  const bridge = await bridgeOf(defer, { upstream: { port: peer.address.port }, clientSends: true });
  await until('the peer link', () => peer.sessions.size === 1);
  const session = [...peer.sessions][0]!;
  const [a, b] = [await openPage(defer, bridge.url), await openPage(defer, bridge.url)];
  return { session, a, b };
}

describe('replies of the peer with the message ID of a request (v2 framing)', () => {
  it('go to the page that asked: a page waiting for the same query does not take another page\'s answer', async () => {
    const { session, a, b } = await twoPagesOnePeer();
    const asked: IgtlMessage[] = [];
    session.subscribe((m) => {
      if (m.type === 'GET_STRING') asked.push(m);
    });
    // With metadata: an empty query without any goes in legacy framing, without its message ID.
    const request = () => createMessage('GET_STRING', {}, { deviceName: 'Note', metadata: { lang: 'en' } });
    // B asks first; the peer answers A first (each answer echoes its request's message ID).
    const answerOfB = firstValueFrom(query(b, request(), { timeoutMs: 3000 }));
    await until('B\'s request at the peer', () => asked.length === 1);
    const answerOfA = firstValueFrom(query(a, request(), { timeoutMs: 3000 }));
    await until('A\'s request at the peer', () => asked.length === 2);
    const [ofB, ofA] = asked as [IgtlMessage, IgtlMessage];
    expect(ofA.messageId).not.toBe(ofB.messageId);
    const answer = (to: IgtlMessage, value: string) => session.send(createMessage('STRING', { encoding: 3, value }, { deviceName: 'Note', headerVersion: 2, messageId: to.messageId }));
    await answer(ofA, 'for A');
    const gotA = await answerOfA;
    expect(gotA.type === 'STRING' && gotA.content.value).toBe('for A');
    await answer(ofB, 'for B');
    const gotB = await answerOfB;
    expect(gotB.type === 'STRING' && gotB.content.value).toBe('for B');
  });
});

describe('RTS_ replies in v1 framing (no message ID)', () => {
  it('go to the page whose request of that type and device is the oldest waiting: each page gets its own status', async () => {
    const { session, a, b } = await twoPagesOnePeer();
    const asked: IgtlMessage[] = [];
    session.subscribe((m) => {
      if (m.type === 'STP_TDATA') asked.push(m);
    });
    const stop = () => createMessage('STP_TDATA', {}, { deviceName: 'Tracker' });
    const ofB = firstValueFrom(query(b, stop(), { timeoutMs: 3000 }));
    await until('B\'s request at the peer', () => asked.length === 1);
    const ofA = firstValueFrom(query(a, stop(), { timeoutMs: 3000 }));
    await until('A\'s request at the peer', () => asked.length === 2);
    // In order: B's succeeded, A's failed. A took B's success for its own (both pages got both).
    await session.send(createMessage('RTS_TDATA', { status: 0 }, { deviceName: 'Tracker' }));
    await session.send(createMessage('RTS_TDATA', { status: 1 }, { deviceName: 'Tracker' }));
    const gotB = await ofB;
    expect(gotB.type === 'RTS_TDATA' && gotB.content.status).toBe(0);
    await expect(ofA).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('a reply no page asked for still goes to every page', async () => {
    const { session, a, b } = await twoPagesOnePeer();
    const rts = (p: WebSocketConnection) => firstValueFrom(p.pipe(filter((m) => m.type === 'RTS_TDATA'), timeout(3000)));
    const got = Promise.all([rts(a), rts(b)]);
    await session.send(createMessage('RTS_TDATA', { status: 0 }, { deviceName: 'Tracker' }));
    expect((await got).map((m) => m.deviceName)).toEqual(['Tracker', 'Tracker']);
  });
});
