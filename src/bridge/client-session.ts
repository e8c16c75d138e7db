// One WebSocket client of the bridge, from its handshake to its leaving: its connection (an
// IgtlConnection over its socket, as a server's session is one over a TCP socket: the queue,
// policies, backpressure and errors$ are the library's, not a copy), the liveness of its socket
// (TCP keep-alive, WebSocket pings), the close code that tells a page why it was let go (1003,
// 1007, 1009), and the road of what it sends: through its send gate to the peer, or refused with
// a `refused` notice. The bridge only admits clients and counts them (bridge.ts).
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { SESSION_HEARTBEAT } from '../connection/options.js';
import type { SendPolicy } from '../connection/send-queue.js';
import { monotonicNow } from '../protocol/clock.js';
import { BodyTooLargeError, ConnectionError, DesyncError } from '../protocol/errors.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';
import { BRIDGE_FRAME_VERSION, encodeBridgeFrame } from '../transport/peer-state.js';
import { enableKeepAlive } from '../transport/socket-channel.js';
import { openWebSocketChannel, type WebSocketFlowOptions } from '../transport/websocket.js';
import { describeClientFilter, type ClientFilter } from './client-filter.js';
import { watchClientPings } from './client-pings.js';
import { clientSendGate, type ClientSendRules } from './client-sends.js';
import { sendText } from './peer-link.js';
import type { RedactingLog } from './redact.js';
import { MAX_NOTICED_KINDS, RefusalNotices } from './refusal-notices.js';
import type { ReplyRoutes } from './reply-routes.js';
import { sharedFrameSocket } from './shared-frames.js';
import type { BridgeClient } from './bridge-client.js';

/** A client as the bridge itself sees it: with its `ws` socket's full type. */
export type LiveClient = BridgeClient & { readonly socket: WebSocket };

/** The connection of one accepted WebSocket (composition: the same connection, other options). */
export function createBridgeClient(
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

/** What a client's session needs of the bridge. */
export interface SessionContext {
  readonly log: RedactingLog;
  /** Idle time of the TCP keep-alive and of the WebSocket pings, ms (0 = off). */
  readonly keepAliveMs: number;
  readonly sendRules: ClientSendRules;
  /** The peer link: where the client's messages go. */
  readonly upstream: { next(msg: IgtlMessage): void };
  /** The pages' requests waiting for replies (reply-routes.ts). */
  readonly replyRoutes: ReplyRoutes<LiveClient>;
  /** Clients connected now (for the log line). */
  readonly liveCount: () => number;
  /** Tells the client the peer's state now: before any relayed message. */
  readonly tellPeerState: (ws: WebSocket) => void;
  /** Starts relaying the peer's messages to the client (fan-out.ts). */
  readonly join: (client: LiveClient) => void;
  /** The client has sent something (a frame of any kind): it is never evicted by the lock-out rule. */
  readonly heard: (client: LiveClient) => void;
  /** The client's connection ended (with why, when it failed). */
  readonly drop: (client: LiveClient, why?: string) => void;
}

/**
 * Runs the session of an admitted client (see the top of this file): returns the subscriptions
 * that end it, for the bridge to unsubscribe when the client leaves.
 */
export function startClientSession(client: LiveClient, raw: Duplex, ctx: SessionContext): Subscription[] {
  const { id, remote, socket: ws } = client;
  const log = ctx.log;
  // Text frames carry nothing the bridge reads (OpenIGTLink travels in binary frames): a page
  // that sends one has a bug, and ignoring it (a debug line) left the page thinking it was
  // heard. 1003, "unsupported data" (RFC 6455, 7.4.1): its connection ends with the reason,
  // which connectWebSocket reports as a ConnectionError naming code and reason.
  ws.on('message', (_data, isBinary) => {
    if (isBinary || ws.readyState !== ws.OPEN) return;
    log('client #%d %s sent a text frame: closing it (1003)', id, remote);
    ws.close(1003, 'text frames are not accepted: OpenIGTLink travels in binary frames');
  });
  // Nothing else finds a vanished client that never pings (a plain WebSocket client) while the
  // bridge has nothing to write to it: no heartbeat, no write to stall (it was held for ever).
  const keepAliveMs = ctx.keepAliveMs;
  if (raw instanceof Socket) enableKeepAlive(raw, keepAliveMs);
  // And WebSocket pings, which find it gone also when data waits to be acknowledged (then TCP
  // keep-alive does not probe, and the kernel retransmits for about 15 minutes).
  watchClientPings(ws, keepAliveMs, (silentMs) => {
    log('client #%d %s answered no WebSocket ping: nothing heard from it for %ds, disconnecting it', id, remote, Math.round(silentMs / 1000));
    ws.terminate();
  });
  ws.once('message', () => ctx.heard(client));
  log('client #%d %s connected (%s; %d clients)', id, remote, describeClientFilter(client.filter), ctx.liveCount());
  // Before any relayed message: the page knows at once whether the tracker is there.
  ctx.tellPeerState(ws);
  ctx.join(client);
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
  const gate = clientSendGate(ctx.sendRules);
  // One notice per (type, device, why) per second, one log line per (type, device, why):
  // a page streaming refused poses at 1 kHz must not get (or cause) 1,000 lines a second,
  // nor a page naming every message anew grow the bridge's memory (refusal-notices.ts).
  const notices = new RefusalNotices();
  subs.push(
    client.subscribe({
      next: (msg) => {
        const verdict = gate(msg);
        if (!verdict) {
          ctx.replyRoutes.asked(client, msg);
          ctx.upstream.next(msg);
          return;
        }
        client.refused++;
        const type = wireType(msg);
        const decision = notices.refused(`${verdict.kind}\0${type}\0${msg.deviceName}`, monotonicNow());
        if (decision.log) log('client #%d %s sends %s "%s": refused (%s)', id, remote, type, msg.deviceName, verdict.reason);
        if (decision.overflow) log('client #%d %s: refusals of more than %d kinds (type, device) within a second: not told or logged one by one (still counted)', id, remote, MAX_NOTICED_KINDS);
        if (decision.notify) sendText(ws, encodeBridgeFrame({ igtlRx: 'refused', v: BRIDGE_FRAME_VERSION, type, deviceName: msg.deviceName, reason: verdict.reason }));
      },
      error: (err: Error) => ctx.drop(client, err.message),
      complete: () => ctx.drop(client),
    }),
  );
  return subs;
}

/** A close frame's reason: at most 123 bytes of UTF-8 (RFC 6455, 5.5.1); `ws` throws on more. */
function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
