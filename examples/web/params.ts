// The page's settings, from its query string (and back into it when the filters change).
import { canTravelAsSubprotocol } from '../../src/transport/bridge-token.js';

/** What the page was asked to do. */
export interface PageParams {
  /** Bridge URL without the filters (default: the server of this page). */
  readonly bridge: string;
  /**
   * Bridge token: from the fragment (`#token=`: a browser sends a fragment to no server and in no
   * Referer), else the query (`?token=`, the fallback), else what this tab was given before (see
   * tokenOutOfAddressBar). Passed to the bridge as a subprotocol, never in the WebSocket URL,
   * unless it has characters a subprotocol cannot hold (then `?token=`).
   */
  readonly token: string | undefined;
  /** Per-client bridge filters (`type=`, `device=`, `rate=`): the bridge filters for the page. */
  readonly types: readonly string[];
  readonly devices: readonly string[];
  readonly rate: number | undefined;
  /** Most pose updates drawn per second per tool (`hz=`, default 30). */
  readonly displayHz: number;
  /** Tracked ultrasound: the image is placed by this tool's pose times its IMAGE matrix (`probe=`). */
  readonly probe: string | undefined;
  /** The connection goes `stale` after this long without data, ms (`stale=`, default 2000). */
  readonly staleAfterMs: number;
  /** A device is greyed after this long without a message, ms (`deviceStale=`, default 3000). */
  readonly deviceStaleMs: number;
  /**
   * Poses and images are judged by their timestamps (watchFreshness byTimestamp); `byTimestamp=0`:
   * by arrival, for a sender whose stamps do not advance as real time does (a slowed replay).
   */
  readonly byTimestamp: boolean;
  /** Fixed window/level of the image panel (`window=`, `level=`; default: auto). */
  readonly window: number | undefined;
  readonly level: number | undefined;
  /** The IMAGE device shown first (`image=`). */
  readonly image: string | undefined;
}

const list = (q: URLSearchParams, name: string): string[] =>
  q.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);

const num = (q: URLSearchParams, name: string): number | undefined => {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Reads the page's query string (and its fragment, for the token; `remembered`: the tab's token from before). */
export function readParams(search: string, loc: { protocol: string; host: string; hash?: string }, remembered?: string): PageParams {
  const q = new URLSearchParams(search);
  const fragment = new URLSearchParams((loc.hash ?? '').replace(/^#/, ''));
  const rate = num(q, 'rate');
  return {
    bridge: q.get('bridge') ?? `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/`,
    token: fragment.get('token') ?? q.get('token') ?? remembered,
    types: list(q, 'type'),
    devices: list(q, 'device'),
    rate: rate !== undefined && rate > 0 ? rate : undefined,
    displayHz: num(q, 'hz') ?? 30,
    probe: q.get('probe') ?? undefined,
    staleAfterMs: num(q, 'stale') ?? 2000,
    deviceStaleMs: num(q, 'deviceStale') ?? 3000,
    byTimestamp: q.get('byTimestamp') !== '0',
    window: num(q, 'window'),
    level: num(q, 'level'),
    image: q.get('image') ?? undefined,
  };
}

/** The bridge filters a client can ask for in its URL. */
export interface BridgeFilter {
  readonly types: readonly string[];
  readonly devices: readonly string[];
  readonly rate: number | undefined;
}

/**
 * Whether the token goes to the bridge as a subprotocol (connectWebSocket's `token`): yes, unless
 * it has a character no subprotocol can hold; then it goes in the WebSocket URL (`?token=`).
 */
export function tokenAsSubprotocol(p: PageParams): boolean {
  return p.token !== undefined && canTravelAsSubprotocol(p.token);
}

/** The WebSocket URL: the bridge, with the per-client filters in its query (and the token only when it cannot be a subprotocol). */
export function bridgeUrl(p: PageParams, f: BridgeFilter): string {
  const url = new URL(p.bridge);
  if (p.token !== undefined && !tokenAsSubprotocol(p)) url.searchParams.set('token', p.token);
  if (f.types.length > 0) url.searchParams.set('type', f.types.join(','));
  if (f.devices.length > 0) url.searchParams.set('device', f.devices.join(','));
  if (f.rate !== undefined) url.searchParams.set('rate', String(f.rate));
  return url.href;
}

/** The page's own URL with the filters changed (so a reload keeps them). */
export function pageUrlWith(href: string, f: BridgeFilter): string {
  const url = new URL(href);
  for (const name of ['type', 'device', 'rate']) url.searchParams.delete(name);
  if (f.types.length > 0) url.searchParams.set('type', f.types.join(','));
  if (f.devices.length > 0) url.searchParams.set('device', f.devices.join(','));
  if (f.rate !== undefined) url.searchParams.set('rate', String(f.rate));
  return url.href;
}

/**
 * The page's own URL without its token (query or fragment), for history.replaceState at load:
 * the address bar, the tab's history and what a reload or a link from the page sends then hold
 * no token. The page remembers it for the tab (sessionStorage) so a reload still connects.
 */
export function tokenOutOfAddressBar(href: string): string {
  const url = new URL(href);
  url.searchParams.delete('token');
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  if (fragment.has('token')) {
    fragment.delete('token');
    const rest = fragment.toString();
    url.hash = rest === '' ? '' : rest;
  }
  return url.href;
}
