// Requests and streams of igtl-rx/operators over a real IgtlConnection whose channel is lost and
// reopened (reconnect on): what was asked of the lost channel's peer must not be silently lost.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IDENTITY, IgtlConnection, TrackingType, createMessage, decodeMessage, encodeMessage, wireType, type IgtlMessage } from '../../../src/index.js';
import { stream } from '../../../operators/index.js';
import { fakeFactory, settle, type FakeAttempt } from '../connection/fake-channel.js';

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
    attempts[0]!.fail();
    scheduler.flush();
    attempts[1]!.open();
    await settle();
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
    // Once the STP_ is written, nothing holds the connection: it closes, and opens nothing new.
    expect(conn.state.kind).toBe('closed');
    expect(attempts).toHaveLength(1);
  });
});
