// When the page last heard of each thing it draws (a device row, a tool's triad, an image), and
// the one rule for "stale": silent for longer than the page's `deviceStale=` threshold. A tool
// that leaves the camera's view, or a probe that stops sending images, while the connection
// stays live must not look live: the header's state is about the connection, this is about
// each thing drawn.

/** True when something last heard of at `lastSeen` is stale at `now` (same clock, ms). */
export function isStale(lastSeen: number, now: number, staleAfterMs: number): boolean {
  return now - lastSeen > staleAfterMs;
}

/** Last arrival times by key (tool name, IMAGE device). */
export class LastSeen {
  private readonly at = new Map<string, number>();

  constructor(readonly staleAfterMs: number) {}

  seen(key: string, now: number): void {
    this.at.set(key, now);
  }

  /** How long `key` has been silent at `now` (ms), or undefined if never seen. */
  silentMs(key: string, now: number): number | undefined {
    const t = this.at.get(key);
    return t === undefined ? undefined : now - t;
  }

  isStale(key: string, now: number): boolean {
    const t = this.at.get(key);
    return t !== undefined && isStale(t, now, this.staleAfterMs);
  }
}

/** "3.2 s" for a silence in ms (labels of stale things). */
export function silence(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
