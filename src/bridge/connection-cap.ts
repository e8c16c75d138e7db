// A bound on the HTTP connections of the bridge's own server that are not (yet) WebSocket
// clients: page requests, upgrades under way, idle keep-alive sockets, and sockets that said
// nothing at all. Each such socket needs no token and held a descriptor and its buffers until
// the 10 s request time-out; with no count limit a client opening thousands of them at once
// held them all (5,000 idle sockets from one process: every one accepted). maxClients bounds
// the WebSocket clients; this bounds the rest.
//
// When full, a new connection cuts the OLDEST such socket rather than being refused: refusing
// the newcomer would let a few hundred idle sockets, renewed every 10 s, lock every page out;
// cutting the oldest lets a real page in unless the flood outpaces it (as a TLS server cuts its
// oldest handshake, docs/security.md).
import type { Server, Socket } from 'node:net';
import { InvalidOptionError } from '../protocol/errors.js';

/** Default bound for `maxClients` WebSocket clients: twice as many, and at least 64 (a page's browser opens several sockets). */
export function defaultMaxPendingConnections(maxClients: number): number {
  return Number.isFinite(maxClients) ? Math.max(64, 2 * maxClients) : Infinity;
}

/** Throws an InvalidOptionError unless `n` is a whole number >= 1 (or Infinity). */
export function checkMaxPendingConnections(n: unknown): number {
  if (typeof n === 'number' && ((Number.isInteger(n) && n >= 1) || n === Infinity)) return n;
  throw new InvalidOptionError('maxPendingConnections', `must be a whole number >= 1 (or Infinity), got ${String(n)}`);
}

/** The bookkeeping of one server's pending (not upgraded) connections. */
export interface ConnectionCap {
  /** Pending connections now. */
  readonly pending: number;
  /** The socket became a WebSocket client: it no longer counts (maxClients bounds those). */
  promote(socket: unknown): void;
}

/**
 * Counts the connections `server` accepts until they close or are promoted; beyond `max`, cuts
 * the oldest pending one (`onCut` says which, for the log).
 */
export function capConnections(server: Server, max: number, onCut: (socket: Socket, pending: number) => void): ConnectionCap {
  // A Set iterates in insertion order: its first entry is the oldest pending socket.
  const pending = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
    if (pending.size <= max) return;
    const oldest = pending.values().next().value!;
    pending.delete(oldest);
    onCut(oldest, pending.size);
    oldest.destroy();
  });
  return {
    get pending() {
      return pending.size;
    },
    promote(socket) {
      pending.delete(socket as Socket);
    },
  };
}
