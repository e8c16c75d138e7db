// A pull iteration given an AbortSignal that is aborted already (an application shutting down
// while a new consumer starts; ix passes the signal of its caller to the source's iterator).
import { describe, expect, it } from 'vitest';
import { IgtlConnection, type IgtlMessage } from '../../../src/index.js';
import { fakeFactory, settle } from './fake-channel.js';

type WithSignal = { [Symbol.asyncIterator](signal: AbortSignal): AsyncIterator<IgtlMessage> };

describe('IgtlConnection pull consumption with a signal aborted before it starts', () => {
  it('ends at once, as an abort during the iteration does, and never subscribes (a lazy connection stays idle)', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    const shutdown = new AbortController();
    shutdown.abort();
    const it = (conn.messages() as unknown as WithSignal)[Symbol.asyncIterator](shutdown.signal);
    // Was: the connection opened for it, and this next() never settled.
    const outcome = await Promise.race([it.next(), settle().then(() => 'still waiting')]);
    expect(outcome).toEqual({ value: undefined, done: true });
    expect(attempts).toHaveLength(0);
    expect(conn.state.kind).toBe('idle');
    expect(await it.return!()).toEqual({ value: undefined, done: true });
  });
});
