// Reconnection delays: exponential backoff with jitter.
import { InvalidOptionError } from '../protocol/errors.js';
import { MAX_TIMER_MS, isTimerDelay } from './scheduler.js';

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

/**
 * Refuses reconnection settings whose delays no timer can wait (InvalidOptionError naming the
 * option), when the connection is made. A delay of NaN or below 0 ran out after 1 ms, as did
 * every delay after a `factor` of NaN or a `jitter` over 1 (a spread below 0 is 0 ms): measured,
 * about 680 attempts a second on a peer that refused them, the state saying `delayMs: NaN`. A
 * `maxAttempts` of NaN never gave up (no count is >= NaN). 0 stays a delay one may ask for.
 */
export function checkReconnectOptions(options: ReconnectOptions): void {
  const delay = (option: string, ms: number | undefined): void => {
    if (ms !== undefined && !isTimerDelay(ms)) throw new InvalidOptionError(`reconnect.${option}`, `${String(ms)} ms is not a delay a timer can wait (0 to ${MAX_TIMER_MS} ms)`);
  };
  delay('initialDelayMs', options.initialDelayMs);
  delay('maxDelayMs', options.maxDelayMs);
  const { factor, jitter, maxAttempts } = options;
  if (factor !== undefined && !(typeof factor === 'number' && factor >= 1 && Number.isFinite(factor))) {
    throw new InvalidOptionError('reconnect.factor', `must be a finite number >= 1, got ${String(factor)}`);
  }
  if (jitter !== undefined && !(typeof jitter === 'number' && jitter >= 0 && jitter <= 1)) {
    throw new InvalidOptionError('reconnect.jitter', `must be a number from 0 to 1, got ${String(jitter)}`);
  }
  if (maxAttempts !== undefined && !(typeof maxAttempts === 'number' && maxAttempts >= 0 && (Number.isInteger(maxAttempts) || maxAttempts === Infinity))) {
    throw new InvalidOptionError('reconnect.maxAttempts', `must be a whole number >= 0 or Infinity, got ${String(maxAttempts)}`);
  }
}
