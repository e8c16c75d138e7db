// A step of the system clock (NTP correcting a large offset, an administrator setting the time,
// a virtual machine resumed) must neither hide a silent peer or tool nor invent one: durations
// are measured on a monotonic clock. Fake timers (vitest's, from @sinonjs/fake-timers): their
// setSystemTime moves Date.now() only, as a real step does; timers and performance.now() go on.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Subject, from, lastValueFrom, type Subscription } from 'rxjs';
import {
  DeadPeerError,
  IDENTITY,
  IgtlConnection,
  Timestamp,
  WAKE_CHECK_MS,
  createMessage,
  encodeMessage,
  freshnessNow,
  freshnessScheduler,
  monotonicNow,
  monotonicScheduler,
  wallClockMs,
  type IgtlError,
  type IgtlMessage,
} from '../../../src/index.js';
import { measureRate, watchFreshness, type FreshnessChange, type RateReport } from '../../../operators/index.js';
import { record, replayRecording } from '../../../src/recording/index.js';
import { ticks } from '../../../src/simulator/clock.js';
import { fakeFactory } from './fake-channel.js';

const HOUR = 3_600_000;
/** A verdict is given one turn of I/O after its deadline (src/connection/liveness.ts): a timer of delay 0, 1 ms under fake timers as in Node. */
const VERDICT_TURN_MS = 1;

const pose = (deviceName: string, n = 0): IgtlMessage =>
  createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName, timestamp: Timestamp.ZERO });
const bytesOf = (n: number) => encodeMessage(pose('T', n));

/** The system clock jumps by `ms` (negative: back), and nothing else happens. */
const stepSystemClock = (ms: number) => vi.setSystemTime(Date.now() + ms);

/**
 * Turns of real I/O until `done()` or a fake timer is pending (the replay is waiting for a
 * message's due time), for at most 10 s of real time (process.hrtime is not faked).
 */
async function untilWaitingOnTimer(done: () => boolean): Promise<void> {
  const limit = process.hrtime.bigint() + 10_000_000_000n;
  while (!done() && vi.getTimerCount() === 0 && process.hrtime.bigint() < limit) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let subs: Subscription[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-07T10:00:00Z') });
  subs = [];
});
afterEach(() => {
  for (const s of subs) s.unsubscribe();
  vi.useRealTimers();
});

function connection(options: ConstructorParameters<typeof IgtlConnection>[1]) {
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { random: () => 0.5, reconnect: { initialDelayMs: 60_000 }, heartbeat: false, ...options });
  const errors: IgtlError[] = [];
  const states: string[] = [];
  subs.push(conn.errors$.subscribe((e) => errors.push(e)), conn.state$.subscribe((s) => states.push(s.kind)), conn.subscribe());
  attempts[0]!.open();
  return { conn, attempts, errors, states };
}

