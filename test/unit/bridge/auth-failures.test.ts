// The per-address table of failed token attempts (src/bridge/auth-failures.ts), on a clock the
// test moves.
import { describe, expect, it } from 'vitest';
import { AuthFailures } from '../../../src/bridge/auth-failures.js';

function table(limits: ConstructorParameters<typeof AuthFailures>[0] = {}) {
  let t = 1000;
  const failures = new AuthFailures(limits, () => t);
  return { failures, advance: (ms: number) => void (t += ms) };
}

describe('AuthFailures', () => {
  it('lets an address fail `burst` times, then makes it wait refillMs per further try', () => {
    const { failures, advance } = table({ burst: 3, refillMs: 6000 });
    for (let i = 0; i < 3; i++) {
      expect(failures.waitMs('10.0.0.1')).toBe(0);
      failures.failed('10.0.0.1');
    }
    expect(failures.waitMs('10.0.0.1')).toBe(6000);
    expect(failures.waitMs('10.0.0.2')).toBe(0);
    advance(4500);
    expect(failures.waitMs('10.0.0.1')).toBe(1500);
    advance(1500);
    expect(failures.waitMs('10.0.0.1')).toBe(0);
    failures.failed('10.0.0.1');
    expect(failures.waitMs('10.0.0.1')).toBe(6000);
  });

  it('forgets an address whose bucket has filled up again', () => {
    const { failures, advance } = table({ burst: 2, refillMs: 1000 });
    failures.failed('10.0.0.1');
    expect(failures.size).toBe(1);
    advance(1000);
    expect(failures.waitMs('10.0.0.1')).toBe(0);
    expect(failures.size).toBe(0);
  });

  it('remembers at most maxAddresses, forgetting the least recently failed first', () => {
    const { failures } = table({ burst: 1, maxAddresses: 100 });
    for (let i = 0; i < 10_000; i++) failures.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(failures.size).toBe(100);
    expect(failures.waitMs('10.0.39.15')).toBeGreaterThan(0); // the last one (9999)
    expect(failures.waitMs('10.0.0.0')).toBe(0); // the first, forgotten
  });

  it('counts IPv6 addresses per /64 (one host usually holds the whole block)', () => {
    const { failures } = table({ burst: 2 });
    failures.failed('2001:db8:1:2::1');
    failures.failed('2001:0db8:0001:0002:ffff:ffff:ffff:ffff');
    expect(failures.waitMs('2001:db8:1:2:abcd::9')).toBeGreaterThan(0);
    expect(failures.waitMs('2001:db8:1:3::1')).toBe(0);
    expect(failures.size).toBe(1);
  });
});
