// What one WebSocket client asked to receive: `?type=TRANSFORM,TDATA&device=Stylus*&rate=30`.
import { filter, merge, type Observable } from 'rxjs';
import { ofDevice, throttleTracking } from '../../operators/index.js';
// The pattern semantics of ofDevice (exact name, glob, `!negation`), for a list of patterns.
import { nameMatcher } from '../../operators/index.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';

/** A client's server-side filter and throttle. */
export interface ClientFilter {
  /** Wire type names to relay (empty: all). */
  readonly types: readonly string[];
  /** Device name patterns, exact or glob as in `ofDevice` (empty: all). */
  readonly devices: readonly string[];
  /**
   * Most messages per second per (type, device) of streamed types, per tool for messages of one
   * tool (`throttleTracking`'s default key; undefined: unthrottled).
   */
  readonly rate: number | undefined;
}

/** A query parameter the bridge does not accept (the client is refused with 400). */
export class ClientFilterError extends Error {
  override name = 'ClientFilterError';
}

/**
 * Reads a client's filter from its URL query: `type` and `device` may be repeated or
 * comma-separated; `rate` is in Hz. `token` is the bridge's and ignored here; other parameters
 * are ignored too (the page may use them).
 */
export function parseClientFilter(query: URLSearchParams): ClientFilter {
  const list = (name: string) =>
    query
      .getAll(name)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
  const types = list('type');
  for (const t of types) if (!/^[\x21-\x7e]{1,12}$/.test(t)) throw new ClientFilterError(`type "${t}" is not an OpenIGTLink type name (1-12 printable ASCII characters)`);
  const devices = list('device');
  checkDevicePatterns(devices);
  const rateText = query.get('rate');
  let rate: number | undefined;
  if (rateText !== null && rateText !== '') {
    rate = Number(rateText);
    if (!(rate > 0 && rate <= 10_000)) throw new ClientFilterError(`rate "${rateText}" must be a number of Hz in (0, 10000]`);
  }
  return { types, devices, rate };
}

/** Most device patterns with wildcards one client may ask for. */
export const MAX_DEVICE_PATTERNS = 32;
/** Most `*` in one device pattern. */
export const MAX_PATTERN_STARS = 3;

/**
 * A client's device patterns run on the bridge, against every message, as picomatch regexes
 * that backtrack: measured, `@(*(*)|*(*))` eight times then `Z` took 67 s for one message of
 * "StylusToTracker", and `*a` eight times then `*b` over 2 minutes for a 64-character name;
 * meanwhile the bridge serves nobody. So a client gets the globs a device filter needs (exact
 * names, `*`, `?`, `[...]`, `!negation`) and no extglob groups, with a few `*` per pattern (the
 * cost grows as the name length to the power of their number) and a few such patterns.
 */
function checkDevicePatterns(devices: readonly string[]): void {
  // Exact names cost a string comparison: a page may list as many as its URL holds.
  const globs = devices.filter((d) => /[*?[!]/.test(d)).length;
  if (globs > MAX_DEVICE_PATTERNS) throw new ClientFilterError(`${globs} device patterns with wildcards (at most ${MAX_DEVICE_PATTERNS})`);
  for (const d of devices) {
    if (/[*?+@!]\(/.test(d)) throw new ClientFilterError(`device "${d}": extglob groups such as *(...), @(...), +(...) are not accepted (use names, *, ?, [...], !name)`);
    const stars = d.split('*').length - 1;
    if (stars > MAX_PATTERN_STARS) throw new ClientFilterError(`device "${d}" has ${stars} * (at most ${MAX_PATTERN_STARS})`);
  }
}

/** A readable form for log lines: `type=TRANSFORM device=Stylus rate=30`, or `all`. */
export function describeClientFilter(f: ClientFilter): string {
  const parts: string[] = [];
  if (f.types.length > 0) parts.push(`type=${f.types.join(',')}`);
  if (f.devices.length > 0) parts.push(`device=${f.devices.join(',')}`);
  if (f.rate !== undefined) parts.push(`rate=${f.rate}`);
  return parts.length > 0 ? parts.join(' ') : 'all messages';
}

/**
 * A key equal for filters that select the same messages (lists in any order): clients with
 * equal keys share one filtered stream and one encoding of each message (fan-out.ts).
 */
export function clientFilterKey(f: ClientFilter): string {
  return JSON.stringify([[...f.types].sort(), [...f.devices].sort(), f.rate ?? null]);
}

/**
 * Applies a client's filter to the shared upstream stream. The throttle applies to streamed
 * types only (`isStreamed`: the ones sent with the `latest` policy); STATUS, STRING, replies
 * and the like are never thinned out.
 */
export function applyClientFilter(source: Observable<IgtlMessage>, f: ClientFilter, isStreamed: (msg: IgtlMessage) => boolean): Observable<IgtlMessage> {
  let out = source;
  if (f.types.length > 0) {
    const wanted = new Set(f.types);
    out = out.pipe(filter((m) => wanted.has(wireType(m))));
  }
  if (f.devices.length > 0) {
    const matchers = f.devices.map(nameMatcher);
    out = out.pipe(ofDevice((name: string) => matchers.some((matches) => matches(name))));
  }
  if (f.rate !== undefined) {
    const rate = f.rate;
    const shared = out;
    out = merge(shared.pipe(filter(isStreamed), throttleTracking(rate)), shared.pipe(filter((m) => !isStreamed(m))));
  }
  return out;
}
