// The bridge: one OpenIGTLink TCP peer (3D Slicer, PLUS, `igtl-rx simulate`) <-> any number of
// WebSocket clients (browser tabs), both ways. This file admits clients and keeps count of them;
// each concern has its own module:
//
//   bridge-options.ts    the options, their defaults and checks
//   own-http-server.ts   the HTTP server the bridge opens when not given one (pages, limits)
//   upgrade-checks.ts    who may open a WebSocket, in which order (security.ts, token-gate.ts)
//   http-refusals.ts     how a refusal is answered
//   peer-link.ts         the link to the peer, and its state told to every client
//   relay.ts, fan-out.ts the peer's messages to the clients (the hot path)
//   client-session.ts    one client: its connection, liveness, close codes, and its sends
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
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import createDebug from 'debug';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IgtlConnection } from '../connection/connection.js';
import { monotonicNow } from '../protocol/clock.js';
import { Acceptor, evictNewestSilent } from '../transport/acceptor.js';
import { AuthFailures } from './auth-failures.js';
import { DEFAULT_LATEST_TYPES, bridgeSettings, type BridgeOptions, type BridgeSettings } from './bridge-options.js';
import type { ClientFilter } from './client-filter.js';
import { createBridgeClient, startClientSession, type LiveClient } from './client-session.js';
import type { BridgeClient } from './bridge-client.js';
import type { ConnectionCap } from './connection-cap.js';
import type { ClientGroups } from './fan-out.js';
import { refuseUpgrade, remoteOf } from './http-refusals.js';
import { ownHttpServer } from './own-http-server.js';
import { PeerLink } from './peer-link.js';
import { redactingLog, type RedactingLog } from './redact.js';
import { createRelay } from './relay.js';
import { ReplyRoutes } from './reply-routes.js';
import { chooseSubprotocol, type Refusal } from './security.js';
import { TokenGate } from './token-gate.js';
import { UpgradeChecks, requestUrl } from './upgrade-checks.js';

export { BridgeTokenRequiredError } from './security.js';
export { DEFAULT_BRIDGE_PORT, DEFAULT_LATEST_TYPES, type BridgeClientOptions, type BridgeOptions } from './bridge-options.js';
export type { BridgeClient } from './bridge-client.js';

