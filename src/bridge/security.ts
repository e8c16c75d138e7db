// Who may open a WebSocket to the bridge: an optional token, and an Origin allow-list.
//
// Why Origin matters: WebSockets are not covered by CORS. Without a check, any web page the
// user has open could connect to ws://127.0.0.1:<port> and read (or drive) the OR's tracking
// stream. Browsers always send Origin and pages cannot forge it, so checking it stops that.
// Non-browser clients send no Origin (and could forge one anyway): the token is their check.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Why a client was refused, with the HTTP status of the refusal. */
export interface Refusal {
  readonly status: 400 | 401 | 403 | 404 | 503;
  readonly reason: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Checks the Origin header. No Origin: allowed (not a browser). With an allow-list: the origin
 * must be on it (`*` allows any). Without one (the safe default): only the bridge's own origin
 * (the page it serves) and loopback origins (a dev server on localhost) are allowed.
 */
export function checkOrigin(req: IncomingMessage, allowed: readonly string[] | undefined): Refusal | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  if (allowed) {
    if (allowed.includes('*') || allowed.some((a) => sameOrigin(a, origin))) return undefined;
    return { status: 403, reason: `origin ${origin} is not in the allow-list` };
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { status: 403, reason: `origin "${origin}" is not a URL` };
  }
  if (url.host === req.headers.host || LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return { status: 403, reason: `origin ${origin} is neither this bridge nor loopback (pass it in origins / --origin to allow it)` };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return a === b;
  }
}

/** The token a client presented: `?token=`, or `Authorization: Bearer <token>` (Node clients). */
export function presentedToken(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  return query.get('token') ?? undefined;
}

/** Compares tokens in constant time (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
