// The token check of a WebSocket upgrade, behind the per-address limit on failures: an address
// that failed too often gets 429 with Retry-After, whatever it presents now (else the guessing
// simply goes on until it hits). The comparison itself is constant-time (security.ts).
import type { IncomingMessage } from 'node:http';
import type { AuthFailures } from './auth-failures.js';
import type { ClientAddressOf } from './forwarded-for.js';
import { presentedToken, tokenMatches, type Refusal } from './security.js';

/** Checks the token of each upgrade and counts the failures of each address. */
export class TokenGate {
  constructor(
    private readonly token: string,
    /** Failed attempts per client address (auth-failures.ts). */
    private readonly failures: AuthFailures,
    /** Whose attempt a request is: its socket's address, or the client behind a trusted proxy (forwarded-for.ts). */
    private readonly addressOf: ClientAddressOf,
  ) {}

  /** Undefined when `req` presents the token; else 401, or 429 for an address that failed too often. */
  check(req: IncomingMessage, query: URLSearchParams): Refusal | undefined {
    const address = this.addressOf(req);
    const waitMs = this.failures.waitMs(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return { status: 429, reason: `too many wrong tokens from ${address}: try again in ${seconds} s`, headers: { 'Retry-After': String(seconds) } };
    }
    if (tokenMatches(this.token, presentedToken(req, query))) return undefined;
    this.failures.failed(address);
    return { status: 401, reason: 'missing or wrong token' };
  }
}