/** A running bridge. */
export class IgtlBridge {
  /** The connection to the OpenIGTLink peer, shared by every client. */
  readonly upstream: IgtlConnection;
  private readonly settings: BridgeSettings;
  private readonly peer: PeerLink;
  private readonly wss: WebSocketServer;
  private readonly http: HttpServer | HttpsServer;
  private readonly ownsHttp: boolean;
  private readonly acceptor: Acceptor<LiveClient>;
  private readonly checks: UpgradeChecks<LiveClient>;
  private readonly clientSubs = new Map<BridgeClient, Subscription[]>();
  /** Clients that have sent something (a frame of any kind): never evicted by the lock-out rule. */
  private readonly heard = new WeakSet<LiveClient>();
  private readonly clientSubject = new Subject<BridgeClient>();
  private readonly policyOf: ReturnType<typeof createRelay>['policyOf'];
  /** The clients grouped by filter, each group fed from one filtered stream (fan-out.ts). */
  private readonly groups: ClientGroups<LiveClient>;
  private readonly upgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head);
  private readonly log: RedactingLog;
  private nextId = 1;
  /** The pages' requests waiting for replies: a reply goes to the page(s) that asked (reply-routes.ts). */
  private readonly replyRoutes = new ReplyRoutes<LiveClient>(monotonicNow);
  /** The bound on the own HTTP server's connections that are not clients (undefined on a server of the user's). */
  private readonly connectionCap: ConnectionCap | undefined;

  /** Every client as it connects (hot: earlier ones are in {@link clients}). */
  readonly clients$: Observable<BridgeClient> = this.clientSubject.asObservable();

  constructor(private readonly options: BridgeOptions = {}) {
    // Refuse an unsafe or broken configuration before opening anything.
    const settings = (this.settings = bridgeSettings(options));
    this.log = redactingLog(createDebug('igtl-rx:bridge'), () => this.secrets());
    // Answers `igtl-rx` to a page that offers its token as a subprotocol, never the token entry.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxFramePayload, perMessageDeflate: false, clientTracking: false, handleProtocols: chooseSubprotocol });
    if (options.server) {
      this.http = options.server;
      this.ownsHttp = false;
      this.connectionCap = undefined;
    } else {
      const own = ownHttpServer({ staticDir: options.staticDir, check: (req) => this.checks.request(req), maxPendingConnections: settings.maxPendingConnections, log: this.log, secrets: this.secrets() });
      this.http = own.http;
      this.ownsHttp = true;
      this.connectionCap = own.connectionCap;
    }
    // Before the peer link opens: a typo in `allow` throws with nothing to clean up.
    this.acceptor = new Acceptor<LiveClient>(this.http, {
      allow: options.allow,
      maxClients: settings.maxClients,
      // The lock-out rule, as a server's (acceptor.ts): the newest client never heard from goes.
      evict: evictNewestSilent(settings.evictAfterMs, (c) => this.heard.has(c)),
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
    const tokenGate = options.token === undefined ? undefined : new TokenGate(options.token, new AuthFailures(settings.authFailureLimits, monotonicNow), settings.clientAddressOf);
    this.checks = new UpgradeChecks(this.acceptor, options, tokenGate);
    this.peer = new PeerLink(options.upstream, settings.maxMessageSize, this.log, () => this.sockets());
    this.upstream = this.peer.upstream;
    const relay = createRelay<LiveClient>(this.peer.messages$, this.upstream, options.client?.latestTypes ?? DEFAULT_LATEST_TYPES, (msg) => this.replyRoutes.recipients(msg));
    this.groups = relay.groups;
    this.policyOf = relay.policyOf;
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
    const address = await this.acceptor.listen(this.settings.port, this.settings.bind);
    if (this.ownsHttp) this.log('listening on %s%s', this.url, this.options.staticDir === undefined ? '' : ` (serving ${this.options.staticDir})`);
    return address;
  }

  /**
   * Handles one upgrade request (for servers that route upgrades themselves): checks path,
   * Origin, token, filter and client count, then accepts or refuses with an HTTP status.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = remoteOf(req);
    const verdict = this.checks.upgrade(req);
    if (verdict.refusal) {
      this.refuse(socket, remote, verdict.refusal);
      return;
    }
    const { filter: accepted, room } = verdict;
    if (room.kind === 'evict') {
      const victim = room.entry;
      this.log('client #%d %s evicted to make room for %s: connected %d ms ago and never sent anything', victim.id, victim.remote, remote, room.connectedMs);
      victim.socket.terminate();
      victim.close();
      this.drop(victim, 'evicted');
    }
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
    this.peer.close();
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

  private secrets(): string[] {
    return this.options.token === undefined ? [] : [this.options.token];
  }

  /** The sockets of the live clients (to tell them the peer's state). */
  private *sockets(): Iterable<WebSocket> {
    for (const c of this.live) yield c.socket;
  }

  private refuse(socket: Duplex, remote: string, refusal: Refusal): void {
    this.log('refused %s: %s', remote, refusal.reason);
    refuseUpgrade(socket, refusal, this.secrets());
  }

  private accept(ws: WebSocket, remote: string, filter: ClientFilter, raw: Duplex): void {
    const id = this.nextId++;
    const settings = this.settings;
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
        queue: settings.clientQueue,
        maxBodySize: settings.maxMessageSize,
      },
      settings.clientFlow,
      this.policyOf,
    );
    this.acceptor.add(client);
    this.connectionCap?.promote(raw);
    const subs = startClientSession(client, raw, {
      log: this.log,
      keepAliveMs: settings.keepAliveMs,
      sendRules: settings.sendRules,
      upstream: this.upstream,
      replyRoutes: this.replyRoutes,
      liveCount: () => this.live.size,
      tellPeerState: (socket) => this.peer.tellJoining(socket),
      join: (c) => this.groups.join(c),
      heard: (c) => this.heard.add(c),
      drop: (c, why) => this.drop(c, why),
    });
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
