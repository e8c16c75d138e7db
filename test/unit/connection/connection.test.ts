import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import {
  ConnectionError,
  PeerClosedError,
  EncodeError,
  IDENTITY,
  IgtlConnection,
  QueueFullError,
  Timestamp,
  TruncatedMessageError,
  CrcMismatchError,
  createMessage,
  decodeMessage,
  encodeMessage,
  type ConnectionState,
  type IgtlError,
  type IgtlMessage,
} from '../../../src/index.js';
import { fakeFactory, settle } from './fake-channel.js';

const pose = (n: number, device = 'Stylus') =>
  createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: device, timestamp: Timestamp.ZERO });
const bytesOf = (n: number, device?: string) => encodeMessage(pose(n, device));
const xOf = (m: IgtlMessage) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : NaN);

/** Subscribes to `conn` (errors$ first), collecting the x of each message received and each error reported. */
function receive(conn: IgtlConnection): { got: number[]; errors: IgtlError[] } {
  const got: number[] = [];
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  conn.subscribe((m) => got.push(xOf(m)));
  return { got, errors };
}

describe('IgtlConnection lifecycle', () => {
  it('connects only when the first subscriber arrives and shares one channel', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    expect(attempts).toHaveLength(0);
    expect(conn.state.kind).toBe('idle');
    const a: number[] = [];
    const b: number[] = [];
    const s1 = conn.subscribe((m) => a.push(xOf(m)));
    const s2 = conn.subscribe((m) => b.push(xOf(m)));
    expect(attempts).toHaveLength(1);
    attempts[0]!.open();
    expect(conn.state).toEqual({ kind: 'open', remote: 'fake:1' });
    attempts[0]!.data(bytesOf(7));
    expect(a).toEqual([7]);
    expect(b).toEqual([7]);
    s1.unsubscribe();
    expect(attempts[0]!.torn).toBe(false);
    s2.unsubscribe();
    expect(attempts[0]!.torn).toBe(true);
    expect(conn.state.kind).toBe('closed');
  });

  it('stays open after the last subscriber leaves with keepOpen', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { keepOpen: true });
    conn.subscribe().unsubscribe();
    expect(attempts[0]!.torn).toBe(false);
    conn.close();
    expect(attempts[0]!.torn).toBe(true);
  });

  it('opens a new connection when subscribed again after closing', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    conn.subscribe().unsubscribe();
    const got: number[] = [];
    conn.subscribe((m) => got.push(xOf(m)));
    expect(attempts).toHaveLength(2);
    attempts[1]!.open();
    attempts[1]!.data(bytesOf(3));
    expect(got).toEqual([3]);
  });

  it('completes subscribers when the peer closes cleanly and reconnect is off, and says the peer closed it', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const complete = vi.fn();
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.subscribe({ complete });
    attempts[0]!.open();
    attempts[0]!.end();
    expect(complete).toHaveBeenCalledOnce();
    const state = conn.state;
    expect(state.kind).toBe('closed');
    expect(state.kind === 'closed' && state.reason).toBeInstanceOf(PeerClosedError);
    expect(errors.map((e) => e.code)).toEqual(['peer-closed']);
  });

  it('errors subscribers with a ConnectionError when the connection fails and reconnect is off', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const error = vi.fn();
    conn.subscribe({ error });
    attempts[0]!.fail(new Error('ECONNREFUSED'));
    expect(error).toHaveBeenCalledOnce();
    expect(error.mock.calls[0]![0]).toBeInstanceOf(ConnectionError);
    expect(conn.state.kind).toBe('closed');
  });
});

