// Who may open a WebSocket to the bridge, checked in one order for every upgrade (docs/bridge.md,
// "Safe defaults"): the bridge is not closing; the client's address and the Host it asked for
// (also every page request); the WebSocket version; the Origin; the subprotocols that carry a
// token (one, beside `igtl-rx`); a request target that is a URL;
// a token where one is needed; a filter the bridge understands; and room for one more client.
// The first check that fails is the refusal. The checks themselves are in security.ts and
// token-gate.ts; this file is their order.
import type { IncomingMessage } from 'node:http';
import type { Acceptor, Room } from '../transport/acceptor.js';
import { remoteAddressOf } from '../transport/acceptor.js';
import { ClientFilterError, parseClientFilter, type ClientFilter } from './client-filter.js';
import { checkHost, checkOrigin, checkTokenSubprotocols, checkWebSocketVersion, isLoopbackHost, type Refusal } from './security.js';
import type { TokenGate } from './token-gate.js';

/** What the checks decided about an upgrade: its refusal, or the client's filter and its place. */
export type UpgradeVerdict<E> = { readonly refusal: Refusal } | { readonly refusal?: undefined; readonly filter: ClientFilter; readonly room: Exclude<Room<E>, { kind: 'full' }> };

/** The options the checks read. */
export interface UpgradeCheckOptions {
  readonly allowedHosts?: readonly string[] | undefined;
  readonly origins?: readonly string[] | undefined;
}

/** The checks of a bridge's requests, in their order (see the top of this file). */
export class UpgradeChecks<E> {
  constructor(
    private readonly acceptor: Acceptor<E>,
    private readonly options: UpgradeCheckOptions,
    /** The token check, or undefined when the bridge has no token. */
    private readonly tokenGate: TokenGate | undefined,
  ) {}

  /** The checks every request gets, page or WebSocket: the client's address, then the Host it asked for. */
  request(req: IncomingMessage): Refusal | undefined {
    const { address } = remoteAddressOf(req.socket);
    if (!this.acceptor.allows(address)) return { status: 403, reason: `address ${address} is not in the allow-list` };
    return checkHost(req, this.options.allowedHosts, this.acceptor.boundAddress());
  }

  /** Every check of a WebSocket upgrade, in order. */
  upgrade(req: IncomingMessage): UpgradeVerdict<E> {
    if (this.acceptor.closing) return { refusal: { status: 503, reason: 'the bridge is closing' } };
    const early = this.request(req) ?? checkWebSocketVersion(req) ?? checkOrigin(req, this.options.origins) ?? checkTokenSubprotocols(req);
    if (early) return { refusal: early };
    const target = requestUrl(req);
    if (!target) return { refusal: { status: 400, reason: 'the request target is not a URL' } };
    const query = target.searchParams;
    const bound = this.acceptor.boundAddress();
    if (!this.tokenGate && bound !== undefined && !isLoopbackHost(bound)) {
      // Attached to a server of the user's that listens beyond loopback (createBridge cannot know in advance).
      return { refusal: { status: 503, reason: `the server listens on ${bound}, beyond loopback, and the bridge has no token (set one)` } };
    }
    const denied = this.tokenGate?.check(req, query);
    if (denied) return { refusal: denied };
    let filter: ClientFilter;
    try {
      filter = parseClientFilter(query);
    } catch (err) {
      if (!(err instanceof ClientFilterError)) throw err;
      return { refusal: { status: 400, reason: err.message } };
    }
    const room = this.acceptor.room();
    if (room.kind === 'full') return { refusal: { status: 503, reason: `${room.live} clients connected (maxClients ${room.max}), none evictable yet` } };
    return { filter, room };
  }
}

/**
 * The request target as a URL, or undefined when it is none (`GET http://[ HTTP/1.1` passes
 * Node's parser): `new URL` throws on it, and thrown from the upgrade listener, before any
 * check, it ended the bridge process.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://bridge');
  } catch {
    return undefined;
  }
}
