// The bridge's notices to its WebSocket clients: JSON in TEXT frames, beside the binary frames
// that carry OpenIGTLink bytes (docs/bridge.md, "Text frames").
//
// Why text frames: a binary frame is part of the OpenIGTLink byte stream (frame boundaries mean
// nothing there), so a notice inside it would have to be a made-up OpenIGTLink message that every
// peer of the library would see. A text frame is out of band by construction: clients that only
// read binary frames (and the OpenIGTLink framer) never see it.
//
// Browser-safe: no Node built-ins (the isomorphic entry imports this through the WebSocket
// transport, and the bridge imports it to write the frames).
import createDebug from 'debug';
import { distinctUntilChanged, filter, map, merge, type Observable } from 'rxjs';
import { isOpen, type ConnectionState } from '../connection/state.js';

const log = createDebug('igtl-rx:websocket');

/** Version of the text-frame schema (`"v"` of every frame). Frames of another version are ignored. */
export const BRIDGE_FRAME_VERSION = 1;

/** Why the bridge's link to its OpenIGTLink peer went down: the typed error's code and message. */
export interface PeerStateReason {
  /** The error's `code` (`peer-closed`, `dead-peer`, `desync`, `connection`, ...), or `error` for an untyped one. */
  readonly code: string;
  /** The error's message. */
  readonly message: string;
  /** For `dead-peer`: the rule that fired (`idle`, `read-timeout`, `heartbeat`, ...). */
  readonly rule?: string;
}

/**
 * The state of the bridge's OpenIGTLink peer (the tracker, Slicer, PLUS), as a WebSocket client
 * of the bridge sees it. The same kinds as a connection's `state$` (docs/connections.md), with
 * reasons as plain data, plus `unknown`: the WebSocket to the bridge is not open (or the server
 * is not an igtl-rx bridge), so nothing is known of the peer. A page can therefore tell "bridge
 * down" (`unknown` while the connection's state$ is not open) from "tracker down"
 * (`reconnecting`/`closed`) from "tracker silent" (`stale`).
 */
export type PeerState =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'open'; readonly remote: string }
  | { readonly kind: 'stale'; readonly remote: string; readonly silentMs: number }
  | { readonly kind: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason?: PeerStateReason }
  | { readonly kind: 'closed'; readonly reason?: PeerStateReason };

/** A kind of {@link PeerState}. */
export type PeerStateKind = PeerState['kind'];

/** `{"igtlRx":"peer-state","v":1,"state":{...}}`: sent to each client when it joins and on every change. */
export interface PeerStateFrame {
  readonly igtlRx: 'peer-state';
  readonly v: typeof BRIDGE_FRAME_VERSION;
  readonly state: Exclude<PeerState, { kind: 'unknown' }>;
}

/**
 * A client's message the bridge did not send on to the peer, and why:
 * `{"igtlRx":"refused","v":1,"type":"COMMAND","deviceName":"Rec","reason":"..."}`.
 */
export interface SendRefusal {
  readonly igtlRx: 'refused';
  readonly v: typeof BRIDGE_FRAME_VERSION;
  /** Wire type name of the refused message. */
  readonly type: string;
  /** Its device name. */
  readonly deviceName: string;
  /** Why, in words (e.g. "the bridge is read-only: ..."). */
  readonly reason: string;
}

/** Every text frame the bridge sends. */
export type BridgeFrame = PeerStateFrame | SendRefusal;

/** The state the WebSocket side reports while it knows nothing of the peer. */
export const UNKNOWN_PEER_STATE: PeerState = Object.freeze({ kind: 'unknown' });

/** A connection's state as the plain data of a {@link PeerStateFrame} (the bridge side). */
export function peerStateOfConnection(s: ConnectionState): PeerStateFrame['state'] {
  switch (s.kind) {
    case 'idle':
      // The bridge holds its peer link from the start; idle only lasts until it subscribes.
      return { kind: 'connecting', attempt: 0 };
    case 'connecting':
      return { kind: 'connecting', attempt: s.attempt };
    case 'open':
      return { kind: 'open', remote: s.remote };
    case 'stale':
      return { kind: 'stale', remote: s.remote, silentMs: s.silentMs };
    case 'reconnecting':
      return { kind: 'reconnecting', attempt: s.attempt, delayMs: s.delayMs, ...reasonOf(s.reason) };
    case 'closed':
      return { kind: 'closed', ...reasonOf(s.reason) };
  }
}

