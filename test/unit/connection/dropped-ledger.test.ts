// The ledger of dropped-but-unconfirmed bytes: exact per span, bounded by merging, and a merged
// span confirmed in part stays counted (never under-counts).
import { describe, expect, it } from 'vitest';
import { DroppedLedger } from '../../../src/connection/dropped-ledger.js';

describe('DroppedLedger', () => {
  it('subtracts exactly the spans a confirmation covers', () => {
    const l = new DroppedLedger();
    l.add(1, 10);
    l.add(3, 20);
    l.add(4, 30);
    l.confirm(2); // inside the second span: only the first goes
    expect(l.total).toBe(50);
    l.confirm(3);
    expect(l.total).toBe(30);
    l.confirm(9);
    expect(l.total).toBe(0);
  });

  it('stays bounded for a peer that never confirms, and keeps the sum', () => {
    const l = new DroppedLedger();
    let sum = 0;
    for (let i = 1; i <= 10_000; i++) {
      l.add(i, i % 7);
      sum += i % 7;
    }
    expect(l.total).toBe(sum);
    expect((l as unknown as { ends: number[] }).ends.length).toBeLessThanOrEqual(64);
    // Confirming everything empties it.
    l.confirm(10_000);
    expect(l.total).toBe(0);
  });

  it('stays bounded for a peer whose every confirmation leaves the newest spans (one written after its ping)', () => {
    // A heartbeat every 5 s on a link with a second of round trip: each echo confirms what went
    // before its ping, never the spans dropped since. Was: the arrays kept every confirmed span
    // (2 x 8 bytes per dropped message, for the channel's life).
    const l = new DroppedLedger();
    let seq = 0;
    for (let round = 0; round < 10_000; round++) {
      for (let i = 0; i < 10; i++) l.add(++seq, 3);
      l.confirm(seq - 2);
      expect(l.total).toBe(6); // the two newest spans stay
    }
    expect((l as unknown as { ends: number[] }).ends.length).toBeLessThanOrEqual(2 * 64);
    expect((l as unknown as { sizes: number[] }).sizes.length).toBeLessThanOrEqual(2 * 64);
    l.confirm(seq);
    expect(l.total).toBe(0);
  });

  it('after a merge, a partial confirmation errs towards "not confirmed"', () => {
    const l = new DroppedLedger();
    for (let i = 1; i <= 65; i++) l.add(i, 1); // the 65th add merges pairs: (1,2), (3,4), ...
    l.confirm(1); // half of the first merged span
    expect(l.total).toBe(65);
    l.confirm(2);
    expect(l.total).toBe(63);
  });
});
