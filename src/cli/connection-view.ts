// How the CLI shows a connection's life (monitor, demo): its state as one line of text or one
// JSON object, the errors reported so far counted by code, and the exit status a verb returns
// when the connection ends without being asked to.
import { scan, startWith, type Observable, type OperatorFunction } from 'rxjs';
import type { IgtlConnection } from '../connection/connection.js';
import type { ConnectionState } from '../connection/state.js';
import { monotonicNow } from '../protocol/clock.js';
import { DeadPeerError, IgtlError, PeerClosedError } from '../protocol/errors.js';
import type { JsonObject } from '../protocol/json-types.js';
import { CliError } from './output.js';

/**
 * Exit status of a client verb whose connection ended on its own (docs/cli.md, "Exit status").
 * 0, 1 and 2 keep their shared meaning (done, failure, usage).
 */
export const EXIT_PEER_CLOSED = 3;
/** The connection was lost some other way: reset, dead peer, lost byte stream, given up. */
export const EXIT_CONNECTION_LOST = 4;

/** Exit status after a stop signal: 128 + its number (130 for Ctrl-C), as shells report it. */
export function signalExitCode(signal: string): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 1;
}

/**
 * True when `reason` (of a `reconnecting` or `closed` state) means the peer closed the
 * connection cleanly. `undefined` counts too: a connection reports a FIN that way until it
 * carries a PeerClosedError, and a verb never calls close() before it stops watching the state.
 */
export function isPeerClose(reason: Error | undefined): boolean {
  return reason === undefined || reason instanceof PeerClosedError || (reason instanceof IgtlError && reason.code === 'peer-closed');
}

/** Machine-readable reason of a `reconnecting`/`closed` state: an error code (`peer-closed`, `dead-peer`, ...). */
export function reasonCode(reason: Error | undefined): string {
  if (isPeerClose(reason)) return 'peer-closed';
  return reason instanceof IgtlError ? reason.code : 'connection';
}

/** The reason in a few words: `closed by peer`, `dead peer (idle)`, or the error's own message. */
export function reasonText(reason: Error | undefined): string {
  if (isPeerClose(reason)) return 'closed by peer';
  if (reason instanceof DeadPeerError) return `dead peer (${reason.rule}): ${reason.message}`;
  return reason?.message ?? 'closed';
}

/** A duration as people read it: `4.2 s` (tenths under 10 s), `42 s`. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * The state as text: `connecting (attempt 2)`, `open 127.0.0.1:18944`, `stale: no data
 * for 3.0 s from HOST:PORT`, `reconnecting: attempt 2 in 0.5 s (closed by peer)`, `closed by peer`,
 * `closed: <reason>`. `elapsedMs` is added to a stale state's `silentMs` (the time since it was
 * reported), so a view refreshed later shows how long the silence has really lasted.
 */
export function stateText(state: ConnectionState, elapsedMs = 0): string {
  switch (state.kind) {
    case 'idle':
      return 'idle';
    case 'connecting':
      return `connecting (attempt ${state.attempt})`;
    case 'open':
      return `open ${state.remote}`;
    case 'stale':
      return `stale: no data for ${seconds(state.silentMs + elapsedMs)} from ${state.remote}`;
    case 'reconnecting':
      return `reconnecting: attempt ${state.attempt} in ${seconds(state.delayMs)} (${reasonText(state.reason)})`;
    case 'closed':
      return isPeerClose(state.reason) ? 'closed by peer' : `closed: ${reasonText(state.reason)}`;
  }
}

/**
 * The state as a JSON line (`kind: "state"`, docs/cli.md): `state` is the kind, with `remote`
 * (open, stale), `silentMs` (stale), `attempt` (connecting, reconnecting), `delayMs`
 * (reconnecting), and for reconnecting/closed `reason` (an error code, `peer-closed` for a clean
 * close by the peer) and `message`.
 */
export function stateJSON(state: ConnectionState, at: number): JsonObject {
  const out: JsonObject = { kind: 'state', at: Math.round(at * 1000) / 1000, state: state.kind };
  if (state.kind === 'open' || state.kind === 'stale') out.remote = state.remote;
  if (state.kind === 'stale') out.silentMs = state.silentMs;
  if (state.kind === 'connecting' || state.kind === 'reconnecting') out.attempt = state.attempt;
  if (state.kind === 'reconnecting') out.delayMs = state.delayMs;
  if (state.kind === 'reconnecting' || state.kind === 'closed') {
    out.reason = reasonCode(state.reason);
    out.message = reasonText(state.reason);
    if (state.reason instanceof DeadPeerError) out.rule = state.reason.rule;
  }
  return out;
}

