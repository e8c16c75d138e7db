import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, createMessage, type IgtlMessage } from '../src/index.js';
import { sendTo, type IgtlPeer } from '../operators/index.js';
import { fakePeer } from './support/fake-peer.js';

const at = Timestamp.fromMillis(1_700_000_000_000);
const pose = (deviceName: string) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName, timestamp: at });
const values: Record<string, IgtlMessage> = { a: pose('A'), b: pose('B'), c: pose('C') };

/** A peer that is gone (a send waits for a channel that never opens), counting its subscribers. */
function gonePeer(): { peer: IgtlPeer; subscribers: () => number } {
  let subscribed = 0;
  const peer: IgtlPeer = {
    subscribe: () => {
      subscribed++;
      return { unsubscribe: () => subscribed-- };
    },
    send: () => new Promise<never>(() => undefined),
    nextMessageId: () => 1,
    nextCommandId: () => 1,
  };
  return { peer, subscribers: () => subscribed };
}

describe('sendTo', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends each message with the policy given and re-emits it unchanged', () => {
    scheduler.run(({ cold, hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      expectObservable(cold('-a-b--c-|', values).pipe(sendTo(peer, { policy: 'latest' }))).toBe('-a-b--c-|', values);
      flush();
      expect(peer.sent).toEqual([
        { frame: 1, msg: values.a, policy: 'latest' },
        { frame: 3, msg: values.b, policy: 'latest' },
        { frame: 6, msg: values.c, policy: 'latest' },
      ]);
    });
  });

  it("leaves the policy to the connection when none is given", () => {
    scheduler.run(({ cold, hot, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      cold('-a|', values).pipe(sendTo(peer)).subscribe();
      flush();
      expect(peer.sent).toEqual([{ frame: 1, msg: values.a }]);
    });
  });

  it('goes on when sends fail (the connection reports them on errors$)', async () => {
    const sched = new TestScheduler(() => undefined);
    const peer = fakePeer(sched, new Subject<IgtlMessage>(), () => Promise.reject(new Error('queue full')));
    const seen: IgtlMessage[] = [];
    let completed = false;
    sched.run(({ cold }) => {
      cold('-a-b-|', values).pipe(sendTo(peer)).subscribe({ next: (m) => seen.push(m), complete: () => (completed = true) });
    });
    await Promise.resolve();
    expect(seen).toEqual([values.a, values.b]);
    expect(completed).toBe(true);
    expect(peer.sent).toHaveLength(2);
  });

  it('goes on when send throws instead of rejecting', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('-'), () => {
        throw new Error('bad');
      });
      expectObservable(cold('-a-b-|', values).pipe(sendTo(peer))).toBe('-a-b-|', values);
    });
  });

  it('passes errors through', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('-'));
      expectObservable(cold('-a-#', values).pipe(sendTo(peer))).toBe('-a-#', values);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      const source = hot('-a-b-c-|', values);
      expectObservable(source.pipe(sendTo(peer)), '^--!').toBe('-a-', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      flush();
      expect(peer.sent.map((s) => s.msg)).toEqual([values.a]);
    });
  });

  it('keeps the connection subscribed while running and until the last sends have settled', async () => {
    let subscribed = 0;
    let settle: (() => void) | undefined;
    const peer: IgtlPeer = {
      subscribe: () => {
        subscribed++;
        return { unsubscribe: () => subscribed-- };
      },
      send: () => new Promise((resolve) => (settle = () => resolve('written'))),
      nextMessageId: () => 1,
      nextCommandId: () => 1,
    };
    const source = new Subject<IgtlMessage>();
    source.pipe(sendTo(peer)).subscribe();
    expect(subscribed).toBe(1);
    source.next(values.a!);
    source.complete();
    expect(subscribed).toBe(1); // the send of a is still waiting
    settle!();
    await Promise.resolve();
    await Promise.resolve();
    expect(subscribed).toBe(0);
  });

  it('holds the connection for the waiting sends for flushTimeoutMs at most, then lets go', () => {
    const { peer, subscribers } = gonePeer();
    const held: number[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a', values).pipe(sendTo(peer, { flushTimeoutMs: 5000, scheduler })), '^--!').toBe('-a-', values);
      for (const t of [2, 3, 5002, 5004]) scheduler.schedule(() => held.push(subscribers()), t);
    });
    // Unsubscribed at 3: held until 5003, not for ever.
    expect(held).toEqual([1, 1, 1, 0]);
  });

  it('lets go at once with flushTimeoutMs 0, and refuses a limit no timer keeps', () => {
    const { peer, subscribers } = gonePeer();
    const source = new Subject<IgtlMessage>();
    source.pipe(sendTo(peer, { flushTimeoutMs: 0 })).subscribe();
    source.next(values.a!);
    source.complete();
    expect(subscribers()).toBe(0);
    expect(() => sendTo(peer, { flushTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => sendTo(peer, { flushTimeoutMs: 2 ** 31 })).toThrow(RangeError);
  });
});
