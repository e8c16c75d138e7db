// WebSocket transport (browser and Node): OpenIGTLink bytes in binary WebSocket frames.
//
// A frame carries raw OpenIGTLink bytes: one or more whole messages, or a part of one. Frame
// boundaries mean nothing; the connection's framer (MessageDecoder) reassembles messages exactly
// as it does for a TCP byte stream, so this is a `stream` channel.
//
// Reconnection -- a deliberate choice. reconnecting-websocket (RWS) 4.4.0 has its own retry loop
// (its own backoff, no jitter, an unbounded replay queue, plain setTimeout timers); IgtlConnection
// has one too (backoff with jitter, maxAttempts, state$ with attempt and delay, scheduler-driven
// and so marble-testable), and the ChannelFactory contract is "one subscription = one attempt".
// Two retry loops stacked on one connection would fight (RWS reconnecting behind the back of a
// connection that believes it is closed, state$ lying about it). So IgtlConnection owns
// reconnection and RWS is used ONE INSTANCE PER ATTEMPT with `maxRetries: 0`: state$, backoff,
// send policies and errors$ then behave exactly as for TCP. What RWS still gives us per attempt:
// the URL provider (a function, sync or async, called per attempt: a fresh auth token each time),
// its connection timeout, and one place for the WebSocket implementation (`WebSocket: ws` in Node).
// RWS is configured deliberately, because its defaults do not suit a send queue of our own:
//   - maxEnqueuedMessages: 0 -- its default (Infinity) queues sends made while not open and
//     replays them, stale, on the next open; our send policies own queuing.
//   - binaryType = 'arraybuffer' is set on the instance (it is not a constructor option; RWS
//     copies it to each socket it creates). The default, 'blob', would need async reads.
//   - Its quirks (seen in 4.4.0, pinned by test/unit/websocket): a failure is reported as a
//     synthetic clean close (code 1000) FOLLOWED by the error event, so the close is judged one
//     microtask later; and on a connect timeout it closes a still-connecting `ws` socket after
//     removing its listeners, which makes `ws` emit an 'error' nobody listens to -- a crash in
//     Node. Each socket created for RWS therefore gets a no-op 'error' listener of its own.
//
// Backpressure: browsers have no 'drain' event for WebSockets, only `bufferedAmount`. write()
// returns false above a high-water mark, and `bufferedAmount` is then polled (on the RxJS
// scheduler, so tests can drive it) until it falls to the low-water mark, which emits 'drain'.
//
// Browser-safe: no Node built-ins and no import of `ws` (Node users pass it: `WebSocket: ws`).
import createDebug from 'debug';
import * as rwsModule from 'reconnecting-websocket';
import type { Options as RwsOptions } from 'reconnecting-websocket';
import { BehaviorSubject, Observable, Subject, interval, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { monotonicScheduler } from '../connection/scheduler.js';
import type { ByteChannel, ChannelEvent, ChannelFactory } from '../connection/channel.js';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { CLIENT_HEARTBEAT, DEFAULT_KEEPALIVE_MS, checkConnectTimeoutMs, checkKeepAliveMs } from '../connection/options.js';
import { ConnectionError, DeadPeerError, InvalidOptionError } from '../protocol/errors.js';
import { checkTlsMaterial, warnUnverified, type CreateSecureContext } from './tls-client-checks.js';
import { tokenSubprotocols } from './bridge-token.js';
import { UNKNOWN_PEER_STATE, parseBridgeFrame, trackPeerState, type PeerState, type SendRefusal } from './peer-state.js';
import { handleQueueSize } from './write-queue.js';

export * from './peer-state.js';

// The package ships CommonJS (`module.exports = Class`) to Node and an ES module (`export
// default Class`) to bundlers, with one .d.ts declaring `export default`. Its types therefore
// disagree with its run-time shape under NodeNext (and with each other under NodeNext and bundler
// resolution), while at run time the namespace's `default` is the class in Node and in bundlers.
// So the class is found at run time and typed by the part of it this transport uses.
interface RwsInstance extends WebSocketLike {
  binaryType: BinaryType;
}
type RwsConstructor = new (url: string | (() => Promise<string>), protocols: string | string[] | undefined, options: RwsOptions) => RwsInstance;

function rwsClass(mod: object): RwsConstructor {
  let c: unknown = (mod as { default?: unknown }).default;
  if (typeof c !== 'function') c = (c as { default?: unknown } | undefined)?.default; // double interop
  if (typeof c !== 'function') throw new TypeError('igtl-rx: reconnecting-websocket exports no class');
  return c as RwsConstructor;
}

const ReconnectingWebSocket = rwsClass(rwsModule);

const log = createDebug('igtl-rx:websocket');

/** The `message` event as this transport reads it. @inline */
interface MessageEventLike {
  readonly data: unknown;
}

/** The `close` event as this transport reads it. @inline */
interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** The `error` event (browsers give no details, `ws` and RWS give a message). @inline */
interface ErrorEventLike {
  readonly message?: string;
}

/**
 * The part of the W3C WebSocket interface this transport uses. Browsers' `WebSocket`, the `ws`
 * package's `WebSocket` (client or server side) and reconnecting-websocket all fit.
 */
export interface WebSocketLike {
  readonly bufferedAmount: number;
  /** Queues bytes to send as one binary message. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Closes the socket (with a close code and reason). */
  close(code?: number, reason?: string): void;
  /** Listens for incoming messages. */
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  /** Listens for the close. */
  addEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  /** Listens for errors. */
  addEventListener(type: 'error', listener: (event: ErrorEventLike) => void): void;
  /** Listens for the open. */
  addEventListener(type: 'open', listener: () => void): void;
  /** Removes a `message` listener. */
  removeEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
  /** Removes a `close` listener. */
  removeEventListener(type: 'close', listener: (event: CloseEventLike) => void): void;
  /** Removes an `error` listener. */
  removeEventListener(type: 'error', listener: (event: ErrorEventLike) => void): void;
  /** Removes an `open` listener. */
  removeEventListener(type: 'open', listener: () => void): void;
  /** Stops reading from the network (`ws` in Node has it: real TCP flow control). */
  pause?(): void;
  /** Resumes reading. */
  resume?(): void;
}

/** A WebSocket class: the browser's global `WebSocket`, or `ws`'s default export in Node. */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
  readonly CLOSING: number;
}

