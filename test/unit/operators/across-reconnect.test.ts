// Requests and streams of igtl-rx/operators over a real IgtlConnection whose channel is lost and
// reopened (reconnect on): what was asked of the lost channel's peer must not be silently lost.
import { BehaviorSubject, Subject, VirtualTimeScheduler, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConnectionError, IDENTITY, IgtlConnection, TrackingType, createMessage, decodeMessage, encodeMessage, wireType, type IgtlMessage, type PeerState } from '../../../src/index.js';
import { QueryTimeoutError, ReplyLostError, command, query, sendTo, stream } from '../../../operators/index.js';
import { fakeFactory, reconnectOnce, settle, type FakeAttempt } from '../connection/fake-channel.js';

/** The wire types of what was written on one attempt's channel. */
const writtenTypes = (a: FakeAttempt): string[] => a.written.map((b) => wireType(decodeMessage(b)));

const tdata = (): IgtlMessage => createMessage('TDATA', { elements: [{ name: 'Stylus', type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY }] }, { deviceName: 'Tracker' });

function reconnecting(): { conn: IgtlConnection; attempts: FakeAttempt[]; scheduler: VirtualTimeScheduler } {
  const scheduler = new VirtualTimeScheduler();
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, heartbeat: false, reconnect: { initialDelayMs: 10, jitter: 0 } });
  conn.errors$.subscribe(() => undefined);
  return { conn, attempts, scheduler };
}

describe('stream across a reconnect', () => {
  it('asks the new channel for the stream again, so its data reaches the subscribers', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    const got: string[] = [];
    const sub = stream(conn, 'TDATA', { scheduler }).subscribe((m) => got.push(m.deviceName));
    attempts[0]!.open();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual(['STT_TDATA']);
    await reconnectOnce(attempts, scheduler);
    expect(conn.state.kind).toBe('open');
    // A server streams to a client that asked it to; the new session was never asked.
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA']);
    attempts[1]!.data(encodeMessage(tdata()));
    expect(got).toEqual(['Tracker']);
    sub.unsubscribe();
  });
});

describe('stream on a lazy connection', () => {
  it('writes the STP_ on the channel it streams on when its last subscriber leaves, then closes', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    const sub = stream(conn, 'TDATA', { scheduler }).subscribe();
    attempts[0]!.open();
    await settle();
    attempts[0]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    // The stream is the connection's only subscriber.
    sub.unsubscribe();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual(['STT_TDATA', 'STP_TDATA']);
    // Written, the STP_ waits for its RTS_ (so that no later request takes it for its answer).
    expect(conn.state.kind).toBe('open');
    attempts[0]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    // Then nothing holds the connection: it closes, and opens nothing new.
    expect(conn.state.kind).toBe('closed');
    expect(attempts).toHaveLength(1);
  });

  it('closes timeoutMs after the STP_ when the peer does not answer it', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    const sub = stream(conn, 'TDATA', { scheduler, timeoutMs: 1000 }).subscribe();
    attempts[0]!.open();
    await settle();
    attempts[0]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    sub.unsubscribe();
    await settle();
    expect(conn.state.kind).toBe('open');
    scheduler.flush();
    expect(conn.state.kind).toBe('closed');
    expect(attempts).toHaveLength(1);
  });
});

/** What a request's subscriber got: 'next <reply type>' (query), 'next <status>' (command), or the error. */
function outcome(): { got: (string | Error)[]; observer: { next: (v: object) => void; error: (e: Error) => void } } {
  const got: (string | Error)[] = [];
  const what = (v: object): string => ('type' in v ? String(v.type) : 'status' in v ? String(v.status) : '?');
  return { got, observer: { next: (v) => got.push(`next ${what(v)}`), error: (e) => got.push(e) } };
}

