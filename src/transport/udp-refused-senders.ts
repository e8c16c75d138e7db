// Datagrams from senders outside a UDP connection's `allow` list (udp.ts): dropped, and each one
// accounted for in a DatagramsDroppedError (reason 'sender-not-allowed'), reported at once, then
// at most once a second, so that a scan or a stray stream cannot flood errors$.
import { DatagramsDroppedError } from '../protocol/errors.js';

/** Senders named in one report; the rest are counted. */
const MAX_NAMED_SENDERS = 8;
/** Reports after the first come at most this often, ms. */
const REFUSED_REPORT_MS = 1000;

/** Datagrams from senders outside `allow`: counted, and reported at once, then at most once a second. */
export class RefusedSenders {
  private datagrams = 0;
  private bytes = 0;
  private readonly senders = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly remote: string,
    private readonly report: (error: DatagramsDroppedError) => void,
  ) {}

  refused(sender: string, size: number): void {
    this.datagrams++;
    this.bytes += size;
    // The first few are named; a scan from many addresses must not grow this without bound.
    if (this.senders.size < MAX_NAMED_SENDERS) this.senders.add(sender);
    if (this.timer === undefined) this.flush();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.datagrams === 0) return;
    const error = new DatagramsDroppedError(this.remote, this.datagrams, this.bytes, 'sender-not-allowed', [...this.senders]);
    this.datagrams = this.bytes = 0;
    this.senders.clear();
    this.report(error);
    this.timer = setTimeout(() => this.flush(), REFUSED_REPORT_MS);
    this.timer.unref();
  }
}

