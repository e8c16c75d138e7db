// TCP and TLS servers: an Observable of client sessions, each with the interface of a client
// connection; broadcast with per-session queues so a slow client never slows the others.
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions as NodeTlsServerOptions } from 'node:tls';
import createDebug from 'debug';
import { Observable, Subject, type Subscription } from 'rxjs';
import type { ChannelEvent } from '../connection/channel.js';
import { IgtlConnection, type ConnectionOptions, type SendOptions } from '../connection/connection.js';
import { fanOut, type FanOutEncoding } from '../connection/fan-out.js';
import { checkSendPolicy, checkSendPolicyOption } from '../connection/send-queue.js';
import { housekeepingReply, type HousekeepingOptions } from '../connection/housekeeping.js';
import { checkKeepAliveMs, checkLivenessOptions, sessionHeartbeat, DEFAULT_KEEPALIVE_MS } from '../connection/options.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import { ConnectionError, InvalidOptionError } from '../protocol/errors.js';
import { MAX_TIMER_MS, isTimerDelay } from '../connection/scheduler.js';
import { MessageDecoder } from '../protocol/framer.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import type { HeaderVersion, IgtlMessage } from '../protocol/types.js';
import { Acceptor, checkEvictAfterMs, evictNewestSilent, remoteAddressOf, type RemoteAddress } from './acceptor.js';
import { allocateUninitialized, pipeSocketEvents, socketChannel, enableKeepAlive } from './socket-channel.js';
import { explainServerTlsFailure } from './tls-hints.js';

const log = createDebug('igtl-rx:server');

function noop(): void {}

/** Options of {@link createServer}. Connection options apply to every session. */
export interface ServerOptions extends ConnectionOptions {
  /** Address to bind (default 127.0.0.1: pass '0.0.0.0' or '::' to accept other hosts). */
  readonly host?: string;
  /** Port (default 18944; 0 picks a free one). */
  readonly port?: number;
  /**
   * Serve TLS with these options (key, cert, ca, requestCert, ...). `handshakeTimeout` defaults
   * to 10 000 ms here (Node's: 120 000); the allow-list is applied before the handshake.
   */
  readonly tls?: NodeTlsServerOptions;
  /**
   * Most clients at once (default 64). When full, a new client evicts a session that has shown
   * no sign of life (see `evictAfterMs`); with none to evict it is refused with a log line.
   * A TLS server also has at most this many handshakes under way: a new connection beyond that
   * cuts the oldest one.
   */
  readonly maxClients?: number;
  /**
   * A session connected this long, ms, that has never sent a whole message may be evicted to
   * make room for a new client when the server is full (default 5000; -1 = never): silent
   * sockets and slowloris peers cannot lock legitimate clients out. See docs/connections.md.
   */
  readonly evictAfterMs?: number;
  /**
   * Client addresses allowed to connect (default: any): addresses and CIDR ranges,
   * e.g. `['10.1.2.0/24', '127.0.0.1', '::1']` (Node's `net.BlockList`). IPv4-mapped IPv6
   * addresses match their IPv4 form. An entry that is neither throws InvalidOptionError.
   */
  readonly allow?: readonly string[];
  /** TCP keep-alive probes on every session after this much idle time, ms (default 10 000; 0 = off). */
  readonly keepAliveMs?: number;
  /** Automatic replies (GET_CAPABIL, GET_STATUS, COMMAND Version); false turns them all off. */
  readonly housekeeping?: boolean | HousekeepingOptions;
}

/**
 * One client of a server: an {@link IgtlConnection} over its socket, plus where it comes from.
 * It reads from the moment the client connects (subscribers see messages from when they
 * subscribe), never reconnects, answers housekeeping queries, and answers each client in the
 * header version it has shown it understands (min(server maximum, highest version received):
 * PLUS's rule).
 */
export type IgtlSession = IgtlConnection & {
  /** The client's address (IPv4-mapped IPv6 addresses in their IPv4 form). */
  readonly remoteAddress: string;
  readonly remotePort: number;
};

