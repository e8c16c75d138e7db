// The header: the bridge connection's state (state$), the upstream peer's state as the bridge
// reports it (peerState$, when this version of the library has it), what that means for the
// data (live / stale / tracker down / bridge down), and the last error, cleared on recovery.
import { isObservable, type Observable, type Subscription } from 'rxjs';
import { monotonicNow, type ConnectionState, type IgtlConnection, type IgtlError } from '../../src/index.js';

/**
 * The upstream peer's state as the bridge reports it. Read defensively: only `kind` is relied
 * on; attempt, delay and reason are shown when present.
 */
export interface PeerStateLike {
  readonly kind: string;
  readonly attempt?: number;
  readonly delayMs?: number;
  readonly reason?: unknown;
  readonly remote?: string;
}

/** What the page can say about its data. */
export type Health = 'connecting' | 'awaiting-tracker' | 'live' | 'stale' | 'bridge-silent' | 'no-data' | 'tracker-down' | 'bridge-down' | 'closed';

/**
 * How long after the WebSocket opens the page waits for the bridge's first word on its tracker
 * before taking the server for one that does not report it (then the data alone says live).
 * An igtl-rx bridge sends it before any data, within a millisecond or so; until it comes, the
 * tracker may well be down, so the page does not say live.
 */
export const PEER_NOTICE_GRACE_MS = 2000;

/** The connection's `peerState$`, when the library has one (feature detection). */
export function peerStateOf(conn: IgtlConnection): Observable<PeerStateLike> | undefined {
  const candidate: unknown = (conn as unknown as { peerState$?: unknown }).peerState$;
  return isObservable(candidate) ? (candidate as Observable<PeerStateLike>) : undefined;
}

function reasonText(reason: unknown): string {
  if (reason === undefined || reason === null) return '';
  if (typeof reason === 'string') return reason;
  if (typeof reason === 'object' && 'message' in reason && typeof reason.message === 'string') return reason.message;
  return String(reason);
}

/**
 * The health of the data from the two states (peer undefined: the bridge does not say).
 * `wasOpen`: the page has been connected to the bridge before, so connecting again means it
 * lost the bridge (each attempt after a drop counts from 1 again). `awaitingPeer`: the
 * WebSocket has just opened and the bridge has not yet said how its tracker is (see
 * PEER_NOTICE_GRACE_MS).
 */
export function healthOf(conn: ConnectionState, peer: PeerStateLike | undefined, wasOpen = false, awaitingPeer = false): Health {
  switch (conn.kind) {
    case 'idle':
    case 'connecting':
      return wasOpen ? 'bridge-down' : 'connecting';
    case 'reconnecting':
      return 'bridge-down';
    case 'closed':
      return 'closed';
    default:
      break;
  }
  if (!peer && awaitingPeer) return 'awaiting-tracker';
  if (peer) {
    if (peer.kind === 'connecting' || peer.kind === 'reconnecting' || peer.kind === 'closed') return 'tracker-down';
    if (peer.kind === 'stale') return 'stale';
    // The bridge last said its tracker is live, and now nothing comes from the bridge at all:
    // the bridge or the network between, not the tracker (the heartbeat finds a bridge that is
    // gone: bridge-down). (As the tracker falls silent, the two stale notices cross within a
    // millisecond or so.)
    if (conn.kind === 'stale') return 'bridge-silent';
    return 'live';
  }
  return conn.kind === 'stale' ? 'no-data' : 'live';
}

const HEALTH_TEXT: Record<Health, string> = {
  connecting: 'connecting to the bridge…',
  'awaiting-tracker': 'connected: waiting for the bridge to say how its tracker is…',
  live: 'live',
  stale: 'stale: no data from the tracker',
  'bridge-silent': 'stale: nothing from the bridge (its tracker was live)',
  'no-data': 'no data (tracker down or silent)',
  'tracker-down': 'tracker down',
  'bridge-down': 'bridge down',
  closed: 'closed',
};

/** The header's state line and error line. */
export class Header {
  private conn: ConnectionState = { kind: 'idle' };
  private wasOpen = false;
  private peer: PeerStateLike | undefined;
  private lastHealth: Health | undefined;
  /** Until when (performance.now()) the bridge's first peer-state notice is waited for. */
  private awaitingPeerUntil = 0;
  /** monotonicNow() of the newest message from the bridge, or of the open (see check). */
  private dataAt = 0;

  constructor(
    private readonly health: HTMLElement,
    private readonly bridgeLine: HTMLElement,
    private readonly peerLine: HTMLElement,
    private readonly errorLine: HTMLElement,
    /** The bridge's address as shown (the connection's own name is generic for a URL function). */
    private readonly bridgeName: string,
    /** The connection's `staleAfterMs`: the age of its newest message at which check() says stale (default: never). */
    private readonly staleAfterMs = Infinity,
  ) {}

