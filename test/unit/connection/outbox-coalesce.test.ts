// Coalescing outboxes (sockets, WebSockets): the small messages of one tick go out in one write,
// and fan-out (the same byte arrays queued for many connections) shares one joined buffer.
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../src/connection/outbox.js';
import { ConnectionError, type IgtlError, type SendResult } from '../../../src/index.js';
import { recordingChannel, settle } from './fake-channel.js';

const channel = (opts: Parameters<typeof recordingChannel>[0] = {}) => recordingChannel({ coalesce: true, ...opts });

const outbox = () => new Outbox({ now: () => 0, log: () => {} });
const b = (n: number, size = 4) => new Uint8Array(size).fill(n);

describe('Outbox on a coalescing channel', () => {
  it('writes the small messages of one tick as one buffer, in order, and settles each', async () => {
    const box = outbox();
    const { ch, written } = channel();
    box.attach(ch);
    const results: SendResult[] = [];
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, (r) => results.push(r), () => {});
    await settle();
    expect(written).toHaveLength(1);
    expect([...written[0]!]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(results).toEqual(['written', 'written', 'written']);
    expect(box.writtenCount).toBe(3); // confirmations still count messages
  });

  it('shares one joined buffer between outboxes that hold the same byte arrays (fan-out)', async () => {
    const shared = [b(1), b(2)];
    const boxes = [outbox(), outbox(), outbox()];
    const channels = boxes.map((box) => {
      const c = channel();
      box.attach(c.ch);
      for (const [i, bytes] of shared.entries()) box.enqueue(bytes, 'lossless', `k${i}`, undefined, () => {});
      return c;
    });
    // One that holds other arrays with equal bytes gets its own join.
    const other = outbox();
    const otherChannel = channel();
    other.attach(otherChannel.ch);
    for (const [i, bytes] of shared.entries()) other.enqueue(bytes.slice(), 'lossless', `k${i}`, undefined, () => {});
    await settle();
    for (const c of channels) expect(c.written).toHaveLength(1);
    expect(channels[1]!.written[0]).toBe(channels[0]!.written[0]);
    expect(channels[2]!.written[0]).toBe(channels[0]!.written[0]);
    expect(otherChannel.written[0]).not.toBe(channels[0]!.written[0]);
    expect(otherChannel.written[0]).toEqual(channels[0]!.written[0]);
  });

  it('a full channel stops after the joined write; the rest waits for the drain', async () => {
    const box = outbox();
    let full = true;
    const { ch, written } = channel({ full: () => full });
    box.attach(ch);
    for (const n of [1, 2]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    expect(written).toHaveLength(1);
    for (const n of [3, 4]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    expect(written).toHaveLength(1); // blocked: nothing more until the drain
    full = false;
    box.drained();
    expect(written.map((w) => [...w].filter((_, i) => i % 4 === 0))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('large messages and parts are written as they are, never copied into a join', async () => {
    const box = outbox();
    const { ch, written } = channel();
    box.attach(ch);
    const big = b(9, 70 * 1024);
    box.enqueue(b(1), 'lossless', 'a', undefined, () => {});
    box.enqueue(big, 'lossless', 'b', undefined, () => {});
    box.enqueue([b(2), b(3)], 'lossless', 'c', undefined, () => {});
    await settle();
    expect(written[1]).toBe(big);
    expect(written.length).toBe(4);
  });

  it('a channel that refuses the joined bytes still settles each message on its own', async () => {
    const box = outbox();
    const { ch, written } = channel({ refuse: (bytes) => bytes.length > 4 || bytes[0] === 2 });
    box.attach(ch);
    const outcome: (SendResult | IgtlError)[] = [];
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, (r) => outcome.push(r), (e) => outcome.push(e));
    await settle();
    expect(outcome[0]).toBe('written');
    expect(outcome[1]).toBeInstanceOf(ConnectionError);
    expect(outcome[2]).toBe('written');
    expect(written.map((w) => w[0])).toEqual([1, 3]);
  });

  it('a channel that does not coalesce gets one write per message', async () => {
    const box = outbox();
    const { ch, written } = channel({ coalesce: false });
    box.attach(ch);
    for (const n of [1, 2, 3]) box.enqueue(b(n), 'lossless', `k${n}`, undefined, () => {});
    await settle();
    expect(written).toHaveLength(3);
  });
});
