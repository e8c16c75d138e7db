import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, createMessage, type IgtlMessage } from '../src/index.js';
import { ofType } from '../operators/index.js';

const at = Timestamp.fromMillis(1_700_000_000_000);
const values: Record<string, IgtlMessage> = {
  t: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: at }),
  T: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Probe', timestamp: at }),
  d: createMessage('TDATA', { elements: [] }, { deviceName: 'Tracker', timestamp: at }),
  s: createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { timestamp: at }),
  u: { type: 'UNKNOWN', typeName: 'CLIENTINFO', headerVersion: 1, deviceName: 'x', timestamp: at, messageId: 0, metadata: new Map(), content: { raw: new Uint8Array(2) } },
};

describe('ofType', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('keeps the messages of one type', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-t-d-s-T-|', values).pipe(ofType('TRANSFORM'))).toBe('-t-----T-|', values);
    });
  });

  it('keeps the messages of several types, in source order', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-t-d-s-T-|', values).pipe(ofType('TDATA', 'STATUS'))).toBe('---d-s---|', values);
    });
  });

  it("keeps messages of unknown types with 'UNKNOWN'", () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-t-u-|', values).pipe(ofType('UNKNOWN'))).toBe('---u-|', values);
    });
  });

  it('passes completion through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-s-|', values).pipe(ofType('TRANSFORM'))).toBe('-----|');
    });
  });

  it('passes errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-t-#', values, new Error('boom')).pipe(ofType('TRANSFORM'))).toBe('-t-#', values, new Error('boom'));
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-t-t-t-t-|', values);
      expectObservable(source.pipe(ofType('TRANSFORM')), '^---!').toBe('-t-t', values);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });
});
