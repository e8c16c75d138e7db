// The playback clock of replayRecording and readSequence, on virtual time (VirtualTimeScheduler:
// flush() runs what is scheduled and moves the clock to it).
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createPace, type Pace } from '../../../src/recording/pace.js';

/** Moves virtual time to `ms`. */
function advanceTo(scheduler: VirtualTimeScheduler, ms: number): void {
  scheduler.schedule(() => {}, ms - scheduler.now());
  scheduler.flush();
}

/** The virtual time at which the item recorded at `offsetMs` is due. */
async function whenDue(scheduler: VirtualTimeScheduler, pace: Pace, offsetMs: number): Promise<number> {
  const due = pace.due(offsetMs);
  if (due) {
    scheduler.flush();
    await due;
  }
  return scheduler.now();
}

/** Plays items recorded at `offsets` (ms) the way the replays do; returns when each was out. */
async function play(offsets: readonly number[], speed: number, scheduler = new VirtualTimeScheduler()): Promise<number[]> {
  const pace = createPace(scheduler, speed);
  const out: number[] = [];
  for (const offset of offsets) {
    out.push(await whenDue(scheduler, pace, offset));
    pace.out();
  }
  return out;
}

/** A pace at speed 1 whose first item went out at virtual time 0. */
function startedAtZero(): { scheduler: VirtualTimeScheduler; pace: Pace } {
  const scheduler = new VirtualTimeScheduler();
  const pace = createPace(scheduler, 1);
  pace.out();
  return { scheduler, pace };
}

describe('createPace', () => {
  it('keeps the recorded pace from the first item out, scaled by speed', async () => {
    expect(await play([0, 30, 40, 100], 1)).toEqual([0, 30, 40, 100]);
    expect(await play([0, 30, 40, 100], 2)).toEqual([0, 15, 20, 50]);
    expect(await play([0, 30, 40, 100], 0.5)).toEqual([0, 60, 80, 200]);
  });

  it('does not wait before the first item is out, at speed Infinity, or for an item already due', () => {
    const scheduler = new VirtualTimeScheduler();
    const pace = createPace(scheduler, 1);
    expect(pace.due(500)).toBeUndefined(); // the clock has not started
    pace.out();
    expect(pace.due(0)).toBeUndefined();
    expect(pace.due(0.4)).toBeUndefined(); // under half a millisecond: not worth a timer
    expect(pace.due(1)).toBeInstanceOf(Promise);
    const fast = createPace(scheduler, Infinity);
    fast.out();
    expect(fast.due(1e9)).toBeUndefined();
  });

  it('times against the start, not from item to item: a late item is not waited for, and the next is on time', async () => {
    const { scheduler, pace } = startedAtZero(); // the first item at 0
    // The item due at 10 ms goes out late, at 25 ms (a slow consumer, a busy CPU).
    advanceTo(scheduler, 25);
    expect(pace.due(10)).toBeUndefined();
    pace.out();
    // The one recorded at 30 ms is still due at 30 ms, not 20 ms after the late one.
    expect(await whenDue(scheduler, pace, 30)).toBe(30);
  });

  it('starts the clock once: later out() calls do not move it', async () => {
    const { scheduler, pace } = startedAtZero();
    advanceTo(scheduler, 5);
    pace.out();
    expect(await whenDue(scheduler, pace, 20)).toBe(20);
  });

  it('stop() cancels the pending wait and resolves it at once', async () => {
    const { scheduler, pace } = startedAtZero();
    const due = pace.due(1000)!;
    pace.stop();
    await due;
    // Nothing is left scheduled: the clock stays where it was.
    scheduler.flush();
    expect(scheduler.now()).toBe(0);
  });
});

describe('waits longer than a timer holds', () => {
  // Node fires a timer of more than 2^31 - 1 ms after 1 ms (TimeoutOverflowWarning): an item due
  // 30 days in was played at once. The wait is taken in steps no timer overflows.
  it('never asks the scheduler for more than 2^31 - 1 ms, and is due exactly on time', async () => {
    const scheduler = new VirtualTimeScheduler();
    const asked: number[] = [];
    const schedule = scheduler.schedule.bind(scheduler);
    scheduler.schedule = ((work: () => void, delay?: number) => {
      asked.push(delay ?? 0);
      return schedule(work, delay);
    }) as typeof scheduler.schedule;
    const thirtyDays = 30 * 24 * 3600 * 1000;
    expect(await play([0, thirtyDays, thirtyDays + 10], 1, scheduler)).toEqual([0, thirtyDays, thirtyDays + 10]);
    expect(Math.max(...asked)).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(asked.length).toBeGreaterThanOrEqual(3); // the 30 days took two steps
  });
});
