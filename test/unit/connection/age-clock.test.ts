// The clock of ages (src/connection/age-clock.ts) on injected clocks: a sleep counts, a step of
// the wall clock back never makes data younger than the monotonic clock says.
import { describe, expect, it } from 'vitest';
import { createAgeClock } from '../../../src/connection/age-clock.js';

const HOUR = 3_600_000;

/** An age clock over clocks the test moves: `run` (both advance), `sleep` (wall only), `step` (wall only, either way). */
function clocks() {
  let mono = 10_000;
  let wall = 1_765_000_000_000;
  const age = createAgeClock(() => wall);
  return {
    read: () => age(mono),
    run(ms: number) {
      mono += ms;
      wall += ms;
    },
    sleep(ms: number) {
      wall += ms;
    },
    step(ms: number) {
      wall += ms;
    },
  };
}

describe('the clock of ages', () => {
  it('reads as the monotonic clock while the machine runs', () => {
    const c = clocks();
    const t0 = c.read();
    expect(t0).toBe(10_000);
    c.run(250);
    expect(c.read() - t0).toBe(250);
  });

  it('counts a sleep, read once after waking or not at all in between', () => {
    const c = clocks();
    const seen = c.read();
    c.run(500);
    c.sleep(HOUR);
    c.run(10);
    expect(c.read() - seen).toBe(HOUR + 510);
  });

  it('a step of the wall clock back never makes an age younger than the monotonic one', () => {
    const c = clocks();
    const seen = c.read();
    c.run(400);
    c.read();
    c.step(-HOUR);
    c.run(100);
    expect(c.read() - seen).toBe(500);
    // And the hour it stepped back is not taken back later, nor counted twice.
    c.run(100);
    expect(c.read() - seen).toBe(600);
  });

  it('a step of the wall clock back across the reading (not seen in between) counts the monotonic time', () => {
    const c = clocks();
    const seen = c.read();
    c.run(300);
    c.step(-HOUR);
    c.run(300);
    expect(c.read() - seen).toBe(600);
  });

  it('never goes back: readings only grow', () => {
    const c = clocks();
    let last = c.read();
    for (const move of [() => c.run(5), () => c.step(-HOUR), () => c.sleep(1000), () => c.step(-5000), () => c.run(1)]) {
      move();
      const now = c.read();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});