describe('IgtlConnection reconnection', () => {
  it('backs off exponentially and gives one continuous message stream across reconnects', () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, random: () => 0.5, reconnect: { initialDelayMs: 100, factor: 2, maxDelayMs: 1000 } });
    const states: ConnectionState[] = [];
    conn.state$.subscribe((s) => states.push(s));
    const got: number[] = [];
    const complete = vi.fn();
    conn.subscribe({ next: (m) => got.push(xOf(m)), complete });
    attempts[0]!.open();
    attempts[0]!.data(bytesOf(1));
    attempts[0]!.fail();
    expect(conn.state).toMatchObject({ kind: 'reconnecting', attempt: 1, delayMs: 100 });
    scheduler.flush();
    expect(attempts).toHaveLength(2);
    attempts[1]!.fail(new Error('ECONNREFUSED'));
    expect(conn.state).toMatchObject({ kind: 'reconnecting', attempt: 2, delayMs: 100 });
    scheduler.flush();
    attempts[2]!.fail(new Error('ECONNREFUSED'));
    expect(conn.state).toMatchObject({ kind: 'reconnecting', attempt: 3, delayMs: 200 });
    scheduler.flush();
    attempts[3]!.open();
    attempts[3]!.data(bytesOf(2));
    expect(got).toEqual([1, 2]);
    expect(complete).not.toHaveBeenCalled();
    expect(states.map((s) => s.kind)).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'open']);
  });

  it('gives up after maxAttempts with a ConnectionError and a closed state that says why', () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, random: () => 0.5, reconnect: { initialDelayMs: 10, maxAttempts: 3 } });
    const error = vi.fn();
    conn.subscribe({ error });
    for (let i = 0; i < 3; i++) {
      attempts[i]!.fail(new Error('ECONNREFUSED'));
      scheduler.flush();
    }
    expect(attempts).toHaveLength(3);
    expect(error).toHaveBeenCalledOnce();
    expect(error.mock.calls[0]![0]).toBeInstanceOf(ConnectionError);
    expect(conn.state.kind).toBe('closed');
    expect((conn.state as { reason: Error }).reason.message).toMatch(/gave up after 3/);
  });

  it('stops retrying when the last subscriber leaves during a backoff', () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, reconnect: { initialDelayMs: 10 } });
    const sub = conn.subscribe();
    attempts[0]!.fail();
    sub.unsubscribe();
    scheduler.flush();
    expect(attempts).toHaveLength(1);
    expect(conn.state.kind).toBe('closed');
  });

  it('reports a message cut off by the close as truncated, then loses and duplicates nothing', () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, reconnect: { initialDelayMs: 1 } });
    const { got, errors } = receive(conn);
    attempts[0]!.open();
    const cut = bytesOf(3);
    attempts[0]!.data(new Uint8Array([...bytesOf(1), ...bytesOf(2), ...cut.subarray(0, 70)]));
    attempts[0]!.fail();
    scheduler.flush();
    attempts[1]!.open();
    attempts[1]!.data(new Uint8Array([...bytesOf(3), ...bytesOf(4)]));
    expect(got).toEqual([1, 2, 3, 4]);
    const truncated = errors.find((e) => e instanceof TruncatedMessageError) as TruncatedMessageError;
    expect(truncated).toBeDefined();
    expect(truncated.header?.type).toBe('TRANSFORM');
    expect(truncated.receivedBytes).toBe(70);
  });
});

describe('IgtlConnection receiving', () => {
  it('reports a bad message on errors$ and keeps the stream going', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    const { got, errors } = receive(conn);
    attempts[0]!.open();
    const bad = bytesOf(2);
    bad[60] ^= 0xff;
    attempts[0]!.data(new Uint8Array([...bytesOf(1), ...bad, ...bytesOf(3)]));
    expect(got).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(CrcMismatchError);
    expect(errors[0]!.header?.deviceName).toBe('Stylus');
  });

  it('decodes each datagram on its own: a truncated one does not poison the next', () => {
    const { factory, attempts } = fakeFactory('datagram');
    const conn = new IgtlConnection(factory);
    const { got, errors } = receive(conn);
    attempts[0]!.open();
    attempts[0]!.data(bytesOf(1).subarray(0, 80));
    attempts[0]!.data(bytesOf(2));
    expect(got).toEqual([2]);
    expect(errors.map((e) => e.code)).toEqual(['truncated']);
  });

  it('tracks the highest header version the peer has sent', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    conn.subscribe();
    attempts[0]!.open();
    expect(conn.peerHeaderVersion).toBe(1);
    attempts[0]!.data(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { metadata: { a: 'b' } })));
    expect(conn.peerHeaderVersion).toBe(2);
  });
});

