import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { IDENTITY, createMessage, metadataOf, type IgtlMessage, type TrackingElement } from '../src/index.js';
import { splitElements, validPoses } from '../operators/index.js';

// PlusServer's metadata (src/protocol/pose-status.ts): TransformStatus on TRANSFORM/POSITION,
// <name>Status and <name>Index per TDATA element.
const tool = (name: string, x = 0): TrackingElement => ({ name, type: 2, matrix: [1, 0, 0, x, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
const transform = (status: string | undefined) =>
  createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'StylusToTracker', ...(status ? { metadata: metadataOf({ TransformValid: status === 'OK' ? '1' : '0', TransformStatus: status }) } : {}) });
const tdata = (statuses: Record<string, string>) => {
  const names = Object.keys(statuses);
  const metadata: Record<string, string> = {};
  names.forEach((n, i) => {
    metadata[`${n}Status`] = statuses[n]!;
    metadata[`${n}Index`] = String(i);
  });
  return createMessage('TDATA', { elements: names.map((n, i) => tool(n, i + 1)) }, { deviceName: `TDATA_${names.length}Elem`, metadata: metadataOf(metadata) });
};

const T = tdata({ StylusToTracker: 'OK', ProbeToTracker: 'MISSING' });
const values: Record<string, IgtlMessage> = {
  a: transform('OK'),
  b: transform('OUT_OF_VIEW'),
  n: transform(undefined),
  T,
  t: { ...T, content: { elements: [T.content.elements[0]!] } },
  A: tdata({ StylusToTracker: 'OK', ProbeToTracker: 'OK' }),
  Z: tdata({ StylusToTracker: 'MISSING', ProbeToTracker: 'out_of_view' }),
  s: createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { metadata: metadataOf({ TransformStatus: 'MISSING' }) }),
  p: createMessage('POSITION', { position: [0, 0, 0], quaternion: [0, 0, 0, 1] }, { deviceName: 'Stylus', metadata: metadataOf({ TransformStatus: 'MISSING' }) }),
};

describe('validPoses', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('drops TRANSFORM and POSITION whose status is not OK; passes those without a status and other types', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-n-p-s-|', values).pipe(validPoses())).toBe('-a---n---s-|', values);
    });
  });

  it('removes the TDATA elements whose status is not OK, drops a message left with none, passes a valid one as it is', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-T-Z-A-|', values).pipe(validPoses())).toBe('-t---A-|', values);
    });
    let passed: IgtlMessage | undefined;
    scheduler.run(({ cold }) => {
      cold('A', values).pipe(validPoses()).subscribe((m) => (passed = m));
    });
    expect(passed).toBe(values.A);
  });

  it('works after splitElements: each piece keeps the metadata and is judged by its own name', () => {
    const pieces: IgtlMessage[] = [];
    scheduler.run(({ cold }) => {
      cold('-T-Z-|', values).pipe(splitElements(), validPoses()).subscribe((m) => pieces.push(m));
    });
    expect(pieces.map((m) => (m.type === 'TDATA' ? m.content.elements.map((e) => e.name) : []))).toEqual([['StylusToTracker']]);
  });

  it('passes errors and completion through', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-b-a-#', values).pipe(validPoses())).toBe('---a-#', values);
      expectObservable(cold('-b-|', values).pipe(validPoses())).toBe('---|', values);
    });
  });
});