function reasonOf(err: Error | undefined): { reason?: PeerStateReason } {
  if (!err) return {};
  const { code, rule } = err as { code?: unknown; rule?: unknown };
  return { reason: { code: typeof code === 'string' ? code : 'error', message: err.message, ...(typeof rule === 'string' ? { rule } : {}) } };
}

/** The JSON text of a frame. */
export function encodeBridgeFrame(frame: BridgeFrame): string {
  return JSON.stringify(frame);
}

/**
 * Parses one text frame. Returns undefined (with a debug line on `igtl-rx:websocket`) for
 * anything that is not a well-formed frame of this schema version: newer bridges may send more.
 */
export function parseBridgeFrame(text: string): BridgeFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return ignored(text, 'not JSON');
  }
  if (!isRecord(value) || typeof value.igtlRx !== 'string') return ignored(text, 'not an igtl-rx frame');
  if (value.v !== BRIDGE_FRAME_VERSION) return ignored(text, `schema version ${String(value.v)} (this client reads ${BRIDGE_FRAME_VERSION})`);
  if (value.igtlRx === 'peer-state') {
    const state = peerStateOfJson(value.state);
    return state ? { igtlRx: 'peer-state', v: BRIDGE_FRAME_VERSION, state } : ignored(text, 'bad peer state');
  }
  if (value.igtlRx === 'refused') {
    const { type, deviceName, reason } = value;
    if (typeof type === 'string' && typeof deviceName === 'string' && typeof reason === 'string') return { igtlRx: 'refused', v: BRIDGE_FRAME_VERSION, type, deviceName, reason };
    return ignored(text, 'bad refusal');
  }
  return ignored(text, `unknown frame "${value.igtlRx}"`);
}

/**
 * The peer state a WebSocket client knows: `unknown` while its own link (`link`, the
 * connection's state$) is not open, else the latest peer-state frame among `texts` (the text
 * frames received). Repeats are suppressed. Pure, so it is marble-testable.
 */
export function trackPeerState(texts: Observable<string>, link: Observable<ConnectionState>): Observable<PeerState> {
  const fromBridge = texts.pipe(
    map(parseBridgeFrame),
    filter((f): f is PeerStateFrame => f?.igtlRx === 'peer-state'),
    map((f): PeerState => f.state),
  );
  // While the link is open, only the bridge knows: an open link says nothing of the peer yet.
  const fromLink = link.pipe(
    filter((s) => !isOpen(s)),
    map(() => UNKNOWN_PEER_STATE),
  );
  return merge(fromLink, fromBridge).pipe(distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)));
}

// -------------------------------------------------------------------------------------------

function ignored(text: string, why: string): undefined {
  log('text frame ignored (%s): %s', why, text.length > 200 ? `${text.slice(0, 200)}...` : text);
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function reasonOfJson(v: unknown): PeerStateReason | undefined | false {
  if (v === undefined) return undefined;
  if (!isRecord(v) || typeof v.code !== 'string' || typeof v.message !== 'string') return false;
  if (v.rule !== undefined && typeof v.rule !== 'string') return false;
  return { code: v.code, message: v.message, ...(typeof v.rule === 'string' ? { rule: v.rule } : {}) };
}

/** Validates a peer state read from JSON (a frame's fields are checked, never trusted). */
function peerStateOfJson(v: unknown): PeerStateFrame['state'] | undefined {
  if (!isRecord(v)) return undefined;
  switch (v.kind) {
    case 'connecting':
      return isCount(v.attempt) ? { kind: 'connecting', attempt: v.attempt } : undefined;
    case 'open':
      return typeof v.remote === 'string' ? { kind: 'open', remote: v.remote } : undefined;
    case 'stale':
      return typeof v.remote === 'string' && isCount(v.silentMs) ? { kind: 'stale', remote: v.remote, silentMs: v.silentMs } : undefined;
    case 'reconnecting': {
      const reason = reasonOfJson(v.reason);
      if (reason === false || !isCount(v.attempt) || !isCount(v.delayMs)) return undefined;
      return { kind: 'reconnecting', attempt: v.attempt, delayMs: v.delayMs, ...(reason ? { reason } : {}) };
    }
    case 'closed': {
      const reason = reasonOfJson(v.reason);
      if (reason === false) return undefined;
      return { kind: 'closed', ...(reason ? { reason } : {}) };
    }
    default:
      return undefined;
  }
}