describe('IgtlConnection sending', () => {
  it('queues sends made while connecting and writes them in order once open', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    conn.subscribe();
    const results = [conn.send(pose(1)), conn.send(pose(2)), conn.send(pose(3))];
    await settle();
    expect(attempts[0]!.written).toHaveLength(0);
    attempts[0]!.open();
    expect(await Promise.all(results)).toEqual(['written', 'written', 'written']);
    expect(attempts[0]!.written.map((b) => xOf(decodeMessage(b)))).toEqual([1, 2, 3]);
  });

  it('stops writing when the channel is full and resumes on drain', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    conn.subscribe();
    attempts[0]!.open();
    attempts[0]!.full = true;
    for (let i = 0; i < 5; i++) conn.next(pose(i));
    await settle();
    expect(attempts[0]!.written).toHaveLength(1);
    let status = { messages: -1 };
    conn.queue$.subscribe((s) => (status = s));
    expect(status.messages).toBe(4);
    attempts[0]!.drain();
    expect(attempts[0]!.written.map((b) => xOf(decodeMessage(b)))).toEqual([0, 1, 2, 3, 4]);
    expect(status.messages).toBe(0);
  });

  it('latest policy keeps only the newest message per type and device while blocked', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { sendPolicy: 'latest' });
    conn.subscribe();
    attempts[0]!.open();
    attempts[0]!.full = true;
    conn.next(pose(0, 'A'));
    await settle();
    const results = [conn.send(pose(1, 'A')), conn.send(pose(1, 'B')), conn.send(pose(2, 'A')), conn.send(pose(3, 'A'))];
    attempts[0]!.drain();
    expect(await Promise.all(results)).toEqual(['replaced', 'written', 'replaced', 'written']);
    const sent = attempts[0]!.written.map((b) => decodeMessage(b));
    expect(sent.map((m) => `${m.deviceName}${xOf(m)}`)).toEqual(['A0', 'A3', 'B1']);
  });

  it('lossless policy fails with QueueFullError over the high-water mark instead of growing', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { queue: { maxMessages: 3 } });
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.subscribe();
    const results = [1, 2, 3, 4].map((n) => conn.send(pose(n)).then((r) => r, (e: unknown) => e));
    const settled = await Promise.all(results.slice(3));
    expect(settled[0]).toBeInstanceOf(QueueFullError);
    expect(errors.some((e) => e instanceof QueueFullError)).toBe(true);
    attempts[0]!.open();
    expect(await Promise.all(results.slice(0, 3))).toEqual(['written', 'written', 'written']);
  });

  it('drop policy drops new messages while full and counts them', async () => {
    const { factory } = fakeFactory();
    const conn = new IgtlConnection(factory, { sendPolicy: 'drop', queue: { maxMessages: 2 } });
    conn.subscribe();
    const results = await Promise.all([1, 2, 3, 4].map((n) => (n > 2 ? conn.send(pose(n)) : (conn.next(pose(n)), Promise.resolve('queued')))));
    expect(results).toEqual(['queued', 'queued', 'dropped', 'dropped']);
    let dropped = 0;
    conn.queue$.subscribe((s) => (dropped = s.dropped));
    expect(dropped).toBe(2);
  });

  it('fails waiting lossless sends with a ConnectionError when the connection closes for good', async () => {
    const { factory } = fakeFactory();
    const conn = new IgtlConnection(factory);
    const sub = conn.subscribe();
    const p = conn.send(pose(1));
    sub.unsubscribe();
    await expect(p).rejects.toBeInstanceOf(ConnectionError);
  });

  it('refuses sends once an eager connection (a server session, a bridge client) has closed for good, instead of queueing them for ever', async () => {
    const { factory, attempts } = fakeFactory();
    // As a server session: opened at once, never reopened (its socket is gone).
    const conn = new IgtlConnection(factory, { eager: true, reconnect: false, heartbeat: false });
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    attempts[0]!.open();
    attempts[0]!.end(); // the client left
    expect(conn.state.kind).toBe('closed');
    const sent = conn.send(pose(1)).then((r) => r, (e: unknown) => e);
    conn.next(pose(2));
    // Settled within a few turns: a pending promise would leave `sent` unresolved here.
    const outcome = await Promise.race([sent, settle().then(() => 'still pending')]);
    expect(outcome).toBeInstanceOf(ConnectionError);
    expect(errors.filter((e) => /^connection closed/.test(e.message))).toHaveLength(2); // send() and next(), each reported
    expect(conn.queueStatus.messages).toBe(0);
    expect(attempts).toHaveLength(1);
  });

  it('settles every waiting latest and drop send when the connection closes for good: rejected with a ConnectionError, nothing left behind', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { queue: { maxMessages: 4 } });
    const sub = conn.subscribe();
    attempts[0]!.open();
    attempts[0]!.full = true;
    const status = (text: string) => createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: text }, { deviceName: 'S', timestamp: Timestamp.ZERO });
    const outcome = (p: Promise<unknown>) => p.then((r) => r, (e: unknown) => e);
    // The first write fills the channel; everything after it waits in the queue.
    const head = outcome(conn.send(pose(0, 'Head')));
    await settle();
    expect(attempts[0]!.written).toHaveLength(1);
    const replacedA = outcome(conn.send(pose(1, 'A'), { policy: 'latest' }));
    const waitingA = outcome(conn.send(pose(2, 'A'), { policy: 'latest' })); // replaces pose 1 in place
    const waitingB = outcome(conn.send(pose(3, 'B'), { policy: 'latest' }));
    const waitingDrop = outcome(conn.send(status('waits'), { policy: 'drop' }));
    const waitingLossless = outcome(conn.send(pose(4, 'C')));
    // Over the mark (4 waiting): a drop send is dropped at once, not kept to be failed later.
    const droppedNow = outcome(conn.send(status('over'), { policy: 'drop' }));
    expect(await replacedA).toBe('replaced');
    expect(await droppedNow).toBe('dropped');
    expect(conn.queueStatus).toMatchObject({ messages: 4, replaced: 1, dropped: 1 });
    expect(await head).toBe('written');

    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      sub.unsubscribe(); // the last subscriber leaves: closed for good
      expect(conn.state.kind).toBe('closed');
      const closed = await Promise.all([waitingA, waitingB, waitingDrop, waitingLossless]);
      for (const r of closed) {
        expect(r).toBeInstanceOf(ConnectionError);
        expect((r as ConnectionError).message).toMatch(/connection closed/);
      }
      expect(conn.queueStatus).toMatchObject({ messages: 0, bytes: 0 });
      await settle();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
    // Nothing that waited was written to the old channel after the close.
    expect(attempts[0]!.written).toHaveLength(1);
  });

  it('keeps waiting latest and drop sends across a reconnect and writes them on the new channel', async () => {
    const { factory, attempts } = fakeFactory();
    const scheduler = new VirtualTimeScheduler();
    const conn = new IgtlConnection(factory, { scheduler, reconnect: { initialDelayMs: 10, jitter: 0 } });
    conn.subscribe({ error: () => {} });
    attempts[0]!.open();
    attempts[0]!.full = true;
    conn.next(pose(0, 'Head'));
    await settle();
    const latest = conn.send(pose(1, 'A'), { policy: 'latest' });
    const drop = conn.send(pose(2, 'B'), { policy: 'drop' });
    attempts[0]!.fail();
    expect(conn.state.kind).toBe('reconnecting');
    scheduler.flush();
    attempts[1]!.open();
    expect(await Promise.all([latest, drop])).toEqual(['written', 'written']);
    expect(attempts[1]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'TRANSFORM').map(xOf)).toEqual([1, 2]);
  });

  it('rejects an unencodable message with an EncodeError, reports it, and never leaves an unhandled rejection', async () => {
    const { factory } = fakeFactory();
    // Held to legacy framing: a name over 20 bytes has no IGTL_DEVICE_NAME metadata to go in.
    const conn = new IgtlConnection(factory, { maxHeaderVersion: 1 });
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const tooLong = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'x'.repeat(21) });
      void conn.send(tooLong);
      await expect(conn.send(tooLong)).rejects.toBeInstanceOf(EncodeError);
      await settle();
      expect(unhandled).not.toHaveBeenCalled();
      expect(errors.filter((e) => e instanceof EncodeError)).toHaveLength(2);
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('sends in one batch what was sent in one tick', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    conn.subscribe();
    attempts[0]!.open();
    const batches: number[] = [];
    attempts[0]!.channel.batch = (fn) => {
      const before = attempts[0]!.written.length;
      fn();
      batches.push(attempts[0]!.written.length - before);
    };
    for (let i = 0; i < 10; i++) conn.next(pose(i));
    await settle();
    expect(batches).toEqual([10]);
  });
});

