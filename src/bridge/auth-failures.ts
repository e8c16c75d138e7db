// Failed token attempts per client address: a token bucket per address, so guessing the token
// costs time. Without it one client could try tokens as fast as the bridge answered (thousands a
// second on loopback). Each address may fail `burst` times at once (a page retrying with an old
// token, a typo), then once per `refillMs`; beyond that it gets 429 with Retry-After, also with
// the right token (else the guessing simply goes on until it hits). A success does not reset the
// bucket: an address that has the token has no reason to keep failing.
//
// The table is bounded (`maxAddresses`, least recently failed forgotten first): a client with
// many addresses gains at most a fresh burst per address it forgets, never unbounded memory.
// IPv6 clients are counted per /64, the block one host usually holds.
import { isIPv6 } from 'node:net';
import { InvalidOptionError } from '../protocol/errors.js';

/** The limit on failed token attempts per client address (the bridge's `authFailureLimits`). */
export interface AuthFailureLimits {
  /** Failures an address may have at once before it must wait (default 10; Infinity = no limit). */
  readonly burst?: number;
  /** One more failure allowed every this many ms (default 6000: 10 a minute). */
  readonly refillMs?: number;
  /** Addresses remembered at most (default 4096). */
  readonly maxAddresses?: number;
}

/**
 * Throws an InvalidOptionError (option `authFailureLimits.<field>`) unless each limit given is
 * one: `burst` a whole number >= 1 or Infinity, `refillMs` a finite number > 0, `maxAddresses` a
 * whole number >= 1. NaN would have let every guess through (no count is below it), 0 ms a
 * refill that never waits, and an unbounded table is memory a guesser with many addresses fills.
 */
export function checkAuthFailureLimits(limits: AuthFailureLimits | undefined): AuthFailureLimits {
  if (limits === undefined) return {};
  if (typeof limits !== 'object' || limits === null) throw new InvalidOptionError('authFailureLimits', `must be an object ({ burst, refillMs, maxAddresses }), got ${String(limits)}`);
  const { burst, refillMs, maxAddresses } = limits;
  const bad = (field: string, value: unknown, want: string) => new InvalidOptionError(`authFailureLimits.${field}`, `must be ${want}, got ${String(value)}`);
  if (burst !== undefined && !(burst === Infinity || (Number.isInteger(burst) && burst >= 1))) throw bad('burst', burst, 'a whole number >= 1 (or Infinity: no limit)');
  if (refillMs !== undefined && !(typeof refillMs === 'number' && Number.isFinite(refillMs) && refillMs > 0)) throw bad('refillMs', refillMs, 'a number of ms > 0');
  if (maxAddresses !== undefined && !(Number.isInteger(maxAddresses) && maxAddresses >= 1)) throw bad('maxAddresses', maxAddresses, 'a whole number >= 1');
  return limits;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** The failed attempts of each client address (see the top of this file). */
export class AuthFailures {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxAddresses: number;

  constructor(
    limits: AuthFailureLimits = {},
    /** A monotonic clock, ms. */
    private readonly now: () => number,
  ) {
    this.burst = limits.burst ?? 10;
    this.refillMs = limits.refillMs ?? 6000;
    this.maxAddresses = limits.maxAddresses ?? 4096;
  }

  /** Addresses remembered now (bounded by maxAddresses). */
  get size(): number {
    return this.buckets.size;
  }

  /** Ms `address` must wait before it may try again, or 0 when it may try now. */
  waitMs(address: string): number {
    const b = this.refilled(keyOf(address));
    if (!b || b.tokens >= 1) return 0;
    return Math.ceil((1 - b.tokens) * this.refillMs);
  }

  /** Records a failed attempt of `address`. */
  failed(address: string): void {
    const key = keyOf(address);
    const b = this.refilled(key) ?? { tokens: this.burst, at: this.now() };
    b.tokens = Math.max(0, b.tokens - 1);
    // Most recently failed last: the first entry is the one to forget.
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
  }

  /** The bucket of `key` brought up to now; a full one is forgotten (it is as good as new). */
  private refilled(key: string): Bucket | undefined {
    const b = this.buckets.get(key);
    if (!b) return undefined;
    const t = this.now();
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) / this.refillMs);
    b.at = t;
    if (b.tokens >= this.burst) {
      this.buckets.delete(key);
      return undefined;
    }
    return b;
  }
}

/** An IPv4 address as it is; an IPv6 address as its /64 (the first four groups). */
function keyOf(address: string): string {
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
