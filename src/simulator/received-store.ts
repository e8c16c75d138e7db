// What clients have sent the simulator, kept so that `GET_<type>` of a name returns it (a loopback
// check for senders): the newest message per (type, device name), within a bound of names and of
// bytes, the oldest name going first. Any client may send, so the bound is what a hostile or
// careless one can make the simulator hold.
import { encodedSize } from '../protocol/encode.js';
import { HEADER_SIZE } from '../protocol/constants.js';
import type { IgtlMessage } from '../protocol/types.js';

/** Most names kept. */
export const MAX_RECEIVED_NAMES = 1000;

/**
 * Most bytes kept (on the wire), beside the newest message, which is always kept: a loopback
 * check of one large image still works. Without it, the bound was 1000 names of up to 256 MiB:
 * measured, 48 images of 8 MiB from one client held 384 MiB after it had left.
 */
export const MAX_RECEIVED_BYTES = 64 * 1024 * 1024;

/** The bytes a message takes on the wire, as the measure of what keeping it holds. */
function sizeOf(msg: IgtlMessage): number {
  try {
    return encodedSize(msg);
  } catch {
    // Not encodable (a type without a codec here): its header at least.
    return HEADER_SIZE;
  }
}

/** Newest message per key, oldest key evicted first, within {@link MAX_RECEIVED_NAMES} and {@link MAX_RECEIVED_BYTES}. */
export class ReceivedStore {
  private readonly entries = new Map<string, { readonly msg: IgtlMessage; readonly size: number }>();
  private bytes = 0;

  constructor(
    private readonly maxNames = MAX_RECEIVED_NAMES,
    private readonly maxBytes = MAX_RECEIVED_BYTES,
  ) {}

  /** Keeps `msg` as the newest of `key` (it becomes the newest key), evicting the oldest keys over the bounds. */
  set(key: string, msg: IgtlMessage): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.size;
      this.entries.delete(key);
    }
    const size = sizeOf(msg);
    this.entries.set(key, { msg, size });
    this.bytes += size;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= 1 || (this.entries.size <= this.maxNames && this.bytes <= this.maxBytes)) break;
      this.entries.delete(oldest);
      this.bytes -= entry.size;
    }
  }

  /** Names kept now. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes kept now (on the wire). */
  get byteSize(): number {
    return this.bytes;
  }

  /** The kept messages, oldest key first. */
  *values(): IterableIterator<IgtlMessage> {
    for (const entry of this.entries.values()) yield entry.msg;
  }
}
