// The heartbeat pings (GET_STATUS) awaiting their echo, oldest first, each as its place in the
// write order (Outbox.writtenCount when it went out): the echo of a ping confirms everything
// written before it (TCP keeps order, and the peer reads in order).
//
// A peer that answers pings without naming them never echoes one: PLUS answers GET_STATUS with an
// unnamed STATUS (connection.ts, isKeepAlive). It is pinged every `intervalMs` for as long as
// writes await confirmation, which with it is for ever, and the list grew by one entry per ping
// for the channel's life. So it holds at most MAX_PENDING_PINGS entries; past that a ping is
// counted with the newest one, whose place is earlier than its own: an echo of it confirms less
// than it could, never more.

/** Most distinct places kept. */
export const MAX_PENDING_PINGS = 64;

export class PendingPings {
  private readonly places: number[] = [];
  /** How many pings each place stands for (more than one only for the newest, once full). */
  private readonly counts: number[] = [];

  /** Entries kept now (at most MAX_PENDING_PINGS). */
  get size(): number {
    return this.places.length;
  }

  /** A ping went out after the `place`-th message written. */
  push(place: number): void {
    const n = this.places.length;
    if (n < MAX_PENDING_PINGS) {
      this.places.push(place);
      this.counts.push(1);
    } else this.counts[n - 1]!++;
  }

  /** The place of the oldest ping not echoed yet (its echo just came), or undefined. */
  shift(): number | undefined {
    if (this.places.length === 0) return undefined;
    const place = this.places[0]!;
    if (--this.counts[0]! === 0) {
      this.places.shift();
      this.counts.shift();
    }
    return place;
  }

  /** A new channel: no ping of the old one will be echoed on it. */
  clear(): void {
    this.places.length = 0;
    this.counts.length = 0;
  }
}
