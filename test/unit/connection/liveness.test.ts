import { describe, expect, it } from 'vitest';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import {
  BodyTooLargeError,
  DeadPeerError,
  DesyncError,
  HEARTBEAT_DEVICE_NAME,
  UnconfirmedDeliveryError,
  IDENTITY,
  IgtlConnection,
  Timestamp,
  TimeoutError,
  createMessage,
  createImageContent,
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

const statusBytes = (deviceName: string) =>
  encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName, timestamp: Timestamp.ZERO }));

describe('liveness', () => {
  it('drops a connection that has received nothing for idleTimeoutMs and reconnects', () => {
    const { scheduler, conn, attempts, errors, at } = setup({ idleTimeoutMs: 1000 }, 3000);
    at(400, () => attempts[0]!.data(bytesOf(1)));
    scheduler.flush();
    const dead = errors.find((e) => e instanceof DeadPeerError) as DeadPeerError;
    expect(dead.rule).toBe('idle');
    expect(dead.message).toMatch(/nothing received for 1000 ms/);
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
    const dead = errors.find((e) => e instanceof DeadPeerError) as DeadPeerError;
    expect(dead.rule).toBe('read-timeout');
    expect(dead.message).toMatch(/arriving for over 500 ms/);
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

  it('probes with one GET_STATUS at open and never pings a peer that does not answer', async () => {
    const { scheduler, attempts, errors } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 2000 } }, 20_000);
    scheduler.flush();
    await settle();
    const sent = attempts[0]!.written.map((b) => decodeMessage(b));
    expect(sent.map((m) => [m.type, m.deviceName, m.headerVersion])).toEqual([['GET_STATUS', HEARTBEAT_DEVICE_NAME, 1]]);
    // A quiet peer that does not answer is not dead: TCP keep-alive watches it instead.
    expect(errors).toEqual([]);
    expect(attempts[0]!.torn).toBe(false);
  });

  it('pings a peer that answered the probe whenever it goes silent, and closes when pings go unanswered', async () => {
    const { scheduler, attempts, errors, at, conn } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 2000 }, staleAfterMs: 0 }, 10_000);
    // The peer answers the probe and two pings, then vanishes (blackholed) at t = 2500.
    const answer = () => attempts[0]!.data(statusBytes(HEARTBEAT_DEVICE_NAME));
    at(10, answer);
    at(1015, answer);
    at(2020, answer);
    let deadAt = -1;
    conn.errors$.subscribe((e) => {
      if (e instanceof DeadPeerError) deadAt = scheduler.now();
    });
    scheduler.flush();
    await settle();
    const dead = errors.find((e) => e instanceof DeadPeerError) as DeadPeerError;
    expect(dead.rule).toBe('heartbeat');
    // Silent from 2020: pinged at 3020, no answer for 2000 ms -> dead at 5020.
    expect(deadAt).toBe(5020);
    expect(attempts[0]!.torn).toBe(true);
  });

  it("pings PLUS (unnamed legacy STATUS keep-alives) when it goes silent, never a peer whose only STATUS was Slicer's v3 announce", async () => {
    const plusKeepAlive = statusBytes('');
    const slicerAnnounce = encodeMessage(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName: '', headerVersion: 2, metadata: { dummy: 'dummy' }, timestamp: Timestamp.ZERO }));
    const pings = async (first: Uint8Array) => {
      const { scheduler, attempts, at } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 60_000 }, staleAfterMs: 0 }, 5000);
      at(10, () => attempts[0]!.data(first));
      scheduler.flush();
      await settle();
      return attempts[0]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'GET_STATUS').length;
    };
    // PLUS (vtkPlusOpenIGTLinkServer.cxx KeepAlive: an unnamed STATUS, legacy framing): the probe, then a ping every second of silence.
    expect(await pings(plusKeepAlive)).toBeGreaterThanOrEqual(4);
    // Slicer (vtkMRMLIGTLConnectorNode.cxx on ConnectedEvent: an unnamed v3 STATUS with metadata): the probe only.
    expect(await pings(slicerAnnounce)).toBe(1);
  });

  it('hides the echoes of its own heartbeat from subscribers', () => {
    const { scheduler, attempts, got, at } = setup({ heartbeat: { intervalMs: 1000 } }, 1500);
    at(5, () => attempts[0]!.data(statusBytes(HEARTBEAT_DEVICE_NAME)));
    at(6, () => attempts[0]!.data(statusBytes('Tracker')));
    scheduler.flush();
    expect(got.map((m) => m.deviceName)).toEqual(['Tracker']);
  });

  it('closes a channel whose writes have stalled for writeStallMs, not one that drains in time', async () => {
    const stalled = setup({ writeStallMs: 1000, staleAfterMs: 0 }, 5000);
    stalled.attempts[0]!.full = true;
    stalled.conn.next(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'x' }, { deviceName: 'S' }));
    await settle();
    stalled.scheduler.flush();
    const dead = stalled.errors.find((e) => e instanceof DeadPeerError) as DeadPeerError;
    expect(dead?.rule).toBe('write-stall');
    expect(stalled.attempts[0]!.torn).toBe(true);

    const draining = setup({ writeStallMs: 1000, staleAfterMs: 0 }, 5000);
    draining.attempts[0]!.full = true;
    draining.conn.next(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'x' }, { deviceName: 'S' }));
    await settle();
    draining.at(900, () => draining.attempts[0]!.drain());
    draining.scheduler.flush();
    expect(draining.errors).toEqual([]);
    expect(draining.attempts[0]!.torn).toBe(false);
  });

  it('does not call a peer that takes the bytes slowly stalled: the clock restarts while the channel holds fewer', async () => {
    // A large image to a peer on a slow link: the channel stays full for longer than writeStallMs.
    const { scheduler, conn, attempts, errors, at } = setup({ writeStallMs: 1000, staleAfterMs: 0, heartbeat: false }, 10_000);
    const deadAt = deadTime(conn, scheduler);
    attempts[0]!.full = true;
    attempts[0]!.unsentBytes = 48 << 20;
    conn.next(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'x' }, { deviceName: 'S' }));
    await settle();
    for (let t = 400, left = 40 << 20; t <= 2800; t += 400, left -= 4 << 20) at(t, () => (attempts[0]!.unsentBytes = left));
    scheduler.flush();
    // Taken until 2800 ms, then nothing: found at least writeStallMs after the last byte taken, at most twice that.
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('write-stall');
    expect(deadAt()).toBeGreaterThanOrEqual(3800);
    expect(deadAt()).toBeLessThanOrEqual(4800);
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

  it('gives up skipping an oversized message that does not finish within readTimeoutMs: visible, then closed', () => {
    const big = bytesOf(1);
    new DataView(big.buffer).setUint32(46, 0x7fffffff);
    const { scheduler, attempts, errors, at, conn } = setup({ maxBodySize: 1024, readTimeoutMs: 1000, staleAfterMs: 0 }, 5000);
    at(0, () => attempts[0]!.data(big.subarray(0, 58)));
    // The peer keeps sending (so it is not idle), but 2 GiB will not arrive in a second.
    for (let t = 100; t < 3000; t += 100) at(t, () => attempts[0]!.data(new Uint8Array(1000)));
    let midway = 0;
    at(550, () => (midway = conn.inbound.skipRemaining));
    scheduler.flush();
    // Visible while it lasts: 2^31 - 1 declared, 5 000 bytes skipped by then.
    expect(midway).toBe(0x7fffffff - 5000);
    expect(errors[0]).toBeInstanceOf(BodyTooLargeError);
    const dead = errors.find((e) => e instanceof DeadPeerError) as DeadPeerError;
    expect(dead.rule).toBe('skip-timeout');
    expect(attempts[0]!.torn).toBe(true);
  });

  it('closes at once on a header that is not OpenIGTLink (desync), and reconnects', async () => {
    const { attempts, errors, conn } = setup({});
    const garbage = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n'.repeat(3));
    attempts[0]!.data(garbage);
    attempts[0]!.data(bytesOf(7));
    await settle();
    expect(errors[0]).toBeInstanceOf(DesyncError);
    expect(attempts[0]!.torn).toBe(true);
    expect(conn.state.kind).toBe('reconnecting');
  });

  it('reports written messages the peer never confirmed when the channel ends, and none that it confirmed', async () => {
    const { scheduler, attempts, errors, conn } = setup({ heartbeat: { intervalMs: 1000, timeoutMs: 5000 }, staleAfterMs: 0 }, 1500);
    const send = (n: number) => conn.send(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'T' }));
    const echo = () => attempts[0]!.data(statusBytes(HEARTBEAT_DEVICE_NAME));
    await settle(); // the probe is written
    echo(); // and answered: this peer confirms
    expect(await send(1)).toBe('written');
    expect(await send(2)).toBe('written');
    // Writes await confirmation, so a ping goes out one interval after the last one...
    scheduler.flush();
    await settle();
    echo(); // ...and its echo confirms everything written before it.
    expect(await send(3)).toBe('written');
    expect(await send(4)).toBe('written');
    attempts[0]!.fail(new Error('connection reset'));
    const report = errors.find((e) => e instanceof UnconfirmedDeliveryError) as UnconfirmedDeliveryError;
    expect(report.confirmation).toBe('heartbeat');
    const numbers = report.frames.map((f) => decodeMessage(f)).map((m) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : -1));
    expect(numbers).toEqual([3, 4]);
    expect(report.messages).toBe(2);
  });

  it('reports every written message as unconfirmed when the peer never answers heartbeats', async () => {
    const { attempts, errors, conn } = setup({ heartbeat: false }, 100);
    for (let n = 1; n <= 3; n++) await conn.send(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: String(n) }, { deviceName: 'S' }));
    attempts[0]!.end();
    const report = errors.find((e) => e instanceof UnconfirmedDeliveryError) as UnconfirmedDeliveryError;
    expect(report.confirmation).toBe('none');
    expect(report.messages).toBe(3);
    expect(report.frames.map((f) => decodeMessage(f)).map((m) => (m.type === 'STATUS' ? m.content.statusMessage : ''))).toEqual(['1', '2', '3']);
  });
});

