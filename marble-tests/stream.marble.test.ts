import { defer, throwError, type Observer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionError, IDENTITY, Timestamp, TrackingType, createMessage, type ConnectionState, type IgtlMessage, type PeerState } from '../src/index.js';
import { QueryFailedError, stream, type IgtlPeer } from '../operators/index.js';
import { correlatorFor } from '../operators/internal/correlator.js';
import { fakePeer } from './support/fake-peer.js';

const at = Timestamp.fromMillis(1_700_000_000_000);

const tdata = (deviceName = 'Tracker') =>
  createMessage('TDATA', { elements: [{ name: 'Stylus', type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY }] }, { deviceName, timestamp: at });
const states: Record<string, ConnectionState> = {
  o: { kind: 'open', remote: 'peer:18944' },
  s: { kind: 'stale', remote: 'peer:18944', silentMs: 2000 },
  r: { kind: 'reconnecting', attempt: 1, delayMs: 250, reason: new ConnectionError('reset') },
  c: { kind: 'connecting', attempt: 1 },
};
const peerStates: Record<string, PeerState> = {
  u: { kind: 'unknown' },
  P: { kind: 'open', remote: 'tracker:18944' },
  s: { kind: 'stale', remote: 'tracker:18944', silentMs: 3000 },
  R: { kind: 'reconnecting', attempt: 1, delayMs: 250 },
  C: { kind: 'connecting', attempt: 2 },
};
const values = {
  a: createMessage('RTS_TDATA', { status: 0 }, { timestamp: at }),
  f: createMessage('RTS_TDATA', { status: 1 }, { timestamp: at }),
  t: tdata(),
  o: tdata('Other'),
  x: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Tracker', timestamp: at }),
};

