// The v3 MSG_ID of a reply is an echo only when the peer echoes (igtl-rx servers do); a peer
// that numbers its own messages (any v3 sender: OpenIGTLink Documents/Protocol/header.md gives
// MSG_ID no rule) sends numbers that meet the IDs of our requests by chance. Such a number must
// not end the wait of a request given up for its late reply: that reply would then be taken as
// the answer to the next request of the same type and device (stale data handed out as fresh).
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IDENTITY, TrackingType, createMessage, type IgtlMessage } from '../../../src/index.js';
import { QueryTimeoutError, query } from '../../../operators/index.js';
import type { IgtlPeer } from '../../../operators/internal/peer.js';

function fakePeer(): { peer: IgtlPeer; incoming: Subject<IgtlMessage>; sent: IgtlMessage[] } {
  const incoming = new Subject<IgtlMessage>();
  const sent: IgtlMessage[] = [];
  let messageId = 0;
  let commandId = 0;
  const peer: IgtlPeer = {
    subscribe: (observer) => incoming.subscribe(observer),
    send: (msg) => {
      sent.push(msg);
      return Promise.resolve('written');
    },
    nextMessageId: () => ++messageId,
    nextCommandId: () => ++commandId,
  };
  return { peer, incoming, sent };
}

/** Runs every action due at or before `frame`. */
function advanceTo(scheduler: VirtualTimeScheduler, frame: number): void {
  scheduler.maxFrames = frame;
  scheduler.flush();
}

const getStatus = (): IgtlMessage => createMessage('GET_STATUS', {}, { deviceName: 'Probe', headerVersion: 2 });
const status = (messageId: number, text: string): IgtlMessage =>
  createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: text }, { deviceName: 'Probe', headerVersion: 2, messageId });
const tdata = (messageId: number): IgtlMessage =>
  createMessage('TDATA', { elements: [{ name: 'Stylus', type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY }] }, { deviceName: 'Tracker', headerVersion: 2, messageId });

describe('a peer that numbers its own messages', () => {
  it('an unrelated message that carries the number of a request given up does not end that request\'s wait for its late reply', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { peer, incoming, sent } = fakePeer();
    const first: unknown[] = [];
    query(peer, getStatus(), { timeoutMs: 100, scheduler }).subscribe({ next: (m) => first.push(m), error: (e: unknown) => first.push(e) });
    await Promise.resolve();
    expect(sent[0]?.messageId).toBe(1);
    advanceTo(scheduler, 100);
    expect(first[0]).toBeInstanceOf(QueryTimeoutError);
    // Within the first query's afterlife (as long again as its timeout): the peer's own TDATA #1.
    advanceTo(scheduler, 120);
    incoming.next(tdata(1));
    // The next query of the same status, then the first one's late answer (the old status, #3).
    const second: IgtlMessage[] = [];
    query(peer, getStatus(), { timeoutMs: 100, scheduler }).subscribe({ next: (m) => second.push(m), error: () => undefined });
    await Promise.resolve();
    expect(sent[1]?.messageId).toBe(2);
    incoming.next(status(3, 'old'));
    // Was: the TDATA ended the first query's wait, and the second took the old status for its answer.
    expect(second).toEqual([]);
    // The fresh answer is the second's.
    incoming.next(status(4, 'new'));
    expect(second).toHaveLength(1);
    expect(second[0]!.messageId).toBe(4);
  });
});
