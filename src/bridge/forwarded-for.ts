// Whose wrong token it was, behind a reverse proxy. The bridge counts wrong tokens per client
// address (auth-failures.ts); behind a proxy every request comes from the proxy's address, so one
// guesser made every page wait. The proxy names the client in X-Forwarded-For, but any client can
// write that header too, so it is read only on requests that come from an address the operator
// names as a proxy (`trustProxy`), and only as far as the proxies go: walking the list from the
// right (each proxy appends the address it got the request from), the first address that is not
// a trusted proxy is the client. Nothing is trusted by default.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { remoteAddressOf } from '../transport/acceptor.js';
import { addressAllowList, unmapIPv4, type AddressMatcher } from '../transport/address-allow-list.js';

/**
 * The client address of a request, for the wrong-token limit: the socket's address, or, on a
 * request from a trusted proxy, the address X-Forwarded-For gives (see the top of this file).
 */
export type ClientAddressOf = (req: IncomingMessage) => string;

/**
 * Reads the client address of each request; `trustProxy` lists the proxies' addresses and CIDR
 * ranges (net.BlockList; an entry that is neither is an InvalidOptionError naming `trustProxy`).
 */
export function clientAddressReader(trustProxy: readonly string[] | undefined): ClientAddressOf {
  const trusted = trustProxy === undefined || trustProxy.length === 0 ? undefined : addressAllowList(trustProxy, 'trustProxy');
  if (!trusted) return (req) => remoteAddressOf(req.socket).address;
  return (req) => forwardedClient(remoteAddressOf(req.socket).address, req.headers['x-forwarded-for'], trusted);
}

/** The first address from the right of the chain `forwardedFor`, `socketAddress` that is no trusted proxy. */
function forwardedClient(socketAddress: string, forwardedFor: string | string[] | undefined, trusted: AddressMatcher): string {
  if (!trusted(socketAddress) || forwardedFor === undefined) return socketAddress;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((h) => unmapIPv4(h.trim()));
  let client = socketAddress;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Not an address (a port, a name, garbage): the chain cannot be read past it; the last
    // proxy's word is all there is.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted(hop)) return hop;
  }
  return client;
}