describe('stream', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends STT_ on subscribe, emits the streamed messages, and sends STP_ when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--a--t-x-t--t--', values));
      expectObservable(stream(peer, 'TDATA', { resolutionMs: 20, coordinate: 'Patient', scheduler }), '^-----------!').toBe('-----t---t--', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '12 STP_TDATA']);
      expect(peer.sent[0]!.msg.content).toEqual({ resolution: 20, coordinateName: 'Patient' });
    });
  });

  it('shares one STT_ between subscribers and sends STP_ when the last one leaves', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--a--t--t--t--t--', values));
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^-------!').toBe('-----t--', values);
      expectObservable(stream(peer, 'TDATA', { scheduler }), '---^--------!').toBe('-----t--t--t', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '12 STP_TDATA']);
    });
  });

  it('starts again with a new STT_ after everyone left', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('-----t---t---', values));
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^--!').toBe('---', values);
      expectObservable(stream(peer, 'TDATA', { scheduler }), '----^-----!').toBe('-----t---t', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '3 STP_TDATA', '4 STT_TDATA', '10 STP_TDATA']);
    });
  });

  it('errors with QueryFailedError when the RTS_ reports an error, and sends no STP_', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--f--t--', values));
      expectObservable(stream(peer, 'TDATA', { scheduler })).toBe('--#', undefined, expect.any(QueryFailedError));
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA']);
    });
  });

  it('tolerates a missing RTS_ (the C++ TrackingDataServer sends none)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--t--t--t--t--', values));
      expectObservable(stream(peer, 'TDATA', { timeoutMs: 4, scheduler }), '^------------!').toBe('--t--t--t--t-', values);
    });
  });

  it('ignores an RTS_ that arrives after the wait for it ended, even one with an error status', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--t--t-f-t--', values));
      expectObservable(stream(peer, 'TDATA', { timeoutMs: 4, scheduler }), '^----------!').toBe('--t--t---t-', values);
    });
  });

  it('stops waiting for the RTS_ when unsubscribed before it came', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const incoming = hot('-----a--', values);
      const peer = fakePeer(scheduler, incoming, () => new Promise(() => undefined));
      expectObservable(stream(peer, 'TDATA', { timeoutMs: 3, scheduler }), '^-!').toBe('---');
      // data until the unsubscribe; the RTS_ wait goes on as the STT_'s ghost until the timeout
      // after it (a, late, is dropped), with the STP_'s ghost; the hold for the STP_ until the timeout.
      expectSubscriptions(incoming.subscriptions).toBe(['^-!', '^----!', '--^--!']);
      flush();
      expect(correlatorFor(peer).size).toBe(0);
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '2 STP_TDATA']);
    });
  });

  it('keeps only the messages of the device name asked for', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--t--o--t--', values));
      expectObservable(stream(peer, 'TDATA', { deviceName: 'Tracker', scheduler }), '^---------!').toBe('--t-----t-', values);
      flush();
      expect(peer.sent.map((s) => s.msg.deviceName)).toEqual(['Tracker', 'Tracker']);
    });
  });

  it('keeps separate shared streams per type and device name', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--t--x--o--', values));
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^---------!').toBe('--t-----o-', values);
      expectObservable(stream(peer, 'TRANSFORM', { scheduler }), '^---------!').toBe('-----x----', values);
      expectObservable(stream(peer, 'TDATA', { deviceName: 'Other', scheduler }), '^---------!').toBe('--------o-', values);
      flush();
      expect(peer.sentTypes().sort()).toEqual(['0 STT_TDATA', '0 STT_TDATA', '0 STT_TRANS', '10 STP_TDATA', '10 STP_TDATA', '10 STP_TRANS']);
    });
  });

  it('sends the STT_ body each type needs', () => {
    scheduler.run(({ hot, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      const subs = [
        stream(peer, 'VIDEO', { codec: 'VP90', resolutionMs: 33, scheduler }).subscribe(),
        stream(peer, 'BIND', { resolutionMs: 20, scheduler }).subscribe(),
        stream(peer, 'QTDATA', { resolutionMs: 10.4, scheduler }).subscribe(),
        stream(peer, 'IMAGE', { scheduler }).subscribe(),
        stream(peer, 'POLYDATA', { scheduler }).subscribe(),
      ];
      flush();
      subs.forEach((s) => s.unsubscribe());
      expect(peer.sent.map((s) => [s.msg.type, s.msg.content])).toEqual([
        ['STT_VIDEO', { codec: 'VP90', timeInterval: 33 }],
        ['STT_BIND', { resolution: 20_000_000n, children: [] }],
        ['STT_QTDATA', { resolution: 10, coordinateName: '' }],
        ['STT_IMAGE', {}],
        ['STT_POLYDATA', {}],
        ['STP_VIDEO', {}],
        ['STP_BIND', {}],
        ['STP_QTDATA', {}],
        ['STP_IMAGE', {}],
        ['STP_POLYDATA', {}],
      ]);
    });
  });

  it('sends the STT_ again on each new channel after a reconnect, not when stale turns live', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      // o: open, s: stale, r: reconnecting, c: connecting (the states of an IgtlConnection).
      const state$ = hot<ConnectionState>('-o--s-o-r-c-o---r--c-o---', states);
      const peer = { ...fakePeer(scheduler, hot('--a--t------------------', values)), state$ };
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^-----------------------!').toBe('-----t------------------', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '12 STT_TDATA', '21 STT_TDATA', '24 STP_TDATA']);
    });
  });

  it('sends one STT_ when subscribed while reconnecting (the queued one goes out on the next channel)', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const state$ = hot<ConnectionState>('-r-c-o-s-o---', states);
      const peer = { ...fakePeer(scheduler, hot('------a--t---', values)), state$ };
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^-----------!').toBe('---------t--', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '12 STP_TDATA']);
    });
  });

  it('ends with QueryFailedError when the new channel refuses the stream', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const state$ = hot<ConnectionState>('-o--r-c-o---', states);
      const peer = { ...fakePeer(scheduler, hot('--a--t----f-t-', values)), state$ };
      expectObservable(stream(peer, 'TDATA', { scheduler })).toBe('-----t----#', values, expect.any(QueryFailedError));
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '8 STT_TDATA']);
    });
  });

  it("asks again when a bridge's own peer connection reconnects while the WebSocket stays open", () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      // The page's link to the bridge stays open; the bridge's link to the server is lost (R, C) and reopens.
      const state$ = hot<ConnectionState>('-o-------------', states);
      const peerState$ = hot<PeerState>('-u-P--R-C-P-s-P', peerStates);
      const peer = { ...fakePeer(scheduler, hot('---------------', values)), state$, peerState$ };
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^-------------!').toBe('--------------');
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '10 STT_TDATA', '14 STP_TDATA']);
    });
  });

  it('asks once when the WebSocket to a bridge reconnects (not again when the bridge then says its peer is open)', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const state$ = hot<ConnectionState>('-o--r-c-o------', states);
      // What connectWebSocket's peerState$ says: unknown while the link is down, until the bridge speaks.
      const peerState$ = hot<PeerState>('-uP-u-----P----', peerStates);
      const peer = { ...fakePeer(scheduler, hot('---------------', values)), state$, peerState$ };
      expectObservable(stream(peer, 'TDATA', { scheduler }), '^-------------!').toBe('--------------');
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '8 STT_TDATA', '14 STP_TDATA']);
    });
  });

  it('completes when the connection ends, without an STP_', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--a--t--|', values));
      expectObservable(stream(peer, 'TDATA', { scheduler })).toBe('-----t--|', values);
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA']);
    });
  });

  it('errors when the connection fails, without an STP_', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--a--t--#', values, new ConnectionError('reset')));
      expectObservable(stream(peer, 'TDATA', { scheduler })).toBe('-----t--#', values, new ConnectionError('reset'));
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA']);
    });
  });

  it('asks nothing of a connection that fails as it is subscribed', () => {
    const err = new ConnectionError('refused');
    let subscriptions = 0;
    scheduler.run(({ expectObservable, flush }) => {
      const peer = fakePeer(scheduler, defer(() => {
        subscriptions++;
        return throwError(() => err);
      }));
      expectObservable(stream(peer, 'TDATA', { scheduler })).toBe('#', undefined, err);
      flush();
      // Only the data subscription: the stream ended there, so no query waits for an RTS_.
      expect(subscriptions).toBe(1);
      expect(peer.sentTypes()).toEqual([]);
      expect(correlatorFor(peer).size).toBe(0);
    });
  });

  it('keeps the peer subscribed after the last subscriber left until the STP_ is written (at most timeoutMs)', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const incoming = hot('--a--t--t--', values);
      // A send that never settles: the hold ends at the timeout.
      const peer = fakePeer(scheduler, incoming, () => new Promise(() => undefined));
      expectObservable(stream(peer, 'TDATA', { timeoutMs: 10, scheduler }), '^-------!').toBe('-----t--', values);
      // The data subscription (0-8), the RTS_ wait (0-2), the wait for the STP_'s RTS_ (8-18), and the hold (8-18).
      expectSubscriptions(incoming.subscriptions).toBe(['^-------!', '^-!', '--------^---------!', '--------^---------!']);
    });
  });

  it('lets go of the peer once the STP_ is written and answered', async () => {
    const sched = new TestScheduler(() => undefined);
    let subscribed = 0;
    const observers = new Set<Partial<Observer<IgtlMessage>>>();
    const receive = (msg: IgtlMessage): void => [...observers].forEach((o) => o.next?.(msg));
    const peer: IgtlPeer = {
      subscribe: (observer) => {
        subscribed++;
        observers.add(observer);
        return {
          unsubscribe: () => {
            if (observers.delete(observer)) subscribed--;
          },
        };
      },
      send: () => Promise.resolve('written'),
      nextMessageId: () => 1,
      nextCommandId: () => 1,
    };
    const subscription = stream(peer, 'TDATA', { scheduler: sched }).subscribe();
    expect(subscribed).toBe(2); // data + RTS_ wait
    receive(createMessage('RTS_TDATA', { status: 0 }));
    expect(subscribed).toBe(1); // data
    subscription.unsubscribe();
    expect(subscribed).toBe(2); // the hold and the wait for the STP_'s RTS_
    await Promise.resolve();
    await Promise.resolve();
    expect(subscribed).toBe(1); // written: the wait for the RTS_
    receive(createMessage('RTS_TDATA', { status: 0 }));
    expect(subscribed).toBe(0);
  });

  it('gives the RTS_ of an STP_ to no STT_ sent after it: a refused new stream is not taken for a started one', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      // PLUS answers STT_TDATA and STP_TDATA alike with an unnamed RTS_TDATA (PlusLib
      // vtkPlusOpenIGTLinkServer.cxx, STT_TDATA/STP_TDATA branch of DataReceiverThread): p answers
      // the STP_ at 5, f (an error status) the STT_ of the stream started at 6.
      const peer = fakePeer(scheduler, hot('-a------p-f-----', { a: values.a, p: values.a, f: values.f }));
      expectObservable(stream(peer, 'TDATA', { deviceName: 'A', scheduler }), '^----!').toBe('-----');
      expectObservable(stream(peer, 'TDATA', { deviceName: 'B', scheduler }), '------^').toBe('----------#', undefined, expect.any(QueryFailedError));
      flush();
      expect(peer.sentTypes()).toEqual(['0 STT_TDATA', '5 STP_TDATA', '6 STT_TDATA']);
    });
  });
});
