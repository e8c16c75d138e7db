// Tokens never reach a log line (nor a refusal's text): every string the bridge logs passes
// through here. A token travels in a `token.<token>` subprotocol (Sec-WebSocket-Protocol), a URL
// query (`?token=`, the fallback) or an `Authorization: Bearer` header, and request URLs and header values end up in
// reasons and errors; redacting at the one place where text leaves is what makes "never" hold.
import type createDebug from 'debug';

/** What a token is replaced with. */
export const REDACTED = '<redacted>';

/**
 * Removes secrets from a text: the value of every `token=` query parameter, every
 * `Bearer ...` credential, every `token.` subprotocol entry, and each of `secrets` (the configured token) wherever it appears.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
    .replace(/([?&;]token=)[^&#\s"']*/gi, `$1${REDACTED}`)
    .replace(/(Bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`)
    .replace(/(\btoken\.)[^\s"',;]+/g, `$1${REDACTED}`);
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(REDACTED);
  return out;
}

/** A log function like `debug`'s, whose format and string arguments are redacted. */
export type RedactingLog = (format: string, ...args: unknown[]) => void;

/** Wraps a `debug` logger so that nothing it writes holds a secret (`secrets()` is read per line). */
export function redactingLog(debug: createDebug.Debugger, secrets: () => readonly string[]): RedactingLog {
  return (format, ...args) => {
    if (!debug.enabled) return;
    const s = secrets();
    debug(redact(format, s), ...args.map((a) => (typeof a === 'string' ? redact(a, s) : a instanceof Error ? redact(a.message, s) : a)));
  };
}
