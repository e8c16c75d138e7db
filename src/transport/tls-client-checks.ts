// The checks every TLS client makes of its options (connectTls, and connectWebSocket with `ws`
// in Node): one rule each, in one place. Browser-safe: nothing of Node is imported here.
import { InvalidOptionError } from '../protocol/errors.js';

/** Code of the process warning emitted when certificate verification is switched off. */
export const UNVERIFIED_TLS_WARNING = 'IGTLRX_TLS_UNVERIFIED';

interface WarningProcess {
  emitWarning(text: string, options: { type: string; code: string }): void;
}

/**
 * Says, once per connection, that its certificate will not be verified. A process warning (not
 * only a debug line) because an unverified channel that looks like a secure one is exactly what
 * must not pass unnoticed: Node prints warnings on stderr unless told otherwise.
 */
export function warnUnverified(target: string, log: (text: string) => void): void {
  const text = `${target}: allowUnverifiedCertificate is on, the server's certificate is not verified (anyone on the path can impersonate it; lab use only)`;
  log(text);
  (globalThis as { process?: WarningProcess }).process?.emitWarning(text, { type: 'SecurityWarning', code: UNVERIFIED_TLS_WARNING });
}

/** Node's `tls.createSecureContext`, as these checks use it. */
export type CreateSecureContext = (options: object) => unknown;

/**
 * Throws an InvalidOptionError for TLS material no attempt could use (a `cert` or `key`
 * that is not PEM, a key that does not match its certificate): Node refuses it in `tls.connect`,
 * on every attempt, so the connection retried for ever (`reconnecting` with the same OpenSSL
 * error each time) with a mistake only the caller can fix.
 */
export function checkTlsMaterial(tls: object | undefined, createSecureContext: CreateSecureContext): void {
  if (tls === undefined || (tls as { secureContext?: unknown }).secureContext !== undefined) return;
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new InvalidOptionError('tls', `Node cannot make a TLS context of it: ${err instanceof Error ? err.message : String(err)}`);
  }
}
