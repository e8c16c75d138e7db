import { wallClockMs } from './clock.js';

const TWO_POW_32 = 4294967296;

/**
 * An OpenIGTLink timestamp: the exact 64-bit wire value, held as two uint32 halves
 * (whole seconds since 1970-01-01T00:00:00Z, and a fraction of a second in units of 2^-32 s).
 * Nothing is rounded unless you convert; 0 means "not set" (OpenIGTLink Documents/Protocol/timestamp.md).
 */
export class Timestamp {
  /** The "not set" timestamp (what most C++ senders and 3D Slicer send). */
  static readonly ZERO = new Timestamp(0, 0);

  /**
   * @param seconds  whole seconds, uint32
   * @param fraction  fraction of a second in units of 2^-32 s, uint32
   */
  constructor(
    readonly seconds: number,
    readonly fraction: number,
  ) {}

  /** Builds a timestamp from the raw 64-bit wire value. */
  static fromRaw(raw: bigint): Timestamp {
    const v = BigInt.asUintN(64, raw);
    return new Timestamp(Number(v >> 32n), Number(v & 0xffffffffn));
  }

  /** The raw 64-bit wire value. */
  toRaw(): bigint {
    return (BigInt(this.seconds) << 32n) | BigInt(this.fraction);
  }

  /** True for the "not set" value 0. */
  get isZero(): boolean {
    return this.seconds === 0 && this.fraction === 0;
  }

  /**
   * The current wall-clock time, with sub-millisecond resolution where the platform has it; it
   * follows a step of the system clock (wallClockMs, src/protocol/clock.ts).
   */
  static now(): Timestamp {
    return Timestamp.fromMillis(wallClockMs());
  }

  /** Milliseconds since the epoch (may be fractional) to a timestamp; the fraction is rounded down. */
  static fromMillis(ms: number): Timestamp {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timestamp out of range: ${ms} ms`);
    const seconds = Math.floor(ms / 1000);
    if (seconds >= TWO_POW_32) throw new RangeError(`timestamp out of range: ${ms} ms`);
    const fraction = Math.min(TWO_POW_32 - 1, Math.floor(((ms - seconds * 1000) / 1000) * TWO_POW_32));
    return new Timestamp(seconds, fraction);
  }

  /** Milliseconds since the epoch, as a double (sub-millisecond digits kept). */
  toMillis(): number {
    return this.seconds * 1000 + (this.fraction / TWO_POW_32) * 1000;
  }

  /** Seconds since the epoch as a double, the way 3D Slicer reads timestamps. */
  toSeconds(): number {
    return this.seconds + this.fraction / TWO_POW_32;
  }

  /** Converts a `Date` (millisecond resolution). */
  static fromDate(date: Date): Timestamp {
    return Timestamp.fromMillis(date.getTime());
  }

  /** This timestamp as a `Date` (rounded to the millisecond by `Date`). */
  toDate(): Date {
    return new Date(this.toMillis());
  }

  /**
   * Nanoseconds since the epoch to a timestamp, with the C++ library's own conversion
   * (`igtl_nanosec_to_frac` of library 3.x), so a value set here reads back exactly in current
   * C++ peers. (Debian's 1.11 library converts slightly differently: up to ~30 ns apart.)
   */
  static fromNanoseconds(ns: bigint): Timestamp {
    if (ns < 0n) throw new RangeError(`timestamp out of range: ${ns} ns`);
    const seconds = ns / 1_000_000_000n;
    if (seconds >= BigInt(TWO_POW_32)) throw new RangeError(`timestamp out of range: ${ns} ns`);
    return new Timestamp(Number(seconds), nanosecondsToFraction(Number(ns % 1_000_000_000n)));
  }

  /**
   * Nanoseconds since the epoch with the C++ library's conversion (`igtl_frac_to_nanosec`).
   * Note that this conversion maps fraction 0xFFFFFFFF to 1 000 000 010 ns, as the library does.
   */
  toNanoseconds(): bigint {
    return BigInt(this.seconds) * 1_000_000_000n + BigInt(fractionToNanoseconds(this.fraction));
  }

  /** True when both hold the same 64-bit value. */
  equals(other: Timestamp): boolean {
    return this.seconds === other.seconds && this.fraction === other.fraction;
  }

  /** Negative, zero or positive as this timestamp is before, equal to or after `other`. */
  compare(other: Timestamp): number {
    return this.seconds !== other.seconds ? this.seconds - other.seconds : this.fraction - other.fraction;
  }

  /** ISO 8601 text (millisecond precision), or `"0"` when not set. */
  toString(): string {
    return this.isZero ? '0' : this.toDate().toISOString();
  }
}

// The C++ library converts with a 32-step successive approximation whose step values are
// ceil(1e9 / 2^k) rather than exact (OpenIGTLink Documents/Protocol/timestamp.md). Precomputed once.
const STEPS: number[] = (() => {
  const steps: number[] = [];
  let base = 1_000_000_000;
  for (let i = 0; i < 32; i++) {
    base = (base + 1) >>> 1;
    steps.push(base);
  }
  return steps;
})();

/** The C++ library's `igtl_nanosec_to_frac` (0 <= ns < 1e9). */
export function nanosecondsToFraction(ns: number): number {
  let rest = ns;
  let frac = 0;
  for (let i = 0; i < 32; i++) {
    const step = STEPS[i]!;
    if (rest >= step) {
      frac += 2 ** (31 - i);
      rest -= step;
    }
  }
  return frac;
}

/** The C++ library's `igtl_frac_to_nanosec`. */
export function fractionToNanoseconds(fraction: number): number {
  let ns = 0;
  for (let i = 0; i < 32; i++) {
    if (fraction & (0x80000000 >>> i)) ns += STEPS[i]!;
  }
  return ns;
}
