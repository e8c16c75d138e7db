import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage } from '../src/index.js';
import { splitElements, throttleTracking } from '../operators/index.js';
import { captureUnhandledErrors } from './support/unhandled-errors.js';

// In run mode one frame is 1 ms, so hz = 200 gives a window of 5 frames.
const HZ = 200;
const at = (ms: number) => Timestamp.fromMillis(1_700_000_000_000 + ms);
const pose = (deviceName: string, n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName, timestamp: at(n) });
const tdata = (n: number, ...names: string[]) =>
  createMessage('TDATA', { elements: names.map((name) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY })) }, { deviceName: 'Tracker', timestamp: at(n) });

const values: Record<string, IgtlMessage> = {
  a: pose('Stylus', 1),
  b: pose('Stylus', 2),
  c: pose('Stylus', 3),
  d: pose('Stylus', 4),
  e: pose('Stylus', 5),
  p: pose('Probe', 1),
  q: pose('Probe', 2),
  r: pose('Probe', 3),
  S: tdata(1, 'Stylus'),
  T: tdata(2, 'Stylus'),
  P: tdata(1, 'Probe'),
  Q: tdata(2, 'Probe'),
  X: tdata(1, 'Stylus', 'Probe'),
  Y: tdata(2, 'Stylus', 'Probe'),
};

