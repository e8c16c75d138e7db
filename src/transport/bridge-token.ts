// How a page hands an igtl-rx bridge its token without putting it in the URL. A URL's query
// lands in server and proxy logs, in the browser's history and in Referer headers; a browser
// WebSocket cannot set an Authorization header, but it can offer subprotocols, which travel in
// the Sec-WebSocket-Protocol header of the handshake (RFC 6455, 4.1 and 11.3.4):
//
//   new WebSocket(url, ['igtl-rx', 'token.<token>'])
//
// The bridge reads the token from the `token.` entry and answers with `igtl-rx` alone: a server
// must echo one of the offered subprotocols (a browser fails a handshake whose answer names none,
// when it offered some), and echoing the token entry would copy the secret into the response.
// One place for the names, read by both sides: connectWebSocket's `token` option and the bridge.
//
// Browser-safe: no Node built-ins.
import { InvalidOptionError } from '../protocol/errors.js';

/** The subprotocol the bridge answers with, offered beside the token. */
export const BRIDGE_SUBPROTOCOL = 'igtl-rx';

/** The prefix of the subprotocol entry that carries the token. */
export const TOKEN_SUBPROTOCOL_PREFIX = 'token.';

/**
 * A subprotocol is an HTTP token (RFC 6455, 4.1 item 10; RFC 9110, 5.6.2): these characters
 * only. A browser throws a SyntaxError for any other, so a token with one cannot travel here.
 */
const TCHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `token` can travel as a subprotocol (see {@link tokenSubprotocols}). */
export function canTravelAsSubprotocol(token: string): boolean {
  return TCHARS.test(token);
}

/**
 * The subprotocols that present `token` to an igtl-rx bridge: `['igtl-rx', 'token.<token>']`.
 * Throws an InvalidOptionError (option `token`) for a token that a subprotocol cannot hold
 * (empty, or with a character outside RFC 9110's token characters, e.g. `/`, `=`, a space):
 * `openssl rand -hex 16` tokens always fit; others can use `?token=` in the URL.
 */
export function tokenSubprotocols(token: string): string[] {
  if (!canTravelAsSubprotocol(token)) {
    const bad = token === '' ? 'it is empty' : `it has ${JSON.stringify([...token].find((c) => !TCHARS.test(c)))}`;
    throw new InvalidOptionError('token', `the token cannot travel as a WebSocket subprotocol (${bad}; only letters, digits and !#$%&'*+-.^_\`|~): use a hex token (openssl rand -hex 16), or put it in the URL (?token=)`);
  }
  return [BRIDGE_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`];
}

/** The entries of a Sec-WebSocket-Protocol header (comma-separated, spaces around them ignored). */
export function parseSubprotocols(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Whether a subprotocol entry carries a token (and so must never be echoed or logged). */
export function isTokenSubprotocol(protocol: string): boolean {
  return protocol.startsWith(TOKEN_SUBPROTOCOL_PREFIX);
}
