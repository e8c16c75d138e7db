// Fan-out without queue entries (Outbox.enqueueShared): an idle outbox takes a broadcast
// message into the tick's shared batch; outboxes that took the same messages write one shared
// buffer; order, policies, limits and the unconfirmed window stay as through the queue.
import { describe, expect, it } from 'vitest';
import { Observable, VirtualTimeScheduler, type Subscriber } from 'rxjs';
import { Outbox } from '../../../src/connection/outbox.js';
import { fanOut } from '../../../src/connection/fan-out.js';
import type { ByteChannel } from '../../../src/connection/channel.js';
import {
  ConnectionError, IDENTITY, IgtlConnection, QueueFullError, Timestamp, UnconfirmedDeliveryError, createMessage, decodeMessage, defaultRegistry, encodeMessage,
  type ChannelEvent, type IgtlError, type SendResult,
} from '../../../src/index.js';
import { recordingChannel, settle } from './fake-channel.js';

const channel = (opts: Parameters<typeof recordingChannel>[0] = {}) => recordingChannel({ coalesce: true, ...opts });

const outbox = (queue?: { maxMessages?: number }) => new Outbox({ now: () => 0, log: () => {}, ...(queue ? { queue } : {}) });
/** A real frame (the unconfirmed report splits joined writes by their headers). */
const frame = (text: string) => encodeMessage(createMessage('STRING', { encoding: 3, value: text }, { deviceName: 'T', timestamp: Timestamp.ZERO }));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const noReject = (): void => {};