/** The virtual time of the connection's DeadPeerError, once there is one (-1 before). */
function deadTime(conn: IgtlConnection, scheduler: VirtualTimeScheduler): () => number {
  let at = -1;
  conn.errors$.subscribe((e) => {
    if (e instanceof DeadPeerError) at = scheduler.now();
  });
  return () => at;
}

describe('liveness while this side holds reading paused (a for-await consumer behind by its highWaterMark)', () => {
  it('gives no verdict while paused, keeps pinging the peer, and counts silence from the resume', async () => {
    const { scheduler, conn, attempts, errors, at } = setup({ heartbeat: { intervalMs: 200, timeoutMs: 400 }, staleAfterMs: 500, idleTimeoutMs: 1000 }, 20_000);
    const states: string[] = [];
    conn.state$.subscribe((s) => states.push(`${s.kind}@${scheduler.now()}`));
    at(10, () => attempts[0]!.data(statusBytes(HEARTBEAT_DEVICE_NAME))); // it answers the probe: it takes part
    at(20, () => conn.pauseReading());
    at(10_020, () => conn.resumeReading());
    const deadAt = deadTime(conn, scheduler);
    scheduler.flush();
    await settle();
    // Ten seconds paused: stale (nothing current has arrived, which is true), never dead
    // (every dead-peer rule's deadline fell due many times over).
    // (Only the probe's answer came: no data since the open.)
    expect(states.filter((s) => Number(s.slice(s.indexOf('@') + 1)) < 10_020)).toEqual(['open@0', 'stale@500']);
    // Pinged all along (a peer that pings us hears from us: any bytes answer its ping).
    const pings = attempts[0]!.written.map((b) => decodeMessage(b)).filter((m) => m.type === 'GET_STATUS');
    expect(pings.length).toBeGreaterThanOrEqual(40);
    // From the resume on, the peer is silent: dead once a ping (due 200 ms after the last one)
    // has gone 400 ms unanswered.
    expect(states.slice(2)).toEqual([`reconnecting@${deadAt()}`]);
    expect(deadAt()).toBeGreaterThanOrEqual(10_020 + 400);
    expect(deadAt()).toBeLessThanOrEqual(10_020 + 200 + 400);
    expect((errors.find((e) => e instanceof DeadPeerError) as DeadPeerError).rule).toBe('heartbeat');
  });

  it('a live peer, whose bytes are read as reading resumes, is open again at once', () => {
    const { scheduler, conn, attempts, errors, at } = setup({ heartbeat: { intervalMs: 200, timeoutMs: 400 }, staleAfterMs: 500, idleTimeoutMs: 1000 }, 12_000);
    const states: string[] = [];
    conn.state$.subscribe((s) => states.push(`${s.kind}@${scheduler.now()}`));
    at(10, () => attempts[0]!.data(statusBytes(HEARTBEAT_DEVICE_NAME)));
    at(20, () => conn.pauseReading());
    at(10_020, () => conn.resumeReading());
    at(10_020, () => attempts[0]!.data(bytesOf(1))); // what waited in the socket
    for (let t = 10_040; t < 12_000; t += 20) at(t, () => attempts[0]!.data(bytesOf(t)));
    scheduler.flush();
    expect(states).toEqual(['open@0', 'stale@500', 'open@10020']);
    expect(errors).toEqual([]);
  });

  it('a message half-read when reading paused is timed from the resume (read rule)', () => {
    const { scheduler, conn, attempts, errors, at } = setup({ readTimeoutMs: 1000, staleAfterMs: 0, heartbeat: false }, 20_000);
    at(10, () => attempts[0]!.data(bytesOf(1).subarray(0, 30)));
    at(20, () => conn.pauseReading());
    at(5020, () => conn.resumeReading());
    const deadAt = deadTime(conn, scheduler);
    scheduler.flush();
    expect((errors.find((e) => e instanceof DeadPeerError) as DeadPeerError).rule).toBe('read-timeout');
    expect(deadAt()).toBe(6020);
  });

  it('the write-stall rule still applies while paused: the peer not reading is the peer', async () => {
    const { scheduler, conn, attempts, errors } = setup({ writeStallMs: 1000, staleAfterMs: 0, heartbeat: false }, 5000);
    conn.pauseReading();
    attempts[0]!.full = true;
    conn.next(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'x' }, { deviceName: 'S' }));
    await settle();
    scheduler.flush();
    expect((errors.find((e) => e instanceof DeadPeerError) as DeadPeerError | undefined)?.rule).toBe('write-stall');
    expect(attempts[0]!.torn).toBe(true);
  });
});