describe('IgtlConnection header versions', () => {
  const status = (headerVersion: 1 | 2, metadata?: Record<string, string>) =>
    createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: '' }, { headerVersion, timestamp: Timestamp.ZERO, ...(metadata ? { metadata } : {}) });

  async function sentBy(options: ConstructorParameters<typeof IgtlConnection>[1], msgs: IgtlMessage[], peerSends?: Uint8Array): Promise<IgtlMessage[]> {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, options);
    conn.subscribe();
    attempts[0]!.open();
    if (peerSends) attempts[0]!.data(peerSends);
    for (const m of msgs) conn.next(m);
    await settle();
    return attempts[0]!.written.map((b) => decodeMessage(b));
  }

  it('sends v3 messages as built and numbers them from 1', async () => {
    const sent = await sentBy({}, [status(2, { a: '1' }), status(2, { a: '2' })]);
    expect(sent.map((m) => [m.headerVersion, m.messageId, m.metadata.get('a')?.value])).toEqual([[2, 1, '1'], [2, 2, '2']]);
  });

  it('sends legacy framing to a v1-only peer, dropping metadata it cannot carry', async () => {
    const sent = await sentBy({ maxHeaderVersion: 1 }, [status(2, { a: '1' })]);
    expect(sent[0]!.headerVersion).toBe(1);
    expect(sent[0]!.metadata.size).toBe(0);
  });

  it('sends empty queries without metadata in legacy framing (the C++ library drops 14-byte v3 bodies)', async () => {
    const get = createMessage('GET_STATUS', {}, { headerVersion: 2, timestamp: Timestamp.ZERO });
    expect((await sentBy({}, [get]))[0]!.headerVersion).toBe(1);
    expect((await sentBy({ legacyEmptyQueries: false }, [get]))[0]!.headerVersion).toBe(2);
  });

  it('answers in the peer\'s header version when following the peer (server rule)', async () => {
    const v1 = await sentBy({ followPeerHeaderVersion: true }, [status(2, { a: '1' })]);
    expect(v1[0]!.headerVersion).toBe(1);
    const v2 = await sentBy({ followPeerHeaderVersion: true }, [status(2, { a: '1' })], encodeMessage(status(2, { hello: 'v3' })));
    expect(v2[0]!.headerVersion).toBe(2);
  });

  it('upgrades legacy messages with forceHeaderVersion', async () => {
    const sent = await sentBy({ forceHeaderVersion: 2 }, [status(1)]);
    expect(sent[0]!.headerVersion).toBe(2);
    expect(sent[0]!.messageId).toBe(1);
  });

  it('announces v3 on open with a STATUS in v3 framing, before anything queued', async () => {
    const sent = await sentBy({ announceV3: true }, [pose(1)]);
    expect(sent[0]!.type).toBe('STATUS');
    expect(sent[0]!.headerVersion).toBe(2);
    expect(sent[0]!.deviceName).toBe('');
    expect(sent[0]!.metadata.size).toBeGreaterThan(0);
    expect(sent[1]!.type).toBe('TRANSFORM');
  });
});

