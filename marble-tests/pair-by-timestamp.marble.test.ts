import { Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { Endian, IDENTITY, ScalarType, Timestamp, createMessage, type IgtlMessage, type ImageMessage, type TransformMessage } from '../src/index.js';
import { pairByTimestamp, type PairResult } from '../operators/index.js';
import { captureUnhandledErrors } from './support/unhandled-errors.js';

const T0 = 1_700_000_000_000;
const stamp = (ms: number) => Timestamp.fromMillis(T0 + ms);
/** An ultrasound frame stamped `ms` after T0. */
const image = (ms: number, deviceName = 'Image_Reference'): ImageMessage =>
  createMessage(
    'IMAGE',
    {
      numComponents: 1, scalarType: ScalarType.UINT8, endian: Endian.LITTLE, coordinate: 1, size: [1, 1, 1], matrix: IDENTITY,
      subvolumeOffset: [0, 0, 0], subvolumeSize: [1, 1, 1], data: new Uint8Array(1),
    },
    { deviceName, timestamp: stamp(ms) },
  );
/** A probe pose stamped `ms` after T0. */
const pose = (ms: number, deviceName = 'ProbeToReference'): TransformMessage => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName, timestamp: stamp(ms) });

type Result = PairResult<ImageMessage, TransformMessage>;
const paired = (source: ImageMessage, partner: TransformMessage): Result => ({
  kind: 'paired', source, partner, deltaMs: partner.timestamp.toMillis() - source.timestamp.toMillis(),
});
const unmatched = (source: ImageMessage, reason: 'no-partner' | 'timeout' | 'no-timestamp'): Result => ({ kind: 'unmatched', source, reason });

