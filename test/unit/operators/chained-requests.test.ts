// A request asked from inside the reply of another (switchMap, concatMap), on a lazy connection
// that nothing else holds: the usual shape of a request/reply client.
import { VirtualTimeScheduler, concatMap, switchMap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IgtlConnection, createMessage, decodeMessage, encodeMessage, wireType } from '../../../src/index.js';
import { command, query } from '../../../operators/index.js';
import { fakeFactory, settle, type FakeAttempt } from '../connection/fake-channel.js';

const writtenTypes = (a: FakeAttempt): string[] => a.written.map((b) => wireType(decodeMessage(b)));

function lazyConnection(): { conn: IgtlConnection; attempts: FakeAttempt[]; scheduler: VirtualTimeScheduler; states: string[] } {
  const scheduler = new VirtualTimeScheduler();
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, heartbeat: false, reconnect: { initialDelayMs: 10, jitter: 0 } });
  conn.errors$.subscribe(() => undefined);
  const states: string[] = [];
  conn.state$.subscribe((s) => states.push(s.kind));
  return { conn, attempts, scheduler, states };
}

describe('a request asked from inside the reply of another, on a lazy connection', () => {
  it('goes out on the same channel, and the first request is not failed as lost', async () => {
    const { conn, attempts, scheduler, states } = lazyConnection();
    const got: string[] = [];
    query(conn, createMessage('GET_STATUS', {}, { deviceName: 'A' }), { scheduler })
      .pipe(switchMap(() => query(conn, createMessage('GET_STRING', {}, { deviceName: 'B' }), { scheduler })))
      .subscribe({ next: (m) => got.push(m.type), error: (e: unknown) => got.push(String(e)), complete: () => got.push('complete') });
    await settle();
    attempts[0]!.open();
    await settle();
    attempts[0]!.data(encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: 'A' })));
    await settle();
    // Was: the connection closed as the STATUS was handed over, opened a second channel for the
    // GET_STRING, and the answered GET_STATUS failed with ReplyLostError.
    expect(attempts).toHaveLength(1);
    expect(writtenTypes(attempts[0]!)).toEqual(['GET_STATUS', 'GET_STRING']);
    expect(got).toEqual([]);
    attempts[0]!.data(encodeMessage(createMessage('STRING', { encoding: 3, value: 'b' }, { deviceName: 'B' })));
    expect(got).toEqual(['STRING', 'complete']);
    // Nothing waits any more: the lazy connection closes, once.
    expect(states).toEqual(['idle', 'connecting', 'open', 'closed']);
  });

  it('runs a sequence of commands on one channel', async () => {
    const { conn, attempts, scheduler } = lazyConnection();
    const got: string[] = [];
    command(conn, 'StartRecording', {}, { scheduler })
      .pipe(concatMap(() => command(conn, 'StopRecording', {}, { scheduler })))
      .subscribe({ next: (r) => got.push(r.status), error: (e: unknown) => got.push(String(e)) });
    await settle();
    attempts[0]!.open();
    await settle();
    const reply = (id: number) =>
      encodeMessage(createMessage('RTS_COMMAND', { commandId: id, commandName: 'x', encoding: 3, command: '<CommandReply Status="SUCCESS" />' }, { headerVersion: 2 }));
    attempts[0]!.data(reply(1));
    await settle();
    expect(attempts).toHaveLength(1);
    expect(writtenTypes(attempts[0]!)).toEqual(['COMMAND', 'COMMAND']);
    attempts[0]!.data(reply(2));
    expect(got).toEqual(['SUCCESS']);
  });
});