describe('IgtlConnection pull consumption', () => {
  it('pauses the channel when the consumer falls behind and resumes when it catches up, losing nothing', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory);
    const it = conn.messages({ highWaterMark: 10, lowWaterMark: 2 })[Symbol.asyncIterator]();
    const first = it.next();
    attempts[0]!.open();
    const chunk = new Uint8Array(Array.from({ length: 30 }, (_, i) => [...bytesOf(i)]).flat());
    attempts[0]!.data(chunk);
    expect(xOf((await first).value as IgtlMessage)).toBe(0);
    expect(attempts[0]!.paused).toBe(true);
    const got: number[] = [];
    for (let i = 1; i < 30; i++) {
      got.push(xOf((await it.next()).value as IgtlMessage));
      if (i === 20) expect(attempts[0]!.paused).toBe(true);
    }
    expect(attempts[0]!.paused).toBe(false);
    expect(got).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    await it.return!();
    expect(attempts[0]!.torn).toBe(true);
  });

  it('answers each of several next() calls made before any message arrives, in order, and the end too', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = conn.messages()[Symbol.asyncIterator]();
    // Allowed by the AsyncIterator protocol: an async generator queues such calls.
    const calls = [it.next(), it.next(), it.next()];
    const settled: string[] = [];
    calls.forEach((p, i) => void p.then((r) => settled.push(r.done ? `${i}: done` : `${i}: ${xOf(r.value as IgtlMessage)}`)));
    attempts[0]!.open();
    attempts[0]!.data(new Uint8Array([...bytesOf(1), ...bytesOf(2)]));
    attempts[0]!.end();
    await settle();
    expect(settled).toEqual(['0: 1', '1: 2', '2: done']);
  });

  it('rejects every next() waiting when the connection fails', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = conn.messages()[Symbol.asyncIterator]();
    const outcomes: unknown[] = [];
    for (const p of [it.next(), it.next()]) p.then((r) => outcomes.push(r), (e: unknown) => outcomes.push(e));
    attempts[0]!.fail(new Error('boom'));
    await settle();
    expect(outcomes).toEqual([expect.any(ConnectionError), expect.any(ConnectionError)]);
  });

  it('ends the iteration when the connection completes and throws when it errors', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = conn.messages()[Symbol.asyncIterator]();
    const p = it.next();
    attempts[0]!.open();
    attempts[0]!.data(bytesOf(1));
    attempts[0]!.end();
    expect(xOf((await p).value as IgtlMessage)).toBe(1);
    expect((await it.next()).done).toBe(true);
    const conn2 = new IgtlConnection(fakeFactory().factory, { reconnect: false });
    const f2 = fakeFactory();
    const conn3 = new IgtlConnection(f2.factory, { reconnect: false });
    const it3 = conn3.messages()[Symbol.asyncIterator]();
    const p3 = it3.next();
    f2.attempts[0]!.fail(new Error('boom'));
    await expect(p3).rejects.toBeInstanceOf(ConnectionError);
    expect(conn2.state.kind).toBe('idle');
  });
});

