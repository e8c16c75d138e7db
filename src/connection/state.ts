// The connection's state as a stream of a discriminated union (the nats.js status lesson).

/** Where a connection is in its life. */
export type ConnectionState =
  /** Created, not started (nothing subscribed yet). */
  | { readonly kind: 'idle' }
  /** Opening the channel (attempt counts from 1 since the last successful open). */
  | { readonly kind: 'connecting'; readonly attempt: number }
  /** Open, and data (see `stale`) arrived within `staleAfterMs`, or the channel has just opened. */
  | { readonly kind: 'open'; readonly remote: string }
  /**
   * Open, but no data has arrived for `silentMs` (the `staleAfterMs` option): whatever was last
   * received is no longer current. Data is a complete message other than heartbeat traffic and
   * keep-alives (answers to pings show the peer is there, not that anything current comes).
   * Back to `open` when data arrives again. Never on a channel nothing is expected to arrive
   * on (a UDP sender without a `localPort`).
   */
  | { readonly kind: 'stale'; readonly remote: string; readonly silentMs: number }
  /** Lost or failed; the next attempt starts after `delayMs`. */
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason: Error | undefined }
  /** Closed for good: by `close()`, by the last subscriber leaving, or after giving up. */
  | { readonly kind: 'closed'; readonly reason: Error | undefined };

/** True while a channel is open (live or stale). */
export function isOpen(state: ConnectionState): state is Extract<ConnectionState, { kind: 'open' | 'stale' }> {
  return state.kind === 'open' || state.kind === 'stale';
}

/** A kind of {@link ConnectionState}. */
export type ConnectionStateKind = ConnectionState['kind'];