/**
 * Server-session defaults: clients are untrusted, so slow, lying or vanished ones are dropped.
 * The heartbeat finds a vanished igtl-rx client even while the server streams to it, where TCP
 * keep-alive cannot (it only probes an idle link). A session sends no probe of its own (nothing
 * unasked to a client): a client that probes the server (every igtl-rx client does) or sends a
 * STATUS has shown that it answers. The heartbeat (SESSION_HEARTBEAT, or the server's own
 * timing, still without a probe) is set by `sessionHeartbeat`.
 */
const SESSION_DEFAULTS: ConnectionOptions = { readTimeoutMs: 20_000, oversize: 'close' };

/** The connection of one accepted socket (composition: the same connection, other options). */
function createSession(socket: Socket, remoteAddress: string, remotePort: number, options: ConnectionOptions, housekeeping: HousekeepingOptions | undefined, serverMaxVersion: HeaderVersion): IgtlSession {
  const remote = `${remoteAddress}:${remotePort}`;
  let used = false;
  const events = new Observable<ChannelEvent>((subscriber) => {
    if (used) {
      subscriber.complete();
      return;
    }
    used = true;
    const teardown = pipeSocketEvents(socket, remote, subscriber);
    subscriber.next({ type: 'open', channel: socketChannel(socket, remote) });
    socket.resume();
    return teardown;
  });
  const conn = new IgtlConnection(() => events, {
    logNamespace: 'igtl-rx:server',
    name: remote,
    allocate: allocateUninitialized,
    ...SESSION_DEFAULTS,
    ...options,
    heartbeat: sessionHeartbeat(options.heartbeat),
    reconnect: false,
    eager: true,
    followPeerHeaderVersion: true,
    onMessage: housekeeping
      ? (msg, reply) => {
          const answer = housekeepingReply(msg, serverMaxVersion, (options.registry ?? defaultRegistry).types(), housekeeping);
          if (answer) reply(answer);
        }
      : undefined,
  });
  return Object.assign(conn, { remoteAddress, remotePort });
}

/** Default of `maxClients`: sessions at once, and TLS handshakes under way at once. */
const DEFAULT_MAX_CLIENTS = 64;

/** Default of Node's `handshakeTimeout` for a TLS server (Node's own is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * Throws an InvalidOptionError for a `tls.handshakeTimeout` that is not a time-out. Node takes
 * 0 and NaN for its 120 s, arms no timer at all for one below 0, and one over 2^31 - 1 ms
 * overflows: measured, a silent socket was still open 15 s later with -1, 0, NaN and 1e12 (with
 * -1, for ever) -- the hold on a TLS server the 10 s default is there to prevent.
 */
function checkHandshakeTimeout(ms: number | undefined): void {
  if (ms !== undefined && !(isTimerDelay(ms) && ms > 0)) {
    throw new InvalidOptionError('tls.handshakeTimeout', `${String(ms)} ms is not a time-out a timer can wait (above 0, up to ${MAX_TIMER_MS} ms)`);
  }
}

/**
 * The TLS server under an {@link IgtlServer}: what happens before a handshake completes, when
 * no session exists yet, is decided and said here.
 * - The allow-list applies to the TCP connection, before the handshake, as on a plain TCP server:
 *   a refused host is cut at once, not served a handshake (and its CPU) and an "open" first.
 * - A handshake ends within `handshakeTimeout` (default 10 s, Node's is 120 s): the socket is
 *   closed then (Node only reports the time-out), so sockets that never start one (silent,
 *   vanished, or plain TCP waiting to be spoken to) are not held for ever.
 * - At most `maxHandshakes` (the server's `maxClients`) handshakes are under way at once: a new
 *   connection beyond that cuts the oldest one. Uncapped, a flood of sockets that never say hello
 *   was held for the whole time-out (measured: 17 210 sockets and +262 MB after 8 s with
 *   `maxClients` 4, on the way to the process's file-descriptor limit, where every client is
 *   refused). The oldest goes, not the newcomer: a real client's handshake takes a few round trips,
 *   so it is the newest, and refusing newcomers would lock real clients out while the flood lasts.
 * - A failed handshake (a client that does not trust our certificate, one whose own is refused,
 *   plain TCP, a time-out) is reported (`failed`: a ConnectionError naming the client's address
 *   and the likely reason; the server's `errors$`) and logged: Node drops such a socket without
 *   a word unless someone listens, and a log line alone is invisible to the application.
 */
