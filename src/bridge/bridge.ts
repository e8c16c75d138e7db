// The bridge: one OpenIGTLink TCP peer (3D Slicer, PLUS, `igtl-rx simulate`) <-> any number of
// WebSocket clients (browser tabs), both ways.
//
// Relaying -- decode, then forward the peer's frame. The per-client `latest` policy (replace a
// waiting pose by the newer one of the same type and device), the per-client filter (type,
// device) and throttle (rate) all need to know what a message is, so it is decoded; decoding
// also verifies the CRC, so a corrupt frame stops at the bridge instead of reaching every tab.
// What goes to the clients is then the frame as received (no second encode), since a message
// keeps its header version and message ID; a message that must be framed otherwise (a v3
// message with ID 0 gets a bridge-level ID) is re-encoded, and that is exact too: the codec is
// byte-identical on every golden vector (test/e2e/bridge.test.ts checks the bytes a client
// receives against the bytes the peer sent).
// Each client is an IgtlConnection over its WebSocket (the same class as a TCP client or server
// session), so its queue, policies, backpressure and errors$ are the library's, not a copy.
// Fan-out (fan-out.ts): clients with the same filter share one filtered stream, a message is
// encoded once per framing for all clients, and its WebSocket frame is built once and written to
// each client's socket (shared-frames.ts). permessage-deflate is off, and stays off: a frame
// compressed per client's deflate context cannot be shared, pose streams are small binary floats
// that compress poorly, and its zlib state costs memory per client.
//
// Backpressure: the peer link is never paused for a client. Each client's channel reports full
// when its WebSocket's bufferedAmount passes the high-water mark; its queue then keeps only the
// newest message per (type, device) for streamed types (`latest`), and queues the rest
// (`lossless`) up to its limits -- a client that overflows them is disconnected. A stalled tab
// therefore costs a bounded amount of memory and slows nothing else.
//
// Beside the binary frames (OpenIGTLink bytes), the bridge sends JSON notices in text frames:
// the state of its peer, to every client on joining and on every change (so a page can tell
// "tracker down" from "bridge down"), and the refusal of a client's message (clients are
// read-only unless the bridge is started with clientSends). Schema: src/transport/peer-state.ts.
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Socket, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { Subject, filter, map, merge, type Observable, type Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { SESSION_HEARTBEAT, checkKeepAliveMs } from '../connection/options.js';
import type { QueueLimits, SendPolicy } from '../connection/send-queue.js';
import { BodyTooLargeError, ConnectionError, DesyncError, InvalidOptionError } from '../protocol/errors.js';
import { EmptyContentError } from '../protocol/empty-content.js';
import { HEADER_SIZE } from '../protocol/constants.js';
import { checkMaxBodySize } from '../protocol/framer.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';
import { Acceptor, evictNewestSilent, remoteAddressOf } from '../transport/acceptor.js';
import { BRIDGE_FRAME_VERSION, encodeBridgeFrame, peerStateOfConnection } from '../transport/peer-state.js';
import { enableKeepAlive } from '../transport/socket-channel.js';
import { connectTcp, type TcpOptions } from '../transport/tcp.js';
import { DEFAULT_BATCH_BYTES, openWebSocketChannel, type WebSocketFlowOptions, type WebSocketLike } from '../transport/websocket.js';
import { ClientFilterError, describeClientFilter, parseClientFilter, type ClientFilter } from './client-filter.js';
import { clientSendGate, clientSendRules, type ClientSendRules } from './client-sends.js';
import { ClientGroups } from './fan-out.js';
import { redact, redactingLog, type RedactingLog } from './redact.js';
import { MAX_NOTICED_KINDS, RefusalNotices } from './refusal-notices.js';
import { watchClientPings } from './client-pings.js';
import { sharedFrameSocket } from './shared-frames.js';
import { BridgeTokenRequiredError, checkHost, checkOrigin, checkToken, checkWebSocketVersion, isLoopbackHost, presentedToken, tokenMatches, type Refusal } from './security.js';
import { AuthFailures } from './auth-failures.js';
import { ReplyRoutes } from './reply-routes.js';
import { capConnections, checkMaxPendingConnections, defaultMaxPendingConnections, type ConnectionCap } from './connection-cap.js';
import { staticFiles } from './static-files.js';
import { monotonicNow } from '../protocol/clock.js';

export { BridgeTokenRequiredError } from './security.js';

/** Port of `igtl-rx bridge` unless told otherwise (OpenIGTLink's 18944, plus one). */
export const DEFAULT_BRIDGE_PORT = 18945;

/** Types that wait with the `latest` policy for a client that is behind: a stale sample is worse than none. */
export const DEFAULT_LATEST_TYPES: readonly string[] = ['TRANSFORM', 'POSITION', 'QTDATA', 'TDATA', 'SENSOR', 'IMAGE', 'VIDEO'];

/** Limits of each client's queue unless `client.queue` says otherwise (each limit on its own). */
const DEFAULT_CLIENT_QUEUE = { maxMessages: 1000, maxBytes: 8 * 1024 * 1024 } as const;

/**
 * How each WebSocket client is fed. Its channel reports full above `highWaterMark` bytes of
 * `bufferedAmount` (default 64 KiB for bridge clients) and drains at `lowWaterMark` (a quarter).
 */
export interface BridgeClientOptions extends WebSocketFlowOptions {
  /**
   * Wire types that wait with the `latest` policy while the client is behind (default
   * {@link DEFAULT_LATEST_TYPES}); other types, and every type while it keeps up, are `lossless`.
   */
  readonly latestTypes?: readonly string[];
  /**
   * Limits of each client's queue (default 1,000 messages, 8 MiB, each on its own). A client whose `lossless`
   * messages overflow them is disconnected (it reconnects and starts fresh).
   */
  readonly queue?: QueueLimits;
}

/** Options of {@link createBridge}. */
export interface BridgeOptions {
  /**
   * The OpenIGTLink peer: TCP options (default 127.0.0.1:18944, reconnecting with backoff), or
   * a connection of your own (TLS, ...), which the bridge then uses but does not close.
   */
  readonly upstream?: (TcpOptions & ConnectionOptions) | IgtlConnection;
  /**
   * Address to bind (default 127.0.0.1: pass '0.0.0.0' or '::' to accept other hosts; then a
   * `token` is required, else {@link BridgeTokenRequiredError}).
   */
  readonly host?: string;
  /** Port (default 18945; 0 picks a free one). */
  readonly port?: number;
  /**
   * Attach to this HTTP(S) server of yours instead of listening (library use): the bridge takes
   * its WebSocket upgrades (those on `path`, when given) and leaves everything else alone.
   */
  readonly server?: HttpServer | HttpsServer;
  /** URL path of the WebSocket endpoint (default: any path). */
  readonly path?: string;
  /**
   * A token clients must present: `?token=...` in the URL, or `Authorization: Bearer ...`.
   * Required when the bridge listens beyond loopback. Never written to a log line.
   */
  readonly token?: string;
  /**
   * Accept a `token` shorter than 16 characters (default false: createBridge throws an
   * InvalidOptionError for one). For tests and throw-away set-ups only: a short token chosen by a
   * person falls to guessing.
   */
  readonly allowWeakToken?: boolean;
  /**
   * Host names (or `name:port`) this bridge answers to besides loopback names and addresses and
   * the addresses it listens on; `*` = any (behind a reverse proxy that checks Host itself).
   * Requests for any other Host are refused with 421: this defeats DNS rebinding.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Client addresses allowed (default: any): addresses and CIDR ranges, e.g.
   * `['10.1.2.0/24', '127.0.0.1', '::1']`, as the TCP server's `allow`. Others get 403.
   */
  readonly allow?: readonly string[];
  /**
   * Origins allowed to connect (`*` = any). Default: the bridge's own origin (a page it serves)
   * and loopback origins. Clients that send no Origin (not browsers) are not affected.
   */
  readonly origins?: readonly string[];
  /**
   * Largest message body (BODY_SIZE) relayed in either direction, bytes (default 16 MiB). A
   * client's WebSocket frame may be that plus a header, and at least 64 KiB (a batch of small messages).
   */
  readonly maxMessageSize?: number;
  /**
   * Most WebSocket clients at once (default 32). When full, a new client evicts the newest one
   * that has sent nothing (see `evictAfterMs`); with none to evict it is refused with 503.
   */
  readonly maxClients?: number;
  /**
   * Most connections to the bridge's own HTTP server that are not WebSocket clients at once:
   * page requests, upgrades under way, idle keep-alive sockets (default twice `maxClients`, at
   * least 64). A new connection beyond it cuts the oldest such socket. Not applied to a `server`
   * of yours (set its `maxConnections`).
   */
  readonly maxPendingConnections?: number;
  /**
   * A client connected this long, ms, that has sent nothing at all -- not even the heartbeat
   * probe every `connectWebSocket` page sends when it opens -- may be evicted to make room for a
   * new client when the bridge is full (default 5000; -1 = never): sockets that open a
   * WebSocket and then say nothing cannot lock the pages out. As `createServer`'s.
   */
  readonly evictAfterMs?: number;
  /**
   * Clients may send to the peer (default false: clients are read-only, and each refused
   * message is answered with a `refused` text frame). See also `clientSendTypes`, `clientSendRate`.
   */
  readonly clientSends?: boolean;
  /** With `clientSends`: only these wire types may be sent (default: every type). */
  readonly clientSendTypes?: readonly string[];
  /** With `clientSends`: at most this many messages per second per client (default: no limit). */
  readonly clientSendRate?: number;
  /**
   * @deprecated Clients are read-only by default now. `readOnly: true` still forces read-only
   * (it wins over `clientSends`); `readOnly: false` no longer lets clients send: pass `clientSends: true`.
   */
  readonly readOnly?: boolean;
  /** Serve the files of this directory over HTTP, e.g. the page that connects to the bridge. */
  readonly staticDir?: string;
  /** How each client is fed. */
  readonly client?: BridgeClientOptions;
  /**
   * A client silent this long, ms (default 10 000; 0 = off), is sent a WebSocket ping, and one
   * that answers nothing within as long again is disconnected: a client gone without a word is
   * let go about 20 s later, also one that takes no part in the OpenIGTLink heartbeat (browsers
   * and `ws` answer pings by themselves). Its socket also has TCP keep-alive probes after this
   * much idle time, as a server's sessions have.
   */
  readonly keepAliveMs?: number;
}

/**
 * One WebSocket client of the bridge: an {@link IgtlConnection} over its socket (like a server
 * session), never reconnecting, plus who it is. Its `queue$` shows what waits for it and what
 * was replaced.
 */
export type BridgeClient = IgtlConnection & {
  /** 1, 2, ... in order of connection. */
  readonly id: number;
  /** Address and port of the client. */
  readonly remote: string;
  /** What the client asked for. */
  readonly filter: ClientFilter;
  /**
   * The client's WebSocket (server side): a `ws` WebSocket, typed as the part of the WebSocket
   * interface igtl-rx uses, so compiling against igtl-rx needs no `ws` type declarations.
   */
  readonly socket: WebSocketLike;
  /** When the client connected (ms since the epoch). */
  readonly connectedAt: number;
  /** Messages handed to this client's queue so far. */
  relayed: number;
  /** Messages of this client refused (not sent to the peer) so far. */
  refused: number;
};

/** A client as the bridge itself sees it: with its `ws` socket's full type. */
type LiveClient = BridgeClient & { readonly socket: WebSocket };

/**
 * The largest WebSocket frame a client may send, for a message limit of `maxMessageSize` (a
 * BODY_SIZE). A frame is not a message: it carries a whole message with its 58-byte header, or
 * several small ones joined (connectWebSocket joins up to 64 KiB). A frame limit of
 * `maxMessageSize` itself closed a client (1009) for a message of the allowed size, or for a
 * batch of small poses. The message limit is the framer's (maxBodySize), from each header.
 */
function maxFramePayload(maxMessageSize: number): number {
  return Math.max(maxMessageSize + HEADER_SIZE, DEFAULT_BATCH_BYTES);
}

/**
 * How long the bridge's own HTTP server waits for a request (page or WebSocket upgrade): its
 * headers, and a body if any, within 10 s, checked every second; then 408 and the socket closes.
 * With Node's defaults (60 s for headers, checked every 30 s) a socket to the bridge that sent
 * nothing, or half a request, was still open after 130 s: such sockets need no token, and each
 * held a descriptor for as long as the sender liked. A browser sends its request at once.
 */
const REQUEST_LIMITS = { headersTimeout: 10_000, requestTimeout: 10_000, connectionsCheckingInterval: 1000 } as const;

/** Default `keepAliveMs` of the bridge's clients: a server's sessions' (server.ts). */
const DEFAULT_KEEPALIVE_MS = 10_000;

/** The connection of one accepted WebSocket (composition: the same connection, other options). */
function createBridgeClient(
  id: number,
  remote: string,
  filter: ClientFilter,
  socket: WebSocket,
  raw: Duplex,
  options: ConnectionOptions,
  flow: WebSocketFlowOptions,
  policy: (msg: IgtlMessage) => SendPolicy,
): LiveClient {
  // Binary frames are built once per group and written to the raw socket (shared-frames.ts).
  const events = openWebSocketChannel(sharedFrameSocket(socket, raw), remote, flow);
  // A page that takes part in heartbeats (connectWebSocket's probe) is pinged when it has been
  // silent for 5 s, as a server pings its sessions: a page whose machine or network vanished is
  // let go within 15 s instead of holding its place while its socket buffers fill.
  const conn = new IgtlConnection(() => events, { heartbeat: SESSION_HEARTBEAT, ...options, sendPolicy: policy, name: `client #${id} ${remote}`, reconnect: false, eager: true });
  return Object.assign(conn, { id, remote, filter, socket, connectedAt: Date.now(), relayed: 0, refused: 0 });
}

/** A running bridge. */
export class IgtlBridge {
  /** The connection to the OpenIGTLink peer, shared by every client. */
  readonly upstream: IgtlConnection;
  private readonly ownsUpstream: boolean;
  private readonly hold: Subscription;
  private readonly subs: Subscription[] = [];
  private readonly wss: WebSocketServer;
  private readonly http: HttpServer | HttpsServer;
  private readonly ownsHttp: boolean;
  private readonly acceptor: Acceptor<LiveClient>;
  private readonly clientSubs = new Map<BridgeClient, Subscription[]>();
  /** Clients that have sent something (a frame of any kind): never evicted by the lock-out rule. */
  private readonly heard = new WeakSet<LiveClient>();
  private readonly clientSubject = new Subject<BridgeClient>();
  private readonly latestTypes: ReadonlySet<string>;
  private readonly isStreamed: (msg: IgtlMessage) => boolean;
  private readonly policyOf: (msg: IgtlMessage) => SendPolicy;
  /** The clients grouped by filter, each group fed from one filtered stream (fan-out.ts). */
  private readonly groups: ClientGroups<LiveClient>;
  private messageIdCounter = 0;
  private readonly upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head);
  private readonly log: RedactingLog;
  private readonly sendRules: ClientSendRules;
  private nextId = 1;
  /** The pages' requests waiting for replies: a reply goes to the page(s) that asked (reply-routes.ts). */
  private readonly replyRoutes = new ReplyRoutes<LiveClient>(monotonicNow);
  /** Failed token attempts per client address (auth-failures.ts). */
  private readonly authFailures = new AuthFailures({}, monotonicNow);
  /** The bound on the own HTTP server's connections that are not clients (undefined on a server of the user's). */
  private readonly connectionCap: ConnectionCap | undefined;

  /** Every client as it connects (hot: earlier ones are in {@link clients}). */
  readonly clients$: Observable<BridgeClient> = this.clientSubject.asObservable();

  constructor(private readonly options: BridgeOptions = {}) {
    // Refuse an unsafe or broken configuration before opening anything.
    checkToken(options.token, options.allowWeakToken);
    const bind = options.host ?? '127.0.0.1';
    if (!options.server && options.token === undefined && !isLoopbackHost(bind)) throw new BridgeTokenRequiredError(bind);
    const token = options.token;
    this.log = redactingLog(createDebug('igtl-rx:bridge'), () => (token === undefined ? [] : [token]));
    const log = this.log;
    // Checked here: with an upstream of the user's own, nothing else checks it before the first
    // client's connection, where it threw from the upgrade handler (an uncaught exception).
    const maxMessageSize = checkMaxBodySize(options.maxMessageSize ?? 16 * 1024 * 1024, 'maxMessageSize');
    checkKeepAliveMs(options.keepAliveMs);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxFramePayload(maxMessageSize), perMessageDeflate: false, clientTracking: false });
    if (options.server) {
      this.http = options.server;
      this.ownsHttp = false;
    } else {
      const files = options.staticDir === undefined ? undefined : staticFiles(options.staticDir);
      this.http = createHttpServer(REQUEST_LIMITS, (req: IncomingMessage, res: ServerResponse) => {
        // The page gets the same Host and address checks as the WebSocket (DNS rebinding).
        const refusal = this.checkRequest(req);
        if (refusal) {
          this.log('refused %s: %s %s', remoteOf(req), req.method ?? '?', refusal.reason);
          res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
          res.end(`${redact(refusal.reason, this.secrets())}\n`);
        } else if (files) files(req, res);
        else {
          res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
          res.end('igtl-rx bridge: connect with a WebSocket\n');
        }
      });
      this.ownsHttp = true;
      this.http.on('error', (err) => log('http server error: %s', err.message));
    }
    const maxPending = checkMaxPendingConnections(options.maxPendingConnections ?? defaultMaxPendingConnections(options.maxClients ?? 32));
    this.connectionCap = this.ownsHttp
      ? capConnections(this.http, maxPending, (socket, pending) => {
          const { address, port } = remoteAddressOf(socket);
          log('cut %s:%d: %d connections that are not WebSocket clients (maxPendingConnections %d); it was the oldest', address, port, pending + 1, maxPending);
        })
      : undefined;
    // Before the peer link opens: a typo in `allow` throws with nothing to clean up.
    this.acceptor = new Acceptor<LiveClient>(this.http, {
      allow: options.allow,
      maxClients: options.maxClients ?? 32,
      // The lock-out rule, as a server's (acceptor.ts): the newest client never heard from goes.
      evict: evictNewestSilent(options.evictAfterMs ?? 5000, (c) => this.heard.has(c)),
      ownsServer: this.ownsHttp,
      // A stalled client never completes the closing handshake: give the others a moment, then cut.
      farewell: {
        graceMs: 1000,
        say: (c) => {
          const ws = c.socket;
          const gone = ws.readyState === ws.CLOSED ? Promise.resolve() : new Promise<void>((r) => ws.once('close', () => r()));
          ws.close(1001, 'bridge closing');
          return gone;
        },
      },
      closeEntry: (c) => {
        c.socket.terminate();
        c.close();
        this.drop(c);
      },
    });
    this.sendRules = clientSendRules(options);
    if (options.upstream instanceof IgtlConnection) {
      this.upstream = options.upstream;
      this.ownsUpstream = false;
    } else {
      // Relayed as sent: a browser's connection has applied its own framing rules already.
      this.upstream = connectTcp({ logNamespace: 'igtl-rx:bridge', maxBodySize: maxMessageSize, legacyEmptyQueries: false, ...options.upstream, keepOpen: true });
      this.ownsUpstream = true;
    }
    const up = this.upstream;
    this.subs.push(
      up.state$.subscribe((s) => {
        if (s.kind === 'open') log('peer %s: open', s.remote);
        else if (s.kind === 'stale') log('peer %s: stale (no data for %d ms)', s.remote, s.silentMs);
        else if (s.kind === 'reconnecting') log('peer: %s; retrying in %d ms (attempt %d)', s.reason?.message ?? 'closed', s.delayMs, s.attempt);
        else if (s.kind === 'closed') log('peer: closed%s', s.reason ? `: ${s.reason.message}` : '');
      }),
      up.errors$.subscribe((e) => {
        if (e instanceof EmptyContentError) log('peer: empty %s "%s" relayed (the peer has no such data)', e.answer.typeName, e.answer.deviceName);
        else if (!(e instanceof ConnectionError)) log('peer: bad message not relayed: %s', e.message);
      }),
      // Every client hears of every change (on joining, from accept()).
      up.state$.subscribe((s) => {
        const text = encodeBridgeFrame({ igtlRx: 'peer-state', v: BRIDGE_FRAME_VERSION, state: peerStateOfConnection(s) });
        for (const c of this.live) sendText(c.socket, text);
      }),
    );
    this.hold = up.connect();

    this.latestTypes = new Set(options.client?.latestTypes ?? DEFAULT_LATEST_TYPES);
    this.isStreamed = (m) => this.latestTypes.has(wireType(m));
    // `latest` for streamed types: a client's connection conflates only while it cannot take
    // more, so a client that keeps up still gets every pose.
    this.policyOf = (m) => (this.isStreamed(m) ? 'latest' : 'lossless');
    // Clients' codecs (the default registry, stream framing); v3 messages without an ID get one bridge-level ID.
    // A message that keeps its framing goes to the clients as the peer's own frame (fan-out.ts).
    // An empty <T> is how the peer answers a page's GET_<T> for data it does not have (query.md):
    // relayed (as the UnknownMessage the decoder made of it, re-encoded byte for byte), so that the
    // page's query learns it at once instead of at its timeout.
    const emptyAnswers$ = up.errors$.pipe(
      filter((e): e is EmptyContentError => e instanceof EmptyContentError),
      map((e): IgtlMessage => e.answer),
    );
    this.groups = new ClientGroups(
      merge(this.upstream, emptyAnswers$),
      this.isStreamed,
      { registry: defaultRegistry, maxMessageSize: undefined, nextMessageId: () => (this.messageIdCounter = (this.messageIdCounter % 0xffffffff) + 1) },
      this.policyOf,
      (msg) => up.receivedFrame(msg),
      (msg) => this.replyRoutes.recipients(msg),
    );
    this.http.on('upgrade', this.upgradeListener);
  }

  /** The live clients (the acceptor's bookkeeping). */
  private get live(): ReadonlySet<LiveClient> {
    return this.acceptor.live;
  }

  /** Clients connected now. */
  get clients(): ReadonlySet<BridgeClient> {
    return this.live;
  }

  /** The bound address (after `listen`). */
  get address(): AddressInfo {
    return this.acceptor.address;
  }

  /** The WebSocket URL of this bridge (after `listen`), e.g. `ws://127.0.0.1:18945/`. */
  get url(): string {
    const a = this.address;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `ws://${host}:${a.port}${this.options.path ?? '/'}`;
  }

  /** Starts listening (not needed when attached to your `server`); resolves with the address. */
  async listen(): Promise<AddressInfo> {
    const address = await this.acceptor.listen(this.options.port ?? DEFAULT_BRIDGE_PORT, this.options.host ?? '127.0.0.1');
    if (this.ownsHttp) this.log('listening on %s%s', this.url, this.options.staticDir === undefined ? '' : ` (serving ${this.options.staticDir})`);
    return address;
  }

  /**
   * Handles one upgrade request (for servers that route upgrades themselves): checks path,
   * Origin, token, filter and client count, then accepts or refuses with an HTTP status.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = remoteOf(req);
    const target = requestUrl(req);
    const query = target?.searchParams ?? new URLSearchParams();
    let filter: ClientFilter | undefined;
    let refusal: Refusal | undefined = this.acceptor.closing ? { status: 503, reason: 'the bridge is closing' } : (this.checkRequest(req) ?? checkWebSocketVersion(req) ?? checkOrigin(req, this.options.origins));
    if (!refusal && !target) refusal = { status: 400, reason: 'the request target is not a URL' };
    const bound = this.acceptor.boundAddress();
    if (!refusal && this.options.token === undefined && bound !== undefined && !isLoopbackHost(bound)) {
      // Attached to a server of the user's that listens beyond loopback (createBridge cannot know in advance).
      refusal = { status: 503, reason: `the server listens on ${bound}, beyond loopback, and the bridge has no token (set one)` };
    }
    if (!refusal && this.options.token !== undefined) refusal = this.checkToken(req, query);
    if (!refusal) {
      try {
        filter = parseClientFilter(query);
      } catch (err) {
        if (!(err instanceof ClientFilterError)) throw err;
        refusal = { status: 400, reason: err.message };
      }
    }
    const room = refusal ? undefined : this.acceptor.room();
    if (room?.kind === 'full') refusal = { status: 503, reason: `${room.live} clients connected (maxClients ${room.max}), none evictable yet` };
    if (refusal || !filter) {
      this.refuse(socket, remote, refusal ?? { status: 400, reason: 'bad request' });
      return;
    }
    if (room?.kind === 'evict') {
      const victim = room.entry;
      this.log('client #%d %s evicted to make room for %s: connected %d ms ago and never sent anything', victim.id, victim.remote, remote, room.connectedMs);
      victim.socket.terminate();
      victim.close();
      this.drop(victim, 'evicted');
    }
    const accepted = filter;
    // The place is held from the check on, not from accept(): the handshake may finish later,
    // or fail (ws answers a bad handshake itself and ends the socket): then it is free again.
    const release = this.acceptor.reserve();
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('close', release);
      release();
      this.accept(ws, remote, accepted, socket);
    });
    if (!socket.writable) release();
  }

  /** Closes every client (code 1001), stops listening (when it listens itself) and closes the peer link it opened. */
  async close(): Promise<void> {
    if (this.acceptor.closing) return;
    this.http.off('upgrade', this.upgradeListener);
    // Clients get 1001 (cut after a second), then the HTTP server closes when it is the bridge's.
    await this.acceptor.close();
    this.clientSubject.complete();
    this.hold.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
    if (this.ownsUpstream) this.upstream.close();
    this.wss.close();
    this.log('closed');
  }

  // -------------------------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = this.options.path;
    const at = path === undefined ? undefined : requestUrl(req)?.pathname;
    if (path !== undefined && at !== path) {
      // On a server of the user's, another upgrade listener may own this path.
      if (this.ownsHttp) this.refuse(socket, remoteOf(req), at === undefined ? { status: 400, reason: 'the request target is not a URL' } : { status: 404, reason: `no WebSocket endpoint at ${at}` });
      return;
    }
    this.handleUpgrade(req, socket, head);
  }

  /** The checks every request gets, page or WebSocket: the client's address, then the Host it asked for. */
  private checkRequest(req: IncomingMessage): Refusal | undefined {
    const { address } = remoteAddressOf(req.socket);
    if (!this.acceptor.allows(address)) return { status: 403, reason: `address ${address} is not in the allow-list` };
    return checkHost(req, this.options.allowedHosts, this.acceptor.boundAddress());
  }

  /**
   * The token check, behind the per-address limit on failures: an address that failed too often
   * gets 429 with Retry-After, whatever it presents now. The comparison stays constant-time.
   */
  private checkToken(req: IncomingMessage, query: URLSearchParams): Refusal | undefined {
    const { address } = remoteAddressOf(req.socket);
    const waitMs = this.authFailures.waitMs(address);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return { status: 429, reason: `too many wrong tokens from ${address}: try again in ${seconds} s`, headers: { 'Retry-After': String(seconds) } };
    }
    if (tokenMatches(this.options.token!, presentedToken(req, query))) return undefined;
    this.authFailures.failed(address);
    return { status: 401, reason: 'missing or wrong token' };
  }

  private secrets(): string[] {
    return this.options.token === undefined ? [] : [this.options.token];
  }

  private refuse(socket: Duplex, remote: string, refusal: Refusal): void {
    this.log('refused %s: %s', remote, refusal.reason);
    const body = `${redact(refusal.reason, this.secrets())}\n`;
    socket.end(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\n` +
        'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
        Object.entries(refusal.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('') +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  private accept(ws: WebSocket, remote: string, filter: ClientFilter, raw: Duplex): void {
    const id = this.nextId++;
    const flow: WebSocketFlowOptions = { highWaterMark: 64 * 1024, ...this.options.client };
    const client = createBridgeClient(
      id,
      remote,
      filter,
      ws,
      raw,
      {
        logNamespace: 'igtl-rx:bridge',
        // Relayed as received: v3 empty queries stay v3 (the peer's framing is the peer's choice).
        legacyEmptyQueries: false,
        // Limits not given keep the bridge's defaults (a `queue` of only `maxMessages` had the
        // connections' 16 MiB byte limit, twice what BridgeClientOptions promises).
        // Each limit left out (or given as undefined) keeps the bridge's default.
        queue: {
          ...this.options.client?.queue,
          maxMessages: this.options.client?.queue?.maxMessages ?? DEFAULT_CLIENT_QUEUE.maxMessages,
          maxBytes: this.options.client?.queue?.maxBytes ?? DEFAULT_CLIENT_QUEUE.maxBytes,
        },
        maxBodySize: this.options.maxMessageSize ?? 16 * 1024 * 1024,
      },
      flow,
      this.policyOf,
    );
    this.acceptor.add(client);
    this.connectionCap?.promote(raw);
    // Text frames carry nothing the bridge reads (OpenIGTLink travels in binary frames): a page
    // that sends one has a bug, and ignoring it (a debug line) left the page thinking it was
    // heard. 1003, "unsupported data" (RFC 6455, 7.4.1): its connection ends with the reason,
    // which connectWebSocket reports as a ConnectionError naming code and reason.
    ws.on('message', (_data, isBinary) => {
      if (isBinary || ws.readyState !== ws.OPEN) return;
      this.log('client #%d %s sent a text frame: closing it (1003)', id, remote);
      ws.close(1003, 'text frames are not accepted: OpenIGTLink travels in binary frames');
    });
    // Nothing else finds a vanished client that never pings (a plain WebSocket client) while the
    // bridge has nothing to write to it: no heartbeat, no write to stall (it was held for ever).
    const keepAliveMs = this.options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
    if (raw instanceof Socket) enableKeepAlive(raw, keepAliveMs);
    // And WebSocket pings, which find it gone also when data waits to be acknowledged (then TCP
    // keep-alive does not probe, and the kernel retransmits for about 15 minutes).
    watchClientPings(ws, keepAliveMs, (silentMs) => {
      this.log('client #%d %s answered no WebSocket ping: nothing heard from it for %ds, disconnecting it', id, remote, Math.round(silentMs / 1000));
      ws.terminate();
    });
    ws.once('message', () => this.heard.add(client));
    const log = this.log;
    log('client #%d %s connected (%s; %d clients)', id, remote, describeClientFilter(filter), this.live.size);
    // Before any relayed message: the page knows at once whether the tracker is there.
    sendText(ws, encodeBridgeFrame({ igtlRx: 'peer-state', v: BRIDGE_FRAME_VERSION, state: peerStateOfConnection(this.upstream.state) }));
    this.groups.join(client);
    const subs: Subscription[] = [];
    subs.push(
      client.errors$.subscribe((err) => {
        if (err.code === 'queue-full') {
          log('client #%d %s is too slow (%s): disconnecting it', id, remote, err.message);
          ws.terminate();
        } else if (err instanceof DesyncError) {
          // The client's connection closes now; the close frame says why. Without this it was
          // 1000 (the channel's teardown), which a page takes for an ordinary end ("closed by
          // the peer"), learning nothing of the bytes it sent. 1007: the payload is not valid
          // data (RFC 6455, 7.4.1). The teardown's own close() is then a no-op.
          log('client #%d %s sent bytes that are not OpenIGTLink (%s): closing it (1007)', id, remote, err.message);
          ws.close(1007, closeReason(err.message));
        } else if (err instanceof BodyTooLargeError) {
          // Over the limit, as a frame over it was (ws's maxPayload): 1009, message too big
          // (RFC 6455, 7.4.1), so the page learns why its message went nowhere.
          log('client #%d %s sent a message over the limit (%s): closing it (1009)', id, remote, err.message);
          ws.close(1009, closeReason(err.message));
        } else if (!(err instanceof ConnectionError)) {
          log('client #%d %s: bad message not relayed: %s', id, remote, err.message);
        }
      }),
    );
    const gate = clientSendGate(this.sendRules);
    // One notice per (type, device, why) per second, one log line per (type, device, why):
    // a page streaming refused poses at 1 kHz must not get (or cause) 1,000 lines a second,
    // nor a page naming every message anew grow the bridge's memory (refusal-notices.ts).
    const notices = new RefusalNotices();
    subs.push(
      client.subscribe({
        next: (msg) => {
          const verdict = gate(msg);
          if (!verdict) {
            this.replyRoutes.asked(client, msg);
            this.upstream.next(msg);
            return;
          }
          client.refused++;
          const type = wireType(msg);
          const decision = notices.refused(`${verdict.kind}\0${type}\0${msg.deviceName}`, monotonicNow());
          if (decision.log) log('client #%d %s sends %s "%s": refused (%s)', id, remote, type, msg.deviceName, verdict.reason);
          if (decision.overflow) log('client #%d %s: refusals of more than %d kinds (type, device) within a second: not told or logged one by one (still counted)', id, remote, MAX_NOTICED_KINDS);
          if (decision.notify) sendText(ws, encodeBridgeFrame({ igtlRx: 'refused', v: BRIDGE_FRAME_VERSION, type, deviceName: msg.deviceName, reason: verdict.reason }));
        },
        error: (err: Error) => this.drop(client, err.message),
        complete: () => this.drop(client),
      }),
    );
    this.clientSubs.set(client, subs);
    this.clientSubject.next(client);
  }

  private drop(client: LiveClient, why?: string): void {
    if (!this.acceptor.remove(client)) return;
    this.groups.leave(client);
    this.replyRoutes.forget(client);
    for (const s of this.clientSubs.get(client) ?? []) s.unsubscribe();
    this.clientSubs.delete(client);
    const q = client.queueStatus;
    this.log(
      'client #%d %s left after %ds%s (%d messages relayed, %d replaced by newer ones, %d dropped, %d refused; %d clients)',
      client.id,
      client.remote,
      Math.round((Date.now() - client.connectedAt) / 1000),
      why ? `: ${why}` : '',
      client.relayed,
      q.replaced,
      q.dropped,
      client.refused,
      this.live.size,
    );
  }
}

/**
 * The request target as a URL, or undefined when it is none (`GET http://[ HTTP/1.1` passes
 * Node's parser): `new URL` throws on it, and thrown from the upgrade listener, before any
 * check, it ended the bridge process.
 */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://bridge');
  } catch {
    return undefined;
  }
}

/** `address:port` of a request's client (IPv4-mapped addresses in their IPv4 form). */
function remoteOf(req: IncomingMessage): string {
  const { address, port } = remoteAddressOf(req.socket);
  return `${address}:${port}`;
}

/** A close frame's reason: at most 123 bytes of UTF-8 (RFC 6455, 5.5.1); `ws` throws on more. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}

/** Sends a text frame (a notice) to an open client; nothing once it is closing. */
function sendText(ws: WebSocket, text: string): void {
  if (ws.readyState === ws.OPEN) ws.send(text);
}

/**
 * Creates a bridge between one OpenIGTLink TCP peer and WebSocket clients. Throws
 * {@link BridgeTokenRequiredError} when it would listen beyond loopback without a token. Call `listen()` to
 * start it (or pass `server` to attach it to an HTTP server of yours). See docs/bridge.md.
 *
 * @example
 * const bridge = createBridge({ upstream: { host: '127.0.0.1', port: 18944 }, port: 18945 });
 * await bridge.listen();
 * // in a page: connectWebSocket('ws://127.0.0.1:18945/?type=TRANSFORM&rate=30')
 */
export function createBridge(options: BridgeOptions = {}): IgtlBridge {
  return new IgtlBridge(options);
}
