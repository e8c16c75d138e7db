// `igtl-rx record FILE [HOST:PORT]`: records a connection to FILE + FILE.idx (src/recording).
import { map, share, take, takeUntil, throwError, timeout, type Observable } from 'rxjs';
import { stream, type StreamType } from '../../operators/index.js';
import type { IgtlConnection } from '../connection/connection.js';
import { monotonicNow } from '../protocol/clock.js';
import type { IgtlError } from '../protocol/errors.js';
import type { IgtlMessage } from '../protocol/types.js';
import { stat, unlink } from 'node:fs/promises';
import { indexPathOf, recordingInfo } from '../recording/format.js';
import { replay } from '../recording/replay.js';
import { writeSequence } from '../recording/sequence/frames.js';
import { record } from '../recording/record.js';
import { createServer } from '../transport/server.js';
import { watchPeer } from './connection-view.js';
import { monitorFilter } from './monitor-pipeline.js';
import { ANNOUNCE_V3_OPTION, announceV3Help, connectClient, IDLE_TIMEOUT_OPTION, idleTimeoutHelp, parseIdleTimeout, formatBytes, listenFailure, openConnection, parseEndpoint, parseNumber, stopWhen } from './net-helper.js';
import { CliError } from './output.js';
import { createProgress, formatDuration } from './progress-helper.js';
import { parseOptions, parseStreamTypes } from './verb-helper.js';

export const usage = `usage: igtl-rx record FILE [HOST:PORT] [--listen [HOST:]PORT] [--type LIST] [--device PATTERN]
                     [--stream TYPE]... [--duration S] [--count N] [--reconnect] [--quiet]
                     [--format igtl|mha|nrrd] [--no-compress] [--announce-v3] [--idle-timeout MS]

Records every message from an OpenIGTLink server (default 127.0.0.1:18944) to FILE, with the
time each one was received in FILE.idx, until Ctrl-C, --duration, --count, or the server
closes. FILE holds the messages exactly as sent (plain concatenated OpenIGTLink messages:
"igtl-rx decode FILE" reads it); "igtl-rx replay FILE" plays it back with the original timing.
Format: docs/recording-format.md.

  --listen [HOST:]PORT  be the server instead: record what clients that connect send (e.g. 3D
                        Slicer sending to an OpenIGTLink "server" at this port)
  --type LIST           only these message types, comma-separated
  --device PATTERN      only these device names (a name or a glob)
  --stream TYPE         ask the server to stream TYPE first (STT_TDATA, ...; repeatable)
  --duration S          stop after S seconds
  --count N             stop after N messages
${idleTimeoutHelp(24, ['as a lost connection: the recording ends, complete, exit 1, or with', '--reconnect a reconnect; with --listen: nothing from any client for MS', '(from the start) ends the recording the same way'])}
  --reconnect           keep reconnecting when the connection drops (default: stop)
${announceV3Help(24)}
  --quiet               no progress display and no summary line
  --format F            igtl (default): the recording format above; mha or nrrd: a PLUS / 3D
                        Slicer sequence file (FILE.igs.mha, FILE.seq.nrrd, ...), TRANSFORMs and
                        IMAGEs aligned by timestamp into frames when the recording stops (see
                        "igtl-rx convert"); the session is kept in FILE.igtl.tmp until then
  --no-compress         with --format mha|nrrd: pixels uncompressed

A progress line (messages, bytes, rate, time, the peer's state) shows on stderr when it is a
terminal, otherwise a line for each change of the peer's state (stale, live again,
reconnecting); a summary line is printed at the end. Exit status: 0 when stopped (a signal,
--duration, --count) or closed by the peer, 1 on errors (the connection lost, --idle-timeout,
the file not writable, or its writes stalled for 10 s: a hung disk or share), 2 on usage errors.`;

