// The options of a bridge: what `createBridge` takes, its defaults, and the checks that turn
// nonsense into an InvalidOptionError before anything opens (a socket, a timer, the peer link).
// One place for them, so the bridge, the CLI and the docs read the same defaults.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { IgtlConnection, ConnectionOptions } from '../connection/connection.js';
import { checkKeepAliveMs } from '../connection/options.js';
import type { QueueLimits } from '../connection/send-queue.js';
import { HEADER_SIZE } from '../protocol/constants.js';
import { InvalidOptionError } from '../protocol/errors.js';
import { checkMaxBodySize } from '../protocol/framer.js';
import type { TcpOptions } from '../transport/tcp.js';
import { DEFAULT_BATCH_BYTES, type WebSocketFlowOptions } from '../transport/websocket.js';
import { checkAuthFailureLimits, type AuthFailureLimits } from './auth-failures.js';
import { clientSendRules, type ClientSendRules } from './client-sends.js';
import { clientAddressReader, type ClientAddressOf } from './forwarded-for.js';
import { checkMaxPendingConnections, defaultMaxPendingConnections } from './connection-cap.js';
import { BridgeTokenRequiredError, checkToken, isLoopbackHost } from './security.js';

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
   * A token clients must present: as a subprotocol (`new WebSocket(url, ['igtl-rx',
   * 'token.<token>'])`, connectWebSocket's `token` option: kept out of the URL), as
   * `Authorization: Bearer ...` (Node clients), or as `?token=...` in the URL (the fallback,
   * which logs, browser history and Referer headers may keep). Required when the bridge listens
   * beyond loopback. Never written to a log line.
   */
  readonly token?: string;
  /**
   * The limit on wrong (or missing) tokens per client address (default: 10 at once, then one per
   * 6 s; 4,096 addresses remembered). Beyond it an address gets 429 with Retry-After, also with
   * the right token. Behind a reverse proxy every client has the proxy's address and so shares
   * one count: there let the proxy authenticate and limit (docs/bridge.md). An InvalidOptionError
   * for a limit that is none (a burst of 0 or NaN, a refill of 0 ms).
   */
  readonly authFailureLimits?: AuthFailureLimits;
  /**
   * Addresses and CIDR ranges of reverse proxies in front of the bridge (default: none). On a
   * request from one of them, the wrong-token limit counts the client that `X-Forwarded-For`
   * names (the first address from the right that is not a listed proxy) instead of the proxy, so
   * one guesser behind the proxy no longer makes every page wait. Any client can write the header,
   * so it is read only on requests from these addresses. Only the wrong-token limit reads it:
   * `allow` still applies to the address that connects (the proxy). Needs a `token` (else an
   * InvalidOptionError: behind a proxy, loopback says nothing of who is asking).
   */
  readonly trustProxy?: readonly string[];
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

/** Largest message body relayed either way unless `maxMessageSize` says otherwise. */
const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/** Default `keepAliveMs` of the bridge's clients: a server's sessions' (server.ts). */
export const DEFAULT_KEEPALIVE_MS = 10_000;

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

/** The options of a bridge, checked, with every default filled in. */
export interface BridgeSettings {
  readonly bind: string;
  readonly port: number;
  readonly maxMessageSize: number;
  /** The largest WebSocket frame a client may send (see maxFramePayload). */
  readonly maxFramePayload: number;
  readonly keepAliveMs: number;
  readonly maxClients: number;
  readonly maxPendingConnections: number;
  readonly evictAfterMs: number;
  readonly sendRules: ClientSendRules;
  readonly authFailureLimits: AuthFailureLimits;
  /** Whose attempt a request is, for the wrong-token limit (trustProxy). */
  readonly clientAddressOf: ClientAddressOf;
  /** Each client's queue limits: each one left out (or given as undefined) keeps the bridge's default. */
  readonly clientQueue: QueueLimits;
  /** Each client's channel: 64 KiB high-water mark unless `client` says otherwise. */
  readonly clientFlow: WebSocketFlowOptions;
}

/**
 * Checks `options` and fills in the defaults; throws an InvalidOptionError (or
 * BridgeTokenRequiredError) for an unsafe or broken configuration, before anything is opened.
 */
export function bridgeSettings(options: BridgeOptions): BridgeSettings {
  checkToken(options.token, options.allowWeakToken);
  const bind = options.host ?? '127.0.0.1';
  if (!options.server && options.token === undefined && !isLoopbackHost(bind)) throw new BridgeTokenRequiredError(bind);
  // Checked here: with an upstream of the user's own, nothing else checks it before the first
  // client's connection, where it threw from the upgrade handler (an uncaught exception).
  const maxMessageSize = checkMaxBodySize(options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE, 'maxMessageSize');
  checkKeepAliveMs(options.keepAliveMs);
  // trustProxy only changes whose wrong tokens are counted: without a token it would do nothing,
  // silently, on a bridge that then lets in whoever the proxy lets in (loopback says nothing of
  // who is behind a proxy).
  if (options.trustProxy !== undefined && options.token === undefined) {
    throw new InvalidOptionError('trustProxy', 'a bridge behind a reverse proxy needs a token (token / --token / IGTL_RX_BRIDGE_TOKEN): trustProxy only changes whose wrong tokens are counted');
  }
  const maxClients = options.maxClients ?? 32;
  return {
    bind,
    port: options.port ?? DEFAULT_BRIDGE_PORT,
    maxMessageSize,
    maxFramePayload: maxFramePayload(maxMessageSize),
    keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
    maxClients,
    maxPendingConnections: checkMaxPendingConnections(options.maxPendingConnections ?? defaultMaxPendingConnections(maxClients)),
    evictAfterMs: options.evictAfterMs ?? 5000,
    sendRules: clientSendRules(options),
    authFailureLimits: checkAuthFailureLimits(options.authFailureLimits),
    clientAddressOf: clientAddressReader(options.trustProxy),
    clientQueue: {
      ...options.client?.queue,
      // Limits not given keep the bridge's defaults (a `queue` of only `maxMessages` had the
      // connections' 16 MiB byte limit, twice what BridgeClientOptions promises).
      maxMessages: options.client?.queue?.maxMessages ?? DEFAULT_CLIENT_QUEUE.maxMessages,
      maxBytes: options.client?.queue?.maxBytes ?? DEFAULT_CLIENT_QUEUE.maxBytes,
    },
    clientFlow: { highWaterMark: 64 * 1024, ...options.client },
  };
}
