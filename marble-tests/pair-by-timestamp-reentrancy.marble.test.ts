import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Endian, IDENTITY, ScalarType, Timestamp, createMessage, type ImageMessage, type TransformMessage } from '../src/index.js';
import { pairByTimestamp, type PairResult } from '../operators/index.js';

const T0 = 1_700_000_000_000;
const stamp = (ms: number) => Timestamp.fromMillis(T0 + ms);
const image = (ms: number): ImageMessage =>
  createMessage(
    'IMAGE',
    {
      numComponents: 1, scalarType: ScalarType.UINT8, endian: Endian.LITTLE, coordinate: 1, size: [1, 1, 1], matrix: IDENTITY,
      subvolumeOffset: [0, 0, 0], subvolumeSize: [1, 1, 1], data: new Uint8Array(1),
    },
    { deviceName: 'Image_Reference', timestamp: stamp(ms) },
  );
const pose = (ms: number): TransformMessage => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'ProbeToReference', timestamp: stamp(ms) });

type Result = PairResult<ImageMessage, TransformMessage>;
const describeResult = (r: Result): string => `${r.source.timestamp.toMillis() - T0}:${r.kind === 'paired' ? `paired ${r.partner.timestamp.toMillis() - T0}` : r.reason}`;

describe('pairByTimestamp with a subscriber that feeds the streams from inside next()', () => {
  it('resolves each waiting source once when a result makes the partner stream emit again synchronously', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(() => {
      const partners = new Subject<TransformMessage>();
      const sources = new Subject<ImageMessage>();
      const got: string[] = [];
      let completed = false;
      let fed = false;
      sources.pipe(pairByTimestamp(partners, { toleranceMs: 5, maxWaitMs: 50, scheduler })).subscribe({
        next: (r) => {
          got.push(describeResult(r));
          // A display that, on its first result, pushes the next pose (e.g. a Subject bridging a
          // recording player that advances one step per result).
          if (!fed) {
            fed = true;
            partners.next(pose(130));
          }
        },
        complete: () => (completed = true),
      });
      // Three images wait for a partner; the pose stamped 120 settles all three.
      sources.next(image(100));
      sources.next(image(101));
      sources.next(image(102));
      partners.next(pose(120));
      sources.complete();
      scheduler.flush();
      // Every source exactly once, none lost, and the result completes only then.
      expect(got.map((s) => s.split(':')[0]).sort()).toEqual(['100', '101', '102']);
      expect(got).toHaveLength(3);
      expect(completed).toBe(true);
    });
  });
});