describe('requests across a lost channel', () => {
  it('fails a query written on a channel that is lost with a ReplyLostError at once, even with no timeout', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    conn.connect();
    attempts[0]!.open();
    const { got, observer } = outcome();
    query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { timeoutMs: Infinity, scheduler }).subscribe(observer);
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual(['GET_IMAGE']);
    attempts[0]!.fail(new Error('connection reset'));
    expect(conn.state.kind).toBe('reconnecting');
    expect(got).toHaveLength(1);
    const err = got[0] as ReplyLostError;
    expect(err).toBeInstanceOf(ReplyLostError);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.request.type).toBe('GET_IMAGE');
    expect(err.message).toContain('connection reset');
  });

  it('fails a command written on a lost channel, and drops the old id\'s reply if it comes on the new one', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    conn.connect();
    attempts[0]!.open();
    const first = outcome();
    command(conn, 'StartRecording', {}, { scheduler }).subscribe(first.observer);
    await settle();
    attempts[0]!.fail();
    expect(first.got).toEqual([expect.any(ReplyLostError)]);
    scheduler.flush();
    attempts[1]!.open();
    const second = outcome();
    command(conn, 'Version', {}, { scheduler }).subscribe(second.observer);
    await settle();
    // The first command's reply (COMMAND_ID 1), sent again by a peer that got it twice, is not the second's (id 2).
    const reply = (id: number) =>
      encodeMessage(createMessage('RTS_COMMAND', { commandId: id, commandName: 'x', encoding: 3, command: '<CommandReply Status="SUCCESS" />' }, { headerVersion: 2 }));
    attempts[1]!.data(reply(1));
    expect(second.got).toEqual([]);
    attempts[1]!.data(reply(2));
    expect(second.got).toEqual(['next SUCCESS']);
  });

  it('keeps no ghost of a query lost with its channel: the new channel\'s answer goes to the next query', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    // The queries' own clock stands still: only the lost channel can end the first one's ghost.
    const queryClock = new VirtualTimeScheduler();
    conn.connect();
    attempts[0]!.open();
    const first = outcome();
    query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { scheduler: queryClock }).subscribe(first.observer);
    await settle();
    await reconnectOnce(attempts, scheduler);
    expect(first.got).toEqual([expect.any(ReplyLostError)]);
    const second = outcome();
    query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { scheduler: queryClock }).subscribe(second.observer);
    await settle();
    // A v1 answer, matched by name: the lost query's ghost (its reply went with the channel) must not take it.
    attempts[1]!.data(encodeMessage(createMessage('RTS_IMAGE', { status: 0 }, { deviceName: 'US' })));
    expect(second.got).toEqual(['next RTS_IMAGE']);
  });

  it('never writes a command that timed out while it waited for the connection to open', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    // The command's clock alone runs: the connection stays connecting until the test opens it.
    const commandClock = new VirtualTimeScheduler();
    conn.connect();
    const { got, observer } = outcome();
    command(conn, 'StartRecording', {}, { scheduler: commandClock, timeoutMs: 100 }).subscribe(observer);
    await settle();
    commandClock.flush();
    expect(got).toEqual([expect.any(QueryTimeoutError)]);
    expect(conn.queueStatus.messages).toBe(0);
    attempts[0]!.open();
    await settle();
    // Told it timed out, the caller may send it again: the first must not run as well.
    expect(writtenTypes(attempts[0]!)).toEqual([]);
  });

  it('takes back a query unsubscribed while queued, and keeps no ghost of it', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    conn.connect();
    const sub = query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { scheduler }).subscribe({ error: () => undefined });
    await settle();
    sub.unsubscribe();
    await settle();
    attempts[0]!.open();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual([]);
    const second = outcome();
    query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { scheduler }).subscribe(second.observer);
    await settle();
    attempts[0]!.data(encodeMessage(createMessage('RTS_IMAGE', { status: 0 }, { deviceName: 'US' })));
    expect(second.got).toEqual(['next RTS_IMAGE']);
  });

  it('does not fail a request still queued when the channel is lost: it goes out on the next one and is answered', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    conn.connect();
    attempts[0]!.open();
    attempts[0]!.fail();
    expect(conn.state.kind).toBe('reconnecting');
    const { got, observer } = outcome();
    query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'US' }), { timeoutMs: Infinity, scheduler }).subscribe(observer);
    scheduler.flush();
    attempts[1]!.open();
    await settle();
    expect(writtenTypes(attempts[1]!)).toEqual(['GET_IMAGE']);
    attempts[1]!.data(encodeMessage(createMessage('RTS_IMAGE', { status: 0 }, { deviceName: 'US' })));
    expect(got).toEqual(['next RTS_IMAGE']);
  });

  it('keeps a stream whose RTS_ had not come when the channel was lost, and asks the new channel', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    const got: (string | Error)[] = [];
    stream(conn, 'TDATA', { scheduler }).subscribe({ next: (m) => got.push(m.type), error: (e: Error) => got.push(e) });
    attempts[0]!.open();
    await settle();
    await reconnectOnce(attempts, scheduler);
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA']);
    attempts[1]!.data(encodeMessage(tdata()));
    expect(got).toEqual(['TDATA']);
  });
});

/**
 * A connection to a bridge (as connectWebSocket makes it), open: its own channel plus the
 * bridge's link to the server, in state `farState`.
 */
