import { describe, expect, it } from 'vitest';
import { ConnectionError, QueueFullError, type QueueStatus, type SendResult } from '../../../src/index.js';
import { backoffDelay } from '../../../src/connection/backoff.js';
import { SendQueue } from '../../../src/connection/send-queue.js';

const b = (n: number) => new Uint8Array(n);

describe('SendQueue', () => {
  it('is first in, first out for lossless messages', () => {
    const q = new SendQueue();
    q.push(b(1), 'lossless', 'k');
    q.push(b(2), 'lossless', 'k');
    expect([q.shift()!.bytes.length, q.shift()!.bytes.length]).toEqual([1, 2]);
    expect(q.shift()).toBeUndefined();
  });

  it('replaces a waiting latest message of the same key in place', () => {
    const q = new SendQueue();
    const results: SendResult[] = [];
    q.push(b(1), 'latest', 'A', (r) => results.push(r));
    q.push(b(2), 'latest', 'B');
    q.push(b(3), 'latest', 'A', (r) => results.push(r));
    expect(q.length).toBe(2);
    expect(q.bytes).toBe(5);
    const first = q.shift()!;
    expect(first.bytes.length).toBe(3);
    expect(q.shift()!.bytes.length).toBe(2);
    // The queue settles replacements itself; `written` is the outbox's to give, after the write.
    expect(results).toEqual(['replaced']);
    first.resolve?.('written');
    expect(results).toEqual(['replaced', 'written']);
    expect(q.snapshot.replaced).toBe(1);
  });

  it('enforces the byte and message high-water marks per policy', () => {
    const q = new SendQueue({ maxBytes: 10, maxMessages: 100 });
    q.push(b(8), 'lossless', 'k');
    let err: unknown;
    expect(q.push(b(4), 'lossless', 'k', undefined, (e) => (err = e))).toBe(false);
    expect(err).toBeInstanceOf(QueueFullError);
    let dropped: SendResult | undefined;
    expect(q.push(b(4), 'drop', 'k', (r) => (dropped = r))).toBe(false);
    expect(dropped).toBe('dropped');
    expect(q.push(b(4), 'latest', 'new-key')).toBe(false);
    expect(q.snapshot).toEqual({ messages: 1, bytes: 8, dropped: 2, replaced: 0 });
  });

  it('always accepts one message into an empty queue, however large', () => {
    const q = new SendQueue({ maxBytes: 10 });
    expect(q.push(b(100), 'lossless', 'k')).toBe(true);
  });

  it('fails lossless senders and resolves others as dropped on clear', () => {
    const q = new SendQueue();
    let err: unknown;
    let res: SendResult | undefined;
    q.push(b(1), 'lossless', 'k', undefined, (e) => (err = e));
    q.push(b(1), 'drop', 'k', (r) => (res = r));
    q.clear('closed');
    expect(err).toBeInstanceOf(ConnectionError);
    expect(res).toBe('dropped');
    expect(q.length).toBe(0);
  });

  it('publishes its status on status$', () => {
    const q = new SendQueue();
    const seen: QueueStatus[] = [];
    q.status$.subscribe((s) => seen.push(s));
    q.push(b(5), 'lossless', 'k');
    q.shift();
    expect(seen.map((s) => s.bytes)).toEqual([0, 5, 0]);
  });

  it('stays correct over many pushes and shifts (compaction)', () => {
    const q = new SendQueue({ maxMessages: 1e6, maxBytes: 1e9 });
    let next = 0;
    for (let i = 0; i < 5000; i++) {
      q.push(new Uint8Array([i & 255]), 'lossless', 'k');
      if (i % 3 !== 0) expect((q.shift()!.bytes as Uint8Array)[0]).toBe(next++ & 255);
    }
    while (q.length) expect((q.shift()!.bytes as Uint8Array)[0]).toBe(next++ & 255);
    expect(next).toBe(5000);
  });
});

describe('backoffDelay', () => {
  it('grows by the factor up to the maximum, with jitter around it', () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(a, { initialDelayMs: 100, factor: 2, maxDelayMs: 500 }, mid))).toEqual([100, 200, 400, 500, 500]);
    expect(backoffDelay(1, { initialDelayMs: 100, jitter: 0.2 }, () => 0)).toBe(80);
    expect(backoffDelay(1, { initialDelayMs: 100, jitter: 0.2 }, () => 0.999999)).toBe(120);
  });
});
