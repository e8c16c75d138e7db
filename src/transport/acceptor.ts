// Accepting clients, the same way for the TCP/TLS server and the WebSocket bridge: listening and
// closing, a client's address in one form, the allow-list, the client limit (and whom to evict
// when full), and the set of clients connected now.
//
// What a client is (a session, a WebSocket client), how it is refused (a dropped socket, an HTTP
// status) and what is logged stay with the server and the bridge: the acceptor decides, its
// owner speaks. That keeps one rule for who may come in, whatever the two say to a client.
import type { AddressInfo, Server } from 'node:net';
import { addressAllowList, unmapIPv4, type AddressMatcher } from './address-allow-list.js';
import { monotonicNow } from '../protocol/clock.js';
import { InvalidOptionError } from '../protocol/errors.js';

/** Where a client comes from. */
export interface RemoteAddress {
  /** The client's address, IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`) in their IPv4 form. */
  readonly address: string;
  readonly port: number;
}

/**
 * A socket's client address in the one form that the allow-list, the sessions and the log lines
 * use: a dual-stack server sees an IPv4 client as `::ffff:a.b.c.d`, and the user writes `a.b.c.d`.
 */
export function remoteAddressOf(socket: { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined }): RemoteAddress {
  return { address: unmapIPv4(socket.remoteAddress ?? '?'), port: socket.remotePort ?? 0 };
}

/**
 * Whom to evict when the acceptor is full and a new client arrives: one of the live entries
 * (`since`: when each was admitted, ms since the epoch, oldest first), or undefined to refuse
 * the newcomer instead.
 */
export type EvictionPolicy<E> = (since: ReadonlyMap<E, number>, now: number) => E | undefined;

/**
 * The lock-out rule: when full, a new client takes the place of the most recently admitted
 * entry that has not been `heard` from (a silent socket, a slowloris), once that entry has been
 * there `graceMs` (negative: never); until then the newcomer is refused and retries. Sockets an
 * attacker opens after a legitimate client are always newer than it, so a long-standing
 * receive-only client (pyigtl's and the C++ examples' clients never send) is the last candidate;
 * while there is room nobody is evicted. See docs/connections.md.
 */
export function evictNewestSilent<E>(graceMs: number, heard: (entry: E) => boolean): EvictionPolicy<E> {
  checkEvictAfterMs(graceMs);
  return (since, now) => {
    if (graceMs < 0) return undefined;
    let newest: E | undefined;
    let newestSince = -Infinity;
    for (const [entry, t] of since) {
      if (!heard(entry) && t > newestSince) {
        newest = entry;
        newestSince = t;
      }
    }
    return newest !== undefined && now - newestSince >= graceMs ? newest : undefined;
  };
}

/**
 * Throws an InvalidOptionError for an `evictAfterMs` (server, bridge) that is not a number: NaN
 * never evicted (no age is >= NaN), the lock-out the rule is for.
 */
export function checkEvictAfterMs(ms: unknown): void {
  if (typeof ms !== 'number' || Number.isNaN(ms)) throw new InvalidOptionError('evictAfterMs', `must be a number of ms (-1: never), got ${String(ms)}`);
}

/** Whether one more client fits: yes, yes once `entry` is evicted, or no (`live` of `max` connected). */
export type Room<E> =
  | { readonly kind: 'room' }
  | { readonly kind: 'evict'; readonly entry: E; readonly connectedMs: number }
  | { readonly kind: 'full'; readonly live: number; readonly max: number };

/** What {@link Acceptor.admit} decided about a client. */
export type Admission<E> = Room<E> | { readonly kind: 'closing' } | { readonly kind: 'not-allowed' };

/** Options of an {@link Acceptor}. */
export interface AcceptorOptions<E> {
  /** Client addresses and CIDR ranges allowed (default: any); a bad entry throws InvalidOptionError. */
  readonly allow?: readonly string[] | undefined;
  /** Most entries at once. */
  readonly maxClients: number;
  /** Whom to evict when full (default: nobody; the newcomer is refused). */
  readonly evict?: EvictionPolicy<E>;
  /** False when the server is someone else's: `listen` only reports its address and `close` leaves it open. */
  readonly ownsServer?: boolean;
  /** Ends an entry for good when the acceptor closes; its owner then calls {@link Acceptor.remove}. */
  readonly closeEntry: (entry: E) => void;
  /**
   * A polite close before `closeEntry` (a WebSocket's closing handshake): `say` resolves when
   * the entry has closed; entries still open after `graceMs` are cut anyway (a stalled client
   * never completes a handshake).
   */
  readonly farewell?: { readonly graceMs: number; readonly say: (entry: E) => Promise<void> };
}

