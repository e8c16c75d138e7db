import { describe, expect, it } from 'vitest';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import {
  BodyTooLargeError,
  IDENTITY,
  IgtlConnection,
  Timestamp,
  TimeoutError,
  createMessage,
  decodeMessage,
  encodeMessage,
  type IgtlError,
  type IgtlMessage,
} from '../../../src/index.js';
import { fakeFactory, settle } from './fake-channel.js';

const bytesOf = (n: number) =>
  encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'T', timestamp: Timestamp.ZERO }));

function setup(options: ConstructorParameters<typeof IgtlConnection>[1], maxFrames = 5000) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, maxFrames);
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, random: () => 0.5, reconnect: { initialDelayMs: 10_000 }, ...options });
  const errors: IgtlError[] = [];
  const got: IgtlMessage[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  conn.subscribe((m) => got.push(m));
  attempts[0]!.open();
  const at = (ms: number, fn: () => void) => scheduler.schedule(fn, ms);
  return { scheduler, conn, attempts, errors, got, at };
}

describe('liveness', () => {
  it('drops a connection that has received nothing for idleTimeoutMs and reconnects', () => {
    const { scheduler, conn, attempts, errors, at } = setup({ idleTimeoutMs: 1000 }, 3000);
    at(400, () => attempts[0]!.data(bytesOf(1)));
    scheduler.flush();
    const timeout = errors.find((e) => e instanceof TimeoutError) as TimeoutError;
    expect(timeout.message).toMatch(/nothing received for 1000 ms/);
    expect(attempts[0]!.torn).toBe(true);
    expect(conn.state.kind === 'reconnecting' || conn.state.kind === 'connecting').toBe(true);
  });

  it('keeps a connection that receives steadily', () => {
    const { scheduler, attempts, errors, at } = setup({ idleTimeoutMs: 1000 }, 2900);
    for (let t = 100; t < 2900; t += 300) at(t, () => attempts[0]!.data(bytesOf(t)));
    scheduler.flush();
    expect(errors).toEqual([]);
    expect(attempts[0]!.torn).toBe(false);
  });

  it('drops a peer that trickles a message byte by byte (slowloris) even though bytes keep coming', () => {
    const { scheduler, attempts, errors, at } = setup({ readTimeoutMs: 500, idleTimeoutMs: 1000 }, 2000);
    const msg = bytesOf(1);
    for (let i = 0; i < 40; i++) at(i * 50, () => attempts[0]!.data(msg.subarray(i, i + 1)));
    scheduler.flush();
    const timeout = errors.find((e) => e instanceof TimeoutError);
    expect(timeout?.message).toMatch(/arriving for over 500 ms/);
    expect(attempts[0]!.torn).toBe(true);
  });

  it('does not mistake a steady stream whose chunks split messages for a slow one', () => {
    const { scheduler, attempts, errors, got, at } = setup({ readTimeoutMs: 300 }, 3000);
    const stream = new Uint8Array(Array.from({ length: 60 }, (_, i) => [...bytesOf(i)]).flat());
    // Every chunk ends inside a message, so some bytes are always pending.
    const size = 250;
    for (let i = 0, t = 0; i < stream.length; i += size, t += 100) at(t, () => attempts[0]!.data(stream.subarray(i, i + size)));
    scheduler.flush();
    expect(errors).toEqual([]);
    expect(got).toHaveLength(60);
  });

  it('sends a heartbeat GET_STATUS every interval while open', async () => {
    const { scheduler, attempts } = setup({ heartbeat: { intervalMs: 1000 } }, 3500);
    scheduler.flush();
    await settle();
    const sent = attempts[0]!.written.map((b) => decodeMessage(b));
    expect(sent.map((m) => m.type)).toEqual(['GET_STATUS', 'GET_STATUS', 'GET_STATUS']);
    expect(sent.every((m) => m.headerVersion === 1)).toBe(true);
  });

  it('closes after an oversized message when oversize is close, and skips it otherwise', async () => {
    const big = bytesOf(1);
    new DataView(big.buffer).setUint32(46, 0x7fffffff);
    const closing = setup({ maxBodySize: 1024, oversize: 'close' });
    closing.attempts[0]!.data(new Uint8Array([...big.subarray(0, 58), ...bytesOf(2)]));
    await settle();
    expect(closing.errors.some((e) => e instanceof BodyTooLargeError)).toBe(true);
    expect(closing.attempts[0]!.torn).toBe(true);
    const skipping = setup({ maxBodySize: 1024 });
    skipping.attempts[0]!.data(big.subarray(0, 58));
    await settle();
    expect(skipping.errors.some((e) => e instanceof BodyTooLargeError)).toBe(true);
    expect(skipping.attempts[0]!.torn).toBe(false);
  });
});
