// Bytes of unconfirmed messages that the outbox no longer keeps (over its retention limit).
// A confirmation may cover only some of them: each dropped span is kept as (sequence number of
// its last message, bytes), so a confirmation subtracts exactly the spans it covers and the
// disconnect report never under-counts what the peer did not confirm.

/** Most spans kept; past it neighbours merge, so memory stays bounded for a peer that never confirms. */
const MAX_SPANS = 64;

export class DroppedLedger {
  private ends: number[] = [];
  private sizes: number[] = [];
  private head = 0;
  /** Bytes of the dropped messages not confirmed yet. */
  total = 0;

  /** Messages up to sequence number `endSeq`, `bytes` long, were dropped unconfirmed. */
  add(endSeq: number, bytes: number): void {
    if (this.ends.length - this.head >= MAX_SPANS) this.merge();
    this.ends.push(endSeq);
    this.sizes.push(bytes);
    this.total += bytes;
  }

  /**
   * The peer confirmed every message up to `seq`. A span it covers only in part stays counted
   * whole (possible only after a merge): the report errs towards "not confirmed".
   */
  confirm(seq: number): void {
    while (this.head < this.ends.length && this.ends[this.head]! <= seq) {
      this.total -= this.sizes[this.head]!;
      this.head++;
    }
    if (this.head === this.ends.length) this.clear();
    else if (this.head >= MAX_SPANS) {
      // Confirmed spans go: a peer whose every confirmation leaves the newest spans (those
      // dropped after its ping was written) would otherwise keep all of them for the channel's life.
      this.ends = this.ends.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.ends.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.total = 0;
  }

  /** Halves the number of spans: each pair becomes one (the later end, both sizes). */
  private merge(): void {
    const ends: number[] = [];
    const sizes: number[] = [];
    for (let i = this.head; i < this.ends.length; i += 2) {
      const last = Math.min(i + 1, this.ends.length - 1);
      ends.push(this.ends[last]!);
      sizes.push(this.sizes[i]! + (last === i ? 0 : this.sizes[last]!));
    }
    this.ends = ends;
    this.sizes = sizes;
    this.head = 0;
  }
}