describe('pairByTimestamp', () => {
  let scheduler: TestScheduler;
  // What RxJS reports as unhandled (a callback's throw that no result took): must stay empty.
  const unhandled = captureUnhandledErrors();
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const p = { a: pose(100), b: pose(110), c: pose(120), d: pose(130), n: pose(101), o: pose(104), q: pose(99) };
  const i = { x: image(102), y: image(119), z: image(160), w: image(100) };

  it('pairs with an early partner once a partner past the tolerance arrives', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a------b---', p);
      const source = cold('---x-------|', i);
      // x (102) waits: partner a (100) is 2 ms off, but a nearer one could still come until b (110) shows none did.
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('--------r--|', {
        r: paired(i.x, p.a),
      });
    });
  });

  it('pairs with a late partner as soon as no nearer one can come', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('----n------', p);
      const source = cold('-w--------|', i);
      // w (100) and n (101): 1 ms apart; a later partner (>= 101) cannot be nearer.
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('----r-----|', {
        r: paired(i.w, p.n),
      });
    });
  });

  it('pairs at once when the nearest possible partner is already there', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a-b-c-d-', p);
      const source = cold('------y--|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, scheduler }))).toBe('------r--|', { r: paired(i.y, p.c) });
    });
  });

  it('reports a missing partner as no-partner once the other stream moves past the tolerance', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a---b-c-', p);
      // x (102) with a tolerance of 1: a (100) is too early, b (110) shows nothing nearer will come.
      expectObservable(cold('--x------|', i).pipe(pairByTimestamp(other, { toleranceMs: 1, maxWaitMs: 50, scheduler }))).toBe('-----r---|', {
        r: unmatched(i.x, 'no-partner'),
      });
    });
  });

  it('behaves as the diagram in its documentation shows', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot(' -a---b-----c-----|', { a: pose(10), b: pose(20), c: pose(30) });
      const source = cold('---x----y------z-----|', { x: image(19), y: image(26), z: image(60) });
      const expected = '   -----r-----s-----t---|';
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, scheduler }))).toBe(expected, {
        r: paired(image(19), pose(20)),
        s: paired(image(26), pose(30)),
        t: unmatched(image(60), 'no-partner'),
      });
    });
  });

  it('reports timeout when nothing within tolerance arrives in maxWaitMs', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a--------', p);
      const source = cold('--x---|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 1, maxWaitMs: 4, scheduler }))).toBe('------(r|)', {
        r: unmatched(i.x, 'timeout'),
      });
    });
  });

  it('pairs with the nearest partner so far when the wait ends', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a--------', p);
      const source = cold('--x---|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 4, scheduler }))).toBe('------(r|)', {
        r: paired(i.x, p.a),
      });
    });
  });

  it('handles out-of-order partners: the nearest wins, whatever order they came in', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-o-q-b--', p);
      const source = cold('------w-|', i);
      // o (104) came before q (99); w (100) pairs with q, 1 ms off.
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, scheduler }))).toBe('------r-|', { r: paired(i.w, p.q) });
    });
  });

  it('resolves several waiting sources with one partner, in arrival order', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a--------c--', p);
      const source = cold('-x-y------------|', { x: image(101), y: image(102) });
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('----------(rs)--|', {
        r: paired(image(101), p.a),
        s: paired(image(102), p.a),
      });
    });
  });

  it('pairs only messages with the same key', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-ab------', { a: pose(100, 'Probe1'), b: pose(101, 'Probe2') });
      const source = cold('---xy--|', { x: image(100, 'Probe1'), y: image(101, 'Probe2') });
      const key = (m: IgtlMessage) => m.deviceName;
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, key, scheduler }))).toBe('---xy--|', {
        x: paired(image(100, 'Probe1'), pose(100, 'Probe1')),
        y: paired(image(101, 'Probe2'), pose(101, 'Probe2')),
      });
    });
  });

  it('reports sources without a timestamp as no-timestamp and ignores partners without one', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const zeroImage = { ...image(0), timestamp: Timestamp.ZERO };
      const zeroPose = { ...pose(0), timestamp: Timestamp.ZERO };
      const other = hot('-z-----', { z: zeroPose });
      const source = cold('--i--|', { i: zeroImage });
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, scheduler }))).toBe('--r--|', { r: unmatched(zeroImage, 'no-timestamp') });
    });
  });

  it('drops partners no source can use any more (older than both streams\' latest minus tolerance)', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-ae------', { a: pose(100), e: pose(160) });
      // Both streams have moved on to 160, so a (100) is useless; w (100), arriving out of order
      // afterwards, no longer finds it.
      const source = cold('---z-w-|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 2, scheduler }))).toBe('---r-s-|', {
        r: paired(i.z, pose(160)),
        s: unmatched(i.w, 'no-partner'),
      });
    });
  });

  // One message stamped days ahead (a sender's clock glitch, a corrupted field) must not end the
  // pairing: the streams' positions are where they are now, not the furthest they ever got.
  const FAR = 1_000_000_000; // 11.6 days after T0

  it('goes on pairing after one partner stamped far in the future', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a--F---b---c---', { a: pose(100), F: pose(FAR), b: pose(110), c: pose(120) });
      // y and z come before their partners, as an image ahead of its pose does. y, while F is the
      // partner stream's latest, is settled at once (the cost of the glitch, reported); z pairs.
      const source = cold('--x---y---z-----|', { x: image(100), y: image(110), z: image(120) });
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('--r---s-----t---|', {
        r: paired(image(100), pose(100)),
        s: unmatched(image(110), 'no-partner'),
        t: paired(image(120), pose(120)),
      });
    });
  });

  it('goes on pairing after one source stamped far in the future', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a----b---c------', { a: pose(100), b: pose(110), c: pose(120) });
      // y and z come after their partners, as an image behind its pose does.
      const source = cold('--xG----y---z--|', { x: image(100), G: image(FAR), y: image(110), z: image(120) });
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 2, scheduler }))).toBe('--r--g--s---t--|', {
        r: paired(image(100), pose(100)),
        g: unmatched(image(FAR), 'timeout'),
        s: paired(image(110), pose(110)),
        t: paired(image(120), pose(120)),
      });
    });
  });

  it('goes on pairing after the sender\'s clock steps back', () => {
    const HOUR = 3_600_000;
    scheduler.run(({ hot, cold, expectObservable }) => {
      // Both streams come from one clock, which steps back an hour between a/x and b/y.
      const other = hot('-a----b-----c---', { a: pose(HOUR + 100), b: pose(110), c: pose(120) });
      const source = cold('--x-----y-z-----|', { x: image(HOUR + 100), y: image(110), z: image(120) });
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('--r-----s---t---|', {
        r: paired(image(HOUR + 100), pose(HOUR + 100)),
        s: paired(image(110), pose(110)),
        t: paired(image(120), pose(120)),
      });
    });
  });

  it('keeps at most maxPartners partners per key', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-abc----', { a: pose(100), b: pose(101), c: pose(102) });
      const source = cold('-----w-|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxPartners: 2, scheduler }))).toBe('-----r-|', {
        r: paired(i.w, pose(101)),
      });
    });
  });

  it('waits for pending sources after the source completes, then completes', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('--------b--', p);
      const source = cold('-x|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('--------(r|)', {
        r: unmatched(i.x, 'no-partner'),
      });
    });
  });

  it('resolves waiting sources at once when the other stream completes', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const other = hot('-a--|', p);
      const source = cold('--x---y---|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('----r-s---|', {
        r: paired(i.x, p.a),
        s: unmatched(i.y, 'no-partner'),
      });
    });
  });

  it('passes an error of the source through at once', () => {
    scheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const other = hot('-a------', p);
      const source = cold('--x-#', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('----#');
      expectSubscriptions(other.subscriptions).toBe('^---!');
      // The wait of x (until frame 52) is cancelled with the error.
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 5);
    });
  });

  it('passes an error of the other stream through at once', () => {
    scheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const other = hot('-a-#', p);
      const source = cold('--x-----|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler }))).toBe('---#');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribes from both streams and cancels its waits when unsubscribed', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const other = cold('-a------b-|', p);
      const source = cold('--x------|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, scheduler })), '^---!').toBe('-----');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(other.subscriptions).toBe('^---!');
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 5);
    });
  });

  const boom = new Error('key failed');
  /** A key selector that throws for `bad` and puts everything else in one group (as the default does). */
  const keyThrowingOn = (bad: IgtlMessage) => (m: IgtlMessage): string => {
    if (m === bad) throw boom;
    return 'probe';
  };

  it('errors with what the key selector throws for a source message, and unsubscribes both streams', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const other = cold('-a-b-c-d------|', p);
      const source = cold('--w---y---z---|', i);
      const result = source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, key: keyThrowingOn(i.y), scheduler }));
      // w (100) pairs with a (100) at once; y's key throws at 6, and z never comes.
      expectObservable(result).toBe('--r---#', { r: paired(i.w, p.a) }, boom);
      expectSubscriptions(source.subscriptions).toBe('^-----!');
      expectSubscriptions(other.subscriptions).toBe('^-----!');
    });
    expect(unhandled).toEqual([]);
  });

  it('errors with what the key selector throws for a partner, cancelling the waits', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const other = cold('-a-----b--c---|', p);
      const source = cold('--x-----------|', i);
      // x (102) waits (maxWaitMs 50); b would settle it at 7, but its key throws.
      const result = source.pipe(pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 50, key: keyThrowingOn(p.b), scheduler }));
      expectObservable(result).toBe('-------#', undefined, boom);
      expectSubscriptions(source.subscriptions).toBe('^------!');
      expectSubscriptions(other.subscriptions).toBe('^------!');
      // The wait of x (until frame 52) goes with the error.
      scheduler.schedule(() => expect(scheduler.actions).toHaveLength(0), 8);
    });
    expect(unhandled).toEqual([]);
  });

  it('errors with what the key selector throws for the first partner', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const other = cold('a---b---|', p);
      const source = cold('--x---|', i);
      expectObservable(source.pipe(pairByTimestamp(other, { toleranceMs: 5, key: keyThrowingOn(p.a), scheduler }))).toBe('#', undefined, boom);
      // The source is subscribed after other$, at the same frame, and never gets to emit.
      expectSubscriptions(source.subscriptions).toBe('(^!)');
      expectSubscriptions(other.subscriptions).toBe('(^!)');
    });
    expect(unhandled).toEqual([]);
  });

  it('does not subscribe to the source when other$ errors as it is subscribed', () => {
    const err = new Error('no poses');
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--x---|', i);
      expectObservable(source.pipe(pairByTimestamp(throwError(() => err), { toleranceMs: 5, scheduler }))).toBe('#', undefined, err);
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });

  it('refuses a negative tolerance', () => {
    expect(() => pairByTimestamp(scheduler.createColdObservable<TransformMessage>('-'), { toleranceMs: -1 })).toThrow(RangeError);
  });

  it('refuses a maxWaitMs no timer can keep, and a maxPartners that is not a whole number >= 1', () => {
    const other = scheduler.createColdObservable<TransformMessage>('-');
    // NaN and negative waits ran out at once (1 ms, setTimeout's floor); 2^31 ms and more too
    // (Node's setTimeout takes at most 2^31 - 1 and makes anything longer 1 ms).
    for (const maxWaitMs of [Number.NaN, -1, 2 ** 31]) expect(() => pairByTimestamp(other, { toleranceMs: 5, maxWaitMs })).toThrow(RangeError);
    // NaN lifted the bound (no partner was ever dropped for it); 0 or less dropped every partner.
    for (const maxPartners of [Number.NaN, 0, -1, 1.5, Infinity]) expect(() => pairByTimestamp(other, { toleranceMs: 5, maxPartners })).toThrow(RangeError);
    expect(() => pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 0, maxPartners: 1 })).not.toThrow();
    expect(() => pairByTimestamp(other, { toleranceMs: 5, maxWaitMs: 2 ** 31 - 1 })).not.toThrow();
  });

  it('waits for a partner without a time limit when maxWaitMs is Infinity (on real timers too)', async () => {
    // Real timers: asyncScheduler's setInterval makes an Infinity delay 1 ms (with a
    // TimeoutOverflowWarning), and the source timed out before its partner came. No quiet period
    // is asserted: the pairing is the event the test waits for.
    const poses = new Subject<TransformMessage>();
    const images = new Subject<ImageMessage>();
    const results: Result[] = [];
    const done = new Promise<void>((resolve) => {
      images.pipe(pairByTimestamp(poses, { toleranceMs: 5, maxWaitMs: Infinity })).subscribe({ next: (r) => results.push(r), complete: resolve });
    });
    images.next(image(100));
    images.complete();
    await new Promise((resolve) => setTimeout(resolve, 50));
    poses.next(pose(101));
    await done;
    expect(results).toEqual([paired(image(100), pose(101))]);
  });
});