function tlsServer(
  tls: NodeTlsServerOptions,
  onSocket: (socket: Socket) => void,
  allows: (address: string) => boolean,
  maxHandshakes: number,
  failed: (err: ConnectionError) => void,
): NetServer {
  checkHandshakeTimeout(tls.handshakeTimeout);
  const server = createTlsServer({ handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, ...tls }, onSocket);
  // A client that hangs up takes its address with it: noted when its TCP connection comes in,
  // found again through the TCP socket under the TLS one (parentOf).
  const peers = new WeakMap<Socket, RemoteAddress>();
  // Handshakes under way: no session holds them, so closing the server cuts them (the acceptor
  // calls `closeAllConnections`, as for an HTTP server's idle connections); else close() would
  // wait for each one to finish or time out.
  const handshaking = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    const peer = remoteAddressOf(raw);
    if (!allows(peer.address)) {
      log('refused %s:%d: not in the allow-list', peer.address, peer.port);
      raw.destroy();
      return;
    }
    peers.set(raw, peer);
    handshaking.add(raw);
    raw.once('close', () => handshaking.delete(raw));
    // Insertion order is arrival order: the first is the oldest.
    for (const oldest of handshaking) {
      if (handshaking.size <= maxHandshakes) break;
      const who = peers.get(oldest);
      log('TLS handshake with %s:%d cut: %d handshakes under way (maxClients), this one the oldest', who?.address, who?.port, handshaking.size);
      handshaking.delete(oldest);
      oldest.destroy();
    }
  });
  server.on('secureConnection', (socket: Socket) => {
    const raw = parentOf(socket);
    if (raw) handshaking.delete(raw);
  });
  server.on('tlsClientError', (err: Error & { code?: string; reason?: string }, socket) => {
    // Node reports a handshake time-out here and leaves the socket open (measured: still open
    // long after it): without this, a silent or vanished client would hold it for ever.
    socket.destroy();
    const raw = parentOf(socket);
    const peer = raw ? peers.get(raw) : remoteAddressOf(socket);
    if (peer === undefined) return; // refused above, and said so
    // Node's types say Error; at run time it is the OpenSSL code (CERT_HAS_EXPIRED, ...).
    const refused: unknown = socket.authorizationError;
    const told = explainServerTlsFailure(err, typeof refused === 'string' ? refused : refused instanceof Error ? refused.message : undefined);
    const why = told.likely === undefined ? told.raw : `${told.raw}; ${told.likely}`;
    log('TLS handshake with %s:%d failed: %s', peer.address, peer.port, why);
    failed(new ConnectionError(`${peer.address}:${peer.port}: TLS handshake failed: ${why}`, err));
  });
  return Object.assign(server, {
    closeAllConnections(): void {
      for (const raw of handshaking) raw.destroy();
    },
  });
}

/** The TCP socket under a server-side TLS socket (Node's `_parent`, not typed). */
function parentOf(socket: Socket): Socket | undefined {
  return (socket as { _parent?: Socket | null })._parent ?? undefined;
}

/** What {@link IgtlServer.broadcast} did with a message (known at once: nothing waits). */
export interface BroadcastResult {
  /** Sessions the message was offered to. */
  readonly sessions: number;
  /** Sessions whose queue took it (possibly replacing an older `latest` message of the same type and device). */
  readonly queued: number;
  /** Sessions that did not take it: dropped by policy (counted in that session's queue$), refused by a full queue (QueueFullError) or not encodable (both reported on that session's errors$). */
  readonly dropped: number;
}

