// How far a Node socket really is with its writes. `writableLength` (and `ws`'s
// `bufferedAmount`, built on it) counts a chunk whole until all of it is written: a 48 MiB image
// stays 48 MiB until its last byte leaves, however fast the peer reads. The libuv handle's
// `writeQueueSize` (undocumented, what Node's own net.js reads) shrinks as the kernel takes the
// bytes; under TLS it is the TCP handle below the TLS one (`_parent`) that does. Used by the
// write-stall rule to tell a slow peer from one that takes nothing (outbox.ts, stalledSince).
// No Node import: the browser build has WebSocket channels too, where this is 0.

interface QueuedHandle {
  readonly writeQueueSize?: number;
  /** TLS: the TCP handle the TLS handle writes to. */
  readonly _parent?: { readonly writeQueueSize?: number } | null;
}

/** Bytes the libuv handles of a Node socket still queue for the kernel (0 for anything else). */
export function handleQueueSize(socket: unknown): number {
  const handle = typeof socket === 'object' && socket !== null ? (socket as { _handle?: QueuedHandle | null })._handle : undefined;
  return (handle?.writeQueueSize ?? 0) + (handle?._parent?.writeQueueSize ?? 0);
}