describe('Outbox.enqueueShared', () => {
  it('idle outboxes take the same messages without queue entries and write one shared buffer each', async () => {
    const [m1, m2] = [frame('one'), frame('two')];
    const boxes = [outbox(), outbox(), outbox()];
    const channels = boxes.map((box) => {
      const c = channel();
      box.attach(c.ch);
      return c;
    });
    for (const m of [m1, m2]) for (const box of boxes) expect(box.enqueueShared(m, noReject)).toBe(true);
    for (const box of boxes) expect(box.queue.length).toBe(0);
    await settle();
    for (const c of channels) expect(c.written).toHaveLength(1);
    expect(channels[1]!.written[0]).toBe(channels[0]!.written[0]);
    expect(channels[2]!.written[0]).toBe(channels[0]!.written[0]);
    expect(channels[0]!.written[0]).toEqual(concat(m1, m2));
    for (const box of boxes) expect(box.writtenCount).toBe(2); // confirmations count messages
  });

  it('keeps order with a send queued later in the same tick: it goes after, and so does every later broadcast', async () => {
    const [m1, m2, mine] = [frame('b1'), frame('b2'), frame('own')];
    const box = outbox();
    const other = outbox();
    const c = channel();
    const o = channel();
    box.attach(c.ch);
    other.attach(o.ch);
    expect(box.enqueueShared(m1, noReject)).toBe(true);
    expect(other.enqueueShared(m1, noReject)).toBe(true);
    const results: SendResult[] = [];
    box.enqueue(mine, 'lossless', 'own', (r) => results.push(r), noReject);
    // Something waits in the queue now: the next broadcast message must queue behind it.
    expect(box.enqueueShared(m2, noReject)).toBe(false);
    box.enqueue(m2, 'lossless', 'b2', undefined, noReject);
    expect(other.enqueueShared(m2, noReject)).toBe(true);
    await settle();
    expect(concat(...c.written)).toEqual(concat(m1, mine, m2));
    expect(concat(...o.written)).toEqual(concat(m1, m2));
    expect(results).toEqual(['written']);
    expect(box.writtenCount).toBe(3);
  });

  it('a blocked outbox refuses the shared path, queues, and conflates `latest` there; what it took first goes out first on drain', async () => {
    let full = false;
    const box = outbox();
    const c = channel({ full: () => full });
    box.attach(c.ch);
    const m = [frame('p0'), frame('p1'), frame('p2'), frame('p3')];
    expect(box.enqueueShared(m[0]!, noReject)).toBe(true);
    full = true;
    await settle(); // written; the channel says it is full
    expect(c.written).toHaveLength(1);
    for (const bytes of m.slice(1)) {
      expect(box.enqueueShared(bytes, noReject)).toBe(false);
      box.enqueue(bytes, 'latest', 'pose', undefined, noReject);
    }
    expect(box.queue.snapshot).toMatchObject({ messages: 1, replaced: 2 });
    full = false;
    box.drained();
    expect(concat(...c.written)).toEqual(concat(m[0]!, m[3]!));
  });

  it('blocked before its flush (housekeeping filled the channel), it writes what it took on drain, ahead of what it queued later', async () => {
    let full = false;
    const box = outbox();
    const c = channel({ full: () => full });
    box.attach(c.ch);
    const [m1, m2, hb] = [frame('m1'), frame('m2'), frame('heartbeat')];
    expect(box.enqueueShared(m1, noReject)).toBe(true);
    full = true;
    expect(box.writeNow(hb)).toBe(true); // written at once, and now the channel is full
    await settle(); // the tick's flush: nothing more may be written
    expect(c.written).toEqual([hb]);
    expect(box.enqueueShared(m2, noReject)).toBe(false);
    box.enqueue(m2, 'lossless', 'm2', undefined, noReject);
    full = false;
    box.drained();
    expect(concat(...c.written)).toEqual(concat(hb, m1, m2));
    expect(box.writtenCount).toBe(2); // the user's messages: housekeeping takes no sequence number
  });

  it('counts against the queue limits: past them the queue decides (QueueFullError), as it would have with them queued', async () => {
    const box = outbox({ maxMessages: 2 });
    const c = channel();
    box.attach(c.ch);
    const m = [frame('a'), frame('b'), frame('c')];
    expect(box.enqueueShared(m[0]!, noReject)).toBe(true);
    expect(box.enqueueShared(m[1]!, noReject)).toBe(true);
    expect(box.enqueueShared(m[2]!, noReject)).toBe(false); // two wait already
    const errors: IgtlError[] = [];
    expect(box.enqueue(m[2]!, 'lossless', 'c', undefined, (e) => errors.push(e))).toBe(false);
    expect(errors[0]).toBeInstanceOf(QueueFullError);
    await settle();
    expect(concat(...c.written)).toEqual(concat(m[0]!, m[1]!));
    expect(box.queue.snapshot.messages).toBe(0);
  });

  it('the unconfirmed window holds one entry per tick but reports (and resends) each message, minus what the peer confirmed', async () => {
    const box = outbox();
    const c = channel();
    box.attach(c.ch);
    const m = [frame('u1'), frame('u2'), frame('u3')];
    for (const bytes of m) box.enqueueShared(bytes, noReject);
    await settle();
    box.enqueue(frame('u4'), 'lossless', 'u4', undefined, noReject);
    await settle();
    expect(box.unconfirmedCount).toBe(4);
    const report = box.detach()!;
    expect(report.messages).toBe(4);
    expect(report.frames).toEqual([...m, frame('u4')]);
    expect(report.bytes).toBe(m.reduce((n, x) => n + x.length, 0) + frame('u4').length);
    // Each reported frame is the reader's own (not a view into the shared buffer).
    expect(report.frames[0]!.buffer).not.toBe(c.written[0]!.buffer);

    // Confirmed past the tick's messages: they are gone from the window.
    box.attach(c.ch);
    for (const bytes of m) box.enqueueShared(bytes, noReject);
    await settle();
    box.enqueue(frame('u4'), 'lossless', 'u4', undefined, noReject);
    await settle();
    box.confirm(3);
    const after = box.detach()!;
    expect(after.messages).toBe(1);
    expect(after.frames).toEqual([frame('u4')]);
    expect(after.confirmed).toBe(true);
  });

  it('whole ticks written one after another are one window entry, trimmed tick by tick by the retention limit and by confirmations', async () => {
    const frameSize = frame('t000a').length;
    const ticks = Array.from({ length: 5 }, (_, t) => [frame(`t${String(t).padStart(3, '0')}a`), frame(`t${String(t).padStart(3, '0')}b`)]);
    /** Writes the five ticks to `box` (and to another outbox: shared batches, linked ticks). */
    const writeTicks = async (box: Outbox) => {
      const peer = outbox();
      peer.attach(channel().ch);
      for (const tick of ticks) {
        for (const bytes of tick) {
          expect(box.enqueueShared(bytes, noReject)).toBe(true);
          expect(peer.enqueueShared(bytes, noReject)).toBe(true);
        }
        await settle();
      }
    };
    // Room for three ticks of two messages: the two oldest are counted, not kept.
    const small = new Outbox({ now: () => 0, log: () => {}, retainBytes: 6 * frameSize });
    const c = channel();
    small.attach(c.ch);
    await writeTicks(small);
    expect(c.written).toHaveLength(5);
    const report = small.detach()!;
    expect(report.messages).toBe(10);
    expect(report.frames).toEqual(ticks.slice(2).flat());
    expect(report.bytes).toBe(10 * frameSize);

    // The peer read ticks 0 and 1: they leave the run.
    const box = outbox();
    box.attach(channel().ch);
    await writeTicks(box);
    box.confirm(4);
    const after = box.detach()!;
    expect(after.messages).toBe(6);
    expect(after.frames).toEqual(ticks.slice(2).flat());
    expect(after.bytes).toBe(6 * frameSize);
  });

  it('a run confirmed whole leaves the window, and the ticks after it (or after a queued send) start new runs with their own counts', async () => {
    const box = outbox();
    const peer = outbox();
    box.attach(channel().ch);
    peer.attach(channel().ch);
    const tick = async (...bytes: Uint8Array[]) => {
      for (const b of bytes) {
        expect(box.enqueueShared(b, noReject)).toBe(true);
        expect(peer.enqueueShared(b, noReject)).toBe(true);
      }
      await settle();
    };
    const f = Array.from({ length: 9 }, (_, i) => frame(`f${i}`));
    await tick(f[0]!, f[1]!);
    await tick(f[2]!);
    box.confirm(3); // the whole run, the window's only entry
    expect(box.unconfirmedCount).toBe(0);
    await tick(f[3]!, f[4]!); // a new run
    box.enqueue(f[5]!, 'lossless', 'k', undefined, noReject); // a plain entry ends it
    await settle();
    await tick(f[6]!);
    await tick(f[7]!, f[8]!); // a run after the plain entry
    box.confirm(4); // part of the second run
    const report = box.detach()!;
    expect(report.messages).toBe(5);
    expect(report.frames).toEqual([f[4], f[5], f[6], f[7], f[8]]);
    expect(report.bytes).toBe([4, 5, 6, 7, 8].reduce((n, i) => n + f[i]!.length, 0));
  });

  it('reports ticks of one message each (a run of one-message ticks) frame by frame', async () => {
    const box = outbox();
    box.attach(channel().ch);
    const frames = [frame('s1'), frame('s2'), frame('s3')];
    for (const bytes of frames) {
      expect(box.enqueueShared(bytes, noReject)).toBe(true);
      await settle();
    }
    const report = box.detach()!;
    expect(report.messages).toBe(3);
    expect(report.frames).toEqual(frames);
  });

  it('taken messages not yet written when the channel ends wait in the queue; a write the channel refuses fails each on its own', async () => {
    const box = outbox();
    const c = channel();
    box.attach(c.ch);
    const errors: IgtlError[] = [];
    const [m1, m2] = [frame('x1'), frame('x2')];
    box.enqueueShared(m1, (e) => errors.push(e));
    box.enqueueShared(m2, (e) => errors.push(e));
    expect(box.detach()).toBeUndefined();
    expect(box.queue.length).toBe(2);
    box.clear('closed');
    expect(errors).toHaveLength(2);

    const refusing = outbox();
    const r = channel({ refuse: () => true });
    refusing.attach(r.ch);
    const failed: IgtlError[] = [];
    refusing.enqueueShared(m1, (e) => failed.push(e));
    refusing.enqueueShared(m2, (e) => failed.push(e));
    await settle();
    expect(failed).toHaveLength(2);
    expect(failed.every((e) => e instanceof ConnectionError)).toBe(true);
    expect(refusing.writtenCount).toBe(0);
  });
});

