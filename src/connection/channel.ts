// The contract between a connection and a transport: a byte channel that opens when subscribed.
import type { Observable } from 'rxjs';
import type { IgtlError } from '../protocol/errors.js';

/** One open byte connection: a TCP or TLS socket, a WebSocket, a UDP socket bound to a peer. */
export interface ByteChannel {
  /**
   * `stream`: chunks are arbitrary slices of one byte stream (TCP, TLS, WebSocket).
   * `datagram`: each chunk holds whole messages and nothing else (UDP).
   */
  readonly kind: 'stream' | 'datagram';
  /** Largest chunk a datagram channel can write, in bytes. */
  readonly maxDatagramSize?: number;
  /** The peer, for logs (e.g. `127.0.0.1:18944`). */
  readonly remote: string;
  /**
   * False when nothing is expected to arrive on this channel: a UDP socket that sends to a peer
   * from a port the OS chose, which nobody was told (a tracker feed's sender). The stale rule
   * does not apply to it: silence in a direction nobody sends in is not news (it made every UDP
   * sender `stale` 3 s after it opened, while it sent). Default true.
   */
  readonly expectsData?: boolean;
  /**
   * Writes bytes. Returns false when the channel's own buffer is full: write no more until the
   * channel emits `drain`. The bytes must not be modified afterwards, and may be a view into a
   * buffer shared with other messages: write the view, never transfer its buffer. Throws (an IgtlError)
   * when these bytes cannot be written at all (a receive-only UDP socket): the send fails.
   */
  write(bytes: Uint8Array): boolean;
  /** Groups the writes made inside `fn` into as few system calls as possible (TCP cork/uncork). */
  batch?(fn: () => void): void;
  /**
   * Small messages waiting together may be joined into one buffer and written at once (a byte
   * stream where each write has a cost of its own: a socket's system call, a WebSocket frame).
   */
  readonly coalesce?: boolean;
  /** Stops reading (TCP flow control pushes back on the sender). */
  pause(): void;
  /** Resumes reading. */
  resume(): void;
  /**
   * Bytes written that the channel still holds, not yet taken by the transport (what a socket
   * buffers and has not handed to the kernel, a WebSocket's `bufferedAmount`). Optional: where
   * given, a full channel whose figure changes while nothing is written is being read, slowly
   * (a large image to a peer on a slow link takes longer than `writeStallMs` to drain): not a
   * write stall.
   */
  unsent?(): number;
  /** Closes gracefully (pending writes are flushed first). */
  close(): void;
}

/** What a channel reports while it is open. */
export type ChannelEvent =
  | { readonly type: 'open'; readonly channel: ByteChannel }
  | { readonly type: 'data'; readonly chunk: Uint8Array }
  | { readonly type: 'drain' }
  /**
   * The peer sent something that is not OpenIGTLink bytes (a WebSocket text frame: an igtl-rx
   * bridge's notices): it is there, and the connection worked (see lifecycle.ts,
   * OPEN_PROVEN_AFTER_MS).
   */
  | { readonly type: 'heard' }
  /**
   * A loss that does not end the channel (a datagram the OS refused to send, datagrams dropped
   * while reading was paused): the connection reports it on `errors$` and goes on.
   */
  | { readonly type: 'fault'; readonly error: IgtlError };

/**
 * Opens a channel when subscribed and emits `open` first, then `data`, `drain` and `fault`. Completes
 * when the peer closes cleanly, errors when connecting fails or the connection breaks.
 * Unsubscribing closes the channel. Each subscription is a new connection attempt.
 */
export type ChannelFactory = () => Observable<ChannelEvent>;
