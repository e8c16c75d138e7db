// The bridge's one link to its OpenIGTLink peer, and what the pages hear of it. The link is a
// connection of the bridge's own (TCP, reconnecting with backoff, closed with the bridge) or one
// the user passes in (TLS, ...), which the bridge uses but never closes. Every change of its state
// is logged and told to every client in a `peer-state` text frame (src/transport/peer-state.ts),
// and a client that joins is told the state of the moment before anything else: so a page can
// tell "tracker down" from "bridge down", and never shows a dead link as live.
import { filter, map, merge, type Observable, type Subscription } from 'rxjs';
import type { WebSocket } from 'ws';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { EmptyContentError } from '../protocol/empty-content.js';
import { ConnectionError } from '../protocol/errors.js';
import type { IgtlMessage } from '../protocol/types.js';
import { BRIDGE_FRAME_VERSION, encodeBridgeFrame, peerStateOfConnection } from '../transport/peer-state.js';
import { connectTcp, type TcpOptions } from '../transport/tcp.js';
import type { RedactingLog } from './redact.js';

/** The link to the peer, held open from construction until {@link PeerLink.close}. */
export class PeerLink {
  /** The connection to the OpenIGTLink peer, shared by every client. */
  readonly upstream: IgtlConnection;
  /**
   * What the clients are sent: the peer's messages, and the empty <T> with which a peer answers
   * a page's GET_<T> for data it does not have (query.md), relayed (as the UnknownMessage the
   * decoder made of it, re-encoded byte for byte) so that the page's query learns it at once
   * instead of at its timeout.
   */
  readonly messages$: Observable<IgtlMessage>;
  private readonly owned: boolean;
  private readonly subs: Subscription[] = [];
  private readonly hold: Subscription;

  constructor(
    upstream: (TcpOptions & ConnectionOptions) | IgtlConnection | undefined,
    maxMessageSize: number,
    log: RedactingLog,
    /** The sockets of the clients to tell of every change of the peer's state. */
    clients: () => Iterable<WebSocket>,
  ) {
    if (upstream instanceof IgtlConnection) {
      this.upstream = upstream;
      this.owned = false;
    } else {
      // Relayed as sent: a browser's connection has applied its own framing rules already.
      this.upstream = connectTcp({ logNamespace: 'igtl-rx:bridge', maxBodySize: maxMessageSize, legacyEmptyQueries: false, ...upstream, keepOpen: true });
      this.owned = true;
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
      // Every client hears of every change (on joining, from tellJoining()).
      up.state$.subscribe((s) => {
        const text = encodeBridgeFrame({ igtlRx: 'peer-state', v: BRIDGE_FRAME_VERSION, state: peerStateOfConnection(s) });
        for (const ws of clients()) sendText(ws, text);
      }),
    );
    this.hold = up.connect();
    const emptyAnswers$ = up.errors$.pipe(
      filter((e): e is EmptyContentError => e instanceof EmptyContentError),
      map((e): IgtlMessage => e.answer),
    );
    this.messages$ = merge(up, emptyAnswers$);
  }

  /** Tells a client that has just joined the state of the peer now (before any relayed message). */
  tellJoining(ws: WebSocket): void {
    sendText(ws, encodeBridgeFrame({ igtlRx: 'peer-state', v: BRIDGE_FRAME_VERSION, state: peerStateOfConnection(this.upstream.state) }));
  }

  /** Stops listening to the link, and closes it when it is the bridge's own. */
  close(): void {
    this.hold.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
    if (this.owned) this.upstream.close();
  }
}

/** Sends a text frame (a notice) to an open client; nothing once it is closing. */
export function sendText(ws: WebSocket, text: string): void {
  if (ws.readyState === ws.OPEN) ws.send(text);
}
