// Reconnection delays: exponential backoff with jitter.

/** How a client reconnects after losing or failing to open its connection. */
export interface ReconnectOptions {
  /** Delay before the first retry, ms (default 250). */
  readonly initialDelayMs?: number;
  /** Upper bound of the delay, ms (default 10 000). */
  readonly maxDelayMs?: number;
  /** Growth factor per attempt (default 2). */
  readonly factor?: number;
  /** Random spread: the delay is multiplied by a value in [1 - jitter, 1 + jitter] (default 0.2). */
  readonly jitter?: number;
  /**
   * Attempts before giving up (default Infinity); counted from the last connection that worked:
   * the peer sent something, or it stayed open a second (lifecycle.ts, OPEN_PROVEN_AFTER_MS).
   */
  readonly maxAttempts?: number;
}

/** The delay before reconnection attempt `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, options: ReconnectOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.2;
  const base = Math.min(max, initial * factor ** Math.max(0, attempt - 1));
  const spread = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(max, base * spread)));
}
