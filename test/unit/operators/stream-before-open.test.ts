// stream() over a real IgtlConnection that is not open when it is subscribed or unsubscribed:
// the server must get exactly one STT_ on the channel it streams on, and an STP_ only after one.
import { BehaviorSubject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IDENTITY, IgtlConnection, TrackingType, createMessage, decodeMessage, encodeMessage, wireType, type IgtlMessage, type PeerState } from '../../../src/index.js';
import { stream } from '../../../operators/index.js';
import { fakeFactory, reconnectOnce, settle, type FakeAttempt } from '../connection/fake-channel.js';

/** The wire types of what was written on one attempt's channel. */
const writtenTypes = (a: FakeAttempt): string[] => a.written.map((b) => wireType(decodeMessage(b)));

const tdata = (): IgtlMessage => createMessage('TDATA', { elements: [{ name: 'Stylus', type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY }] }, { deviceName: 'Tracker' });

function connection(initialDelayMs: number): { conn: IgtlConnection; attempts: FakeAttempt[]; scheduler: VirtualTimeScheduler } {
  const scheduler = new VirtualTimeScheduler();
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, heartbeat: false, reconnect: { initialDelayMs, jitter: 0 } });
  conn.errors$.subscribe(() => undefined);
  return { conn, attempts, scheduler };
}

describe('stream subscribed before its connection opens', () => {
  it('asks the server that comes up after the RTS_ wait ran out (its STT_ was taken back from the queue unwritten)', async () => {
    // The application starts before the server: the first connect is refused, the next one
    // (6 s later) succeeds, after the 5 s the STT_ waited for its RTS_ in the queue.
    const { conn, attempts, scheduler } = connection(6000);
    const got: string[] = [];
    const sub = stream(conn, 'TDATA', { scheduler, timeoutMs: 5000 }).subscribe({ next: (m) => got.push(m.deviceName), error: (e: unknown) => got.push(String(e)) });
    await settle();
    attempts[0]!.fail(new Error('ECONNREFUSED'));
    await settle();
    scheduler.flush();
    await settle();
    expect(attempts).toHaveLength(2);
    attempts[1]!.open();
    await settle();
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA']);
    attempts[1]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    attempts[1]!.data(encodeMessage(tdata()));
    expect(got).toEqual(['Tracker']);
    sub.unsubscribe();
    await settle();
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA', 'STP_TDATA']);
  });

  it('sends the queued STT_ once when the connection opens within the wait', async () => {
    const { conn, attempts, scheduler } = connection(1000);
    const sub = stream(conn, 'TDATA', { scheduler, timeoutMs: 5000 }).subscribe();
    await settle();
    attempts[0]!.fail(new Error('ECONNREFUSED'));
    await settle();
    // To the reconnect at 1000 ms, well before the RTS_ wait ends at 5000.
    scheduler.maxFrames = 1500;
    scheduler.flush();
    await settle();
    expect(attempts).toHaveLength(2);
    attempts[1]!.open();
    await settle();
    scheduler.maxFrames = Infinity;
    scheduler.flush();
    await settle();
    // The queued one, not a second one asked when the connection opened.
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA']);
    sub.unsubscribe();
  });
});

describe('stream unsubscribed while its connection is not open', () => {
  it('sends neither STT_ nor STP_ when unsubscribed while still connecting, and the lazy connection closes', async () => {
    const { conn, attempts } = connection(10);
    const sub = stream(conn, 'TDATA').subscribe();
    await settle();
    expect(conn.state.kind).toBe('connecting');
    sub.unsubscribe();
    await settle();
    // Was: the STT_ taken back, the connection held connecting to write a lone STP_ once open.
    expect(conn.state.kind).toBe('closed');
    attempts[0]!.open();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual([]);
  });

  it('sends no STP_ to the new session when unsubscribed while reconnecting, and does not reconnect only to send it', async () => {
    const { conn, attempts, scheduler } = connection(10);
    const sub = stream(conn, 'TDATA', { scheduler }).subscribe();
    attempts[0]!.open();
    await settle();
    attempts[0]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    expect(writtenTypes(attempts[0]!)).toEqual(['STT_TDATA']);
    attempts[0]!.fail();
    await settle();
    expect(conn.state.kind).toBe('reconnecting');
    sub.unsubscribe();
    await settle();
    scheduler.flush();
    await settle();
    // The server that got the STT_ went with the lost channel; the next one never streamed.
    expect(conn.state.kind).toBe('closed');
    expect(attempts).toHaveLength(1);
  });

  it('still stops the stream of a channel that came back: one STT_ and one STP_ on it', async () => {
    const { conn, attempts, scheduler } = connection(10);
    const sub = stream(conn, 'TDATA', { scheduler }).subscribe();
    attempts[0]!.open();
    await settle();
    await reconnectOnce(attempts, scheduler);
    await settle();
    attempts[1]!.data(encodeMessage(createMessage('RTS_TDATA', { status: 0 })));
    sub.unsubscribe();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual(['STT_TDATA']);
    expect(writtenTypes(attempts[1]!)).toEqual(['STT_TDATA', 'STP_TDATA']);
  });
});

describe('stream behind a bridge whose own link to the server is down', () => {
  it('still sends the STP_ after the STT_ written to the bridge (which sends both on its next link)', async () => {
    const { conn, attempts, scheduler } = connection(10);
    const far = new BehaviorSubject<PeerState>({ kind: 'reconnecting', attempt: 1, delayMs: 100, reason: { code: 'peer-closed', message: 'the peer closed the connection' } });
    const bridged = Object.assign(conn, { peerState$: far.asObservable() });
    bridged.connect();
    attempts[0]!.open();
    const sub = stream(bridged, 'TDATA', { scheduler }).subscribe();
    await settle();
    sub.unsubscribe();
    await settle();
    expect(writtenTypes(attempts[0]!)).toEqual(['STT_TDATA', 'STP_TDATA']);
  });
});