function behindBridge(farState: PeerState): { conn: IgtlConnection & { peerState$: Observable<PeerState> }; far: BehaviorSubject<PeerState>; attempts: FakeAttempt[]; scheduler: VirtualTimeScheduler } {
  const { conn, attempts, scheduler } = reconnecting();
  const far = new BehaviorSubject<PeerState>({ kind: 'unknown' });
  const bridged = Object.assign(conn, { peerState$: far.asObservable() });
  bridged.connect();
  attempts[0]!.open();
  far.next(farState);
  return { conn: bridged, far, attempts, scheduler };
}

/** Asks `conn` for the tracker's STATUS (no timeout); what the query's subscriber gets, once written. */
async function askStatus(conn: IgtlConnection, scheduler: VirtualTimeScheduler): Promise<(string | Error)[]> {
  const { got, observer } = outcome();
  query(conn, createMessage('GET_STATUS', {}, { deviceName: 'Tracker' }), { timeoutMs: Infinity, scheduler }).subscribe(observer);
  await settle();
  return got;
}

const farOpen: PeerState = { kind: 'open', remote: 'tracker:18944' };
const farDown: PeerState = { kind: 'reconnecting', attempt: 1, delayMs: 100, reason: { code: 'peer-closed', message: 'the peer closed the connection' } };

describe('requests through a bridge whose link to the server is lost', () => {
  it('fails a query at once when the bridge, open when it was written, loses its peer (the WebSocket stays open)', async () => {
    const { conn, far, attempts, scheduler } = behindBridge(farOpen);
    const got = await askStatus(conn, scheduler);
    expect(writtenTypes(attempts[0]!)).toEqual(['GET_STATUS']);
    far.next({ kind: 'stale', remote: 'tracker:18944', silentMs: 3000 });
    expect(got).toEqual([]);
    far.next(farDown);
    expect(conn.state.kind).toBe('open');
    expect(got).toEqual([expect.any(ReplyLostError)]);
    expect((got[0] as Error).message).toContain('the bridge lost its link to the peer: the peer closed the connection');
  });

  it('fails a command the same way', async () => {
    const { conn, far, scheduler } = behindBridge(farOpen);
    const { got, observer } = outcome();
    command(conn, 'StartRecording', {}, { timeoutMs: Infinity, scheduler }).subscribe(observer);
    await settle();
    far.next({ kind: 'closed' });
    expect(got).toEqual([expect.any(ReplyLostError)]);
  });

  it('waits for the reply of a request written while the bridge had no peer yet (the bridge sends it on the next link)', async () => {
    const { conn, far, attempts, scheduler } = behindBridge(farDown);
    const got = await askStatus(conn, scheduler);
    far.next({ kind: 'connecting', attempt: 2 });
    far.next(farOpen);
    attempts[0]!.data(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: 'Tracker' })));
    expect(got).toEqual(['next STATUS']);
  });

  it("leaves the page's own lost channel to its state: the unknown that follows is not a second loss", async () => {
    const { conn, far, attempts, scheduler } = behindBridge(farOpen);
    const got = await askStatus(conn, scheduler);
    far.next({ kind: 'unknown' });
    expect(got).toEqual([]);
    attempts[0]!.fail(new Error('connection reset'));
    expect(got).toEqual([expect.any(ReplyLostError)]);
    expect((got[0] as Error).message).toContain('connection reset');
  });
});

describe('sendTo on a lazy connection whose peer is gone', () => {
  it('gives its waiting sends up flushTimeoutMs after you leave: the connection closes instead of reconnecting for ever', async () => {
    const { conn, attempts, scheduler } = reconnecting();
    const failures: unknown[] = [];
    conn.errors$.subscribe((e) => failures.push(e));
    const source = new Subject<IgtlMessage>();
    const sub = source.pipe(sendTo(conn, { scheduler })).subscribe();
    attempts[0]!.fail(new Error('connection refused'));
    expect(conn.state.kind).toBe('reconnecting');
    source.next(tdata()); // queued: no channel
    sub.unsubscribe();
    // Virtual time up to just before the limit (flush() alone would run every timer queued).
    scheduler.maxFrames = scheduler.now() + 4_999;
    scheduler.flush();
    // Until the limit the connection tries on (its last message may still go out).
    expect(conn.state.kind).not.toBe('closed');
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    await settle();
    expect(conn.state.kind).toBe('closed');
    expect(failures.some((e) => e instanceof ConnectionError)).toBe(true);
    // Nothing was ever written for it: the peer never came back.
    expect(attempts.every((a) => a.written.length === 0)).toBe(true);
  });
});