describe('the read rule and large messages', () => {
  // An 8 MiB image (2048 x 1024 x 4 bytes), delivered in 64 KiB chunks.
  const image = encodeMessage(createMessage('IMAGE', createImageContent({ data: new Uint8Array(2048 * 1024 * 4), size: [2048, 1024, 4] }), { deviceName: 'US', timestamp: Timestamp.ZERO }));
  const CHUNK = 64 * 1024;

  function deliver(everyMs: number, readTimeoutMs: number) {
    const { scheduler, attempts, errors, got, at } = setup({ readTimeoutMs, staleAfterMs: 0, heartbeat: false, idleTimeoutMs: 0 }, 60_000);
    for (let off = 0, t = 10; off < image.length; off += CHUNK, t += everyMs) at(t, () => attempts[0]!.data(image.subarray(off, off + CHUNK)));
    scheduler.flush();
    return { got, dead: errors.find((e): e is DeadPeerError => e instanceof DeadPeerError) };
  }

  it('an 8 MiB image arriving at 1.6 MiB/s for 5 s is not cut off by a 1 s read rule', () => {
    const { got, dead } = deliver(40, 1000);
    expect(dead).toBeUndefined();
    expect(got.map((m) => m.type)).toEqual(['IMAGE']);
  });

  it('the same image at 0.5 MiB/s is: under 1 MiB/s on average once readTimeoutMs has passed', () => {
    const { got, dead } = deliver(125, 1000);
    expect(dead?.rule).toBe('read-timeout');
    expect(dead?.elapsedMs).toBe(1000);
    expect(dead?.message).toMatch(/arriving for over 1000 ms/);
    expect(got).toEqual([]);
  });

  it('a slowloris trickling a large message is cut off at readTimeoutMs as before', () => {
    const { scheduler, attempts, errors, at } = setup({ readTimeoutMs: 1000, staleAfterMs: 0, heartbeat: false }, 10_000);
    at(0, () => attempts[0]!.data(image.subarray(0, CHUNK))); // a fast first chunk: 64 KiB
    for (let t = 100; t < 10_000; t += 100) at(t, () => attempts[0]!.data(image.subarray(CHUNK, CHUNK + 1)));
    scheduler.flush();
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('read-timeout');
    expect(dead?.elapsedMs).toBe(1000);
  });
});
