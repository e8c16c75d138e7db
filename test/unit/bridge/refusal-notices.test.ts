// The refusal notices of one bridge client: one notice per kind per second, one log line per
// kind, and a bounded table whatever names a page gives its messages.
import { describe, expect, it } from 'vitest';
import { MAX_NOTICED_KINDS, NOTICE_INTERVAL_MS, RefusalNotices } from '../../../src/bridge/refusal-notices.js';

describe('RefusalNotices', () => {
  it('tells and logs the first refusal of a kind, then tells it again at most once a second', () => {
    const n = new RefusalNotices();
    expect(n.refused('read-only\0TRANSFORM\0Tool', 0)).toEqual({ log: true, notify: true, overflow: false });
    expect(n.refused('read-only\0TRANSFORM\0Tool', 999)).toEqual({ log: false, notify: false, overflow: false });
    expect(n.refused('read-only\0TRANSFORM\0Tool', 1000)).toEqual({ log: false, notify: true, overflow: false });
    expect(n.refused('read-only\0TRANSFORM\0Other', 1000)).toEqual({ log: true, notify: true, overflow: false });
  });

  it('remembers at most MAX_NOTICED_KINDS kinds for a page that names every message anew, and says so once', () => {
    const n = new RefusalNotices();
    let told = 0;
    let overflows = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = n.refused(`read-only\0TRANSFORM\0T${i}`, 500);
      if (d.notify) told++;
      if (d.overflow) overflows++;
      expect(n.size).toBeLessThanOrEqual(MAX_NOTICED_KINDS);
    }
    expect(told).toBe(MAX_NOTICED_KINDS);
    expect(overflows).toBe(1);
    // A kind remembered still gets its notice a second later.
    expect(n.refused('read-only\0TRANSFORM\0T0', 500 + NOTICE_INTERVAL_MS).notify).toBe(true);
  });

  it('makes room with the kinds not told for a second, so a new kind is told again', () => {
    const n = new RefusalNotices(2);
    n.refused('a', 0);
    n.refused('b', 600);
    expect(n.refused('c', 900).notify).toBe(false); // full, none a second old
    expect(n.refused('c', 1000)).toEqual({ log: true, notify: true, overflow: false }); // 'a' made room
    expect(n.size).toBe(2);
    expect(n.refused('b', 1000).notify).toBe(false); // still remembered, told 400 ms ago
  });
});