/** One reported error as a JSON line: `{"kind":"error","at":...,"code":"crc-mismatch","message":"..."}`. */
export function errorJSON(err: IgtlError, at: number): JsonObject {
  return { kind: 'error', at: Math.round(at * 1000) / 1000, code: err.code, message: err.message };
}

/** Errors reported so far, by code (in order of first appearance). */
export type ErrorCounts = ReadonlyMap<string, number>;

/** Counts a connection's `errors$` by code; starts with the empty count. */
export function countErrors(): OperatorFunction<IgtlError, ErrorCounts> {
  return (errors$: Observable<IgtlError>) =>
    errors$.pipe(
      scan((counts, err) => new Map(counts).set(err.code, (counts.get(err.code) ?? 0) + 1), new Map<string, number>() as ReadonlyMap<string, number>),
      startWith(new Map<string, number>() as ErrorCounts),
    );
}

/** The counts as text: `errors: 0`, `errors: 3 (crc-mismatch 2, desync 1)`. */
export function errorsText(counts: ErrorCounts): string {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return 'errors: 0';
  return `errors: ${total} (${[...counts].map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** The counts as a JSON object: `{"crc-mismatch": 2}` (empty when there were none). */
export function errorsJSON(counts: ErrorCounts): JsonObject {
  return Object.fromEntries(counts);
}

/**
 * The exit status for a connection that ended on its own: {@link EXIT_PEER_CLOSED} when the
 * peer closed it, {@link EXIT_CONNECTION_LOST} otherwise.
 */
export function exitCodeForClose(reason: Error | undefined): number {
  return isPeerClose(reason) ? EXIT_PEER_CLOSED : EXIT_CONNECTION_LOST;
}

/** How a client verb ended: stopped (a signal, `--duration`), or by its connection closing. */
export type Ending = { readonly by: 'stop'; readonly why: string } | { readonly by: 'close'; readonly reason: Error | undefined };

/**
 * The exit status of a verb that ended this way: 0 after `--duration` or its stdout's reader going, 128 + the signal's
 * number after a signal; when the connection closed on its own, throws a CliError (one line on
 * stderr naming `where`) with {@link EXIT_PEER_CLOSED} or {@link EXIT_CONNECTION_LOST}.
 */
export function exitStatus(ending: Ending, where: string): number {
  // 'stdout-closed' (net-helper STDOUT_CLOSED): the reader went, `| head` has what it asked for.
  if (ending.by === 'stop') return ending.why === 'duration' || ending.why === 'stdout-closed' ? 0 : signalExitCode(ending.why);
  const code = exitCodeForClose(ending.reason);
  throw new CliError(`${where}: ${code === EXIT_PEER_CLOSED ? 'closed by peer' : `connection lost: ${reasonText(ending.reason)}`}`, code);
}

/**
 * Follows the peer's state for a verb that records or plays: `text()` for a progress line (`live`,
 * `stale: no data for 4.2 s from ...`, `reconnecting: ...`), and `line` called with each change
 * that matters when there is no such line: falling silent, data again, dropping, reconnecting.
 */
export function watchPeer(conn: IgtlConnection, line: (text: string) => void): { text(): string; stop(): void } {
  let state: ConnectionState = conn.state;
  let since = monotonicNow();
  // Said the peer was stale or gone: its next `open` is said too (without a terminal these lines
  // are all a reader sees, and the last one must not stay "reconnecting" while data flows).
  let saidTrouble = false;
  const sub = conn.state$.subscribe((s) => {
    state = s;
    since = monotonicNow();
    if (s.kind === 'open') {
      if (saidTrouble) line(`igtl-rx: peer live again (${s.remote})`);
      saidTrouble = false;
    } else if (s.kind === 'stale' || s.kind === 'reconnecting' || s.kind === 'closed') {
      saidTrouble = true;
      line(`igtl-rx: peer ${stateText(s)}`);
    }
  });
  return {
    text: () => (state.kind === 'open' ? 'live' : stateText(state, monotonicNow() - since)),
    stop: () => sub.unsubscribe(),
  };
}
