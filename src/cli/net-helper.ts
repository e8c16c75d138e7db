// Shared plumbing of the network verbs: endpoints, numbers, connecting, stopping on Ctrl-C.
import { Observable, combineLatest, filter, firstValueFrom, map, merge, of, switchMap, take, timeout, timer } from 'rxjs';
import { stream, type StreamType } from '../../operators/index.js';
import type { IgtlConnection } from '../connection/connection.js';
import { MAX_TIMER_MS } from '../connection/scheduler.js';
import { isOpen } from '../connection/state.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import { connectTcp } from '../transport/tcp.js';
import { signalExitCode } from './connection-view.js';
import { CliError, outputEnding, whenStdoutGone } from './output.js';

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

/**
 * `--announce-v3` of the verbs that read a peer's streams (monitor, record, bridge): the
 * connection option `announceV3` (docs/connections.md, "Header versions"). PLUS answers each
 * client in the highest header version it has received from it, so without this it answers in
 * legacy framing: no metadata, and device names cut to their first 20 bytes.
 */
export const ANNOUNCE_V3_OPTION = { 'announce-v3': { type: 'boolean', default: false } } as const;

/** The help lines of {@link ANNOUNCE_V3_OPTION}, aligned as the verbs' usage texts are. */
export function announceV3Help(column: number): string {
  const pad = ' '.repeat(column);
  return [
    `  --announce-v3${' '.repeat(Math.max(1, column - 15))}on connect, send an unnamed STATUS in v3 framing, as 3D Slicer does:`,
    `${pad}a PLUS server then answers in v3 framing, with metadata and with`,
    `${pad}device names over 20 bytes whole (IGTL_DEVICE_NAME); not for peers`,
    `${pad}that read legacy framing only (Debian's libopenigtlink 1.11)`,
  ].join('\n');
}

/**
 * `--idle-timeout MS` of the verbs that watch a peer's stream (monitor, record): the connection
 * option `idleTimeoutMs` (docs/connections.md, "Liveness"). Off by default: a server that accepted
 * and then sends nothing (stopped before it accepted, hung) left them `stale` for ever, but a
 * peer may be silent on purpose (3D Slicer sends a transform only when it moves; the C++
 * receive-only example servers send nothing), so only the operator knows that silence is death.
 */
export const IDLE_TIMEOUT_OPTION = { 'idle-timeout': { type: 'string' } } as const;

/** The help lines of {@link IDLE_TIMEOUT_OPTION}, aligned as the verbs' usage texts are; `then`: what the verb does. */
export function idleTimeoutHelp(column: number, then: readonly string[]): string {
  const pad = ' '.repeat(column);
  return [
    `  --idle-timeout MS${' '.repeat(Math.max(1, column - 19))}give up when nothing at all (not even a keep-alive) has arrived from`,
    `${pad}the peer for MS (default: off, as a peer may be silent on purpose:`,
    `${pad}3D Slicer sends a transform only when it moves)`,
    ...then.map((line) => `${pad}${line}`),
  ].join('\n');
}

/** Parses `--idle-timeout`: undefined when not given or 0 (off); usage error otherwise. */
export function parseIdleTimeout(text: string | undefined): number | undefined {
  const ms = parseNumber('--idle-timeout', text, { min: 0, max: MAX_TIMER_MS });
  return ms === 0 ? undefined : ms;
}

/**
 * A TCP client connection for a CLI verb: no reconnect unless asked (then it never gives up),
 * nothing sent until used.
 */
export function connectClient(endpoint: Endpoint, options: { reconnect?: boolean; legacyEmptyQueries?: boolean; announceV3?: boolean; idleTimeoutMs?: number | undefined } = {}): IgtlConnection {
  return connectTcp({
    host: endpoint.host,
    port: endpoint.port,
    reconnect: options.reconnect ? { maxAttempts: Infinity } : false,
    keepOpen: true,
    ...(options.legacyEmptyQueries === undefined ? {} : { legacyEmptyQueries: options.legacyEmptyQueries }),
    ...(options.announceV3 ? { announceV3: true } : {}),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
  });
}

