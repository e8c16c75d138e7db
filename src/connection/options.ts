// The options of a connection, in one place: every rule they switch on lives in its own part
// (lifecycle.ts, outbox.ts, framing-policy.ts, liveness.ts); docs/connections.md has the defaults.
import type { DecodeOptions } from '../protocol/decode.js';
import type { Metadata } from '../protocol/metadata.js';
import type { HeaderVersion, IgtlMessage } from '../protocol/types.js';
import type { SchedulerLike } from 'rxjs';
import type { ReconnectOptions } from './backoff.js';
import type { HeartbeatOptions } from './liveness.js';
import type { PullOptions } from './pull.js';
import type { QueueLimits, SendPolicy } from './send-queue.js';
import { InvalidOptionError } from '../protocol/errors.js';
import { MAX_TIMER_MS, isTimerDelay } from './scheduler.js';

/** Default of `staleAfterMs`, ms: also the CLI monitor's per-row threshold, so both agree. */
export const DEFAULT_STALE_AFTER_MS = 3000;

/**
 * The heartbeat of clients (TCP, TLS, WebSocket) unless told otherwise: a peer that answers
 * GET_STATUS (PLUS, igtl-rx servers and bridges) and then goes silent for 5 s is pinged, and
 * 10 s without an answer closes the connection: a blackholed or stopped peer is found within
 * 15 s (docs/connections.md).
 */
export const CLIENT_HEARTBEAT = { intervalMs: 5000, timeoutMs: 10_000 } as const;

/**
 * The heartbeat of a server's sessions and a bridge's WebSocket clients: as the clients', without
 * the probe (a server sends a client nothing unasked); a client that probed or pinged is pinged
 * when silent.
 */
export const SESSION_HEARTBEAT = { ...CLIENT_HEARTBEAT, probe: false } as const;

/**
 * The heartbeat of a server session from the server's `heartbeat` option: a session sends no
 * probe unless told `probe: true` in so many words, also when the timing is tuned. (A tuned
 * `{ intervalMs, timeoutMs }` took the clients' default, probe on: every session sent its client
 * a GET_STATUS unasked, which a C++ query client reads as the answer to its request.)
 */
export function sessionHeartbeat(heartbeat: HeartbeatOptions | false | undefined): HeartbeatOptions | false {
  if (heartbeat === undefined) return SESSION_HEARTBEAT;
  return heartbeat === false ? false : { ...heartbeat, probe: heartbeat.probe ?? false };
}

/**
 * Throws an InvalidOptionError for a `connectTimeoutMs` (TCP, TLS, WebSocket) that is not a
 * time-out: it must be above 0 and a delay a timer can wait. Measured: -1 or Infinity made Node's
 * `socket.setTimeout` throw after the socket was opened, so every attempt failed with a
 * RangeError and left its socket connected to the peer for good (4 open at the peer after 3 s,
 * and after `close()`); 0 turns Node's timer off (an attempt waits as long as the OS tries) and
 * makes the WebSocket's time out at once.
 */
export function checkConnectTimeoutMs(ms: number | undefined): void {
  if (ms !== undefined && !(isTimerDelay(ms) && ms > 0)) {
    throw new InvalidOptionError('connectTimeoutMs', `${String(ms)} ms is not a time-out a timer can wait (above 0, up to ${MAX_TIMER_MS} ms)`);
  }
}

/**
 * Default `keepAliveMs` of TCP and TLS clients, server sessions and WebSocket clients in Node:
 * the kernel probes a link idle this long, ms, and a vanished peer is found about 10 s later.
 */
export const DEFAULT_KEEPALIVE_MS = 10_000;

/** Linux's longest TCP keep-alive idle time (TCP_KEEPIDLE), 32 767 s, in ms. */
export const MAX_KEEPALIVE_MS = 32_767_000;

/**
 * Throws an InvalidOptionError for a `keepAliveMs` (TCP and TLS clients, servers) the kernel
 * cannot honour: not a number (NaN turned keep-alive off without a word: a vanished peer of an
 * idle socket was never found), or over {@link MAX_KEEPALIVE_MS} (measured: 4e7 ms gave 59 s).
 * 0 or less is off.
 */
