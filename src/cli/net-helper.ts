// Shared plumbing of the network verbs: endpoints, numbers, connecting, stopping on Ctrl-C.
import { Observable, filter, firstValueFrom, map, merge, take, timer } from 'rxjs';
import type { IgtlConnection } from '../connection/connection.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import { connectTcp } from '../transport/tcp.js';
import { CliError } from './output.js';

/** A host and a port. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `HOST`, `PORT` or `[IPv6]:PORT` (missing parts: 127.0.0.1 and 18944).
 * Throws a usage error naming `what` for anything else.
 */
export function parseEndpoint(text: string, what = 'HOST:PORT', defaults: Partial<Endpoint> = {}): Endpoint {
  const host0 = defaults.host ?? '127.0.0.1';
  const port0 = defaults.port ?? DEFAULT_PORT;
  const bad = () => new CliError(`${what}: "${text}" is not HOST:PORT, HOST or PORT`, 2);
  const port = (p: string) => {
    if (!/^\d+$/.test(p)) throw bad();
    const n = Number(p);
    if (n > 65535) throw new CliError(`${what}: port ${n} is not in 0..65535`, 2);
    return n;
  };
  if (text === '') throw bad();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] === undefined ? port0 : port(v6[2]) };
  if (/^\d+$/.test(text)) return { host: host0, port: port(text) };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, port: port0 };
  if (text.indexOf(':') !== colon) return { host: text, port: port0 }; // a bare IPv6 address
  const host = text.slice(0, colon);
  if (host === '') throw bad();
  return { host, port: port(text.slice(colon + 1)) };
}

/** Parses a number option; usage error (exit 2) unless it is in [min, max] (and whole, if asked). */
export function parseNumber(option: string, text: string | undefined, limits: { min?: number; max?: number; integer?: boolean; above?: number } = {}): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(v) &&
    (limits.min === undefined || v >= limits.min) &&
    (limits.above === undefined || v > limits.above) &&
    (limits.max === undefined || v <= limits.max) &&
    (!limits.integer || Number.isInteger(v));
  if (!ok) {
    const range = [
      limits.above !== undefined ? `> ${limits.above}` : limits.min !== undefined ? `>= ${limits.min}` : '',
      limits.max !== undefined ? `<= ${limits.max}` : '',
    ].filter(Boolean).join(' and ');
    throw new CliError(`${option} must be a ${limits.integer ? 'whole ' : ''}number${range ? ` ${range}` : ''}, got "${text}"`, 2);
  }
  return v;
}

/** A TCP client connection for a CLI verb: no reconnect unless asked, nothing sent until used. */
export function connectClient(endpoint: Endpoint, options: { reconnect?: boolean; legacyEmptyQueries?: boolean } = {}): IgtlConnection {
  return connectTcp({
    host: endpoint.host,
    port: endpoint.port,
    reconnect: options.reconnect ? { maxAttempts: Infinity } : false,
    keepOpen: true,
    ...(options.legacyEmptyQueries === undefined ? {} : { legacyEmptyQueries: options.legacyEmptyQueries }),
  });
}

/**
 * Opens a connection and resolves once it is open; rejects with one clear line when it cannot
 * be opened (refused, unknown host, timeout).
 */
export async function openConnection(conn: IgtlConnection, endpoint: Endpoint): Promise<void> {
  conn.connect();
  const state = await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open' || s.kind === 'closed')));
  if (state.kind === 'closed') {
    const reason = state.reason?.message ?? 'closed';
    throw new CliError(`cannot connect to ${endpoint.host}:${endpoint.port}: ${reason.replace(`${endpoint.host}:${endpoint.port}: `, '')}`);
  }
}

/** Emits once on the first Ctrl-C (SIGINT) or SIGTERM; later signals exit at once. */
export function stopSignal(): Observable<string> {
  return new Observable<string>((subscriber) => {
    let stopping = false;
    const handler = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      subscriber.next(signal);
    };
    const onInt = () => handler('SIGINT');
    const onTerm = () => handler('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  });
}

/** Emits once when the verb should stop: a signal, or `--duration` seconds (when given). */
export function stopWhen(durationSeconds: number | undefined): Observable<string> {
  const signals = stopSignal();
  const sources: Observable<string>[] = [signals];
  if (durationSeconds !== undefined) sources.push(timer(durationSeconds * 1000).pipe(map(() => 'duration')));
  return merge(...sources).pipe(take(1));
}

/** Human-readable byte count: 512 B, 1.5 kB, 12.3 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
