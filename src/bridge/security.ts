// Who may open a WebSocket to the bridge (or fetch its page): the Host it was asked for, the
// client's address, the Origin of a page, and a token.
//
// Why Host matters (DNS rebinding): a page at http://evil.example:18945/ can make its own name
// resolve to 127.0.0.1 after loading. Its requests then reach the bridge with
// `Host: evil.example:18945` and `Origin: http://evil.example:18945` -- the same origin as far
// as the browser knows, and as far as an "own origin" check comparing Origin with Host can tell
// (the attacker chose both). The name in Host is the one thing rebinding cannot fake: the
// bridge only answers requests for names that really are it (loopback names and addresses, the
// addresses it listens on, and names it is told about).
//
// Why Origin matters: WebSockets are not covered by CORS. Without a check, any web page the
// user has open could connect to ws://127.0.0.1:<port> and read (or drive) the OR's tracking
// stream. Browsers always send Origin and pages cannot forge it, so checking it stops that.
// Non-browser clients send no Origin (and could forge one anyway): the token is their check.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { InvalidOptionError } from '../protocol/errors.js';
import { addressAllowList, unmapIPv4 } from '../transport/address-allow-list.js';
import { BRIDGE_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, isTokenSubprotocol, parseSubprotocols } from '../transport/bridge-token.js';

/** Why a client was refused, with the HTTP status of the refusal. */
export interface Refusal {
  readonly status: 400 | 401 | 403 | 404 | 421 | 426 | 429 | 503;
  readonly reason: string;
  /** Headers the refusal must carry (Sec-WebSocket-Version with 426, Retry-After with 429). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Fewest characters of a token the bridge accepts unless told `allowWeakToken`. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Throws an InvalidOptionError for an empty token, and for one shorter than
 * {@link MIN_TOKEN_LENGTH} unless `allowWeak`: a short word chosen by a person ("surgery",
 * "1234") falls to guessing, even at the 10 attempts a minute per address the bridge allows.
 * `openssl rand -hex 16` gives 32 characters.
 */
export function checkToken(token: string | undefined, allowWeak: boolean | undefined): void {
  if (token === undefined) return;
  if (token === '') throw new InvalidOptionError('token', 'the token is empty');
  if (!allowWeak && [...token].length < MIN_TOKEN_LENGTH) {
    throw new InvalidOptionError('token', `the token has ${[...token].length} characters, fewer than ${MIN_TOKEN_LENGTH}: use a random one (openssl rand -hex 16), or allowWeakToken / --allow-weak-token to accept it`);
  }
}

/**
 * Checks the WebSocket protocol version of an upgrade: only 13 is RFC 6455. `ws` also completes
 * handshakes of the draft version 8 (hybi-10), whose clients predate the Origin header and the
 * final framing rules; nothing igtl-rx supports speaks it. RFC 6455, 4.2.2: refuse with 426 and
 * the versions the server speaks in Sec-WebSocket-Version.
 */
export function checkWebSocketVersion(req: IncomingMessage): Refusal | undefined {
  const version = req.headers['sec-websocket-version'];
  if (version === '13') return undefined;
  return { status: 426, reason: `WebSocket version ${version === undefined ? '(none)' : JSON.stringify(version)} is not supported: only 13 (RFC 6455)`, headers: { 'Sec-WebSocket-Version': '13' } };
}

/**
 * The bridge would listen beyond loopback without a token: anyone who can reach the port
 * would read the tracking stream. Thrown by `createBridge` (the CLI exits with status 2).
 */
export class BridgeTokenRequiredError extends InvalidOptionError {
  override name = 'BridgeTokenRequiredError';
  constructor(host: string) {
    super('token', `the bridge listens on ${host}, beyond loopback: a token is required (token / --token / IGTL_RX_BRIDGE_TOKEN)`);
  }
}

const LOOPBACK = addressAllowList(['127.0.0.0/8', '::1']);

/** True for `localhost` and loopback addresses (127.0.0.0/8, ::1, and their IPv4-mapped forms). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return h === 'localhost' || LOOPBACK(h);
}

/** Every address of this machine's interfaces (for a bridge bound to 0.0.0.0 or ::). */
function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.toLowerCase()));
}

/**
 * Checks the Host header against the names that really are this bridge: loopback names and
 * addresses, the address it listens on (every interface address when it listens on all),
 * and `allowed` (configured names; `*` turns the check off, e.g. behind a reverse proxy that
 * sets Host itself). Defeats DNS rebinding (see the top of this file): refused with 421.
 */
