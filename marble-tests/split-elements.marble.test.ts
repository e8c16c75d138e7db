import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage, type PointElement, type TrackingElement } from '../src/index.js';
import { splitElements } from '../operators/index.js';

const at = Timestamp.fromMillis(1_700_000_000_250);
const tool = (name: string): TrackingElement => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY });
const point = (name: string): PointElement => ({ name, group: 'Landmark', rgba: [255, 0, 0, 255], position: [1, 2, 3], radius: 1, owner: '' });
const header = { deviceName: 'Tracker', timestamp: at, metadata: { StylusStatus: 'OK' } };
const tdata = (...names: string[]) => createMessage('TDATA', { elements: names.map(tool) }, header);
const qtool = (name: string) => ({ name, type: TrackingType.INSTRUMENT_6D, position: [0, 0, 0] as const, quaternion: [0, 0, 0, 1] as const });

const values: Record<string, IgtlMessage> = {
  T: tdata('Stylus', 'Probe', 'Reference'),
  a: tdata('Stylus'),
  b: tdata('Probe'),
  c: tdata('Reference'),
  Q: createMessage('QTDATA', { elements: [qtool('Stylus'), qtool('Probe')] }, header),
  x: createMessage('QTDATA', { elements: [qtool('Stylus')] }, header),
  y: createMessage('QTDATA', { elements: [qtool('Probe')] }, header),
  P: createMessage('POINT', { points: [point('Entry'), point('Target')] }, header),
  e: createMessage('POINT', { points: [point('Entry')] }, header),
  f: createMessage('POINT', { points: [point('Target')] }, header),
  E: tdata(),
  s: createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { timestamp: at }),
};

describe('splitElements', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('emits one TDATA per tool at once, keeping the header fields', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T----|', values).pipe(splitElements())).toBe('-(abc)|', values);
    });
  });

  it('splits QTDATA elements and POINT points too', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-Q-----P---|', values).pipe(splitElements())).toBe('-(xy)--(ef)|', values);
    });
  });

  it('passes other messages and one-element messages through unchanged', () => {
    const single = values.a!;
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-a-|', values).pipe(splitElements())).toBe('-s-a-|', values);
    });
    let passed: IgtlMessage | undefined;
    scheduler.run(({ cold }) => {
      cold('a', values).pipe(splitElements()).subscribe((m) => (passed = m));
    });
    expect(passed).toBe(single);
  });

  it('emits nothing for a message without elements', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-E-s-|', values).pipe(splitElements())).toBe('---s-|', values);
    });
  });

  it('keeps device name, timestamp, message ID and metadata on every piece', () => {
    const pieces: IgtlMessage[] = [];
    scheduler.run(({ cold }) => {
      cold('T', values).pipe(splitElements()).subscribe((m) => pieces.push(m));
    });
    expect(pieces).toHaveLength(3);
    for (const p of pieces) {
      expect(p.deviceName).toBe('Tracker');
      expect(p.timestamp).toBe(at);
      expect(p.metadata.get('StylusStatus')?.value).toBe('OK');
      expect(p.headerVersion).toBe(values.T!.headerVersion);
    }
  });

  it('passes errors through after the pieces already emitted', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T----#', values).pipe(splitElements())).toBe('-(abc)#', values);
    });
  });

  it('unsubscribes from the source when unsubscribed', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('-a-T-a-|', values);
      expectObservable(source.pipe(splitElements()), '^---!').toBe('-a-(abc)', values);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });
});
