import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, createMessage, type IgtlMessage } from '../src/index.js';
import { ofDevice, ofType } from '../operators/index.js';

const at = Timestamp.fromMillis(1_700_000_000_000);
const transform = (deviceName: string) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName, timestamp: at });
const values: Record<string, IgtlMessage> = {
  s: transform('Stylus'),
  p: transform('Probe'),
  r: transform('Reference'),
  S: transform('Stylus2'),
  t: transform('Tracker (1)'),
  d: createMessage('TDATA', { elements: [] }, { deviceName: 'Stylus', timestamp: at }),
};

describe('ofDevice', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('matches a plain name exactly', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-p-r-S-|', values).pipe(ofDevice('Stylus'))).toBe('-s-------|', values);
    });
  });

  it('matches a glob with picomatch', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-p-r-S-|', values).pipe(ofDevice('Stylus*'))).toBe('-s-----S-|', values);
      expectObservable(cold('-s-p-r-S-|', values).pipe(ofDevice('{Probe,Reference}'))).toBe('---p-r---|', values);
      expectObservable(cold('-s-p-r-S-|', values).pipe(ofDevice('!Stylus*'))).toBe('---p-r---|', values);
    });
  });

  it('still matches a name that looks like a glob by its own text', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-t-s-|', values).pipe(ofDevice('Tracker (1)'))).toBe('-t---|', values);
    });
  });

  it('tests a RegExp, ignoring its global flag', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-s-p-r-|', values).pipe(ofDevice(/^(Stylus|Ref)/g))).toBe('-s-s---r-|', values);
    });
  });

  it('calls a predicate with the name and the message', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-s-d-p-|', values);
      expectObservable(source.pipe(ofDevice((name, msg) => name === 'Stylus' && msg.type === 'TDATA'))).toBe('---d---|', values);
    });
  });

  it('composes with ofType in either order', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-d-|', values).pipe(ofType('TRANSFORM'), ofDevice('Stylus'))).toBe('-s---|', values);
      expectObservable(cold('-s-d-|', values).pipe(ofDevice('Stylus'), ofType('TDATA'))).toBe('---d-|', values);
    });
  });

  it('passes errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-p-#', values).pipe(ofDevice('Probe'))).toBe('---p-#', values);
    });
  });

  // Built on RxJS's filter, which already gives a throwing predicate to the result: this pins
  // the contract the hand-written operators were brought in line with.
  it('errors with what a predicate throws, at that frame, and unsubscribes the source', () => {
    const boom = new Error('predicate failed');
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-p-r-s-|', values);
      const predicate = (name: string): boolean => {
        if (name === 'Probe') throw boom;
        return name === 'Stylus';
      };
      expectObservable(source.pipe(ofDevice(predicate))).toBe('-s-#', values, boom);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-s-s-s-s-|', values);
      expectObservable(source.pipe(ofDevice('Stylus')), '^----!').toBe('-s-s-', values);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });
});