/**
 * Opens a connection and resolves once it is open; rejects with one clear line when it cannot
 * be opened (refused, unknown host, timeout). The first attempt decides, also for a connection
 * that reconnects (`monitor --keep-going`, `record --reconnect`): those keep trying once a
 * connection drops, but a peer that was never there is exit 1 (docs/cli.md), where they waited
 * in silence, past `--duration`, for the first open.
 */
export async function openConnection(conn: IgtlConnection, endpoint: Endpoint): Promise<void> {
  conn.connect();
  const state = await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open' || s.kind === 'closed' || s.kind === 'reconnecting')));
  if (state.kind !== 'open') {
    if (state.kind === 'reconnecting') conn.close();
    const reason = state.reason?.message ?? 'closed';
    throw new CliError(`cannot connect to ${endpoint.host}:${endpoint.port}: ${reason.replace(`${endpoint.host}:${endpoint.port}: `, '')}`);
  }
}

/**
 * The one line for a server verb that cannot listen (simulate, record --listen, replay --serve,
 * demo's simulator): `cannot listen on HOST:PORT: the port is in use`. They said it three ways,
 * two naming the address twice (`cannot listen on 127.0.0.1:P: listen EADDRINUSE: address
 * already in use 127.0.0.1:P`).
 */
export function listenFailure(host: string, port: number, err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  const why = e?.code === 'EADDRINUSE' ? 'the port is in use' : e?.code === 'EACCES' ? 'permission denied (a port below 1024 needs privileges)' : e?.code === 'EADDRNOTAVAIL' ? 'no such local address' : (e?.message ?? String(err));
  return new CliError(`cannot listen on ${host}:${port}: ${why}`);
}

/** The signals that stop a verb cleanly (exit status: {@link signalExitCode}). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Emits once on the first Ctrl-C (SIGINT), SIGTERM or SIGHUP; a later one exits at once, with
 * 128 + the signal's number. SIGHUP is a stop too: a terminal closed or an ssh session lost sends
 * it, and its default action killed a `record` on the spot, without its summary, its `--format`
 * conversion or the STP_ of its `--stream`s (Node's default for SIGHUP is to die).
 *
 * Our listeners stay installed after the first signal, for the rest of the process. Why:
 * log-update hides the cursor through cli-cursor, whose first `hide()` calls restore-cursor,
 * which registers a signal-exit v4 `onExit` hook. signal-exit listens to SIGINT/SIGTERM too, and
 * when it finds itself the only listener of the signal it concludes the process is about to
 * die: it runs its exit hooks (shows the cursor) and sends the signal again with the default
 * disposition, which kills the process on the spot. If we removed our listener when the first
 * signal arrived (as a `take(1)` teardown does, and EventEmitter still calls signal-exit from
 * its copy of the listener list), signal-exit would find itself alone and kill the process before
 * the verb's clean-up ran: no STP_ for the streams it started, no final flush.
 */
export function stopSignal(): Observable<string> {
  return new Observable<string>((subscriber) => {
    let received = false;
    const handler = (signal: string) => {
      if (received) process.exit(signalExitCode(signal));
      received = true;
      // The verb is ending: a reader of stdout that goes now does not make it exit 0.
      outputEnding();
      subscriber.next(signal);
    };
    const listeners = STOP_SIGNALS.map((signal) => [signal, () => handler(signal)] as const);
    for (const [signal, listener] of listeners) process.on(signal, listener);
    return () => {
      if (received) return; // kept: see above (and the second signal exits at once)
      for (const [signal, listener] of listeners) process.off(signal, listener);
    };
  });
}

/**
 * The first stop signal, for a verb that waits for one thing (send: its messages written; query:
 * the answer): `signal` resolves with its name. `race(work)` resolves with the work's value, or
 * with a {@link Stopped} when the signal comes first (the work's later failure, once the
 * verb closes its connection, is then ignored). `dispose()` once done. Without it they had
 * Node's defaults: SIGINT/SIGTERM/SIGHUP killed them on the spot, with no word, no STP_, and
 * no status of their own (the shell saw a death by signal).
 */
