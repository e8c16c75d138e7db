// measureRate with no periodic report (intervalMs: Infinity) over a long session whose keys come
// and go: the keys that went quiet must not pile up until the source completes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Subject, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { IDENTITY, createMessage, type TransformMessage } from '../../../src/index.js';
import { measureRate, type RateReport } from '../../../operators/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A clock the test moves (with intervalMs Infinity nothing is scheduled). */
function manualClock(): SchedulerLike & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    schedule: () => {
      throw new Error('nothing should be scheduled');
    },
  };
  return clock;
}

describe('measureRate with intervalMs Infinity', () => {
  it('forgets quiet keys as it goes, not only in the last report (memory stays bounded)', () => {
    const scheduler = manualClock();
    const source = new Subject<TransformMessage>();
    const msg = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Tool' });
    const reports: RateReport[] = [];
    let n = 0;
    // A peer that names each tool once (a new device name per message, e.g. a counter in it).
    source.pipe(measureRate({ intervalMs: Infinity, windowMs: 100, forgetAfterMs: 1000, key: () => `tool-${n}`, scheduler })).subscribe((r) => reports.push(r));
    gc();
    const before = process.memoryUsage().heapUsed;
    for (n = 0; n < 300_000; n++) {
      scheduler.t = n * 10;
      source.next(msg);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Was: every key kept (about 40 MB for these 300,000); a key quiet for forgetAfterMs is kept
    // by nothing now, as a report would have dropped it.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    source.complete();
    // The last report is the same: the keys of the last forgetAfterMs, at 0 Hz or measured.
    expect(reports).toHaveLength(1);
    expect(reports[0]!.rates.size).toBe(101);
    expect(reports[0]!.rates.get('tool-299999')).toEqual({ hz: 10, count: 1, lastSeen: 2_999_990 });
  });
});
