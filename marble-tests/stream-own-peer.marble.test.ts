// stream() over a peer of your own (IgtlPeer), whose send resolves with nothing once written.
import { NEVER } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { stream } from '../operators/index.js';
import { fakePeer } from './support/fake-peer.js';

describe('stream over a peer whose send resolves with no SendResult', () => {
  it('takes the STT_ as written, and sends the STP_ when unsubscribed after that', async () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const peer = fakePeer(scheduler, NEVER, () => Promise.resolve(undefined));
    const sub = stream(peer, 'TDATA', { scheduler }).subscribe();
    // The send of the STT_ settles (a microtask later), then the subscriber leaves.
    await Promise.resolve();
    await Promise.resolve();
    sub.unsubscribe();
    expect(peer.sent.map((s) => s.msg.type)).toEqual(['STT_TDATA', 'STP_TDATA']);
  });
});
