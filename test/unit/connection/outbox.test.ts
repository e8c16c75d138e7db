// The outbox alone: `written` only after the channel took the bytes, typed rejections for bytes a
// channel refuses, backpressure, and the unconfirmed window reported when a channel ends.
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/connection/outbox.js';
import { ConnectionError, type IgtlError, type SendResult } from '../../../src/index.js';
import { recordingChannel, settle } from './fake-channel.js';

const channel = recordingChannel;

function outbox(retainBytes?: number) {
  let now = 0;
  let blocked = 0;
  const box = new Outbox({ now: () => now, log: () => {}, blocked: () => blocked++, ...(retainBytes === undefined ? {} : { retainBytes }) });
  return { box, setNow: (t: number) => (now = t), blockedCount: () => blocked };
}

const b = (n: number, size = 4) => new Uint8Array(size).fill(n);

describe('Outbox', () => {
  it("resolves 'written' only once the channel has taken the bytes", async () => {
    const { box } = outbox();
    const { ch, written } = channel();
    const results: SendResult[] = [];
    box.enqueue(b(1), 'lossless', 'k', (r) => results.push(r), () => {});
    await settle();
    expect(results).toEqual([]); // no channel yet: it waits
    box.attach(ch);
    expect(written).toHaveLength(1);
    expect(results).toEqual(['written']);
  });

  it('rejects a send the channel refuses with a typed error, and goes on with the next', async () => {
    const { box } = outbox();
    const { ch, written } = channel({ refuse: (bytes) => bytes[0] === 2 });
    box.attach(ch);
    const outcome: (SendResult | IgtlError)[] = [];
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, (r) => outcome.push(r), (e) => outcome.push(e));
    await settle();
    expect(outcome[0]).toBe('written');
    expect(outcome[1]).toBeInstanceOf(ConnectionError);
    expect(outcome[2]).toBe('written');
    expect(written.map((w) => w[0])).toEqual([1, 3]);
  });

  it('stops at a full channel, says since when, and goes on after drain', async () => {
    const { box, setNow, blockedCount } = outbox();
    let full = true;
    const { ch, written } = channel({ full: () => full });
    box.attach(ch);
    setNow(100);
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    expect(written).toHaveLength(1);
    expect(box.blockedSince).toBe(100);
    expect(blockedCount()).toBe(1);
    expect(box.mustWait).toBe(true);
    full = false;
    box.drained();
    expect(written).toHaveLength(3);
    expect(box.blockedSince).toBeUndefined();
  });

  it('reports what was written after the last confirmation when the channel ends, with the bytes', async () => {
    const { box } = outbox();
    const { ch } = channel();
    box.attach(ch);
    for (const n of [1, 2, 3, 4]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    box.confirm(2);
    expect(box.unconfirmedCount).toBe(2);
    const report = box.detach()!;
    expect(report.messages).toBe(2);
    expect(report.bytes).toBe(8);
    expect(report.frames.map((f) => f[0])).toEqual([3, 4]);
    expect(report.confirmed).toBe(true);
    // A new channel starts a new count.
    box.attach(channel().ch);
    expect(box.unconfirmedCount).toBe(0);
    expect(box.detach()).toBeUndefined();
  });

  it('detach(false) (a channel closed on purpose) reports nothing and forgets the window, and the next channel starts afresh', async () => {
    const { box } = outbox();
    box.attach(channel().ch);
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    expect(box.unconfirmedCount).toBe(3);
    expect(box.detach(false)).toBeUndefined();
    box.attach(channel().ch);
    expect(box.unconfirmedCount).toBe(0);
    box.enqueue(b(9), 'lossless', 'k9', undefined, () => {});
    await settle();
    const report = box.detach()!;
    expect(report.messages).toBe(1);
    expect(report.frames.map((f) => f[0])).toEqual([9]);
  });

  it('keeps only the newest retainBytes of unconfirmed messages but counts them all', async () => {
    const { box } = outbox(10);
    const { ch } = channel();
    box.attach(ch);
    for (const n of [1, 2, 3, 4, 5]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    const report = box.detach()!;
    expect(report.messages).toBe(5);
    expect(report.bytes).toBe(20);
    expect(report.frames.map((f) => f[0])).toEqual([4, 5]);
    expect(report.confirmed).toBe(false);
  });

  it('a confirmation that covers only some dropped messages subtracts exactly those bytes', async () => {
    const { box } = outbox(10);
    const { ch } = channel();
    box.attach(ch);
    // Five messages of 4, 5, 6, 7, 8 bytes and 10 bytes of retention: only the newest is kept.
    for (const n of [1, 2, 3, 4, 5]) box.enqueue(b(n, n + 3), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    box.confirm(1); // the peer read the first (dropped) message only
    const report = box.detach()!;
    expect(report.messages).toBe(4);
    // 5 + 6 + 7 dropped but unconfirmed, 8 still kept: nothing the peer did not confirm is lost
    // from the count (before, the confirmation cleared the whole dropped count and this said 8).
    expect(report.bytes).toBe(5 + 6 + 7 + 8);
    expect(report.frames.map((f) => f[0])).toEqual([5]);
    expect(report.confirmed).toBe(true);
  });

  it('a peer whose every confirmation lags behind what was dropped: bounded memory, exact count', async () => {
    // Each confirmation covers what went before a ping, never the last messages dropped since
    // (a heartbeat every 5 s, a second of round trip, writes over retainBytes between pings).
    const { box } = outbox(8);
    const { ch } = channel();
    box.attach(ch);
    for (let round = 0; round < 5000; round++) {
      for (let n = 0; n < 10; n++) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
      await settle();
      box.confirm(box.writtenCount - 4); // two dropped and the two kept stay unconfirmed
    }
    const ledger = (box as unknown as { dropped: { ends: number[] } }).dropped;
    // Was 49,998 entries (every confirmed span kept, for the channel's life).
    expect(ledger.ends.length).toBeLessThanOrEqual(128);
    const report = box.detach()!;
    expect(report.messages).toBe(4);
    expect(report.bytes).toBe(16);
  });

  it('a peer that never confirms: the count of dropped bytes stays exact over many messages', async () => {
    const { box } = outbox(64);
    const { ch } = channel();
    box.attach(ch);
    let total = 0;
    for (let n = 1; n <= 1000; n++) {
      box.enqueue(b(n & 0xff, 1 + (n % 13)), 'lossless', `k${n % 7}`, undefined, () => {});
      total += 1 + (n % 13);
      if (n % 50 === 0) await settle();
    }
    await settle();
    const report = box.detach()!;
    expect(report.messages).toBe(1000);
    expect(report.bytes).toBe(total);
  });

  it('writes housekeeping at once, outside the queue, and gives it no place among the user messages (a reply to it confirms what went before)', async () => {
    const { box } = outbox();
    const { ch, written } = channel();
    expect(box.writeNow(b(9))).toBe(false); // no channel: nothing written
    box.attach(ch);
    box.enqueue(b(1), 'lossless', 'k', undefined, () => {});
    expect(box.writeNow(b(9))).toBe(true);
    await settle();
    expect(written.map((w) => w[0])).toEqual([9, 1]);
    expect(box.writtenCount).toBe(1); // the user's message only
  });
});