describe('IgtlConnection pull consumption with an AbortSignal that outlives it', () => {
  it('leaves no listener on the signal once an iteration has ended (completed, failed or returned), and still stops on abort', async () => {
    // An application's shutdown signal, passed (here through ix's toArray) to one iteration per
    // connection, connection after connection. Was: one listener per iteration, each keeping its
    // connection alive, and a MaxListenersExceededWarning from the 11th.
    const shutdown = new AbortController();
    const { toArray } = await import('ix/asynciterable');
    const withSignal = (conn: IgtlConnection) =>
      (conn.messages() as unknown as { [Symbol.asyncIterator](signal: AbortSignal): AsyncIterator<IgtlMessage> })[Symbol.asyncIterator](shutdown.signal);
    for (let i = 0; i < 30; i++) {
      const { factory, attempts } = fakeFactory();
      const conn = new IgtlConnection(factory, { reconnect: false });
      if (i % 3 === 2) {
        // A consumer that stops after the first message (`break`: return()).
        const it = withSignal(conn);
        const first = it.next();
        attempts[0]!.open();
        attempts[0]!.data(bytesOf(i));
        expect(xOf((await first).value as IgtlMessage)).toBe(i);
        await it.return!();
        continue;
      }
      const all = toArray(conn.messages(), shutdown.signal);
      attempts[0]!.open();
      attempts[0]!.data(bytesOf(i));
      if (i % 3 === 0) {
        attempts[0]!.end();
        expect((await all).map(xOf)).toEqual([i]);
      } else {
        attempts[0]!.fail(new Error('connection reset'));
        await expect(all).rejects.toBeInstanceOf(ConnectionError);
      }
    }
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    // The signal still ends an iteration under way.
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = withSignal(conn);
    const next = it.next();
    attempts[0]!.open();
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(1);
    shutdown.abort();
    expect((await next).done).toBe(true);
    expect(attempts[0]!.torn).toBe(true);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});

describe('IgtlConnection latest policy on a writable channel', () => {
  it('writes every sample of a same-tick burst while the channel can take them', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { sendPolicy: 'latest' });
    conn.subscribe();
    attempts[0]!.open();
    const results = await Promise.all([1, 2, 3].map((n) => conn.send(pose(n, 'A'))));
    expect(results).toEqual(['written', 'written', 'written']);
    expect(attempts[0]!.written.map((b) => xOf(decodeMessage(b)))).toEqual([1, 2, 3]);
  });
});

