// The clock of ages: how old is what was last received? Durations that give a verdict on the
// peer (dead, time-outs) are measured on the monotonic clock (scheduler.ts), which does not
// advance while the machine is suspended: on Linux and macOS, Node's performance.now() and its
// timers stand still during a laptop's sleep, and browsers' do on several platforms. A pose
// received just before the lid closed then looked as young after waking as it was at the
// moment of sleep, and `stale` came only once the monotonic clock had gone the rest of the way.
//
// An age is therefore the larger of the monotonic and the wall-clock time since (the wall clock
// counts the sleep), summed reading by reading: a wall clock that steps BACK never makes data
// look younger than the monotonic clock says it is, and one that steps forward makes it look
// older (the safe side: `stale` until the next data).

/**
 * A clock for ages, from readings of the monotonic clock (given) and the wall clock (read at
 * each call): between two readings it advances by the larger of the two clocks' advances, never
 * less than the monotonic one's. It reads like the monotonic clock until the machine sleeps (or
 * the wall clock steps forward), and stays ahead of it by that much from then on.
 *
 * A monotonic reading smaller than the previous one is a new monotonic clock (fake timers in
 * tests): the age clock starts again from it.
 */
export function createAgeClock(wall: () => number): (monotonic: number) => number {
  let lastMono: number | undefined;
  let lastWall = 0;
  let value = 0;
  return (monotonic) => {
    const w = wall();
    if (lastMono === undefined || monotonic < lastMono) value = monotonic;
    else value += Math.max(monotonic - lastMono, w - lastWall);
    lastMono = monotonic;
    lastWall = w;
    return value;
  };
}