/** Listening, admission and the live entries of one server (see the top of this file). */
export class Acceptor<E> {
  private readonly entries = new Set<E>();
  /** When each live entry was admitted; insertion order is admission order. */
  private readonly since = new Map<E, number>();
  /** Places held for clients admitted but not added yet (see {@link reserve}). */
  private reserved = 0;
  private readonly allowed: AddressMatcher | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    /** The server that accepts the connections (net, TLS or HTTP). */
    readonly server: Server,
    private readonly options: AcceptorOptions<E>,
  ) {
    this.allowed = options.allow === undefined ? undefined : addressAllowList(options.allow);
    // NaN refused every client, silently (no count is below it); 0 refuses every client on purpose.
    const max = options.maxClients;
    if (!((Number.isInteger(max) && max >= 0) || max === Infinity)) {
      throw new InvalidOptionError('maxClients', `must be a whole number >= 0 (or Infinity), got ${String(max)}`);
    }
  }

  /** Entries connected now (a live view). */
  get live(): ReadonlySet<E> {
    return this.entries;
  }

  /** True from the first call of {@link close}. */
  get closing(): boolean {
    return this.closed !== undefined;
  }

  /** Whether a (normalised) client address passes the allow-list. */
  allows(address: string): boolean {
    return this.allowed === undefined || this.allowed(address);
  }

  /** Whether one more client fits, evicting per the policy when full (the owner closes the victim). */
  room(): Room<E> {
    const max = this.options.maxClients;
    const taken = this.entries.size + this.reserved;
    if (taken < max) return { kind: 'room' };
    // A duration: on the clock a step of the system clock does not move (src/protocol/clock.ts).
    const now = monotonicNow();
    const entry = this.options.evict?.(this.since, now);
    if (entry === undefined || !this.entries.has(entry)) return { kind: 'full', live: taken, max };
    return { kind: 'evict', entry, connectedMs: now - this.since.get(entry)! };
  }

  /** Every check of a new client, in order: closing, allow-list, room. */
  admit(address: string): Admission<E> {
    if (this.closing) return { kind: 'closing' };
    if (!this.allows(address)) return { kind: 'not-allowed' };
    return this.room();
  }

  /**
   * Holds a place for a client admitted now but added later (a WebSocket upgrade finishes its
   * handshake after the checks): {@link room} counts it, so clients that arrive together cannot
   * pass maxClients between their checks and their add(). Returns the release, to call just
   * before add(), or when the client is gone first (a failed upgrade); later calls do nothing.
   */
  reserve(): () => void {
    this.reserved++;
    let held = true;
    return () => {
      if (held) {
        held = false;
        this.reserved--;
      }
    };
  }

  /** Records an admitted entry. */
  add(entry: E): void {
    this.entries.add(entry);
    this.since.set(entry, monotonicNow());
  }

  /** Forgets an entry that has ended; false if it was not live (already removed). */
  remove(entry: E): boolean {
    this.since.delete(entry);
    return this.entries.delete(entry);
  }

  /** The bound address (after `listen`, or of a server of someone else's that listens). */
  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The IP address the server listens on (undefined before it listens, or on a pipe). */
  boundAddress(): string | undefined {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.address : undefined;
  }

  /** Starts listening; resolves with the bound address (at once when the server is someone else's). */
  listen(port: number, host: string): Promise<AddressInfo> {
    if (this.options.ownsServer === false) return Promise.resolve(this.address);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.address);
      });
    });
  }

  /**
   * Stops accepting, closes every live entry (politely first, with `farewell`) and resolves
   * once the server has closed too. Without `farewell` the entries are closed before this
   * returns. Later calls return the same promise.
   */
  close(): Promise<void> {
    this.closed ??= this.shut();
    return this.closed;
  }

  private shut(): Promise<void> {
    const owned = this.options.ownsServer !== false;
    // Stop accepting first: nobody joins while the others are being closed.
    const stopped = owned ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    const end = (): Promise<void> => {
      for (const entry of [...this.entries]) this.options.closeEntry(entry);
      // An HTTP server also keeps keep-alive connections (a page's requests) open, and a TLS
      // server handshakes under way (server.ts): cut them.
      if (owned && 'closeAllConnections' in this.server) (this.server as { closeAllConnections(): void }).closeAllConnections();
      return stopped;
    };
    const farewell = this.options.farewell;
    if (farewell === undefined || this.entries.size === 0) return end();
    return withGrace(Promise.all([...this.entries].map(farewell.say)), farewell.graceMs).then(end);
  }
}

/** Resolves when `done` settles or after `ms`, whichever comes first. */
function withGrace(done: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([done.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}