describe('fan-out through the shared path, at the connection', () => {
  it('with resendUnconfirmed, what a dropped channel took without confirmation is reported message by message and written again on the next one', async () => {
    const scheduler = new VirtualTimeScheduler();
    const attempts: { sub: Subscriber<ChannelEvent>; written: Uint8Array[] }[] = [];
    const factory = () =>
      new Observable<ChannelEvent>((sub) => {
        const written: Uint8Array[] = [];
        attempts.push({ sub, written });
        const ch: ByteChannel = { kind: 'stream', remote: 'fake:1', coalesce: true, write: (b) => (written.push(b), true), pause() {}, resume() {}, close() {} };
        sub.next({ type: 'open', channel: ch });
      });
    const conn = new IgtlConnection(factory, { scheduler, resendUnconfirmed: true, heartbeat: false, reconnect: { initialDelayMs: 10 } });
    const errors: IgtlError[] = [];
    conn.errors$.subscribe((e) => errors.push(e));
    conn.subscribe({ error: () => {} });
    const encoding = { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => 1 };
    const pose = (n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'T', timestamp: Timestamp.ZERO });
    const xs = (frames: Uint8Array[]) => frames.flatMap((f) => {
      const out: number[] = [];
      for (let off = 0; off < f.length; ) {
        const len = 58 + new DataView(f.buffer, f.byteOffset + off).getUint32(46);
        const m = decodeMessage(f.subarray(off, off + len));
        out.push(m.type === 'TRANSFORM' ? m.content.matrix[3]! : -1);
        off += len;
      }
      return out;
    });
    for (const tick of [[1, 2], [3, 4]]) {
      for (const n of tick) expect(fanOut(pose(n), [conn], encoding)).toEqual({ queued: 1, dropped: 0 });
      await settle();
    }
    expect(attempts[0]!.written).toHaveLength(2); // one write per tick
    attempts[0]!.sub.error(new Error('connection reset'));
    const report = errors.find((e) => e instanceof UnconfirmedDeliveryError) as UnconfirmedDeliveryError;
    expect(report.messages).toBe(4);
    expect(report.frames).toHaveLength(4);
    expect(xs([...report.frames])).toEqual([1, 2, 3, 4]);
    scheduler.flush(); // reconnects; the reported messages go out again, first
    await settle();
    expect(attempts).toHaveLength(2);
    expect(xs(attempts[1]!.written)).toEqual([1, 2, 3, 4]);
    conn.close();
  });
});

