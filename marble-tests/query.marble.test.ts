import { firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectionError, Endian, IDENTITY, ScalarType, Timestamp, TimeoutError, createMessage,
  type IgtlMessage, type ImageMessage, type MessageOptions,
} from '../src/index.js';
import { QueryFailedError, QueryTimeoutError, query } from '../operators/index.js';
import { correlatorFor } from '../operators/internal/correlator.js';
import { fakePeer } from './support/fake-peer.js';

const at = Timestamp.fromMillis(1_700_000_000_000);

const image = (deviceName: string, options: MessageOptions = {}): ImageMessage =>
  createMessage(
    'IMAGE',
    {
      numComponents: 1, scalarType: ScalarType.UINT8, endian: Endian.LITTLE, coordinate: 1, size: [1, 1, 1], matrix: IDENTITY,
      subvolumeOffset: [0, 0, 0], subvolumeSize: [1, 1, 1], data: new Uint8Array(1),
    },
    { deviceName, timestamp: at, ...options },
  );
const getImage = (deviceName: string, options: MessageOptions = {}) => createMessage('GET_IMAGE', {}, { deviceName, timestamp: at, ...options });
const v3 = { headerVersion: 2 } as const;
const status = (statusMessage: string): IgtlMessage => createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage }, { deviceName: '', timestamp: at });
const getStatus = (deviceName: string) => createMessage('GET_STATUS', {}, { deviceName, timestamp: at });