/** A running server. */
export class IgtlServer {
  private readonly acceptor: Acceptor<IgtlSession>;
  private readonly sessionSubject = new Subject<IgtlSession>();
  private readonly messageSubject = new Subject<{ readonly session: IgtlSession; readonly message: IgtlMessage }>();
  private readonly errorSubject = new Subject<ConnectionError>();
  private readonly subs = new Map<IgtlSession, Subscription>();
  /** Sessions that have sent a whole message: never evicted by the lock-out rule. */
  private readonly heard = new WeakSet<IgtlSession>();
  private messageIdCounter = 0;

  /** Every session as it connects (hot: sessions that connected earlier are in {@link sessions}). */
  readonly sessions$: Observable<IgtlSession> = this.sessionSubject.asObservable();
  /** Every message from every session, with its session. */
  readonly messages$ = this.messageSubject.asObservable();
  /**
   * Failures before a session exists (hot; completes on `close()`): a TLS handshake that failed
   * or timed out, as a ConnectionError naming the client (`address:port`) and the likely reason
   * (`cause`: Node's error). A session's own errors are on that session's `errors$`.
   */
  readonly errors$: Observable<ConnectionError> = this.errorSubject.asObservable();

  constructor(private readonly options: ServerOptions = {}) {
    const housekeeping = options.housekeeping === false ? undefined : options.housekeeping === true || options.housekeeping === undefined ? {} : options.housekeeping;
    const maxVersion = options.maxHeaderVersion ?? 2;
    const keepAlive = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    // Refuse options no session could honour now (InvalidOptionError), not once per client.
    new MessageDecoder({ message: noop, error: noop }, options);
    checkLivenessOptions(options);
    checkSendPolicyOption(options.sendPolicy);
    checkKeepAliveMs(options.keepAliveMs);
    if (options.evictAfterMs !== undefined) checkEvictAfterMs(options.evictAfterMs);
    const onSocket = (socket: Socket) => {
      const { address, port } = remoteAddressOf(socket);
      const admission = this.acceptor.admit(address);
      if (admission.kind === 'not-allowed') log('refused %s:%d: not in the allow-list', address, port);
      else if (admission.kind === 'full') log('refused %s:%d: %d clients connected (maxClients), none evictable yet', address, port, admission.live);
      if (admission.kind !== 'room' && admission.kind !== 'evict') {
        socket.destroy();
        return;
      }
      if (admission.kind === 'evict') {
        const victim = admission.entry;
        log('%s:%d evicted to make room for %s:%d: connected %d ms ago and never sent a message', victim.remoteAddress, victim.remotePort, address, port, admission.connectedMs);
        victim.close();
        this.drop(victim);
      }
      socket.setNoDelay(true);
      // A client that vanishes without a FIN (power, cable, blackhole) is found by the kernel.
      enableKeepAlive(socket, keepAlive);
      socket.pause();
      const session = createSession(socket, address, port, this.options, housekeeping, maxVersion);
      this.acceptor.add(session);
      log('client %s:%d connected (%d now)', address, port, this.live.size);
      let heard = false;
      this.subs.set(
        session,
        session.subscribe({
          next: (message) => {
            if (!heard) {
              heard = true;
              this.heard.add(session);
            }
            this.messageSubject.next({ session, message });
          },
          error: () => this.drop(session),
          complete: () => this.drop(session),
        }),
      );
      this.sessionSubject.next(session);
    };
    const server = options.tls
      ? tlsServer(options.tls, onSocket, (address) => this.acceptor.allows(address), options.maxClients ?? DEFAULT_MAX_CLIENTS, (err) => this.errorSubject.next(err))
      : createNetServer(onSocket);
    server.on('error', (err) => log('server error: %s', err.message));
    this.acceptor = new Acceptor(server, {
      allow: options.allow,
      maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
      // The lock-out rule: a full server evicts the newest session never heard from (see acceptor.ts).
      evict: evictNewestSilent(options.evictAfterMs ?? 5000, (s) => this.heard.has(s)),
      closeEntry: (s) => {
        s.close();
        this.drop(s);
      },
    });
  }

