// The bridge's fan-out: clients with the same filter share one stream, one encoding and one
// joined buffer per tick; each keeps its own queue, policy and backpressure.
import { describe, expect, it } from 'vitest';
import { Subject, type Observable } from 'rxjs';
import { IDENTITY, IgtlConnection, Timestamp, createMessage, decodeMessage, encodeMessage, type ConnectionOptions, type IgtlMessage } from '../../../src/index.js';
import { defaultRegistry } from '../../../src/protocol/messages/index.js';
import { ClientGroups, type FanOutClient } from '../../../src/bridge/fan-out.js';
import { parseClientFilter } from '../../../src/bridge/client-filter.js';
import { binaryFrame } from '../../../src/bridge/shared-frames.js';
import { crc64 } from '../../../src/protocol/crc64.js';
import { fakeFactory, settle, type FakeAttempt } from '../connection/fake-channel.js';

const pose = (n: number, device = 'Stylus') => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: device, timestamp: Timestamp.ZERO });
const tdata = (n: number) => createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }] }, { deviceName: 'Tracker', timestamp: Timestamp.ZERO });
const isStreamed = (m: IgtlMessage) => m.type === 'TRANSFORM' || m.type === 'TDATA';

function setUp(source: Observable<IgtlMessage> = new Subject<IgtlMessage>(), received?: (msg: IgtlMessage) => Uint8Array | undefined) {
  let id = 0;
  const groups = new ClientGroups<FanOutClient>(source, isStreamed, { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => ++id }, (m) => (isStreamed(m) ? 'latest' : 'lossless'), received);
  /** A client on a coalescing fake channel (as a WebSocket's), open. */
  const client = (query: string, options: ConnectionOptions = {}): { client: FanOutClient; channel: FakeAttempt } => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { heartbeat: false, eager: true, reconnect: false, sendPolicy: (m) => (isStreamed(m) ? 'latest' : 'lossless'), ...options });
    conn.subscribe();
    const attempt = attempts[0]!;
    (attempt.channel as { coalesce?: boolean }).coalesce = true;
    attempt.open();
    const c = Object.assign(conn, { filter: parseClientFilter(new URLSearchParams(query)), relayed: 0 });
    groups.join(c);
    return { client: c, channel: attempt };
  };
  return { source: source as Subject<IgtlMessage>, groups, client };
}

/**
 * The bridge's set-up: the groups relay what an upstream connection (on a fake channel) decodes,
 * with the frames it received. `deliver` hands it bytes as the peer's socket would.
 */
function setUpRelay() {
  const { factory, attempts } = fakeFactory();
  const upstream = new IgtlConnection(factory, { heartbeat: false, eager: true, reconnect: false });
  attempts[0]!.open();
  return { ...setUp(upstream, (msg) => upstream.receivedFrame(msg)), deliver: (bytes: Uint8Array) => attempts[0]!.data(bytes) };
}

/**
 * The bytes of a TDATA with its first element's reserved byte set (the CRC made to match): valid,
 * and a re-encode would write it 0 -- so equal bytes prove the frame was forwarded.
 */
function withReservedSet(msg: IgtlMessage): Uint8Array {
  const bytes = encodeMessage(msg);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const content = 58 + (msg.headerVersion === 2 ? view.getUint16(58) : 0); // after the v3 extended header
  bytes[content + 21] = 0x5a; // NAME (20 bytes), TYPE, then the reserved byte
  view.setBigUint64(50, crc64(bytes, 58));
  return bytes;
}

const concat = (parts: readonly Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

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

describe('bridge fan-out: forwarding the peer\'s frames', () => {
  it("queues a message that keeps its framing as the peer's frame, byte for byte, not a re-encode", async () => {
    const { client, deliver } = setUpRelay();
    const a = client('');
    const b = client('type=TRANSFORM,TDATA');
    const v1 = withReservedSet(tdata(1));
    const v3 = withReservedSet(createMessage('TDATA', tdata(2).content, { deviceName: 'Tracker', timestamp: Timestamp.ZERO, messageId: 7 }));
    for (const bytes of [v1, v3]) expect(Buffer.from(encodeMessage(decodeMessage(bytes))).equals(Buffer.from(bytes))).toBe(false); // a re-encode would show
    const sent = concat([v1, v3]);
    deliver(sent.subarray(0, 100)); // the first message split across chunks (the framer's own buffer) ...
    deliver(sent.subarray(100)); // ... the second whole in one (a view on the chunk)
    await settle();
    expect(Buffer.from(concat(a.channel.written)).equals(Buffer.from(sent))).toBe(true);
    expect(Buffer.from(concat(b.channel.written)).equals(Buffer.from(sent))).toBe(true);
  });

  it('encodes a message whose framing changes: for a client on legacy framing, and a v3 message without an ID (it gets a bridge ID)', async () => {
    const { client, deliver } = setUpRelay();
    const v3 = client('');
    const legacy = client('', { maxHeaderVersion: 1 });
    const withId = withReservedSet(createMessage('TDATA', tdata(1).content, { deviceName: 'Stylus', timestamp: Timestamp.ZERO, messageId: 7 }));
    const withoutId = withReservedSet(createMessage('TDATA', tdata(2).content, { deviceName: 'Probe', timestamp: Timestamp.ZERO, headerVersion: 2 }));
    deliver(concat([withId, withoutId]));
    await settle();
    const got = concat(v3.channel.written);
    expect(Buffer.from(got.subarray(0, withId.length)).equals(Buffer.from(withId))).toBe(true); // forwarded
    const renumbered = decodeAll(got.subarray(withId.length));
    expect(renumbered).toMatchObject([{ headerVersion: 2, messageId: 1, deviceName: 'Probe' }]);
    expect(got.subarray(withId.length)).toEqual(encodeMessage(renumbered[0]!)); // encoded: the reserved byte is 0 again
    expect(decodeAll(concat(legacy.channel.written))).toMatchObject([
      { headerVersion: 1, messageId: 0, deviceName: 'Stylus' },
      { headerVersion: 1, messageId: 0, deviceName: 'Probe' },
    ]);
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