export function checkHost(req: IncomingMessage, allowed: readonly string[] | undefined, listeningOn: string | undefined): Refusal | undefined {
  // Two Host lines: Node keeps the first, a proxy in front may go by the last, so each would
  // check a different name (RFC 9112, 3.2: a server must answer 400). Before `*`: a proxy that
  // checks Host itself is exactly the one that may read the other line.
  if ((req.headersDistinct?.host?.length ?? 0) > 1) return { status: 400, reason: 'more than one Host header' };
  if (allowed?.includes('*')) return undefined;
  const header = req.headers.host;
  if (header === undefined || header === '') return { status: 400, reason: 'no Host header' };
  let hostname: string;
  try {
    // Only `name[:port]`: `evil.example@localhost` has the host name localhost to a URL parser
    // (user info before it), and `localhost/x.evil.example` too (a path after it).
    if (/[/\\?#@]/.test(header)) throw new Error('not name[:port]');
    hostname = new URL(`http://${header}`).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return { status: 400, reason: `Host "${header}" is not a host name` };
  }
  if (isLoopbackHost(hostname)) return undefined;
  const bare = unmapIPv4(hostname.replace(/^\[(.*)\]$/, '$1'));
  if (allowed?.some((a) => hostOf(a) === hostname || hostOf(a) === bare)) return undefined;
  if (isIP(bare) !== 0 && listeningOn !== undefined) {
    const bound = unmapIPv4(listeningOn.toLowerCase());
    const wildcard = bound === '0.0.0.0' || bound === '::';
    if (bare === bound || (wildcard && interfaceAddresses().map(unmapIPv4).includes(bare))) return undefined;
  }
  return { status: 421, reason: `Host "${header}" is not this bridge (allowed: loopback, the addresses it listens on, and allowedHosts / --allowed-host)` };
}

/** The host name of an allowedHosts entry (`name`, `name:port`, `[v6]:port`), lower case. */
function hostOf(entry: string): string {
  try {
    return new URL(`http://${entry}`).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return entry.toLowerCase();
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Checks the Origin header. No Origin: allowed (not a browser). With an allow-list: the origin
 * must be on it (`*` allows any). Without one (the safe default): only the bridge's own origin
 * (the page it serves) and loopback origins (a dev server on localhost) are allowed.
 */
export function checkOrigin(req: IncomingMessage, allowed: readonly string[] | undefined): Refusal | undefined {
  // Clients of the WebSocket draft (Sec-WebSocket-Version 8) send the page's origin as
  // Sec-WebSocket-Origin, not Origin, and `ws` reads that one for them. The bridge refuses that
  // version first (checkWebSocketVersion), but a request may carry the header with version 13
  // too: it is checked all the same, so no header `ws` might read goes unchecked. Every one sent must pass.
  for (const origin of [req.headers.origin, req.headers['sec-websocket-origin']]) {
    if (typeof origin !== 'string') continue;
    const refusal = checkOneOrigin(req, origin, allowed);
    if (refusal) return refusal;
  }
  return undefined;
}

function checkOneOrigin(req: IncomingMessage, origin: string, allowed: readonly string[] | undefined): Refusal | undefined {
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

/**
 * The token a client presented, the first of: `Authorization: Bearer <token>` (Node clients), a
 * `token.<token>` subprotocol (browsers: kept out of the URL, src/transport/bridge-token.ts), and
 * `?token=` in the URL (the fallback, which logs and browser history may keep).
 */
export function presentedToken(req: IncomingMessage, query: URLSearchParams): string | undefined {
  // The scheme is case-insensitive (RFC 9110, 11.1): `bearer T` from an HTTP library was a 401.
  const bearer = /^bearer +(.*)$/is.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1]!.trim();
  const offered = parseSubprotocols(req.headers['sec-websocket-protocol']).find(isTokenSubprotocol);
  if (offered !== undefined) return offered.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  return query.get('token') ?? undefined;
}

/**
 * Checks the subprotocols of an upgrade that carry a token: at most one, and offered with
 * `igtl-rx`, the subprotocol the bridge answers with ({@link chooseSubprotocol}). Without it the
 * bridge could only answer with none, and the client (a browser, `ws`) fails the handshake with
 * no word of why; 400 says why.
 */
export function checkTokenSubprotocols(req: IncomingMessage): Refusal | undefined {
  const offered = parseSubprotocols(req.headers['sec-websocket-protocol']);
  const tokens = offered.filter(isTokenSubprotocol).length;
  if (tokens === 0) return undefined;
  if (tokens > 1) return { status: 400, reason: `${tokens} token subprotocols offered: offer one` };
  if (!offered.includes(BRIDGE_SUBPROTOCOL)) return { status: 400, reason: `a token subprotocol must be offered with "${BRIDGE_SUBPROTOCOL}", the one the bridge answers with` };
  return undefined;
}

/**
 * The subprotocol the bridge answers a handshake with (ws's handleProtocols): `igtl-rx` when
 * offered, else the first offered one that carries no token (as ws chose before: the first),
 * else none. Never a token entry: the answer would copy the secret into the response.
 */
export function chooseSubprotocol(offered: ReadonlySet<string>): string | false {
  if (offered.has(BRIDGE_SUBPROTOCOL)) return BRIDGE_SUBPROTOCOL;
  for (const p of offered) if (!isTokenSubprotocol(p)) return p;
  return false;
}

/** Compares tokens in constant time (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