export function stopSignalOnce(): { readonly signal: Promise<string>; race<T>(work: Promise<T>): Promise<T | Stopped>; dispose(): void } {
  let resolveSignal: (signal: string) => void = () => {};
  const signal = new Promise<string>((resolve) => (resolveSignal = resolve));
  const sub = stopSignal().subscribe((s) => resolveSignal(s));
  return {
    signal,
    race: <T>(work: Promise<T>) => {
      work.catch(() => {});
      return Promise.race([work, signal.then((s) => new Stopped(s))]);
    },
    dispose: () => sub.unsubscribe(),
  };
}

/** What {@link stopSignalOnce}'s `race` gives when the signal came first. */
export class Stopped {
  constructor(readonly signal: string) {}
}

/** Why a verb stopped when the reader of its stdout went (`| head`): exit 0 (docs/cli.md). */
export const STDOUT_CLOSED = 'stdout-closed';

/**
 * Emits once when the verb should stop: a signal, `--duration` seconds (when given), or, with
 * `stdout: true` (stdout is the verb's product), {@link STDOUT_CLOSED} when its reader goes.
 */
export function stopWhen(durationSeconds: number | undefined, options: { stdout?: boolean } = {}): Observable<string> {
  const signals = stopSignal();
  const sources: Observable<string>[] = [signals];
  if (durationSeconds !== undefined) sources.push(after(durationSeconds * 1000).pipe(map(() => 'duration')));
  if (options.stdout) sources.push(new Observable<string>((subscriber) => whenStdoutGone(() => subscriber.next(STDOUT_CLOSED))));
  return merge(...sources).pipe(take(1));
}

/**
 * Emits once after `ms`, in steps of at most MAX_TIMER_MS: one timer of a longer delay fires
 * after 1 ms in Node (`--duration 3000000` stopped a verb at once, with a TimeoutOverflowWarning).
 */
function after(ms: number): Observable<unknown> {
  return ms > MAX_TIMER_MS ? timer(MAX_TIMER_MS).pipe(switchMap(() => after(ms - MAX_TIMER_MS))) : timer(ms);
}

/**
 * Resolves once the connection's send queue is empty (everything handed to the socket), or
 * after `maxMs`, or at once when the connection is not open: used before closing so that the
 * STP_ of the streams a verb started leave before it exits.
 */
export async function sendsWritten(conn: IgtlConnection, maxMs = 1000): Promise<void> {
  if (!isOpen(conn.state)) return;
  await firstValueFrom(
    conn.queue$.pipe(
      filter((q) => q.messages === 0),
      map(() => undefined),
      timeout({ first: maxMs, with: () => of(undefined) }),
    ),
  );
}

/**
 * Resolves once everything queued on the connection has been handed to the socket (with 0), or
 * once the connection has ended (with the number of messages still waiting). For the verbs
 * whose job is to send (send, replay --to): a connection that ends without reconnecting keeps
 * its queue for a next life that never comes (docs/connections.md, "What survives a
 * reconnect"), so waiting for an empty queue alone waited for ever; with no timer left, Node
 * then exited 0 with nothing printed, as if everything had been sent.
 */
export function writtenOrEnded(conn: IgtlConnection): Promise<number> {
  return firstValueFrom(
    combineLatest([conn.queue$, conn.state$]).pipe(
      filter(([q, s]) => q.messages === 0 || s.kind === 'closed'),
      map(([q]) => q.messages),
    ),
  );
}

/**
 * Keeps the streams a verb asked for (STT_ now, via the `stream` operator, which asks again
 * after every reconnect: a new channel is a new session for the server, which has forgotten the
 * STT_). `stop()` ends them, which sends their STP_ (see {@link sendsWritten}).
 */
export function keepStreams(conn: IgtlConnection, types: readonly StreamType[], onError: (type: StreamType, err: Error) => void): { stop(): void } {
  const subs = types.map((type) =>
    stream(conn, type).subscribe({
      error: (err: Error) => {
        // The connection ending is shown as its state (set before its streams end); only a
        // refusal (an RTS_ with an error status) is news.
        if (conn.state.kind !== 'closed') onError(type, err);
      },
    }),
  );
  return {
    stop() {
      for (const sub of subs) sub.unsubscribe();
    },
  };
}

/** Human-readable byte count: 512 B, 1.5 kB, 12.3 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
