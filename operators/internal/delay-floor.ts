// The smallest delay seen for one stream: how a receiver tells a late sample (a backlog the page
// works through after its main thread froze) from a fresh one, without knowing the offset between
// its clock and the sender's. A delay here is the receiver's time of arrival minus the sample's
// OpenIGTLink timestamp (the sender's clock): clock offset plus transit. The smallest one seen is
// the offset plus the shortest transit; a sample whose delay exceeds it by d arrived d later than
// the fastest samples did, so it is (at least) d older than it looks.

/**
 * How far back the floor remembers, ms: the floor is the smallest delay of the last 30 to 60 s.
 * Long enough to outlast a page's freeze and the backlog that follows (a bridge lets go of a page
 * that does not answer its heartbeat for 15 s, docs/bridge.md); short enough that the sender's
 * clock being stepped back, or drifting against ours, is learned again within a minute.
 */
export const DELAY_WINDOW_MS = 30_000;

/** The smallest delay of the last {@link DELAY_WINDOW_MS} to twice that (two windows, rotated). */
export class DelayFloor {
  private current = Infinity;
  private previous = Infinity;
  private since = -Infinity;

  /** Counts a delay seen at `now` (the receiver's clock); returns the floor, this delay included. */
  add(now: number, delay: number): number {
    const elapsed = now - this.since;
    if (elapsed >= DELAY_WINDOW_MS) {
      this.previous = elapsed >= 2 * DELAY_WINDOW_MS ? Infinity : this.current;
      this.current = Infinity;
      this.since = now;
    }
    if (delay < this.current) this.current = delay;
    return Math.min(this.current, this.previous);
  }

  /** Forgets every delay seen: the next one is the floor (the sender's clock moved). */
  reset(): void {
    this.current = Infinity;
    this.previous = Infinity;
    this.since = -Infinity;
  }
}
