// The report of unconfirmed writes (UnconfirmedDeliveryError) is about the user's messages: the
// connection's own heartbeat traffic, which it writes on the same channel, is neither counted,
// nor in the frames, nor sent again (docs/connections.md, "What survives a reconnect").
import { describe, expect, it } from 'vitest';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { HEARTBEAT_DEVICE_NAME, IgtlConnection, UnconfirmedDeliveryError, Timestamp, createMessage, decodeMessage, encodeMessage, type IgtlError } from '../../../src/index.js';
import { fakeFactory, settle } from './fake-channel.js';

const note = (n: number) => createMessage('STRING', { encoding: 3, value: `note ${n}` }, { deviceName: 'Notes' });

function setup(options: ConstructorParameters<typeof IgtlConnection>[1], maxFrames: number) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, maxFrames);
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, random: () => 0.5, reconnect: { initialDelayMs: 10 }, staleAfterMs: 0, ...options });
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  conn.subscribe();
  attempts[0]!.open();
  const report = () => errors.find((e): e is UnconfirmedDeliveryError => e instanceof UnconfirmedDeliveryError);
  return { scheduler, conn, attempts, report };
}

describe('unconfirmed writes and the connection\'s own heartbeat traffic', () => {
  it('does not report or resend keep-alive STATUS messages (heartbeat message STATUS) as the user\'s', async () => {
    const { scheduler, conn, attempts, report } = setup({ heartbeat: { intervalMs: 1000, message: 'STATUS' }, resendUnconfirmed: true }, 3500);
    expect(await conn.send(note(1))).toBe('written');
    scheduler.flush(); // 3.5 s: three keep-alives written after it
    const keepAlives = attempts[0]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'STATUS');
    expect(keepAlives.length).toBeGreaterThanOrEqual(3);
    attempts[0]!.fail(new Error('connection reset'));
    const r = report()!;
    expect(r.messages).toBe(1);
    expect(r.frames.map((f) => decodeMessage(f).type)).toEqual(['STRING']);
    expect(r.bytes).toBe(r.frames[0]!.length);
    // The next channel gets the user's message again, not the old keep-alives.
    scheduler.maxFrames = 3600; // the reconnection attempt (10 ms of backoff)
    scheduler.flush();
    attempts[1]!.open(); // what was resent is written at once
    expect(attempts[1]!.written.map((b) => decodeMessage(b).type)).toEqual(['STRING']);
  });

  it('says the peer confirms when it answered the probe, though nothing was written before the probe', async () => {
    const { attempts, conn, report } = setup({ heartbeat: { intervalMs: 1000 } }, 100);
    await settle(); // the probe is written first thing
    attempts[0]!.data(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO })));
    expect(await conn.send(note(1))).toBe('written');
    expect(await conn.send(note(2))).toBe('written');
    attempts[0]!.fail(new Error('connection reset'));
    expect(report()!.messages).toBe(2);
    expect(report()!.confirmation).toBe('heartbeat');
  });

  it('does not count heartbeat pings that were over retainUnconfirmedBytes', async () => {
    // A peer that takes part in heartbeats but never confirms (PLUS answers with an unnamed STATUS).
    const { scheduler, conn, attempts, report } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, retainUnconfirmedBytes: 1 }, 5500);
    attempts[0]!.data(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: '', timestamp: Timestamp.ZERO })));
    expect(await conn.send(note(1))).toBe('written');
    scheduler.flush(); // pings while the write awaits confirmation
    const pings = attempts[0]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'GET_STATUS');
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(await conn.send(note(2))).toBe('written');
    attempts[0]!.fail(new Error('connection reset'));
    const r = report()!;
    expect(r.messages).toBe(2);
  });

  it('keeps a bounded record of pings to a peer that answers without naming them (PLUS), for weeks', async () => {
    const { scheduler, conn, attempts, report } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 5000 } }, 0);
    const keepAlive = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: '', timestamp: Timestamp.ZERO }));
    attempts[0]!.data(keepAlive);
    expect(await conn.send(note(1))).toBe('written'); // never confirmed: PLUS names no answer
    const PINGS = 3000;
    for (let s = 1; s <= PINGS; s++) {
      scheduler.maxFrames = s * 1000 + 10;
      scheduler.flush(); // this second's ping
      attempts[0]!.data(keepAlive); // PLUS's answer
    }
    const pings = attempts[0]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'GET_STATUS');
    expect(pings.length).toBeGreaterThanOrEqual(PINGS);
    expect(conn.state.kind).toBe('open');
    // Was one entry per ping for the channel's life (a number every 5 s by default, for weeks).
    const kept = (conn as unknown as { pings: { size?: number; length?: number } }).pings;
    expect(kept.size ?? kept.length).toBeLessThanOrEqual(64);
    attempts[0]!.fail(new Error('connection reset'));
    expect(report()!.messages).toBe(1);
  });

  it('past the bounded record, echoes confirm only up to the last place kept (errs towards "not confirmed")', async () => {
    // An igtl-rx peer that read nothing for 100 pings, then echoes them all: the record holds 64
    // places, and the echoes of the later pings confirm up to the 64th's place, never further.
    const { scheduler, conn, attempts, report } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 5000 } }, 0);
    const echo = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: HEARTBEAT_DEVICE_NAME, timestamp: Timestamp.ZERO }));
    const other = encodeMessage(createMessage('STRING', { encoding: 3, value: 'data' }, { deviceName: 'Peer', timestamp: Timestamp.ZERO }));
    await settle();
    attempts[0]!.data(echo); // the probe's echo: it takes part
    for (let s = 1; s <= 100; s++) {
      expect(await conn.send(note(s))).toBe('written');
      scheduler.maxFrames = s * 1000 + 10;
      scheduler.flush(); // a ping after note s
      attempts[0]!.data(other); // alive, but no echo yet
    }
    for (let i = 0; i < 100; i++) attempts[0]!.data(echo);
    attempts[0]!.fail(new Error('connection reset'));
    // The 64th ping went out after note 64: notes 65..100 are not confirmed by any echo.
    expect(report()!.messages).toBe(36);
  });

  it('reports the messages it said it would send again when the connection closes before it could', async () => {
    const { conn, attempts, report } = setup({ heartbeat: false, resendUnconfirmed: true }, 100);
    expect(await conn.send(note(1))).toBe('written');
    expect(await conn.send(note(2))).toBe('written');
    attempts[0]!.fail(new Error('connection reset'));
    expect(report()!.resent).toBe(true); // "sending them again"
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.close(); // before the next channel opened: they were never sent again
    const last = errors.find((e): e is UnconfirmedDeliveryError => e instanceof UnconfirmedDeliveryError);
    expect(last?.resent).toBe(false);
    expect(last?.messages).toBe(2);
    expect(last?.frames.map((f) => { const m = decodeMessage(f); return m.type === 'STRING' ? m.content.value : ''; })).toEqual(['note 1', 'note 2']);
  });
});