describe('a step of the system clock', () => {
  it('the test clock: setSystemTime moves Date.now() and leaves the monotonic clock alone', () => {
    const mono = monotonicNow();
    const wall = Date.now();
    stepSystemClock(-HOUR);
    expect(Date.now() - wall).toBe(-HOUR);
    expect(monotonicNow() - mono).toBe(0);
    vi.advanceTimersByTime(250);
    expect(monotonicNow() - mono).toBe(250);
    expect(monotonicScheduler.now()).toBe(monotonicNow());
  });

  it('back by an hour: a silent peer is still stale after staleAfterMs and dead after idleTimeoutMs', () => {
    const { conn, attempts, errors } = connection({ staleAfterMs: 1000, idleTimeoutMs: 5000 });
    attempts[0]!.data(bytesOf(1));
    expect(conn.state.kind).toBe('open');
    stepSystemClock(-HOUR);
    vi.advanceTimersByTime(999);
    expect(conn.state.kind).toBe('open');
    // Due at 1000 ms; given one turn of I/O later (a timer of delay 0: 1 ms here, as in Node).
    vi.advanceTimersByTime(VERDICT_TURN_MS + 1);
    expect(conn.state.kind).toBe('stale');
    vi.advanceTimersByTime(4000);
    const dead = errors.find((e): e is DeadPeerError => e instanceof DeadPeerError);
    expect(dead?.rule).toBe('idle');
    expect(dead?.elapsedMs).toBe(5000 + VERDICT_TURN_MS);
    expect(attempts[0]!.torn).toBe(true);
  });

  it('forward by an hour: a peer that keeps sending is neither stale nor dead', () => {
    const { conn, attempts, errors, states } = connection({ staleAfterMs: 1000, idleTimeoutMs: 5000 });
    for (let t = 0; t < 3000; t += 100) {
      attempts[0]!.data(bytesOf(t));
      if (t === 900) stepSystemClock(HOUR); // just before a check of the stale and idle timers (due at 1000)
      vi.advanceTimersByTime(100);
    }
    expect(errors).toEqual([]);
    expect(states).not.toContain('stale');
    expect(conn.state.kind).toBe('open');
  });

  it('a machine without a real-time clock (boots in 1970, then NTP steps it 56 years forward): a streaming peer stays open, a silent one goes stale on time', () => {
    vi.useRealTimers();
    vi.useFakeTimers({ now: 5_000 }); // 1970-01-01T00:00:05Z
    const { conn, attempts, errors, states } = connection({ staleAfterMs: 1000, idleTimeoutMs: 5000 });
    for (let t = 0; t < 3000; t += 100) {
      attempts[0]!.data(bytesOf(t));
      if (t === 900) vi.setSystemTime(new Date('2026-12-07T10:00:00Z')); // the first NTP sync
      vi.advanceTimersByTime(100);
    }
    expect(errors).toEqual([]);
    expect(states).not.toContain('stale');
    // Then the peer falls silent: stale after 1 s, dead after 5 s, as on any other day.
    vi.advanceTimersByTime(899);
    expect(conn.state.kind).toBe('open');
    vi.advanceTimersByTime(VERDICT_TURN_MS + 1);
    expect(conn.state.kind).toBe('stale');
    vi.advanceTimersByTime(4000);
    expect(errors.find((e): e is DeadPeerError => e instanceof DeadPeerError)?.elapsedMs).toBe(5000 + VERDICT_TURN_MS);
  });

  it('a suspend (the wall clock goes on, the monotonic clock and timers stand still): data from before a sleep longer than staleAfterMs is stale within a second of waking', () => {
    const { conn, attempts } = connection({ staleAfterMs: 3000, idleTimeoutMs: 5000 });
    const silences: number[] = [];
    subs.push(conn.state$.subscribe((s) => s.kind === 'stale' && silences.push(s.silentMs)));
    attempts[0]!.data(bytesOf(1));
    vi.advanceTimersByTime(500);
    expect(conn.state.kind).toBe('open');
    stepSystemClock(HOUR); // the lid closes for an hour: to the process, only Date.now() moved
    vi.advanceTimersByTime(WAKE_CHECK_MS + VERDICT_TURN_MS);
    expect(conn.state.kind).toBe('stale');
    expect(silences[0]).toBeGreaterThanOrEqual(HOUR);
    // The dead-peer rules keep the monotonic clock: the idle verdict is not brought forward.
    expect(attempts[0]!.torn).toBe(false);
    // And data after waking is current again.
    attempts[0]!.data(bytesOf(2));
    expect(conn.state.kind).toBe('open');
  });

  it('watchFreshness on freshnessScheduler: a tool from before a sleep longer than staleAfterMs is stale within a second of waking, and its age counts the sleep', () => {
    const src = new Subject<IgtlMessage>();
    const changes: FreshnessChange<IgtlMessage>[] = [];
    subs.push(src.pipe(watchFreshness({ staleAfterMs: 3000, scheduler: freshnessScheduler })).subscribe((c) => changes.push(c)));
    src.next(pose('Stylus'));
    vi.advanceTimersByTime(500);
    stepSystemClock(HOUR);
    vi.advanceTimersByTime(WAKE_CHECK_MS);
    expect(changes.map((c) => c.stale)).toEqual([false, true]);
    expect(changes[1]!.at - changes[1]!.lastSeen).toBeGreaterThanOrEqual(HOUR);
    expect(freshnessNow() - changes[1]!.lastSeen).toBeGreaterThanOrEqual(HOUR);
  });

  it('watchFreshness: a tool that stops just before a step back goes stale on time', () => {
    const src = new Subject<IgtlMessage>();
    const changes: FreshnessChange<IgtlMessage>[] = [];
    subs.push(src.pipe(watchFreshness({ staleAfterMs: 500 })).subscribe((c) => changes.push(c)));
    src.next(pose('Stylus'));
    stepSystemClock(-HOUR);
    vi.advanceTimersByTime(499);
    expect(changes.map((c) => c.stale)).toEqual([false]);
    vi.advanceTimersByTime(1);
    expect(changes.map((c) => c.stale)).toEqual([false, true]);
    // Its age, read on the operator's clock, is the silence: not an hour off.
    expect(changes[1]!.at - changes[1]!.lastSeen).toBe(500);
    expect(monotonicScheduler.now() - changes[1]!.lastSeen).toBe(500);
  });

  it('watchFreshness: a tool that keeps sending across a step forward never goes stale', () => {
    const src = new Subject<IgtlMessage>();
    const changes: FreshnessChange<IgtlMessage>[] = [];
    subs.push(src.pipe(watchFreshness({ staleAfterMs: 500 })).subscribe((c) => changes.push(c)));
    for (let t = 0; t < 2000; t += 100) {
      src.next(pose('Stylus', t));
      if (t === 1200) stepSystemClock(HOUR); // just before the stale timer's check at 1300
      vi.advanceTimersByTime(100);
    }
    expect(changes.map((c) => c.stale)).toEqual([false]);
  });

  it('measureRate: the rate stays the rate across steps both ways, and a steady tool is not forgotten', () => {
    const src = new Subject<IgtlMessage>();
    const reports: RateReport[] = [];
    subs.push(src.pipe(measureRate({ forgetAfterMs: 2000 })).subscribe((r) => reports.push(r)));
    const send = setInterval(() => src.next(pose('Stylus')), 20); // 50 Hz
    vi.advanceTimersByTime(3000);
    stepSystemClock(-HOUR);
    vi.advanceTimersByTime(3000);
    stepSystemClock(2 * HOUR);
    vi.advanceTimersByTime(3000);
    clearInterval(send);
    expect(reports).toHaveLength(9);
    // 49 or 50 in each 1 s window (a report and a pose due in the same millisecond), never 0 or thousands.
    for (const r of reports) expect(Math.abs(r.rates.get('TRANSFORM\u0000Stylus')!.hz - 50)).toBeLessThanOrEqual(1);
  });

  it("the simulator's ticks keep their pace across a step back (paced on the monotonic clock)", () => {
    const got: number[] = [];
    subs.push(ticks(20).subscribe((t) => got.push(t)));
    vi.advanceTimersByTime(1000);
    const before = got.length;
    expect(got.at(-1)).toBe(1000); // ticks 0, 20, ..., 1000
    expect(before).toBe(51);
    stepSystemClock(-HOUR);
    vi.advanceTimersByTime(1000);
    expect(got.length - before).toBe(50);
    // And forward: no burst of an hour of ticks (nor a skip of one).
    stepSystemClock(HOUR);
    vi.advanceTimersByTime(1000);
    expect(got.length - before).toBe(100);
    expect(got.at(-1)).toBe(3000);
    expect(got.every((t, i) => t === 20 * i)).toBe(true);
  });
  it('a replay keeps its pace across a step back (not an hour of waiting)', async () => {
    // Real setImmediate, so the file's reads complete between the fake timers' steps.
    vi.useRealTimers();
    vi.useFakeTimers({ now: new Date('2026-12-07T10:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-clock-'));
    try {
      const file = path.join(dir, 'paced.igtl');
      // Eight poses recorded 40 ms apart.
      let k = 0;
      await lastValueFrom(record(from(Array.from({ length: 8 }, (_, i) => pose('Stylus', i))), file, { clock: () => 5000 + 40 * k++ }));
      const got: number[] = [];
      let done = false;
      subs.push(replayRecording(file).subscribe({ next: () => got.push(monotonicNow()), complete: () => (done = true) }));
      const start = monotonicNow();
      let stepped = false;
      for (let i = 0; i < 200 && !done; i++) {
        if (got.length === 3 && !stepped) {
          stepSystemClock(-HOUR);
          stepped = true;
        }
        // Real I/O (the file's reads) until the replay waits on a timer or ends: a fixed count of
        // turns was too few under CI load, where the thread pool's reads took longer.
        await untilWaitingOnTimer(() => done);
        await vi.advanceTimersByTimeAsync(5);
      }
      expect(stepped).toBe(true);
      expect(got).toHaveLength(8);
      expect(done).toBe(true);
      // The last is due 280 ms after the first; played in well under a second of the fake clock.
      expect(got.at(-1)! - got[0]!).toBeGreaterThanOrEqual(280);
      expect(got.at(-1)! - start).toBeLessThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wall-clock times follow the step within 0.1 s: Timestamp.now() and wallClockMs() read the system clock again', () => {
    // Read first on the real clock (as other tests in this process may have), which is later than the fake one.
    vi.useRealTimers();
    wallClockMs();
    vi.useFakeTimers({ now: new Date('2026-12-07T10:00:00Z') });
    vi.advanceTimersByTime(100);
    expect(Math.abs(wallClockMs() - Date.now())).toBeLessThan(1);
    stepSystemClock(-HOUR);
    vi.advanceTimersByTime(100);
    expect(Math.abs(wallClockMs() - Date.now())).toBeLessThan(1);
    expect(Math.abs(Timestamp.now().toMillis() - Date.now())).toBeLessThan(1);
    // And in between, it counts on evenly from there.
    vi.advanceTimersByTime(50);
    expect(Math.abs(Timestamp.now().toMillis() - Date.now())).toBeLessThan(1);
    stepSystemClock(2 * HOUR);
    vi.advanceTimersByTime(100);
    expect(Math.abs(wallClockMs() - Date.now())).toBeLessThan(1);
  });
});
