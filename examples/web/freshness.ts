// How the page says whether, and how long, a thing it draws is stale. When something goes stale
// (a device row, a tool's triad, an image) is the library's rule: watchFreshness
// (igtl-rx/operators), with the page's `deviceStale=` threshold. A tool that leaves the camera's
// view, or a probe that stops sending images, while the connection stays live must not look live:
// the header's state is about the connection, watchFreshness about each thing drawn.
import { monotonicNow } from '../../src/index.js';

/** "3.2 s" for a silence in ms (labels of stale things). */
export function silence(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** What {@link Freshness.change} reads of a watchFreshness change. */
export interface FreshnessVerdict {
  readonly key: string;
  readonly stale: boolean;
  readonly at: number;
  readonly lastSeen: number;
}

interface Entry {
  /** monotonicNow() when its newest message arrived. */
  arrived: number;
  /** watchFreshness's lastSeen while it says the key is stale, else undefined. */
  staleSince: number | undefined;
}

/**
 * Whether each thing drawn is stale, decided as each frame is drawn. watchFreshness says when a
 * key goes stale on a timer, and a timer cannot run before the frame that follows a held page:
 * a long task, a tab in the background (Chromium runs its timers once a second, after five
 * minutes once a minute, and not at all while it freezes the tab) shows its next frame before
 * any timer or WebSocket event has run. That frame drew a tool that fell silent seconds ago as
 * live (measured in Chromium: docs/browser.md). So the frame also checks the age itself:
 * a key is stale when watchFreshness said so, or when its newest message arrived `staleAfterMs`
 * or more ago. Both on watchFreshness's clock, monotonicNow(), which a step of the system clock
 * does not move (a Date.now() difference would make a silent tool young by the length of a step
 * back).
 */
export class Freshness {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly staleAfterMs: number) {}

  /** A message of `key` arrived (at `at`, monotonicNow()). */
  arrived(key: string, at = monotonicNow()): void {
    const e = this.entries.get(key);
    if (e) e.arrived = at;
    else this.entries.set(key, { arrived: at, staleSince: undefined });
  }

  /** watchFreshness's change for a key. */
  change(c: FreshnessVerdict): void {
    let e = this.entries.get(c.key);
    if (!e) {
      e = { arrived: c.at, staleSince: undefined };
      this.entries.set(c.key, e);
    }
    e.staleSince = c.stale ? c.lastSeen : undefined;
  }

  /**
   * How old the key's newest data is at `now` (monotonicNow()) when it is stale, ms; undefined
   * while it is live, and for a key never seen. With watchFreshness's verdict, its `lastSeen`
   * (with `byTimestamp`, the time the sample was taken, not when it arrived).
   */
  staleAge(key: string, now: number): number | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.staleSince !== undefined) return now - e.staleSince;
    const age = now - e.arrived;
    return age >= this.staleAfterMs ? age : undefined;
  }

  /** The keys seen. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}