/** The errors$ codes of a received message that was not decoded (so is not in the recording). */
const RECEIVE_ERRORS: ReadonlySet<string> = new Set(['crc-mismatch', 'truncated', 'body-too-large', 'unsupported-header-version', 'malformed', 'desync']);

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    listen: { type: 'string' },
    type: { type: 'string' },
    device: { type: 'string' },
    stream: { type: 'string', multiple: true },
    duration: { type: 'string' },
    count: { type: 'string' },
    reconnect: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    format: { type: 'string' },
    'no-compress': { type: 'boolean', default: false },
    ...ANNOUNCE_V3_OPTION,
    ...IDLE_TIMEOUT_OPTION,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new CliError(`record takes FILE and an optional HOST:PORT\n${usage}`, 2);
  if (positionals.length === 2 && values.listen !== undefined) throw new CliError('give either HOST:PORT or --listen, not both', 2);
  // Options of a connection to a server mean nothing to --listen: refused, not ignored (the
  // clients' streams were not asked for, and a --listen recording never reconnected).
  for (const option of ['announce-v3', 'reconnect', 'stream'] as const) {
    const given = option === 'stream' ? values.stream !== undefined : values[option] === true;
    if (given && values.listen !== undefined) throw new CliError(`--${option} is for a connection to a server, not with --listen`, 2);
  }
  const idleTimeoutMs = parseIdleTimeout(values['idle-timeout'] as string | undefined);
  const format = ((values.format as string | undefined) ?? 'igtl').toLowerCase();
  if (!['igtl', 'mha', 'nrrd'].includes(format)) throw new CliError(`--format must be igtl, mha or nrrd, not "${format}"`, 2);
  const target = positionals[0]!;
  if (format === 'mha' && !/\.(mha|mhd)$/i.test(target)) throw new CliError('--format mha: FILE must end in .mha or .mhd (e.g. session.igs.mha)', 2);
  if (format === 'nrrd' && !/\.(nrrd|nhdr)$/i.test(target)) throw new CliError('--format nrrd: FILE must end in .nrrd or .nhdr (e.g. session.seq.nrrd)', 2);
  if (values['no-compress'] && format === 'igtl') throw new CliError('--no-compress goes with --format mha or nrrd (a recording is not compressed)', 2);
  // A sequence needs the whole session to pair its streams: record first, convert at the end.
  const file = format === 'igtl' ? target : `${target}.igtl.tmp`;
  const duration = parseNumber('--duration', values.duration as string | undefined, { above: 0 });
  const count = parseNumber('--count', values.count as string | undefined, { min: 1, integer: true });
  const types = values.type === undefined ? undefined : (values.type as string).split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
  const streams: StreamType[] = parseStreamTypes((values.stream as string[] | undefined) ?? []);
  const quiet = values.quiet as boolean;
  const note = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };

  // A message that arrived but could not be decoded (CRC mismatch, malformed, cut off, a lost
  // byte stream) is not in the recording: said as it happens and counted in the summary, since
  // the recording is otherwise indistinguishable from one of everything that came.
  let bad = 0;
  const notRecorded = (err: IgtlError, who = '') => {
    if (!RECEIVE_ERRORS.has(err.code)) return;
    bad++;
    process.stderr.write(`igtl-rx: ${who}not recorded: ${err.message}\n`);
  };
  let source: Observable<IgtlMessage>;
  let cleanup: () => Promise<void>;
  let where: string;
  let connection: IgtlConnection | undefined;
  if (values.listen !== undefined) {
    const endpoint = parseEndpoint(values.listen as string, '--listen');
    // A recorder is passive: no automatic replies to what clients send.
    const server = createServer({ host: endpoint.host, port: endpoint.port, housekeeping: false });
    try {
      await server.listen();
    } catch (err) {
      throw listenFailure(endpoint.host, endpoint.port, err);
    }
    where = `clients of ${server.address.address}:${server.address.port}`;
    note(`listening on ${server.address.address}:${server.address.port}`);
    server.sessions$.subscribe((s) => {
      note(`client ${s.remoteAddress}:${s.remotePort} connected`);
      s.errors$.subscribe((err) => notRecorded(err, `client ${s.remoteAddress}:${s.remotePort}: `));
    });
    source = server.messages$.pipe(map((m) => m.message));
    // No connection to watch here: the rule is on the messages of every client together, from
    // the start. A recorder waiting for a client that never comes (or one that fell silent)
    // waited for ever; a script can now bound it.
    if (idleTimeoutMs !== undefined) {
      const ms = idleTimeoutMs;
      source = source.pipe(timeout({ each: ms, with: () => throwError(() => new Error(`nothing received from any client of ${server.address.address}:${server.address.port} for ${ms} ms`)) }));
    }
    cleanup = () => server.close();
  } else {
    const endpoint = parseEndpoint(positionals[1] ?? '127.0.0.1:18944');
    const conn = connectClient(endpoint, { reconnect: values.reconnect as boolean, announceV3: values['announce-v3'] as boolean, idleTimeoutMs });
    conn.errors$.subscribe((err) => notRecorded(err));
    await openConnection(conn, endpoint);
    where = `${endpoint.host}:${endpoint.port}`;
    connection = conn;
    const asked = streams.map((t) => stream(conn, t).subscribe({ error: (err: Error) => note(`igtl-rx: --stream ${t}: ${err.message}`) }));
    source = conn;
    cleanup = async () => {
      for (const s of asked) s.unsubscribe();
      if (asked.length > 0) await new Promise((r) => setTimeout(r, 50));
      conn.close();
    };
  }

  const stop$ = stopWhen(duration).pipe(share());
  let filtered = source.pipe(monitorFilter({ ...(types ? { types } : {}), ...(values.device === undefined ? {} : { device: values.device as string }) }), takeUntil(stop$));
  if (count !== undefined) filtered = filtered.pipe(take(count));

  const live = !quiet && process.stderr.isTTY === true;
  const progress = createProgress(`recording ${file} | {value} messages | {size} | {rate} msg/s | {elapsed} | {peer}`, undefined, live);
  const started = monotonicNow();
  let messages = 0;
  let bytes = 0;
  let lastUpdate = 0;
  let failure: Error | undefined;
  // What the peer is doing, beside the counts: a recording whose peer fell silent or dropped
  // must say so, not look like a recorder that hung (its counts stop either way).
  const peer = connection === undefined ? undefined : watchPeer(connection, (line) => {
    if (!live) note(line);
  });
  const refresh = () => {
    const now = monotonicNow();
    lastUpdate = now;
    const elapsed = now - started;
    progress.update(messages, { size: formatBytes(bytes), rate: (messages / Math.max(elapsed / 1000, 0.001)).toFixed(0), elapsed: formatDuration(elapsed), peer: peer?.text() ?? 'listening' });
  };
  // The line is refreshed while nothing arrives too (elapsed time, the peer's silence).
  const ticker = live ? setInterval(refresh, 500) : undefined;
  await new Promise<void>((resolve) => {
    record(filtered, file).subscribe({
      next: (r) => {
        messages++;
        bytes += r.bytes.length;
        if (monotonicNow() - lastUpdate > 200) refresh();
      },
      error: (err: Error) => {
        failure = err;
        resolve();
      },
      complete: () => resolve(),
    });
  });
  if (ticker) clearInterval(ticker);
  peer?.stop();
  progress.stop();
  await cleanup();
  if (failure?.message.startsWith('cannot write')) {
    // The counts are of messages received, not kept: no summary that says they were recorded.
    throw new CliError(`${failure.message} (${messages} message${messages === 1 ? '' : 's'} received; ${await keptOf(file)})`);
  }
  const elapsed = monotonicNow() - started;
  const skipped = bad > 0 ? `; ${bad} bad message${bad === 1 ? '' : 's'} not recorded` : '';
  note(`recorded ${messages} message${messages === 1 ? '' : 's'} (${formatBytes(bytes)}) from ${where} in ${formatDuration(elapsed)} to ${file} (+ ${indexPathOf(file)})${skipped}`);
  if (format !== 'igtl' && messages > 0) {
    const progress2 = createProgress(`writing ${target} [{bar}] {value} frames`, undefined, !quiet && process.stderr.isTTY === true);
    try {
      const result = await writeSequence(() => replay(file, { speed: Infinity }), target, {
        compress: !(values['no-compress'] as boolean),
        onProblem: (err) => process.stderr.write(`igtl-rx: warning: ${err.message}\n`),
        onFrame: (n) => progress2.update(n),
      });
      progress2.stop();
      note(`wrote ${result.frames} frame${result.frames === 1 ? '' : 's'} (${formatBytes(result.bytes)}) to ${target}`);
      await unlink(file);
      await unlink(indexPathOf(file));
    } catch (err) {
      progress2.stop();
      throw new CliError(`cannot write ${target}: ${(err as Error).message} (the session is kept in ${file})`);
    }
  }
  if (failure) {
    // A connection that drops still leaves a complete recording of what arrived.
    throw new CliError(connection === undefined ? failure.message : `connection lost: ${failure.message}`);
  }
  return 0;
}

/** What a recording that failed to write holds: "FILE holds N bytes", or "nothing kept". */
async function keptOf(file: string): Promise<string> {
  try {
    // Only a file holds a recording: FILE naming a directory (EISDIR) kept nothing, whatever its size.
    const s = await stat(file);
    if (!s.isFile() || s.size === 0) return 'nothing kept';
    // In whole messages, which is what a replay can read: a disk that filled mid-message left a
    // cut one at the end, and "holds the first 54.5 kB" did not say what that held.
    const whole = await recordingInfo(file).then((info) => info.count, () => undefined);
    return whole === undefined ? `${file} holds the first ${formatBytes(s.size)}` : `${file} holds ${whole} whole message${whole === 1 ? '' : 's'} in ${formatBytes(s.size)}`;
  } catch {
    return 'nothing kept';
  }
}