export function checkKeepAliveMs(ms: number | undefined): void {
  if (ms !== undefined && !(typeof ms === 'number' && !Number.isNaN(ms) && ms <= MAX_KEEPALIVE_MS)) {
    throw new InvalidOptionError('keepAliveMs', `${String(ms)} ms is not a keep-alive idle time (0 or less = off, up to ${MAX_KEEPALIVE_MS} ms)`);
  }
}

/**
 * Throws an InvalidOptionError for a liveness duration no timer can wait: not a number, or over
 * {@link MAX_TIMER_MS} (Node fires such a timer after 1 ms). Measured: `staleAfterMs: NaN` left
 * the connection `open` for ever (no stale verdict) while its timer woke every millisecond, and
 * `staleAfterMs: 3e9` printed a TimeoutOverflowWarning every millisecond. 0 or less (off) and
 * `Infinity` (never) stay allowed; the heartbeat's interval must be a real one.
 */
export function checkLivenessOptions(options: ConnectionOptions): void {
  const check = (option: string, ms: number | undefined, off: boolean): void => {
    if (ms === undefined || (off && (ms <= 0 || ms === Infinity))) return;
    if (!(isTimerDelay(ms) && ms > 0)) {
      throw new InvalidOptionError(option, `${String(ms)} ms is not a duration a timer can wait (${off ? '0 = off, or ' : ''}up to ${MAX_TIMER_MS} ms)`);
    }
  };
  check('staleAfterMs', options.staleAfterMs, true);
  check('idleTimeoutMs', options.idleTimeoutMs, true);
  check('readTimeoutMs', options.readTimeoutMs, true);
  check('writeStallMs', options.writeStallMs, true);
  const hb = options.heartbeat;
  if (hb) {
    check('heartbeat.intervalMs', hb.intervalMs, false);
    check('heartbeat.timeoutMs', hb.timeoutMs ?? 2 * hb.intervalMs, false);
  }
}