/**
 * `ws`'s constructor as the TLS settings reach it: as its third argument (its own types ask for
 * Node's Buffer where these take any Uint8Array, which Node's TLS accepts as well).
 */
type WebSocketConstructorWithTls = new (url: string, protocols: string | string[] | undefined, options: WebSocketTlsClientOptions) => WebSocketLike;

/** PEM text or its bytes (a Buffer read from a file), one or several. */
export type TlsMaterial = string | Uint8Array | (string | Uint8Array)[];

/**
 * TLS settings of a `wss://` connection in Node, with `ws` (what `connectTls` takes in `tls`,
 * passed to `tls.connect`): the CA that signed a bridge's certificate, a client certificate,
 * the name to verify. Certificates are always verified (`allowUnverifiedCertificate` aside).
 */
export interface WebSocketTlsOptions {
  /** CA certificates to trust instead of Node's list (a private CA that signed the server's certificate). */
  readonly ca?: TlsMaterial;
  /** Client certificate chain (for a server that asks for one). */
  readonly cert?: TlsMaterial;
  /** Private key of the client certificate. */
  readonly key?: TlsMaterial;
  /** Passphrase of `key` or `pfx`. */
  readonly passphrase?: string;
  /** PFX / PKCS#12 bundle of the client's key and certificate. */
  readonly pfx?: TlsMaterial;
  /** Name the certificate must carry, and SNI (default: the URL's host name). */
  readonly servername?: string;
  /** Oldest TLS version to accept (Node's default: TLSv1.2). */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Newest TLS version to offer (Node's default: TLSv1.3). */
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** What reaches `ws`'s constructor: the TLS settings, and verification, on unless said so. @inline */
export interface WebSocketTlsClientOptions extends WebSocketTlsOptions {
  readonly rejectUnauthorized: boolean;
}

/**
 * Where to connect: a `ws://` / `wss://` URL, or a function returning one (possibly async),
 * called before each attempt (e.g. to put a fresh token in the query string).
 */
export type WebSocketUrl = string | URL | (() => string | Promise<string>);

/** Backpressure of a WebSocket channel. */
export interface WebSocketFlowOptions {
  /** write() returns false once `bufferedAmount` exceeds this many bytes (default 1 MiB). */
  readonly highWaterMark?: number;
  /** 'drain' is emitted when `bufferedAmount` falls to this many bytes (default highWaterMark / 4). */
  readonly lowWaterMark?: number;
  /** How often `bufferedAmount` is polled while blocked, ms (default 10). */
  readonly drainPollMs?: number;
  /**
   * Largest frame that several small messages written in one batch are merged into (default
   * 64 KiB; 0 = one frame per message). Fewer frames mean fewer `message` events in a page.
   */
  readonly maxBatchBytes?: number;
  /**
   * Most bytes held while reading is paused (default 64 MiB). A browser cannot stop reading a
   * WebSocket, so what arrives while paused (`pauseReading()`, a `messages()` consumer behind)
   * is held in the page; past this the channel ends with a ConnectionError (and reconnects as
   * configured) instead of growing until the tab runs out of memory.
   */
  readonly maxHeldBytes?: number;
  /** Scheduler of the drain polling and of the URL function's time-out (tests pass a virtual-time scheduler). */
  readonly scheduler?: SchedulerLike;
}

/** Options of {@link webSocketChannel} and {@link connectWebSocket}. */
export interface WebSocketOptions extends WebSocketFlowOptions {
  /**
   * The WebSocket implementation (default: the global `WebSocket`). Node 20 has none: pass
   * `WebSocket` from the `ws` package (`import WebSocket from 'ws'`).
   */
  readonly WebSocket?: WebSocketConstructor;
  /** Subprotocols to offer. */
  readonly protocols?: string | string[];
  /**
   * The token of an igtl-rx bridge, presented as a subprotocol (`igtl-rx`, `token.<token>`)
   * instead of `?token=` in the URL, where server logs, browser history and Referer headers keep
   * it (bridge-token.ts). Letters, digits and `!#$%&'*+-.^_\`|~` only (a hex token fits), else an
   * InvalidOptionError; the bridge answers with `igtl-rx`.
   */
  readonly token?: string;
  /** Give up one connection attempt after this long, ms (default 5000); a URL function gets as long again to answer. */
  readonly connectTimeoutMs?: number;
  /**
   * Called with each TEXT frame received (OpenIGTLink travels in binary frames; an igtl-rx
   * bridge sends JSON notices in text frames, which `connectWebSocket` reads for you). What it
   * throws ends the attempt with a ConnectionError (`cause`: the thrown value); the connection
   * reconnects as configured.
   */
  readonly onText?: (text: string) => void;
  /**
   * TLS settings of a `wss://` URL, in Node with `ws` (as `connectTls`'s `tls`): e.g.
   * `{ ca: readFileSync('bridge-ca.pem') }` for a bridge whose certificate a private CA signed.
   * A browser verifies by its own certificate store and takes none: with the global WebSocket
   * this is an InvalidOptionError (given to it, it would be ignored without a word).
   */
  readonly tls?: WebSocketTlsOptions;
  /**
   * Accept a server certificate that does not verify (self-signed, wrong name): as
   * `connectTls`'s, off by default, lab set-ups only, and said with a process warning
   * (`IGTLRX_TLS_UNVERIFIED`) once per connection. Node with `ws` only, as `tls`.
   */
  readonly allowUnverifiedCertificate?: boolean;
  /**
   * TCP keep-alive under the WebSocket, in Node with `ws`: idle time before the kernel probes the
   * link, ms (default 10 000, as `connectTcp`'s; 0 or less = off). A server whose machine
   * vanished (no FIN, no RST) is found about 20 s after the last packet, a `DeadPeerError`
   * (rule `keepalive`), also when it is not an igtl-rx bridge and so never answers the
   * heartbeat. A browser keeps its own sockets and takes none.
   */
  readonly keepAliveMs?: number;
}

const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const EMPTY_CHUNK = new Uint8Array(0);
const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;
/** Default `maxBatchBytes`: the largest frame a sender joins small messages into (a server must accept it). */
export const DEFAULT_BATCH_BYTES = 64 * 1024;

/** The URL without its query and fragment (which may hold a token), for logs. */
export function describeWebSocketUrl(url: WebSocketUrl): string {
  if (typeof url === 'function') return 'websocket';
  const text = String(url);
  try {
    const u = new URL(text);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return text.replace(/[?#].*$/, '');
  }
}

/**
 * A channel factory for WebSockets: each subscription is one connection attempt, made with a
 * reconnecting-websocket instance that never retries by itself (the connection retries, with
 * its own backoff: see the comment at the top of this file).
 */
export function webSocketChannel(url: WebSocketUrl, options: WebSocketOptions = {}): ChannelFactory {
  const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  // A typed error, as for every option igtl-rx cannot honour (it was a bare TypeError).
  if (!impl) throw new InvalidOptionError('WebSocket', 'no WebSocket implementation here; in Node 20 pass { WebSocket } from the "ws" package');
  checkConnectTimeoutMs(options.connectTimeoutMs);
  checkKeepAliveMs(options.keepAliveMs);
  const remote = describeWebSocketUrl(url);
  const tls = tlsClientOptions(impl, options, remote);
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const scheduler = options.scheduler ?? monotonicScheduler;
  const protocols = withToken(options.protocols, options.token);
  return () =>
    new Observable<ChannelEvent>((subscriber) => {
      let native: WebSocketLike | undefined;
      // A URL function that throws, rejects or does not settle within connectTimeoutMs fails
      // this attempt. (Inside RWS a rejection would be unhandled, and RWS's own time-out starts
      // only once it has the URL: one that never came, a token server that hangs, left the
      // connection `connecting` for ever.)
      let urlTimer: Subscription | undefined;
      const failAttempt = (err: ConnectionError): Promise<string> => {
        subscriber.error(err);
        return new Promise<string>(noop);
      };
      const provider =
        typeof url === 'function'
          ? () =>
              new Promise<string>((resolve, reject) => {
                urlTimer = scheduler.schedule(() => reject(new ConnectionError(`${remote}: the URL function did not answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
                Promise.resolve()
                  .then(url)
                  .then(resolve, (err: unknown) => reject(new ConnectionError(`${remote}: the URL function failed: ${err instanceof Error ? err.message : String(err)}`, err)));
              })
                .finally(() => urlTimer?.unsubscribe())
                .catch(failAttempt)
          : String(url);
      const rws = new ReconnectingWebSocket(provider, protocols, {
        WebSocket: observed(
          impl,
          tls,
          (ws) => {
            native = ws;
          },
          // After RWS has armed its connect timer (it does so once the constructor returns), so
          // the teardown's rws.close() clears it.
          (err) => queueMicrotask(() => subscriber.error(new ConnectionError(`${remote}: cannot open a WebSocket: ${err instanceof Error ? err.message : String(err)}`, err))),
        ),
        maxRetries: 0,
        maxEnqueuedMessages: 0,
        connectionTimeout: connectTimeoutMs,
        minReconnectionDelay: 0,
      });
      rws.binaryType = 'arraybuffer';
      const wiring = wire(rws, remote, subscriber, options, () => native, false, connectTimeoutMs, options.onText, keepAliveMs);
      return () => {
        urlTimer?.unsubscribe();
        wiring.teardown();
        rws.close(1000);
      };
    });
}

/**
 * An already open WebSocket (e.g. a server's side of one, from `ws`'s WebSocketServer) as a
 * one-shot channel: emits `open` at once, then `data`/`drain`; completes when the socket closes
 * cleanly. Unsubscribing closes the socket. A second subscription completes at once.
 */
export function openWebSocketChannel(socket: WebSocketLike, remote: string, options: WebSocketFlowOptions = {}): Observable<ChannelEvent> {
  let used = false;
  swallowEmitterErrors(socket);
  return new Observable<ChannelEvent>((subscriber) => {
    if (used) {
      subscriber.complete();
      return;
    }
    used = true;
    const wiring = wire(socket, remote, subscriber, options, () => socket, true, undefined);
    return () => {
      wiring.teardown();
      socket.close(1000);
    };
  });
}

/**
 * A connection through a WebSocket: the same {@link IgtlConnection} as over TCP, plus what an
 * igtl-rx bridge says beside the OpenIGTLink bytes (docs/bridge.md, "Text frames").
 */
export type WebSocketConnection = IgtlConnection & {
  /**
   * The state of the bridge's OpenIGTLink peer (the tracker): replays the latest to each new
   * subscriber. `unknown` while this WebSocket is not open, or when the server sends no peer
   * state (it is not an igtl-rx bridge). Never completes (a closed connection may connect again).
   */
  readonly peerState$: Observable<PeerState>;
  /** The latest value of `peerState$`. */
  readonly peerState: PeerState;
  /** Messages of this client that the bridge refused to send to its peer, and why (hot). */
  readonly refused$: Observable<SendRefusal>;
};

/**
 * Connects to an OpenIGTLink peer through a WebSocket (an `igtl-rx bridge`, or any server that
 * relays OpenIGTLink bytes in binary frames). The same Observable connection as `connectTcp`:
 * lazy, shared, send policies, state$, errors$, reconnection with backoff; plus `peerState$`,
 * the state of the bridge's own peer, and `refused$`.
 *
 * @example
 * // In a page:
 * const conn = connectWebSocket('ws://127.0.0.1:18945/?type=TRANSFORM');
 * conn.peerState$.subscribe((s) => badge(s.kind)); // unknown, connecting, open, stale, reconnecting, closed
 * // In Node 20:
 * import WebSocket from 'ws';
 * const conn = connectWebSocket('ws://127.0.0.1:18945/', { WebSocket });
 */
export function connectWebSocket(url: WebSocketUrl, options: WebSocketOptions & ConnectionOptions = {}): WebSocketConnection {
  const peerStateTexts = new Subject<string>();
  const refused$ = new Subject<SendRefusal>();
  const onText = (text: string) => {
    options.onText?.(text);
    const frame = parseBridgeFrame(text); // logs (debug) and drops what it cannot read
    if (frame?.igtlRx === 'refused') refused$.next(frame);
    else if (frame?.igtlRx === 'peer-state') peerStateTexts.next(text);
  };
  // The heartbeat of every client: an igtl-rx bridge answers it itself (it never reaches the
  // peer, and a read-only bridge does not count it as a client send), so a bridge that stops
  // or vanishes is found, where its silence alone could not be told from a silent tracker.
  const conn = new IgtlConnection(webSocketChannel(url, { ...options, onText }), { logNamespace: 'igtl-rx:websocket', name: describeWebSocketUrl(url), heartbeat: CLIENT_HEARTBEAT, ...options });
  // A bridge's clients share its connection to the server: their COMMAND_IDs and message IDs
  // must not all start at 1, or one page's reply answers another's request.
  conn.startIdsAtRandom();
  // Held from the start (state$ is hot and subscribing to it opens nothing), so a late
  // subscriber still gets the state the bridge announced when this client joined.
  const peerState = new BehaviorSubject<PeerState>(UNKNOWN_PEER_STATE);
  trackPeerState(peerStateTexts, conn.state$).subscribe(peerState);
  const withExtras = Object.assign(conn, { peerState$: peerState.asObservable(), refused$: refused$.asObservable() });
  // A getter on the connection itself (Object.assign would copy the value of the moment).
  return Object.defineProperty(withExtras, 'peerState', { enumerable: true, get: () => peerState.value }) as WebSocketConnection;
}

/** The subprotocols to offer: the caller's, then the token's (bridge-token.ts), each once. */
function withToken(protocols: string | string[] | undefined, token: string | undefined): string | string[] | undefined {
  if (token === undefined) return protocols;
  const own = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols;
  return [...new Set([...own, ...tokenSubprotocols(token)])];
}

// ---------------------------------------------------------------------------------------------

/**
 * A subclass of the WebSocket implementation that reports each socket it creates (for
 * pause/resume) and, when the socket is a Node EventEmitter (`ws`), gives it a no-op 'error'
 * listener: RWS removes its own listeners before closing a socket, and an 'error' emitted then
 * with no listener would crash the process (RWS connect timeout on a `ws` socket).
 *
 * A constructor that throws (a URL that is not one, a protocol other than ws/wss, a `ws://` URL
 * from an `https:` page: SecurityError, a bad subprotocol name) is reported to `failed`, and RWS
 * gets a closed stand-in instead: thrown into RWS, it was an unhandled rejection (a crash in
 * Node) and the attempt stayed `connecting` for ever, its connect timer never armed.
 */
function observed(impl: WebSocketConstructor, tls: WebSocketTlsClientOptions | undefined, created: (ws: WebSocketLike) => void, failed: (err: unknown) => void): WebSocketConstructor {
  // With TLS settings the implementation is not the platform's (tlsClientOptions refused that):
  // it is `ws`, or a class of the user's that takes `ws`'s arguments.
  const base = impl as WebSocketConstructor & WebSocketConstructorWithTls;
  return class extends base {
    constructor(url: string, protocols?: string | string[]) {
      try {
        if (tls) super(url, protocols, tls);
        else super(url, protocols);
      } catch (err) {
        failed(err);
        // A derived constructor may return another object in place of `this`.
        return closedStandIn();
      }
      swallowEmitterErrors(this);
      created(this);
    }
  };
}

/**
 * The TLS settings for `ws`'s constructor, or undefined when none were asked for (the socket is
 * made as before, with two arguments). Verification stays on unless `allowUnverifiedCertificate`
 * says otherwise, whatever else the settings hold. Throws an InvalidOptionError when the
 * implementation is the platform's own WebSocket (a browser's, Node 22's), which takes no TLS
 * settings and would drop them without a word.
 */
function tlsClientOptions(impl: WebSocketConstructor, options: WebSocketOptions, remote: string): WebSocketTlsClientOptions | undefined {
  const unverified = options.allowUnverifiedCertificate === true;
  if (options.tls === undefined && !unverified) return undefined;
  if (impl === (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket) {
    throw new InvalidOptionError(
      options.tls === undefined ? 'allowUnverifiedCertificate' : 'tls',
      "the platform's WebSocket takes no TLS settings (a browser verifies by its own certificate store); in Node pass { WebSocket } from the \"ws\" package",
    );
  }
  // Material Node cannot use fails here, as connectTls's does, not on every attempt for ever.
  // Node's TLS is looked up at run time (Node 20.16 and later): nothing of Node is imported here.
  const nodeTls = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process?.getBuiltinModule?.('node:tls');
  const createSecureContext = (nodeTls as { createSecureContext?: CreateSecureContext } | undefined)?.createSecureContext;
  if (createSecureContext) checkTlsMaterial(options.tls, createSecureContext);
  if (unverified) warnUnverified(remote, (text) => log('%s', text));
  return { ...options.tls, rejectUnauthorized: !unverified };
}

/** What RWS is given when no socket could be made: closed, silent, and safe for it to handle. */
function closedStandIn(): WebSocketLike & { readonly readyState: number; binaryType: string } {
  return {
    readyState: 3, // CLOSED: RWS's close() leaves it alone
    binaryType: 'arraybuffer',
    bufferedAmount: 0,
    send: noop,
    close: noop,
    addEventListener: noop,
    removeEventListener: noop,
  };
}

function noop(): void {}

/** Adds a no-op 'error' listener to a Node EventEmitter socket (`ws`); nothing elsewhere. */
function swallowEmitterErrors(socket: object): void {
  const emitter = socket as { on?: unknown };
  if (typeof emitter.on === 'function') emitter.on.call(socket, 'error', noop);
}

/** A view over an ArrayBuffer (WebSocket.send refuses views over a SharedArrayBuffer). */
function sendable(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return isArrayBufferView(bytes) ? bytes : bytes.slice();
}

function isArrayBufferView(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer;
}

/** The bytes of a binary message event, or undefined for a text message. */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * Close codes of an ordinary end: normal closure (1000), going away (1001: a server shutting
 * down, a page navigating away) and no code given (1005). Any other code says something went
 * wrong (1008 policy, 1011 server error, 4000-4999 an application's own).
 */
const ORDINARY_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/** Wires a socket's events to a channel subscriber; `open` says whether it is open already. */
function wire(
  socket: WebSocketLike,
  remote: string,
  subscriber: Subscriber<ChannelEvent>,
  options: WebSocketFlowOptions,
  native: () => WebSocketLike | undefined,
  open: boolean,
  connectTimeoutMs: number | undefined,
  onText?: (text: string) => void,
  keepAliveMs?: number,
): { teardown(): void } {
  let channel: WebSocketByteChannel | undefined;
  let failure: ConnectionError | undefined;
  let ended = false;
  let keepAlive: TcpKeepAlive | undefined;
  const emit = (ev: ChannelEvent) => subscriber.next(ev);
  const onOpen = () => {
    const ws = native();
    if (keepAliveMs !== undefined && keepAliveMs > 0) keepAlive = keepAliveUnder(ws, keepAliveMs);
    channel = new WebSocketByteChannel(remote, socket, ws, options, emit, fail);
    emit({ type: 'open', channel });
  };
  const onMessage = (ev: MessageEventLike) => {
    const chunk = bytesOf(ev.data);
    if (chunk) channel?.receive(chunk);
    else {
      // Not OpenIGTLink, but the peer speaking: the connection works (lifecycle.ts).
      if (channel) emit({ type: 'heard' });
      if (typeof ev.data === 'string' && onText) readText(ev.data, onText);
      else log('%s: text frame ignored (OpenIGTLink travels in binary frames)', remote);
    }
  };
  // `onText` is the user's: what it throws ends this channel (errors$, then a reconnect), as an
  // operator's callback ends its subscription. Thrown into `ws` instead, it escaped as an
  // uncaught exception and left `ws` parsing nothing more: a connection open and deaf.
  const readText = (text: string, read: (text: string) => void) => {
    try {
      read(text);
    } catch (err) {
      fail(new ConnectionError(`${remote}: onText threw: ${err instanceof Error ? err.message : String(err)}`, err));
    }
  };
  /** Ends this channel with `err` (the connection reports it, then reconnects as configured). */
  const fail = (err: ConnectionError) => {
    if (ended) return;
    ended = true;
    channel?.dispose();
    subscriber.error(err);
  };
  const onError = (ev: ErrorEventLike) => {
    // RWS reports its own connect timeout as an error with the message 'TIMEOUT'.
    const what = ev.message === 'TIMEOUT' ? `connect timed out after ${connectTimeoutMs} ms` : ev.message || 'WebSocket error';
    failure ??= new ConnectionError(`${remote}: ${what}`, ev);
  };
  const onClose = (ev: CloseEventLike) => {
    // RWS reports a failure as a clean close followed by the error event: judge a microtask later.
    queueMicrotask(() => {
      if (ended) return;
      ended = true;
      // What arrived before the close is the peer's data, read while the reader was paused: it
      // goes to the connection before the end, as a paused TCP socket gives its data before 'end'.
      channel?.deliverHeld();
      channel?.dispose();
      const unanswered = keepAlive?.unanswered();
      // `ws` closes (1006) without passing its socket's error on: the keep-alive's verdict is read here.
      if (unanswered) subscriber.error(new DeadPeerError(`${remote}: the peer stopped answering TCP (${unanswered.message})`, 'keepalive', 0));
      else if (failure) subscriber.error(failure);
      else if (!channel) subscriber.error(new ConnectionError(`${remote}: closed before opening (code ${ev.code})`));
      // The code, not `wasClean`, says whether the server meant an ordinary end (docs/browser.md):
      // a server refusing (1008) or failing (1011) closes with a proper handshake too, so
      // wasClean is true, and reporting it as a plain "closed by the peer" would drop its reason.
      else if (ORDINARY_CLOSE_CODES.has(ev.code)) subscriber.complete();
      else subscriber.error(new ConnectionError(`${remote}: closed with code ${ev.code}${ev.reason ? ` (${ev.reason})` : ''}`));
    });
  };
  socket.addEventListener('open', onOpen);
  socket.addEventListener('message', onMessage);
  socket.addEventListener('error', onError);
  socket.addEventListener('close', onClose);
  if (open) onOpen();
  return {
    teardown() {
      ended = true;
      channel?.dispose();
      socket.removeEventListener('open', onOpen);
      socket.removeEventListener('message', onMessage);
      socket.removeEventListener('error', onError);
      socket.removeEventListener('close', onClose);
    },
  };
}

/** The TCP keep-alive of one WebSocket's socket. */
interface TcpKeepAlive {
  /** The socket's error when its keep-alive probes (or retransmissions) went unanswered (ETIMEDOUT). */
  unanswered(): Error | undefined;
}

/** The part of Node's net.Socket under a `ws` WebSocket that keep-alive uses. */
interface NodeSocketLike {
  setKeepAlive(enable: boolean, initialDelayMs: number): unknown;
  on(event: 'error', listener: (err: Error & { code?: string }) => void): unknown;
}

/**
 * Turns on TCP keep-alive on the socket under a `ws` WebSocket (Node), as connectTcp does
 * (socket-channel.ts, enableKeepAlive: at least 1 s, 10 probes 1 s apart), and notes when it
 * fails. Nothing in a browser (no socket to reach). Without it, a server whose machine vanished
 * left the connection `stale` for ever unless it answered the heartbeat (an igtl-rx bridge does;
 * a plain relay does not), measured in a network namespace (test/faults/dead-peer.test.ts).
 */
function keepAliveUnder(ws: WebSocketLike | undefined, idleMs: number): TcpKeepAlive | undefined {
  const tcp = (ws as { _socket?: Partial<NodeSocketLike> } | undefined)?._socket;
  if (typeof tcp?.setKeepAlive !== 'function' || typeof tcp.on !== 'function') return undefined;
  tcp.setKeepAlive(true, Math.max(1000, idleMs));
  let timedOut: Error | undefined;
  tcp.on('error', (err) => {
    if (err.code === 'ETIMEDOUT') timedOut = err;
  });
  return { unanswered: () => timedOut };
}

/** A ByteChannel over an open WebSocket. */
class WebSocketByteChannel implements ByteChannel {
  readonly kind = 'stream';
  readonly coalesce = true;
  private readonly highWaterMark: number;
  private readonly lowWaterMark: number;
  private readonly maxBatchBytes: number;
  private poll: Subscription | undefined;
  private paused = false;
  /** Chunks received while paused, delivered from `heldHead` on (a queue: shift() is O(n)). */
  private held: Uint8Array[] = [];
  private heldHead = 0;
  private heldBytes = 0;
  private readonly maxHeldBytes: number;
  private batchParts: Uint8Array[] | undefined;
  private batchBytes = 0;
  private disposed = false;

  constructor(
    readonly remote: string,
    private readonly socket: WebSocketLike,
    private readonly native: WebSocketLike | undefined,
    private readonly options: WebSocketFlowOptions,
    private readonly emit: (ev: ChannelEvent) => void,
    private readonly fail: (err: ConnectionError) => void,
  ) {
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    this.lowWaterMark = Math.min(this.highWaterMark, options.lowWaterMark ?? Math.floor(this.highWaterMark / 4));
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_BATCH_BYTES;
  }

  write(bytes: Uint8Array): boolean {
    if (this.batchParts && bytes.length < this.maxBatchBytes) {
      if (this.batchBytes + bytes.length > this.maxBatchBytes) this.sendBatch();
      this.batchParts.push(bytes);
      this.batchBytes += bytes.length;
      return this.check(this.batchBytes);
    }
    if (this.batchParts) this.sendBatch();
    this.socket.send(sendable(bytes));
    return this.check(0);
  }

  /** The writes made inside `fn` go out in as few frames as possible (up to maxBatchBytes each). */
  batch(fn: () => void): void {
    if (this.batchParts || this.maxBatchBytes <= 0) {
      fn();
      return;
    }
    this.batchParts = [];
    this.batchBytes = 0;
    try {
      fn();
    } finally {
      this.sendBatch();
      this.batchParts = undefined;
    }
  }

  unsent(): number {
    // In Node (`ws`), bufferedAmount moves per frame only: its socket's handles say more.
    return this.socket.bufferedAmount + this.batchBytes + handleQueueSize(((this.native ?? this.socket) as { _socket?: unknown })._socket);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.native?.pause?.();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.native?.resume?.();
    // Delivering may pause again (a pulling consumer): stop as soon as it does.
    while (!this.paused) if (!this.deliverOne()) break;
  }

  close(): void {
    this.socket.close(1000);
  }

  /** A received chunk: delivered, or held while paused (browsers cannot stop reading). */
  receive(chunk: Uint8Array): void {
    if (!this.paused && this.heldHead === this.held.length) {
      this.emit({ type: 'data', chunk });
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    // A page cannot hold the sender back: past the limit the channel ends, said so, rather than
    // grow until the tab runs out of memory (frames cannot be dropped from a byte stream).
    if (this.heldBytes > this.maxHeldBytes) {
      this.fail(new ConnectionError(`${this.remote}: ${this.heldBytes} bytes received while reading was paused, over maxHeldBytes (${this.maxHeldBytes}): the reader is too far behind; they are dropped`));
    }
  }

  /** Delivers every chunk held while paused, paused or not (the socket closed: nothing more comes to wait for). */
  deliverHeld(): void {
    while (this.deliverOne());
  }

  dispose(): void {
    this.disposed = true;
    this.poll?.unsubscribe();
    this.poll = undefined;
    this.held = [];
    this.heldHead = this.heldBytes = 0;
  }

  /**
   * Delivers the oldest held chunk; false when none is left (or the channel is gone). Taken by
   * index: with shift(), resuming after 300,000 held chunks (5 minutes of 1 kHz tracking in a
   * page) took 39 s of the page's main thread.
   */
  private deliverOne(): boolean {
    if (this.disposed || this.heldHead >= this.held.length) return false;
    const chunk = this.held[this.heldHead]!;
    this.held[this.heldHead++] = EMPTY_CHUNK; // not pinned until the queue empties
    this.heldBytes -= chunk.length;
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
    this.emit({ type: 'data', chunk });
    return true;
  }

  private sendBatch(): void {
    const parts = this.batchParts;
    if (!parts || parts.length === 0) return;
    let frame: Uint8Array<ArrayBuffer>;
    if (parts.length === 1) frame = sendable(parts[0]!);
    else {
      frame = new Uint8Array(this.batchBytes);
      let off = 0;
      for (const p of parts) {
        frame.set(p, off);
        off += p.length;
      }
    }
    parts.length = 0;
    this.batchBytes = 0;
    this.socket.send(frame);
  }

  /** True while under the high-water mark; otherwise starts waiting for the drain. */
  private check(pending: number): boolean {
    if (this.socket.bufferedAmount + pending <= this.highWaterMark) return true;
    if (!this.poll && !this.disposed) {
      this.poll = interval(this.options.drainPollMs ?? 10, this.options.scheduler ?? monotonicScheduler).subscribe(() => {
        if (this.socket.bufferedAmount > this.lowWaterMark) return;
        this.poll?.unsubscribe();
        this.poll = undefined;
        this.emit({ type: 'drain' });
      });
    }
    return false;
  }
}