describe('IgtlConnection.reconnect', () => {
  it('closes the channel gracefully and opens a new one after the backoff delay, keeping queued sends', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, random: () => 0.5, reconnect: { initialDelayMs: 50 } });
    conn.subscribe();
    attempts[0]!.open();
    conn.reconnect();
    expect(attempts[0]!.closed).toBe(true);
    expect(attempts[0]!.torn).toBe(true);
    expect(conn.state).toMatchObject({ kind: 'reconnecting', delayMs: 50 });
    const p = conn.send(pose(1));
    scheduler.flush();
    attempts[1]!.open();
    expect(await p).toBe('written');
    expect(attempts[1]!.written.map((b) => xOf(decodeMessage(b)))).toEqual([1]);
  });
});

describe('IgtlConnection per-message policy', () => {
  it('takes the policy from a function of the message: latest for tracking, lossless for the rest', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { sendPolicy: (m) => (m.type === 'TRANSFORM' ? 'latest' : 'lossless') });
    conn.subscribe();
    attempts[0]!.open();
    attempts[0]!.full = true;
    conn.next(pose(0));
    await settle();
    const status = (n: number) => createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: `s${n}` }, { timestamp: Timestamp.ZERO });
    const results = [conn.send(pose(1)), conn.send(status(1)), conn.send(pose(2)), conn.send(status(2))];
    attempts[0]!.drain();
    expect(await Promise.all(results)).toEqual(['replaced', 'written', 'written', 'written']);
    const sent = attempts[0]!.written.map((b) => decodeMessage(b));
    expect(sent.map((m) => (m.type === 'STATUS' ? m.content.statusMessage : `pose${xOf(m)}`))).toEqual(['pose0', 'pose2', 's1', 's2']);
  });
});

describe('IgtlConnection onMessage', () => {
  // onMessage is the user's code (a server's automatic replies). What it threw escaped from the
  // socket's data handler as an uncaught exception (ending a Node process without a handler),
  // and the message it was given, with the rest of its chunk, never reached the subscribers.
  it('reports what onMessage throws on errors$ and still delivers every message', () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, {
      onMessage: (m) => {
        if (xOf(m) === 2) throw new TypeError('reply builder failed');
      },
    });
    const { got, errors } = receive(conn);
    attempts[0]!.open();
    // Three messages in one chunk: the one whose callback throws sits between the others.
    attempts[0]!.data(new Uint8Array([...bytesOf(1), ...bytesOf(2), ...bytesOf(3)]));
    attempts[0]!.data(bytesOf(4));
    expect(got).toEqual([1, 2, 3, 4]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]!.message).toMatch(/onMessage threw: reply builder failed/);
    expect((errors[0] as ConnectionError).cause).toBeInstanceOf(TypeError);
    expect(conn.state.kind).toBe('open');
  });
});