describe('query', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends the GET_ on subscription and emits the data message of that device', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const values = { c: image('CT'), u: image('US') };
      const peer = fakePeer(scheduler, hot('---c---u---', values));
      expectObservable(query(peer, getImage('US'))).toBe('-------(u|)', values);
      flush();
      expect(peer.sent).toEqual([{ frame: 0, msg: getImage('US') }]);
    });
  });

  it('is cold: sends nothing until subscribed, and once per subscription', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const values = { u: image('US') };
      const peer = fakePeer(scheduler, hot('-----u-u--', values));
      const q = query(peer, getImage('US'));
      expect(peer.sent).toEqual([]);
      expectObservable(q, '--^').toBe('-----(u|)', values);
      // A second request of its own, answered by the next reply.
      expectObservable(q, '--^').toBe('-------(u|)', values);
      flush();
      expect(peer.sent.map((s) => s.frame)).toEqual([2, 2]);
    });
  });

  it('answers a GET_ with an RTS_ too, and STT_/STP_ only with their RTS_', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = {
        t: createMessage('TDATA', { elements: [] }, { timestamp: at }),
        r: createMessage('RTS_TDATA', { status: 0 }, { timestamp: at }),
        i: createMessage('RTS_IMAGE', { status: 0 }, { deviceName: 'US', timestamp: at }),
      };
      const peer = fakePeer(scheduler, hot('--t--r--i--', values));
      expectObservable(query(peer, createMessage('STT_TDATA', { resolution: 50, coordinateName: '' }, { timestamp: at }))).toBe('-----(r|)', values);
      expectObservable(query(peer, getImage('US'))).toBe('--------(i|)', values);
    });
  });

  it('maps shortened query names to their base types (GET_TRANS -> TRANSFORM, GET_CAPABIL -> CAPABILITY)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = {
        t: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: at }),
        c: createMessage('CAPABILITY', { types: ['TRANSFORM'] }, { timestamp: at }),
      };
      const peer = fakePeer(scheduler, hot('--t--c--', values));
      expectObservable(query(peer, createMessage('GET_TRANS', {}, { deviceName: 'Stylus', timestamp: at }))).toBe('--(t|)', values);
      expectObservable(query(peer, createMessage('GET_CAPABIL', {}, { timestamp: at }))).toBe('-----(c|)', values);
    });
  });

  it('lets an empty device name in the request match any device', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { s: createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { timestamp: at }), x: image('Whatever') };
      const peer = fakePeer(scheduler, hot('--s--x--', values));
      expectObservable(query(peer, getImage(''))).toBe('-----(x|)', values);
    });
  });

  it('accepts an RTS_ with an empty device name for a named request', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { r: createMessage('RTS_TDATA', { status: 0 }, { timestamp: at }) };
      const peer = fakePeer(scheduler, hot('--r--', values));
      expectObservable(query(peer, createMessage('STT_TDATA', { resolution: 0, coordinateName: '' }, { deviceName: 'Tracker', timestamp: at }))).toBe('--(r|)', values);
    });
  });

  it('errors with QueryFailedError when the RTS_ reports an error', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { f: createMessage('RTS_IMAGE', { status: 1 }, { deviceName: 'US', timestamp: at }) };
      const peer = fakePeer(scheduler, hot('---f--', values));
      expectObservable(query(peer, getImage('US'))).toBe('---#', undefined, expect.any(QueryFailedError));
    });
  });

  it('reads RTS_POLYDATA status 1 as success and 0 as failure, as the C++ library does', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = {
        ok: createMessage('RTS_POLYDATA', { status: 1 }, { deviceName: 'a.vtk', timestamp: at }),
        no: createMessage('RTS_POLYDATA', { status: 0 }, { deviceName: 'b.vtk', timestamp: at }),
      };
      const peer = fakePeer(scheduler, hot('-a-b-', { a: values.ok, b: values.no }));
      expectObservable(query(peer, createMessage('GET_POLYDATA', {}, { deviceName: 'a.vtk', timestamp: at }))).toBe('-(a|)', { a: values.ok });
      expectObservable(query(peer, createMessage('GET_POLYDATA', {}, { deviceName: 'b.vtk', timestamp: at }))).toBe('---#', undefined, expect.any(QueryFailedError));
    });
  });

  it('carries the request, the reply and the status in a QueryFailedError', async () => {
    const reply = createMessage('RTS_IMAGE', { status: 1 }, { deviceName: 'US', timestamp: at });
    const sched = new TestScheduler(() => undefined);
    let error: unknown;
    sched.run(({ hot }) => {
      query(fakePeer(sched, hot('-r', { r: reply })), getImage('US')).subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(error).toBeInstanceOf(QueryFailedError);
    expect(error).toMatchObject({ code: 'query-failed', reply, status: 1, request: getImage('US') });
  });

  it('times out with a QueryTimeoutError (also a TimeoutError)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--------'));
      expectObservable(query(peer, getImage('US'), { timeoutMs: 5, scheduler })).toBe('-----#', undefined, expect.any(QueryTimeoutError));
    });
    expect(new QueryTimeoutError(getImage('US'), 5)).toBeInstanceOf(TimeoutError);
  });

  it('gives v3 requests a message ID from the peer, and leaves v1 requests without one', () => {
    scheduler.run(({ hot, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      query(peer, getImage('A', v3)).subscribe({ error: () => undefined });
      query(peer, getImage('B')).subscribe({ error: () => undefined });
      query(peer, getImage('C', { messageId: 77 })).subscribe({ error: () => undefined });
      flush();
      expect(peer.sent.map((s) => [s.msg.deviceName, s.msg.messageId])).toEqual([['A', 1], ['B', 0], ['C', 77]]);
    });
  });

  it('gives each of many concurrent queries its own answer, whatever order they arrive in', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { a: image('A'), b: image('B'), c: image('C') };
      const peer = fakePeer(scheduler, hot('---c-a-b--', values));
      expectObservable(query(peer, getImage('A'))).toBe('-----(a|)', values);
      expectObservable(query(peer, getImage('B'))).toBe('-------(b|)', values);
      expectObservable(query(peer, getImage('C'))).toBe('---(c|)', values);
    });
  });

  it('correlates by echoed message ID before names', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // By name, u would go to the first query (empty device name = any); its ID says it answers the second.
      const values = { u: image('US', { messageId: 2 }), c: image('CT', { messageId: 1 }) };
      const peer = fakePeer(scheduler, hot('---u--c--', values));
      expectObservable(query(peer, getImage('', v3))).toBe('------(c|)', values);
      expectObservable(query(peer, getImage('US', v3))).toBe('---(u|)', values);
    });
  });

  it('falls back to names when the peer does not echo the ID (first waiting query first)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { u: image('US'), v: image('US') };
      const peer = fakePeer(scheduler, hot('---u--v--', values));
      expectObservable(query(peer, getImage('US', v3))).toBe('---(u|)', values);
      expectObservable(query(peer, getImage('US', v3))).toBe('------(v|)', values);
    });
  });

  it('ignores a late answer after a timeout, even when another query would match it by name', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { l: image('US', { messageId: 1 }), r: image('US', { messageId: 2 }) };
      const peer = fakePeer(scheduler, hot('--------l--r--', values));
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 5, scheduler })).toBe('-----#', undefined, expect.any(QueryTimeoutError));
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 50, scheduler }), '------^').toBe('-----------(r|)', values);
    });
  });

  it('drops a second reply echoing the ID of a query already answered, instead of answering a later one by name', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // A peer that answers twice (d repeats a's ID 1): the second query, ID 2, takes only its own r.
      const values = { a: image('US', { messageId: 1 }), d: image('US', { messageId: 1 }), r: image('US', { messageId: 2 }) };
      const peer = fakePeer(scheduler, hot('--a---d---r--', values));
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 50, scheduler })).toBe('--(a|)', values);
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 50, scheduler }), '----^').toBe('----------(r|)', values);
    });
  });

  it('answers two queries sent with the same caller-chosen message ID, one reply each', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { a: image('US', { messageId: 77 }), b: image('US', { messageId: 77 }) };
      const peer = fakePeer(scheduler, hot('--a---b--', values));
      expectObservable(query(peer, getImage('US', { headerVersion: 2, messageId: 77 }), { timeoutMs: 50, scheduler })).toBe('--(a|)', values);
      expectObservable(query(peer, getImage('US', { headerVersion: 2, messageId: 77 }), { timeoutMs: 50, scheduler })).toBe('------(b|)', values);
    });
  });

  it('retires no ID a reply taken by name did not echo (a peer numbering its own messages)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // The peer does not echo: its replies carry its own numbers, which are not ours to retire.
      const values = { a: image('US', { messageId: 7 }), b: image('US', { messageId: 1 }) };
      const peer = fakePeer(scheduler, hot('--a---b--', values));
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 50, scheduler })).toBe('--(a|)', values);
      expectObservable(query(peer, getImage('US', v3), { timeoutMs: 50, scheduler }), '----^').toBe('------(b|)', values);
    });
  });

  it('removes the pending request when unsubscribed before the answer, and lets go of the peer once its late answer came', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const incoming = hot('-------u--', { u: image('US') });
      const peer = fakePeer(scheduler, incoming);
      expectObservable(query(peer, getImage('US')), '^--!').toBe('---');
      // The ghost of the query waits for u (its answer, late), then nothing is pending.
      expectSubscriptions(incoming.subscriptions).toBe('^------!');
      scheduler.schedule(() => expect([correlatorFor(peer).size, correlatorFor(peer).ghosts]).toEqual([0, 1]), 3);
      flush();
      expect([correlatorFor(peer).size, correlatorFor(peer).ghosts]).toEqual([0, 0]);
    });
  });

  it('lets go of the peer timeoutMs after an unanswered query was given up', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const incoming = hot<IgtlMessage>('-----------------');
      const peer = fakePeer(scheduler, incoming);
      expectObservable(query(peer, getImage('US'), { timeoutMs: 5, scheduler })).toBe('-----#', undefined, expect.any(QueryTimeoutError));
      expectSubscriptions(incoming.subscriptions).toBe('^---------!');
    });
  });

  it('gives the late answer of a query without message IDs (a v1 or non-echoing peer) to no later query of that device', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // PLUS answers a named GET_STATUS with an unnamed STATUS and echoes no ID (PlusLib
      // vtkPlusOpenIGTLinkServer.cxx, GET_STATUS branch of DataReceiverThread): l, late, is the
      // first query's answer, r the second's.
      const values = { l: status('late'), r: status('fresh') };
      const peer = fakePeer(scheduler, hot('--------l--r--', values));
      expectObservable(query(peer, getStatus('Plus'), { timeoutMs: 5, scheduler })).toBe('-----#', undefined, expect.any(QueryTimeoutError));
      expectObservable(query(peer, getStatus('Plus'), { timeoutMs: 50, scheduler }), '------^').toBe('-----------(r|)', values);
    });
  });

  it('drops a late answer also when the query was unsubscribed (switchMap to a new query of the same device)', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const values = { l: image('US'), r: image('US') };
      const peer = fakePeer(scheduler, hot('----l--r--', values));
      expectObservable(query(peer, getImage('US')), '^--!').toBe('---');
      expectObservable(query(peer, getImage('US')), '---^').toBe('-------(r|)', values);
    });
  });

  it('lets a query take a reply after a ghost took one it wanted: a peer that never answers one query does not fail every later one', () => {
    scheduler.run(({ hot, expectObservable }) => {
      // The first query is never answered (3D Slicer answers no GET_ for a node it lacks); the second's
      // answer a goes to the first's ghost, so the second times out; it leaves no ghost (that would
      // wait until 15), and the third takes b.
      const values = { a: image('US'), b: image('US') };
      const peer = fakePeer(scheduler, hot('------a-----b---', values));
      expectObservable(query(peer, getImage('US'), { timeoutMs: 5, scheduler })).toBe('-----#', undefined, expect.any(QueryTimeoutError));
      expectObservable(query(peer, getImage('US'), { timeoutMs: 5, scheduler }), '-----^').toBe('----------#', undefined, expect.any(QueryTimeoutError));
      expectObservable(query(peer, getImage('US'), { timeoutMs: 50, scheduler }), '----------^').toBe('------------(b|)', values);
    });
  });

  it('subscribes to the peer only while requests are pending', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const values = { a: image('A'), b: image('B') };
      const incoming = hot('--a----b--', values);
      const peer = fakePeer(scheduler, incoming);
      expectObservable(query(peer, getImage('A'))).toBe('--(a|)', values);
      expectObservable(query(peer, getImage('B')), '----^').toBe('-------(b|)', values);
      expectSubscriptions(incoming.subscriptions).toBe(['^-!', '----^--!']);
    });
  });

  it('errors with a ConnectionError when the connection ends before the answer', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('---|'));
      expectObservable(query(peer, getImage('US'))).toBe('---#', undefined, expect.any(ConnectionError));
    });
  });

  it('passes the connection error through when the connection fails before the answer', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('---#', undefined, new ConnectionError('reset')));
      expectObservable(query(peer, getImage('US'))).toBe('---#', undefined, new ConnectionError('reset'));
    });
  });

  it('errors with the error of send when the request cannot be sent', async () => {
    const refused = new Error('queue full');
    const sched = new TestScheduler(() => undefined);
    const peer = fakePeer(sched, sched.createHotObservable<IgtlMessage>('-'), () => Promise.reject(refused));
    await expect(firstValueFrom(query(peer, getImage('US')))).rejects.toBe(refused);
    expect(correlatorFor(peer).size).toBe(0);
    // Never sent, it will never be answered: no ghost waits for its reply.
    expect(correlatorFor(peer).ghosts).toBe(0);
  });

  it('ends the ghost of a query given up while queued once the connection says it took it back unwritten', async () => {
    const sched = new TestScheduler(() => undefined);
    let settle: (r: string) => void = () => undefined;
    let signal: AbortSignal | undefined;
    const peer = fakePeer(sched, sched.createHotObservable<IgtlMessage>('-'), () => new Promise((r) => (settle = r)));
    const send = peer.send.bind(peer);
    peer.send = (msg, options) => ((signal = (options as { signal?: AbortSignal } | undefined)?.signal), send(msg, options));
    const sub = query(peer, getImage('US'), { scheduler: sched }).subscribe({ error: () => undefined });
    sub.unsubscribe();
    // Given up: the request asks the connection to take it back, and waits as a ghost meanwhile.
    expect(signal?.aborted).toBe(true);
    expect(correlatorFor(peer).ghosts).toBe(1);
    settle('dropped');
    await Promise.resolve();
    await Promise.resolve();
    expect(correlatorFor(peer).ghosts).toBe(0);
  });

  it('leaves no ghost of a request the connection dropped unsent', async () => {
    const sched = new TestScheduler(() => undefined);
    const peer = fakePeer(sched, sched.createHotObservable<IgtlMessage>('-'), () => Promise.resolve('dropped'));
    const sub = query(peer, getImage('US'), { scheduler: sched }).subscribe({ error: () => undefined });
    await Promise.resolve();
    sub.unsubscribe();
    expect([correlatorFor(peer).size, correlatorFor(peer).ghosts]).toEqual([0, 0]);
  });
});