  /** Follows a connection's state, peer state and errors. */
  attach(connection: IgtlConnection): Subscription {
    const peer$ = peerStateOf(connection);
    const sub = connection.state$.subscribe((s) => {
      const opened = s.kind === 'open' && this.conn.kind !== 'open' && this.conn.kind !== 'stale';
      if (opened) this.dataAt = monotonicNow();
      this.conn = s;
      if (s.kind === 'open') this.wasOpen = true;
      if (opened && peer$) {
        this.awaitingPeerUntil = performance.now() + PEER_NOTICE_GRACE_MS;
        setTimeout(() => this.render(), PEER_NOTICE_GRACE_MS + 10);
      }
      // A new bridge connection: the peer state is unknown until the bridge says it again.
      if (s.kind !== 'open' && s.kind !== 'stale') this.peer = this.peer && { kind: 'unknown' };
      this.render();
    });
    this.peerLine.dataset.supported = String(peer$ !== undefined);
    if (peer$) {
      sub.add(
        peer$.subscribe((p) => {
          this.peer = p;
          if (p.kind !== 'unknown') this.awaitingPeerUntil = 0;
          this.render();
        }),
      );
    }
    sub.add(connection.errors$.subscribe((e) => this.error(e)));
    return sub;
  }

  /** A message arrived from the bridge (the page calls this for each one it receives). */
  received(at = monotonicNow()): void {
    this.dataAt = at;
  }

  /**
   * Says what is true at `now` (monotonicNow()), called on every frame. The connection's `stale`
   * state comes from a timer, which cannot run before the frame that follows a held page (a long
   * task, a background tab: freshness.ts); neither can the WebSocket's close. Until they have,
   * an open connection whose newest message is `staleAfterMs` old is shown stale, not live.
   */
  check(now: number): void {
    if (this.health.dataset.health !== this.healthAt(now)) this.render();
  }

  /** The current health (for the test hooks). */
  get current(): Health {
    return this.healthAt(monotonicNow());
  }

  private healthAt(now: number): Health {
    return healthOf(this.connAt(now), this.peer?.kind === 'unknown' ? undefined : this.peer, this.wasOpen, this.awaitingPeer());
  }

  /** The connection's state, or stale when it says open and its newest message is too old. */
  private connAt(now: number): ConnectionState {
    const s = this.conn;
    const silentMs = now - this.dataAt;
    return s.kind === 'open' && silentMs >= this.staleAfterMs ? { kind: 'stale', remote: s.remote, silentMs } : s;
  }

  private error(e: IgtlError): void {
    this.errorLine.textContent = `${new Date().toLocaleTimeString()}  ${e.name}: ${e.message}`;
    this.errorLine.title = e.message;
    this.errorLine.hidden = false;
  }

  private awaitingPeer(): boolean {
    return performance.now() < this.awaitingPeerUntil;
  }

  private render(): void {
    const s = this.connAt(monotonicNow());
    const peer = this.peer?.kind === 'unknown' ? undefined : this.peer;
    const health = healthOf(s, peer, this.wasOpen, this.awaitingPeer());
    this.health.dataset.health = health;
    this.health.textContent = HEALTH_TEXT[health];
    this.bridgeLine.dataset.state = s.kind;
    this.bridgeLine.textContent =
      s.kind === 'open' ? `bridge: ${this.bridgeName}`
      : s.kind === 'stale' ? `bridge: ${this.bridgeName}, nothing for ${(s.silentMs / 1000).toFixed(1)} s`
      : s.kind === 'reconnecting' ? `bridge: retry ${s.attempt} in ${(s.delayMs / 1000).toFixed(1)} s${s.reason ? ` (${s.reason.message})` : ''}`
      : s.kind === 'connecting' ? `bridge: connecting (attempt ${s.attempt})`
      : s.kind === 'closed' ? `bridge: closed${s.reason ? ` (${s.reason.message})` : ''}`
      : 'bridge: idle';
    this.peerLine.dataset.peer = peer?.kind ?? 'unknown';
    this.peerLine.textContent = peer
      ? `tracker: ${peer.kind}${peer.attempt !== undefined ? ` (attempt ${peer.attempt}${peer.delayMs !== undefined ? `, next in ${(peer.delayMs / 1000).toFixed(1)} s` : ''})` : ''}${reasonText(peer.reason) ? `: ${reasonText(peer.reason)}` : ''}`
      : this.peerLine.dataset.supported === 'true' ? 'tracker: unknown' : 'tracker: (not reported by this bridge)';
    // Errors clear on recovery: data flows again.
    if (health === 'live' && this.lastHealth !== 'live' && this.lastHealth !== undefined) {
      this.errorLine.textContent = '';
      this.errorLine.hidden = true;
    }
    this.lastHealth = health;
  }
}
