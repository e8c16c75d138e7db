// A page's stream() and query() through a bridge that lets clients send (clientSends): when the
// bridge's own connection to the server is lost and reopens, the server's new session is asked
// again, and a question the lost session had read fails at once.
import { describe, expect, it } from 'vitest';
import { filter, firstValueFrom, map, timeout } from 'rxjs';
import WebSocket from 'ws';
import { connectWebSocket, createMessage, type IgtlServer, type PeerState, type WebSocketConnection } from '../../src/node.js';
import { DataNotAvailableError, ReplyLostError, query, stream } from '../../operators/index.js';
import { bridgeHooks, bridgeOf, peerServer } from './bridge-kit.js';

const { defer } = bridgeHooks();

/** The next STT_TDATA the server receives, within `ms`. */
const nextStart = (server: IgtlServer, ms: number): Promise<string> =>
  firstValueFrom(server.messages$.pipe(map((m) => m.message.type as string), filter((t) => t === 'STT_TDATA'), timeout(ms)));

const nextState = (conn: WebSocketConnection, kind: PeerState['kind'], ms: number): Promise<PeerState> =>
  firstValueFrom(conn.peerState$.pipe(filter((s) => s.kind === kind), timeout(ms)));

describe('stream() through a bridge', () => {
  it("asks the server again after the bridge's connection to it is lost and reopens", async () => {
    const first = await peerServer(defer);
    const port = first.address.port;
    const bridge = await bridgeOf(defer, { upstream: { port, reconnect: { initialDelayMs: 100, maxDelayMs: 300, maxAttempts: Infinity } }, clientSends: true });
    const page = connectWebSocket(bridge.url, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    defer(() => page.close());
    page.connect();
    await nextState(page, 'open', 5000);

    const asked = nextStart(first, 5000);
    const sub = stream(page, 'TDATA').subscribe();
    defer(() => sub.unsubscribe());
    expect(await asked).toBe('STT_TDATA');

    const lost = nextState(page, 'reconnecting', 5000);
    await first.close();
    await lost;
    // The page's WebSocket stayed open all along: only the bridge's peer state says what happened.
    expect(page.state.kind === 'open' || page.state.kind === 'stale').toBe(true);
    const second = await peerServer(defer, { port });
    expect(await nextStart(second, 10_000)).toBe('STT_TDATA');
  });

  it("fails a query the lost server session had read with ReplyLostError at once, though the page's WebSocket stays open", async () => {
    const server = await peerServer(defer);
    const bridge = await bridgeOf(defer, { upstream: { port: server.address.port, reconnect: { initialDelayMs: 100, maxDelayMs: 300, maxAttempts: Infinity } }, clientSends: true });
    const page = connectWebSocket(bridge.url, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    defer(() => page.close());
    page.connect();
    await nextState(page, 'open', 5000);

    // A server that never answers: without the rule, the query waits for ever (no timeout).
    const read = firstValueFrom(server.messages$.pipe(filter((m) => m.message.type === 'GET_IMAGE'), timeout(5000)));
    const answer = firstValueFrom(query(page, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { timeoutMs: Infinity })).catch((e: unknown) => e);
    await read;
    await server.close();
    const err = await answer;
    expect(err).toBeInstanceOf(ReplyLostError);
    expect((err as Error).message).toContain('the bridge lost its link to the peer');
    expect(page.state.kind === 'open' || page.state.kind === 'stale').toBe(true);
  });
});

describe('query() through a bridge, for data the server does not have', () => {
  it('fails at once with DataNotAvailableError: the empty <T> the server answers with is relayed', async () => {
    const server = await peerServer(defer);
    // As query.md says: "If data is not available, a returned message must be null body".
    server.messages$.pipe(filter((m) => m.message.type === 'GET_IMAGE')).subscribe(({ message, session }) => {
      void session.send({ ...message, type: 'UNKNOWN', typeName: 'IMAGE', content: { raw: new Uint8Array(0) } });
    });
    const bridge = await bridgeOf(defer, { upstream: { port: server.address.port }, clientSends: true });
    const page = connectWebSocket(bridge.url, { WebSocket, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    defer(() => page.close());
    page.connect();
    await nextState(page, 'open', 5000);
    // Without the relay, this waits for ever (the bridge dropped the empty IMAGE as malformed).
    const err = await firstValueFrom(query(page, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { timeoutMs: Infinity })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataNotAvailableError);
  });
});
