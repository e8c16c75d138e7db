// The connection's state as a stream of a discriminated union (the nats.js status lesson).

/** Where a connection is in its life. */
export type ConnectionState =
  /** Created, not started (nothing subscribed yet). */
  | { readonly kind: 'idle' }
  /** Opening the channel (attempt counts from 1 since the last successful open). */
  | { readonly kind: 'connecting'; readonly attempt: number }
  /** Open: messages flow. */
  | { readonly kind: 'open'; readonly remote: string }
  /** Lost or failed; the next attempt starts after `delayMs`. */
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason: Error | undefined }
  /** Closed for good: by `close()`, by the last subscriber leaving, or after giving up. */
  | { readonly kind: 'closed'; readonly reason: Error | undefined };

/** A kind of {@link ConnectionState}. */
export type ConnectionStateKind = ConnectionState['kind'];
