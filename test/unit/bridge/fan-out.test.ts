// The bridge's fan-out: clients with the same filter share one stream, one encoding and one
// joined buffer per tick; each keeps its own queue, policy and backpressure.
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { IDENTITY, IgtlConnection, Timestamp, createMessage, decodeMessage, type IgtlMessage } from '../../../src/index.js';
import { defaultRegistry } from '../../../src/protocol/messages/index.js';
import { ClientGroups, type FanOutClient } from '../../../src/bridge/fan-out.js';
import { parseClientFilter } from '../../../src/bridge/client-filter.js';
import { binaryFrame } from '../../../src/bridge/shared-frames.js';
import { fakeFactory, settle, type FakeAttempt } from '../connection/fake-channel.js';

const pose = (n: number, device = 'Stylus') => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: device, timestamp: Timestamp.ZERO });
const tdata = (n: number) => createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }] }, { deviceName: 'Tracker', timestamp: Timestamp.ZERO });
const isStreamed = (m: IgtlMessage) => m.type === 'TRANSFORM' || m.type === 'TDATA';

function setUp() {
  const source = new Subject<IgtlMessage>();
  let id = 0;
  const groups = new ClientGroups<FanOutClient>(source, isStreamed, { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => ++id }, (m) => (isStreamed(m) ? 'latest' : 'lossless'));
  /** A client on a coalescing fake channel (as a WebSocket's), open. */
  const client = (query: string): { client: FanOutClient; channel: FakeAttempt } => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { heartbeat: false, eager: true, reconnect: false, sendPolicy: (m) => (isStreamed(m) ? 'latest' : 'lossless') });
    conn.subscribe();
    const attempt = attempts[0]!;
    (attempt.channel as { coalesce?: boolean }).coalesce = true;
    attempt.open();
    const c = Object.assign(conn, { filter: parseClientFilter(new URLSearchParams(query)), relayed: 0 });
    groups.join(c);
    return { client: c, channel: attempt };
  };
  return { source, groups, client };
}

const decodeAll = (bytes: Uint8Array): IgtlMessage[] => {
  const out: IgtlMessage[] = [];
  for (let off = 0; off < bytes.length; ) {
    const body = Number(new DataView(bytes.buffer, bytes.byteOffset + off + 42, 8).getBigUint64(0));
    out.push(decodeMessage(bytes.subarray(off, off + 58 + body)));
    off += 58 + body;
  }
  return out;
};

describe('bridge fan-out', () => {
  it('clients with the same filter get the same bytes (one encoding, one join); another filter gets its own stream', async () => {
    const { source, groups, client } = setUp();
    const a = client('type=TRANSFORM,TDATA');
    const b = client('type=TDATA,TRANSFORM'); // the same filter, listed in another order
    const c = client('type=TDATA');
    expect(groups.size).toBe(2);
    source.next(pose(1));
    source.next(tdata(1));
    await settle();
    expect(a.channel.written).toHaveLength(1); // one write for the tick's two messages
    expect(b.channel.written[0]).toBe(a.channel.written[0]); // the very same buffer
    expect(decodeAll(a.channel.written[0]!).map((m) => m.type)).toEqual(['TRANSFORM', 'TDATA']);
    expect(c.channel.written).toHaveLength(1);
    expect(decodeAll(c.channel.written[0]!).map((m) => m.type)).toEqual(['TDATA']);
    expect([a.client.relayed, b.client.relayed, c.client.relayed]).toEqual([2, 2, 1]);
  });

  it("a blocked client's queue conflates (latest) while the others get every message", async () => {
    const { source, client } = setUp();
    const fast = client('');
    const slow = client('');
    slow.channel.full = true;
    source.next(pose(0));
    await settle(); // the slow channel took this write and is now full
    for (let i = 1; i <= 5; i++) {
      source.next(pose(i));
      await settle();
    }
    const xs = (ch: FakeAttempt) => ch.written.flatMap(decodeAll).map((m) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : NaN));
    expect(xs(fast.channel)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(xs(slow.channel)).toEqual([0]);
    expect(slow.client.queueStatus.messages).toBe(1); // only the newest pose waits
    slow.channel.drain();
    expect(xs(slow.channel)).toEqual([0, 5]);
  });

  it('the last client of a group ends its stream; a new one starts a new group', async () => {
    const { source, groups, client } = setUp();
    const a = client('device=Stylus');
    groups.leave(a.client);
    expect(groups.size).toBe(0);
    expect(source.observed).toBe(false);
    const b = client('device=Stylus');
    source.next(pose(1, 'Probe'));
    source.next(pose(2, 'Stylus'));
    await settle();
    expect(b.channel.written.flatMap(decodeAll).map((m) => m.deviceName)).toEqual(['Stylus']);
  });
});

describe('shared WebSocket frames', () => {
  it('frames a binary message once per payload (unmasked, FIN, opcode 2) for each length form', () => {
    for (const [n, head] of [
      [125, [0x82, 125]],
      [126, [0x82, 126, 0, 126]],
      [70_000, [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]],
    ] as const) {
      const payload = new Uint8Array(n).fill(7);
      const frame = binaryFrame(payload);
      expect(binaryFrame(payload)).toBe(frame); // the same frame for the same payload
      expect([...frame[0]!.subarray(0, head.length)]).toEqual(head);
      const bytes = frame.length === 1 ? frame[0]!.subarray(head.length) : frame[1]!;
      if (n > 64 * 1024) expect(bytes).toBe(payload); // large payloads are not copied
      expect(bytes.length).toBe(n);
    }
  });
});
