// Room for encoded messages, handed out from big buffers instead of one buffer per message.
//
// A small typed array of its own costs far more than encoding a TRANSFORM into it: V8 allocates
// an ArrayBuffer outside the heap (registered with the GC, freed by a finalizer), and the encoder
// needs a DataView over it. A slab is one ArrayBuffer and one DataView; each message takes the
// next bytes of it as a `subarray` view. Bytes handed out are never handed out again: when a slab
// is full the next message starts a new one, and the old one lives on as long as a view of it
// does (a queued or unconfirmed message), so shared bytes stay immutable. Like Node's own Buffer
// pool, the price is that one live view keeps its whole slab alive, hence slabs of a few KiB.

/** Bytes per slab. */
export const SLAB_SIZE = 16 * 1024;
/** Messages up to this size are encoded into a slab; larger ones get a buffer of their own. */
export const SLAB_MAX_MESSAGE = 2 * 1024;

/** A bump allocator over fresh, zeroed slabs. */
export class Slab {
  /** The current slab. */
  bytes!: Uint8Array;
  /** A DataView over all of {@link bytes}. */
  view!: DataView;
  /** Where the next message starts in {@link bytes}. */
  offset = 0;
  private buffer!: ArrayBuffer;

  constructor(private readonly size: number = SLAB_SIZE) {
    this.fresh();
  }

  /** Makes sure `n` bytes (at most the slab size) are free at {@link offset}, starting a new slab if not. */
  reserve(n: number): void {
    if (this.offset + n > this.size) this.fresh();
  }

  /** Hands out the `n` bytes at {@link offset} (reserved and written by the caller) as a view. */
  take(n: number): Uint8Array {
    const start = this.offset;
    this.offset = start + n;
    // The constructor, not subarray(): V8 inlines it (about 25 ns against 40).
    return new Uint8Array(this.buffer, start, n);
  }

  private fresh(): void {
    this.buffer = new ArrayBuffer(this.size);
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.offset = 0;
  }
}
