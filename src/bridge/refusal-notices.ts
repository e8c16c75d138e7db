// Which refusals of one client's messages the bridge tells the client about (a `refused` text
// frame) and logs (docs/bridge.md, "Read-only clients"): at most one notice per (type, device,
// why) per second, one log line for the first refusal of each. A client is untrusted and names
// its own devices: a page that gives each message a new device name (a counter, a random name)
// made every message the first of its kind, and the table of those kinds grew for as long as the
// page stayed connected (measured: 217 bytes of the bridge's heap per refused message, 100,000
// messages 21.7 MB, with a notice and a log line each). So the table holds at most
// MAX_NOTICED_KINDS kinds; a kind not refused for a second makes room, and past that the
// refusal is still counted (`BridgeClient.refused`) but neither told nor logged, and the log says
// so once.

/** Most (type, device, why) kinds remembered per client: more than a page has tools. */
export const MAX_NOTICED_KINDS = 64;

/** Spacing of the notices of one kind, ms. */
export const NOTICE_INTERVAL_MS = 1000;

/** What to do with one refusal. */
export interface NoticeDecision {
  /** The first refusal of this kind remembered: log it. */
  readonly log: boolean;
  /** Send the client a `refused` notice. */
  readonly notify: boolean;
  /** The first refusal left untold because the table was full: log that once. */
  readonly overflow: boolean;
}

const QUIET: NoticeDecision = { log: false, notify: false, overflow: false };

/** The refusal notices of one client. */
export class RefusalNotices {
  /** When each kind was last told to the client (monotonic ms). */
  private readonly lastNotice = new Map<string, number>();
  private overflowed = false;

  constructor(private readonly maxKinds = MAX_NOTICED_KINDS) {}

  /** Kinds remembered now (at most `maxKinds`). */
  get size(): number {
    return this.lastNotice.size;
  }

  /** A message of kind `key` was refused at `now` (monotonic ms). */
  refused(key: string, now: number): NoticeDecision {
    const last = this.lastNotice.get(key);
    if (last !== undefined) {
      if (now - last < NOTICE_INTERVAL_MS) return QUIET;
      this.lastNotice.set(key, now);
      return { log: false, notify: true, overflow: false };
    }
    if (this.lastNotice.size >= this.maxKinds && !this.makeRoom(now)) {
      const overflow = !this.overflowed;
      this.overflowed = true;
      return overflow ? { log: false, notify: false, overflow: true } : QUIET;
    }
    this.lastNotice.set(key, now);
    return { log: true, notify: true, overflow: false };
  }

  /** Forgets the kinds not told for a second (they would be told again anyway); true if any went. */
  private makeRoom(now: number): boolean {
    const before = this.lastNotice.size;
    for (const [key, t] of this.lastNotice) if (now - t >= NOTICE_INTERVAL_MS) this.lastNotice.delete(key);
    return this.lastNotice.size < before;
  }
}