/** Tick batches an outbox's unconfirmed window keeps reachable (through the runs' links to the next tick). */
function ticksHeld(box: Outbox): number {
  type Batch = { next?: Batch };
  const held = new Set<Batch>();
  for (const entry of (box as unknown as { window: unknown[] }).window) {
    if (entry === undefined || entry instanceof Uint8Array || Array.isArray(entry)) continue;
    for (let b: Batch | undefined = (entry as { first: Batch }).first; b !== undefined; b = b.next) held.add(b);
  }
  return held.size;
}

describe('the unconfirmed window of a fan-out outbox that falls behind', () => {
  it('keeps its own ticks only, not every tick the other outboxes write after them', async () => {
    // A slow client that never confirms (a C++ client of a server) and a fast one. Was: the slow
    // one's last tick linked on to every tick the fast one wrote since, all kept alive (measured
    // at a server: 3 MB a second at 1 MB/s of broadcast, 151 MB after 50 s).
    let slowFull = false;
    const slow = outbox();
    const fast = outbox();
    const s = channel({ full: () => slowFull });
    const f = channel();
    slow.attach(s.ch);
    fast.attach(f.ch);
    const first = frame('tick 0');
    for (const box of [slow, fast]) expect(box.enqueueShared(first, noReject)).toBe(true);
    slowFull = true; // the slow client's buffer fills with this tick
    await settle();
    const TICKS = 1000;
    for (let t = 1; t <= TICKS; t++) {
      const m = frame(`tick ${t}`);
      expect(slow.enqueueShared(m, noReject)).toBe(false); // blocked: it would queue (not here)
      expect(fast.enqueueShared(m, noReject)).toBe(true);
      await settle();
    }
    expect(f.written).toHaveLength(TICKS + 1);
    expect(ticksHeld(slow)).toBe(0); // was 1,001: every tick since its own
    const report = slow.detach()!;
    expect(report.messages).toBe(1);
    expect(report.frames).toEqual([first]);
  });

  it('reports the same ticks after its run ended as before (messages, bytes, frames)', async () => {
    let full = false;
    const box = outbox();
    const c = channel({ full: () => full });
    box.attach(c.ch);
    const ticks = [[frame('a1'), frame('a2')], [frame('b1')], [frame('c1'), frame('c2'), frame('c3')]];
    for (const tick of ticks) {
      for (const m of tick) expect(box.enqueueShared(m, noReject)).toBe(true);
      await settle();
    }
    box.confirm(1); // the first tick's first message only
    full = true;
    const last = frame('d1');
    expect(box.enqueueShared(last, noReject)).toBe(true);
    await settle(); // written, blocked: the run of three ticks ended
    box.enqueue(frame('queued'), 'lossless', 'q', undefined, noReject);
    const report = box.detach()!;
    const all = [...ticks.flat(), last];
    expect(report.messages).toBe(all.length - 1);
    expect(report.frames).toEqual(all.slice(1));
    expect(report.bytes).toBe(all.slice(1).reduce((n, m) => n + m.length, 0));
  });
});