/** Options of a connection (client or server session). */
export interface ConnectionOptions extends DecodeOptions {
  /** Label for log lines (default: the channel's remote address). */
  readonly name?: string;
  /** `debug` namespace for this connection's log lines (default `igtl-rx:connection`). */
  readonly logNamespace?: string;
  /** Reconnect after a failure or a close by the peer (default true for clients). */
  readonly reconnect?: boolean | ReconnectOptions;
  /** Stay connected when the last subscriber leaves (default false). */
  readonly keepOpen?: boolean;
  /**
   * Highest header version to send (default 2). A message built in v3 framing is sent in legacy
   * framing when this is 1 (its metadata cannot travel then, which is logged once per type+device).
   */
  readonly maxHeaderVersion?: HeaderVersion;
  /**
   * Cap the header version at the highest one the peer has sent (PLUS's rule for servers: answer
   * each client with min(own maximum, client's version)). Default false for clients.
   */
  readonly followPeerHeaderVersion?: boolean;
  /** Send every message in this framing regardless of how it was built (still capped by the maximum). */
  readonly forceHeaderVersion?: HeaderVersion;
  /**
   * Send GET_/STT_/STP_ queries that have no content and no metadata in legacy framing even when
   * v3 is allowed (default true): the C++ library does not unpack 14-byte v3 bodies.
   */
  readonly legacyEmptyQueries?: boolean;
  /**
   * On every (re)connect, announce v3 the way 3D Slicer does: a STATUS with an empty device name
   * in v3 framing with metadata (default off). PLUS then answers in v3 framing.
   */
  readonly announceV3?: boolean | Metadata;
  /** Policy of `send()`/`next()` when none is given (default `lossless`). */
  readonly sendPolicy?: SendPolicy | ((msg: IgtlMessage) => SendPolicy);
  /** High-water marks of the send queue. */
  readonly queue?: QueueLimits;
  /** Largest message this channel can carry (a UDP datagram); larger sends fail. */
  readonly maxMessageSize?: number;
  /** Defaults of `messages()`. */
  readonly pull?: PullOptions;
  /**
   * An open connection that has received no data for this long, ms, is `stale` in `state$`
   * until data arrives again (default 3000; 0 = never stale): a complete message other than
   * heartbeat traffic and keep-alives. It stays open: staleness is news for the user (frozen
   * data is not live data), not a verdict on the peer.
   */
  readonly staleAfterMs?: number;
  /**
   * Close the connection (and reconnect, if on) when nothing at all has been received for this
   * long, ms (default off): for peers known to send all the time.
   */
  readonly idleTimeoutMs?: number;
  /**
   * Close the connection when a message has been arriving for this long without completing, ms
   * (default 30 000 for clients, 20 000 for server sessions), unless it has come at 1 MiB/s or
   * more on average (a large image over a slow link is left to finish): defeats a peer that
   * trickles bytes (slowloris) to hold buffers and connections, and a lying header swallowing
   * the stream after it. 0 = off.
   */
  readonly readTimeoutMs?: number;
  /**
   * Close the connection when bytes have been waiting to be written (the channel said it was
   * full) for this long, ms (default 10 000; 0 = off): the peer stopped reading or is gone.
   */
  readonly writeStallMs?: number;
  /**
   * Heartbeat (default: {@link CLIENT_HEARTBEAT} for TCP, TLS and WebSocket clients,
   * {@link SESSION_HEARTBEAT} (no probe) for server sessions and a bridge's clients; `false` =
   * off). Given to `createServer`, it tunes the sessions' timing; they still send no probe
   * unless it says `probe: true`. See docs/connections.md, "Liveness": a GET_STATUS probe at open learns whether the peer
   * answers; such a peer is pinged after `intervalMs` of silence and declared dead after
   * `timeoutMs` without an answer.
   */
  readonly heartbeat?: HeartbeatOptions | false;
  /**
   * What to do after a message whose BODY_SIZE is over `maxBodySize` has been reported: `skip`
   * its bytes and carry on (default for clients; bounded by `readTimeoutMs`), or `close` the
   * connection (default for server sessions: a lying header from an untrusted peer is not worth
   * reading past). UDP always skips: the message is that one datagram, and nothing follows it.
   */
  readonly oversize?: 'skip' | 'close';
  /**
   * Bytes of written-but-unconfirmed messages kept per channel for the
   * {@link UnconfirmedDeliveryError} reported when it ends (default 4 MiB); older ones are
   * counted but not kept.
   */
  readonly retainUnconfirmedBytes?: number;
  /**
   * Send again, first thing on the next channel, the messages the last one took without the
   * peer confirming them (default false). Nothing is lost then, but a message the peer did read
   * before the channel broke arrives twice: in v3 framing the copy has the same message ID, the
   * rule by which a receiver drops duplicates. See docs/connections.md, "What survives a reconnect".
   */
  readonly resendUnconfirmed?: boolean;
  /**
   * Open at once, without a subscriber, and stay open (server sessions and bridge clients:
   * their channel is already connected). Default false.
   */
  readonly eager?: boolean;
  /**
   * Called with every message before subscribers see it, with a way to answer it (a server's
   * automatic replies). What it throws is reported on `errors$` (a ConnectionError whose `cause`
   * is the thrown value); the message still reaches the subscribers.
   */
  readonly onMessage?: (msg: IgtlMessage, reply: (answer: IgtlMessage) => void) => void;
  /** Scheduler of the reconnection and liveness timers (tests pass a virtual-time scheduler). */
  readonly scheduler?: SchedulerLike;
  /** Source of jitter in [0, 1) (default Math.random). */
  readonly random?: () => number;
}

/** Per-send options. */
export interface SendOptions {
  /** Overrides the connection's default policy for this message. */
  readonly policy?: SendPolicy;
  /**
   * Aborted while the message still waits in the queue (the connection is down, or the queue is
   * behind), the message is taken back and never written; `send` then resolves `dropped`. Once
   * written (or being written) it is too late, and aborting does nothing.
   */
  readonly signal?: AbortSignal;
}

