import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage, type PointElement, type TrackingElement } from '../src/index.js';
import { ofElement, splitElements } from '../operators/index.js';

const at = Timestamp.fromMillis(1_700_000_000_500);
const tool = (name: string, type: number = TrackingType.INSTRUMENT_6D): TrackingElement => ({ name, type, matrix: IDENTITY });
const point = (name: string): PointElement => ({ name, group: 'Landmark', rgba: [0, 255, 0, 255], position: [0, 0, 0], radius: 2, owner: '' });
const header = { deviceName: 'Tracker', timestamp: at };
const tdata = (...elements: TrackingElement[]) => createMessage('TDATA', { elements }, header);

const values: Record<string, IgtlMessage> = {
  T: tdata(tool('Stylus'), tool('Probe'), tool('Reference', TrackingType.TRACKER)),
  U: tdata(tool('Probe')),
  a: tdata(tool('Stylus')),
  b: tdata(tool('Probe')),
  c: tdata(tool('Reference', TrackingType.TRACKER)),
  d: tdata(tool('Stylus'), tool('Probe')),
  P: createMessage('POINT', { points: [point('Entry'), point('Target')] }, header),
  f: createMessage('POINT', { points: [point('Target')] }, header),
  r: createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: at }),
};

describe('ofElement', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('follows one tool after splitElements', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T---T---|', values).pipe(splitElements(), ofElement('Stylus'))).toBe('-a---a---|', values);
    });
  });

  it('filters the element list of unsplit messages and drops messages left empty', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T-U-P-|', values).pipe(ofElement('Stylus'))).toBe('-a-----|', values);
      expectObservable(cold('-T-U-P-|', values).pipe(ofElement('Target'))).toBe('-----f-|', values);
    });
  });

  it('passes a message whose elements all match as it is', () => {
    let passed: IgtlMessage | undefined;
    scheduler.run(({ cold }) => {
      cold('U', values).pipe(ofElement('Probe')).subscribe((m) => (passed = m));
    });
    expect(passed).toBe(values.U);
  });

  it('takes globs, RegExps and predicates', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T-|', values).pipe(ofElement('{Stylus,Probe}'))).toBe('-d-|', values);
      expectObservable(cold('-T-|', values).pipe(ofElement(/^Ref/))).toBe('-c-|', values);
      expectObservable(cold('-T-|', values).pipe(ofElement((_name, element) => 'type' in element && element.type === TrackingType.TRACKER))).toBe('-c-|', values);
    });
  });

  it('drops messages that have no elements (TRANSFORM, STATUS, ...)', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-r-a-|', values).pipe(ofElement('Stylus'))).toBe('---a-|', values);
    });
  });

  it('passes errors through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#', values).pipe(ofElement('Stylus'))).toBe('-a-#', values);
    });
  });

  // Built on RxJS's concatMap, which already gives a throwing projection to the result: this
  // pins the contract the hand-written operators were brought in line with.
  it('errors with what a predicate throws, at that frame, and unsubscribes the source', () => {
    const boom = new Error('predicate failed');
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-a-|', values);
      const predicate = (name: string): boolean => {
        if (name === 'Probe') throw boom;
        return name === 'Stylus';
      };
      expectObservable(source.pipe(ofElement(predicate))).toBe('-a-#', values, boom);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-a-a-|', values);
      expectObservable(source.pipe(ofElement('Stylus')), '^----!').toBe('-a-a-', values);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });
});