  /** The live sessions (the acceptor's bookkeeping). */
  private get live(): ReadonlySet<IgtlSession> {
    return this.acceptor.live;
  }

  private drop(session: IgtlSession): void {
    if (!this.acceptor.remove(session)) return;
    this.subs.get(session)?.unsubscribe();
    this.subs.delete(session);
    log('client %s:%d left (%d now)', session.remoteAddress, session.remotePort, this.live.size);
  }

  /** Sessions connected now. */
  get sessions(): ReadonlySet<IgtlSession> {
    return this.live;
  }

  /** The bound address (after `listen`). */
  get address(): AddressInfo {
    return this.acceptor.address;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const address = await this.acceptor.listen(this.options.port ?? DEFAULT_PORT, this.options.host ?? '127.0.0.1');
    log('listening on %s:%d', address.address, address.port);
    return address;
  }

  /**
   * Sends a message to every session, each through its own queue with its own backpressure
   * (policy from `options`, else the sessions' `sendPolicy`): a slow client never slows the
   * others, and under `latest` only its own queue conflates.
   *
   * The message is encoded once per framing the sessions need (at most one legacy and one v3
   * encoding; see docs/connections.md, "Which peer gets which header version") and the same
   * bytes are queued for every session: no Promise, re-encode or microtask per client. Sends
   * made in one tick still go out as one write per client. A v3 message without a message ID
   * (`messageId` 0) gets one server-level ID (1, 2, ... per server) shared by every session,
   * not one from each session's counter.
   *
   * Returns at once what happened to the message: `sessions` it was offered to, `queued` (taken
   * by a session's queue, possibly replacing an older `latest` one), `dropped` (dropped by
   * policy, refused by a full queue, or not encodable). Refusals and failures of one session
   * are reported on that session's `errors$` and never affect the others. To know when a
   * message was written to one client, use that session's `send()`.
   */
  broadcast(msg: IgtlMessage, options: SendOptions = {}): BroadcastResult {
    // The sessions' codecs and limit; v3 message IDs from the server's counter.
    const encoding: FanOutEncoding = { registry: this.options.registry ?? defaultRegistry, maxMessageSize: this.options.maxMessageSize, nextMessageId: this.nextMessageId };
    const policy = options.policy === undefined ? undefined : checkSendPolicy(options.policy, 'policy');
    const { queued, dropped } = fanOut(msg, this.live, encoding, policy);
    return { sessions: queued + dropped, queued, dropped };
  }

  /** The next server-level v3 message ID (1, 2, ...; wraps at 2^32), shared by a broadcast's sessions. */
  private readonly nextMessageId = (): number => {
    this.messageIdCounter = (this.messageIdCounter % 0xffffffff) + 1;
    return this.messageIdCounter;
  };

  /**
   * Stops listening and closes every session as a connection's `close()` does: messages still
   * queued fail (ConnectionError, on that session's errors$), what was written is flushed to a
   * client that reads it, and a client that does not is cut after 5 s. Resolves once every
   * session's socket has closed (so within about 5 s).
   */
  close(): Promise<void> {
    if (this.acceptor.closing) return Promise.resolve();
    const closed = this.acceptor.close();
    this.sessionSubject.complete();
    this.messageSubject.complete();
    this.errorSubject.complete();
    return closed;
  }
}

/**
 * Creates an OpenIGTLink server (TCP, or TLS with `tls`). Call `listen()` to start it.
 *
 * @example
 * const server = createServer({ port: 18944 });
 * await server.listen();
 * server.sessions$.subscribe((s) => s.send(createMessage('STATUS', ...)));
 */
export function createServer(options: ServerOptions = {}): IgtlServer {
  return new IgtlServer(options);
}