describe('throttleTracking', () => {
  let scheduler: TestScheduler;
  // What RxJS reports as unhandled (a callback's throw that no result took): must stay empty.
  const unhandled = captureUnhandledErrors();
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits the first sample at once and the newest of a burst at the end of the window', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' a-bc-----------|', values);
      const expected = '    a----c---------|';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  it('behaves as the diagram in its documentation shows', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-bc-------d-|', values).pipe(throttleTracking(HZ))).toBe('a----c-----d-|', values);
    });
  });

  it('keeps at most one sample per window during a long burst, always the newest', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' abcdeabcdeabcde----------|', values);
      const expected = '    a----a----a----e---------|';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  it('lets a key go idle when its window ends with nothing new, then leads again', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' a-------b-c-------|', values);
      const expected = '    a-------b----c----|';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  it('throttles interleaved devices independently', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' apbqcr----------|', values);
      const expected = '    ap---cr---------|';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  it('does not let a quiet key hold back a busy one', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' pa-b-c-d-e-----|', values);
      const expected = '    pa----c----e---|';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  it('throttles each tool of a split TDATA stream on its own', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' X-Y----------|', values);
      const expected = '    (SP)-(TQ)----|';
      expectObservable(source.pipe(splitElements(), throttleTracking(HZ))).toBe(expected, values);
    });
  });

  // PlusServer leaves a lost tool out of its TDATA: one device's messages go from two tools (key:
  // the device) to one (key: that tool), two keys on one stream.
  it("never sends a device's snapshot of several tools after a newer message of that device", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = { ...values, Z: tdata(3, 'Stylus'), W: tdata(4, 'Stylus') };
      // X leads; Y waits in X's window; S (Stylus alone, newer) leads its own key at once; at the
      // window's end Y (Stylus and Probe at 2) is older than S: dropped, or Stylus jumped back and
      // the lost Probe came back for a window.
      expectObservable(cold('XYSZ------W|', v).pipe(throttleTracking(HZ))).toBe('X-S----Z---(W|)', v);
    });
  });

  it("drops a tool's waiting sample that a newer snapshot of its device has overtaken", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const v = { ...values, U: tdata(3, 'Stylus'), V: tdata(4, 'Stylus', 'Probe') };
      // S leads its key, U waits; V (both tools, newer) leads the device's key; U is older: dropped.
      expectObservable(cold('SUV------|', v).pipe(throttleTracking(HZ))).toBe('S-V------|', v);
    });
  });

  it('keeps messages of one tool each in their own order per tool (no snapshot between them)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // A sender that puts each tool in its own TDATA: S, T are Stylus, P, Q are Probe.
      expectObservable(cold('SPTQ-----|', values).pipe(throttleTracking(HZ))).toBe('SP---TQ--|', values);
    });
  });

  it('applies the same order to the waiting samples sent when the source completes', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('XYS|', values).pipe(throttleTracking(HZ))).toBe('X-S|', values);
    });
  });

  it('uses a custom key', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' apbq----------|', values);
      const expected = '    a----q--------|';
      expectObservable(source.pipe(throttleTracking(HZ, { key: () => 'all' }))).toBe(expected, values);
    });
  });

  it('emits waiting samples at once when the source completes, in arrival order', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' apqb|', values);
      const expected = '    ap--(qb|)';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
    });
  });

  // Checks, at a frame inside a window that would still be open, that nothing is scheduled:
  // not the window timer, and nothing else (the sources below are cold, so their own pending
  // notifications go away with their subscriptions).
  const expectNoTimerAt = (frame: number) =>
    scheduler.schedule(() => expect(scheduler.actions.map((a) => a.constructor.name)).toEqual([]), frame);

  it('passes errors through at once, dropping waiting samples and their timers', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold(' ab-#', values);
      const expected = '    a--#';
      expectObservable(source.pipe(throttleTracking(HZ))).toBe(expected, values);
      expectNoTimerAt(4);
    });
  });

  it('unsubscribes from the source and leaves no timer behind', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' apbqcr---------|', values);
      expectObservable(source.pipe(throttleTracking(HZ)), '^--!').toBe('ap-', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectNoTimerAt(4);
    });
  });

  it('leaves no timer behind when unsubscribed while a window reschedules', () => {
    const seen: IgtlMessage[] = [];
    scheduler.run(({ cold }) => {
      // Stylus keeps its window busy: windows end at 5 and 10, each emitting and rescheduling.
      const subscription = cold('abcdeabcde', values).pipe(throttleTracking(HZ)).subscribe((m) => seen.push(m));
      scheduler.schedule(() => {
        expect(scheduler.actions.length).toBeGreaterThan(0);
        subscription.unsubscribe();
        expect(scheduler.actions).toHaveLength(0);
      }, 7);
    });
    expect(seen).toEqual([values.a, values.a]);
  });

  it('leaves no timer behind after completion', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', values).pipe(throttleTracking(HZ))).toBe('a-(b|)', values);
      expectNoTimerAt(3);
    });
  });

  it('errors with what the key selector throws, at that frame, and unsubscribes the source', () => {
    const boom = new Error('key failed');
    let calls = 0;
    const key = (m: IgtlMessage): string => {
      if (++calls === 3) throw boom;
      return m.deviceName;
    };
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' a-p-b-q-c---|', values);
      const expected = '    a-p-#';
      expectObservable(source.pipe(throttleTracking(HZ, { key }))).toBe(expected, values, boom);
      expectSubscriptions(source.subscriptions).toBe('^---!');
      // The windows of a and p (ending at 5 and 7) go with the error.
      expectNoTimerAt(5);
    });
    expect(calls).toBe(3);
    expect(unhandled).toEqual([]);
  });

  it('errors with what the key selector throws on the first value', () => {
    const boom = new Error('key failed');
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' --a-b-|', values);
      expectObservable(source.pipe(throttleTracking(HZ, { key: () => { throw boom; } }))).toBe('--#', values, boom);
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
    expect(unhandled).toEqual([]);
  });

  it('stops a synchronous source at the value whose key throws', () => {
    const boom = new Error('key failed');
    const keys: string[] = [];
    const key = (m: IgtlMessage): string => {
      keys.push(m.deviceName);
      if (m.deviceName === 'Probe') throw boom;
      return m.deviceName;
    };
    const seen: IgtlMessage[] = [];
    let failure: unknown;
    scheduler.run(() => {
      of(values.a!, values.p!, values.b!, values.q!).pipe(throttleTracking(HZ, { key, scheduler })).subscribe({ next: (m) => seen.push(m), error: (err) => (failure = err) });
    });
    expect(seen).toEqual([values.a]);
    expect(failure).toBe(boom);
    // b and q are never read: the source saw its subscriber close at p.
    expect(keys).toEqual(['Stylus', 'Probe']);
    expect(unhandled).toEqual([]);
  });

  it('refuses a rate that is not positive, or whose window no timer can wait (it would run out after 1 ms)', () => {
    expect(() => throttleTracking(0)).toThrow(RangeError);
    expect(() => throttleTracking(Number.NaN)).toThrow(RangeError);
    expect(() => throttleTracking(1e-7)).toThrow(RangeError);
    expect(() => throttleTracking(1000 / (2 ** 31 - 1))).not.toThrow();
  });
});
