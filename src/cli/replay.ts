// `igtl-rx replay FILE`: plays a recording back (src/recording) to a server, to clients, or to stdout.
import { EMPTY, filter, firstValueFrom, ignoreElements, map, share, takeUntil, catchError, endWith, tap, type Observable, type Subscription } from 'rxjs';
import { sendTo } from '../../operators/index.js';
import type { IgtlConnection } from '../connection/connection.js';
import { stringifyJSON, toJSON } from '../protocol/json.js';
import { summarize } from '../protocol/summary.js';
import { RecordingCutShortError, recordingInfo } from '../recording/format.js';
import type { IgtlMessage } from '../protocol/types.js';
import { replayRecording, type ReplayOptions } from '../recording/replay.js';
import { replaySequence } from '../recording/sequence/reader.js';
import { openSequence, sequenceFormatOf } from '../recording/sequence/sequence.js';
import { createServer, type IgtlSession } from '../transport/server.js';
import { connectTcp } from '../transport/tcp.js';
import { listenFailure, openConnection, parseEndpoint, parseNumber, stopWhen, writtenOrEnded } from './net-helper.js';
import { CliError, LineWriter } from './output.js';
import { createProgress } from './progress-helper.js';
import { parseOptions, watchStdout } from './verb-helper.js';
import { monotonicNow } from '../protocol/clock.js';

export const usage = `usage: igtl-rx replay FILE [--to HOST:PORT | --serve [HOST:]PORT] [--speed X | --fast]
                     [--loop | --repeat N] [--json] [--once] [--close] [--duration S] [--quiet]
                     [--rebase] [--valid-only]

Plays back a recording made by "igtl-rx record" (or any file of concatenated OpenIGTLink
messages) with the original timing: the message bytes are sent exactly as they were recorded.
A PLUS or 3D Slicer sequence file (.igs.mha, .mha, .mhd, .igs.nrrd, .seq.nrrd, .nrrd, .nhdr)
is streamed as PlusServer streams a saved data source: per frame one TRANSFORM per transform
(named like ProbeToTracker, TransformStatus/TransformValid metadata), then the IMAGE
(Image_Reference, or the frame's FriendlyDeviceName). See docs/sequences.md.

  --to HOST:PORT        act as a client: connect to a server and send it the recording
  --serve [HOST:]PORT   act as a server: every client that connects gets the recording from
                        the start (port 0 picks a free one; the "listening on" line says which)
  (neither)             print the messages at the recorded pace, like "igtl-rx decode"
  --speed X             play X times as fast (default 1; 0.5 = half speed)
  --fast                as fast as possible (no waits)
  --loop                play again from the start, forever
  --repeat N            play N times in all
  --json                with no target: print canonical JSON lines instead of summaries
  --once                with --serve: exit after the first client's playback (and close it);
                        exit 1 when its connection was lost first (reset, write stalled)
  --close               with --serve: close each client's connection when its playback ends
  --duration S          stop after S seconds
  --quiet               no progress display and no summary line
  --rebase              sequences: stamp the first frame with the current time (default: the
                        file's timestamps, which PLUS writes in its own clock)
  --valid-only          sequences: skip transforms whose status is not OK (PlusServer's
                        default SendValidTransformsOnly); without it they are sent marked

Timing comes from FILE.idx (receive times, written by "igtl-rx record"); without one, from the
messages' header timestamps. A progress bar shows on stderr when it is a terminal.
Exit status: 0 when the playback ended or was stopped (a signal, --duration, the reader of stdout
going), 1 on errors, on a recording cut short (it ends inside a message, or before messages its
index lists; stderr says where) and on damaged messages (reported and skipped), 2 on usage errors.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    to: { type: 'string' },
    serve: { type: 'string' },
    speed: { type: 'string' },
    fast: { type: 'boolean', default: false },
    loop: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    json: { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
    close: { type: 'boolean', default: false },
    duration: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    rebase: { type: 'boolean', default: false },
    'valid-only': { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`replay takes one FILE\n${usage}`, 2);
  if (values.to !== undefined && values.serve !== undefined) throw new CliError('give either --to or --serve, not both', 2);
  if (values.speed !== undefined && values.fast) throw new CliError('give either --speed or --fast, not both', 2);
  if (values.loop && values.repeat !== undefined) throw new CliError('give either --loop or --repeat, not both', 2);
  // Options of one target only: refused elsewhere, not ignored.
  for (const option of ['once', 'close'] as const) if (values[option] && values.serve === undefined) throw new CliError(`--${option} goes with --serve`, 2);
  if (values.json && (values.to !== undefined || values.serve !== undefined)) throw new CliError('--json is for printing (no --to or --serve)', 2);
  const file = positionals[0]!;
  const speed = values.fast ? Infinity : (parseNumber('--speed', values.speed as string | undefined, { above: 0 }) ?? 1);
  const repeat = values.loop ? Infinity : (parseNumber('--repeat', values.repeat as string | undefined, { min: 1, integer: true }) ?? 1);
  const duration = parseNumber('--duration', values.duration as string | undefined, { above: 0 });
  const quiet = values.quiet as boolean;
  const note = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };

  let problems = 0;
  // A file cut short is said again in the summary: "replayed 809 messages from FILE" alone read
  // as the whole recording.
  let cut: RecordingCutShortError | undefined;
  const isSequence = sequenceFormatOf(file) !== undefined;
  let count: number | undefined;
  try {
    if (isSequence) {
      // Frames, not messages, are what a sequence counts: the bar then counts frames too.
      const seq = await openSequence(file);
      count = seq.frameCount;
      await seq.close();
    } else count = (await recordingInfo(file)).count;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const options: ReplayOptions = {
    speed,
    loop: repeat === Infinity ? true : repeat,
    onProblem: (err) => {
      problems++;
      if (err instanceof RecordingCutShortError) cut ??= err;
      process.stderr.write(`igtl-rx: ${err.message}\n`);
    },
  };
  const stop$ = stopWhen(duration).pipe(share());
  const total = repeat === Infinity || isSequence ? undefined : count * repeat;
  const sequence = isSequence ? { rebase: values.rebase as boolean, validOnly: values['valid-only'] as boolean } : undefined;

  if (values.serve !== undefined) {
    const failure = await serve(file, parseEndpoint(values.serve as string, '--serve', { host: '127.0.0.1' }), options, stop$, { once: values.once as boolean, close: (values.close as boolean) || (values.once as boolean), note, sequence });
    if (failure) throw new CliError(`replay --serve --once: ${failure}`);
    return problems > 0 ? 1 : 0;
  }

  let conn: IgtlConnection | undefined;
  let target = 'stdout';
  if (values.to !== undefined) {
    const endpoint = parseEndpoint(values.to as string, '--to');
    // A replay is the recorded traffic and nothing else (as with --serve): no heartbeat probe, so
    // the server receives exactly the recorded bytes. Empty queries keep the framing they were
    // recorded in (the default would send v3 ones as v1). connectClient's settings otherwise.
    conn = connectTcp({ host: endpoint.host, port: endpoint.port, reconnect: false, keepOpen: true, legacyEmptyQueries: false, heartbeat: false });
    await openConnection(conn, endpoint);
    target = `${endpoint.host}:${endpoint.port}`;
  }
  const out = new LineWriter();
  if (!conn) watchStdout();
  const progress = createProgress(
    `replaying ${file} ${total === undefined ? '| {value} messages' : '[{bar}] {value}/{total} messages'} | {elapsed}`,
    total,
    !quiet && process.stderr.isTTY === true && (conn !== undefined || process.stdout.isTTY !== true),
  );
  const started = monotonicNow();
  let sent = 0;
  let failure: Error | undefined;
  // Printed: the playback waits for a reader of stdout that does not keep up (nothing queues up).
  // Told to stop (a signal, --duration): the output is not waited for past a reader that has stopped reading.
  let stopped = false;
  const stopSeen = stop$.subscribe(() => (stopped = true));
  const recorded = playback(file, { ...options, flowControl: conn ? drained(conn) : () => out.whenWritable() }, sequence).pipe(takeUntil(stop$));
  const played: Observable<IgtlMessage> = conn ? recorded.pipe(sendTo(conn, { policy: 'lossless' })) : recorded;
  const stopFlushing = out.flushEvery();
  let playing: Subscription | undefined;
  await new Promise<void>((resolve) => {
    playing = played.subscribe({
      next: (r) => {
        sent++;
        if (!conn) out.line(values.json ? stringifyJSON(toJSON(r)) : summarize(r));
        if (sent % 50 === 0 || sent === total) progress.update(sent, { elapsed: `${((monotonicNow() - started) / 1000).toFixed(1)} s` });
      },
      error: (err: Error) => {
        failure = err;
        resolve();
      },
      complete: () => resolve(),
    });
    // The peer closing the connection ends the playback too.
    conn?.subscribe({ error: (err: Error) => ((failure = err), resolve()), complete: () => resolve() });
  });
  // A connection that ended leaves the playback waiting for a queue that never drains.
  playing?.unsubscribe();
  stopFlushing();
  progress.update(sent, { elapsed: `${((monotonicNow() - started) / 1000).toFixed(1)} s` });
  progress.stop();
  let unsent = 0;
  if (conn) {
    // Everything handed to the connection is written before it closes, unless it ended first.
    unsent = await writtenOrEnded(conn);
    conn.close();
  }
  stopSeen.unsubscribe();
  await (stopped ? out.end() : out.flush());
  const lost = unsent > 0 ? ` (${unsent} of ${sent} message${sent === 1 ? '' : 's'} handed to the connection not sent)` : '';
  if (failure) throw new CliError(conn ? `replay to ${target} failed: ${failure.message}${lost}` : `cannot read ${file}: ${failure.message}`);
  // The peer closing cleanly ends the playback (exit 0), but not with messages still waiting.
  if (unsent > 0) throw new CliError(`replay to ${target} failed: the connection ended${lost}`);
  const cutNote = cut ? ` (cut short: the file's whole messages end at byte ${cut.offset})` : '';
  note(`replayed ${sent} message${sent === 1 ? '' : 's'} from ${file}${cutNote} to ${target} in ${((monotonicNow() - started) / 1000).toFixed(1)} s`);
  return problems > 0 ? 1 : 0;
}

// Past this many bytes waiting to be sent, playback waits until the queue is down to LOW_WATER.
const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 1024 * 1024;

/** Flow control for playback into a connection: pause while its send queue is over HIGH_WATER. */
function drained(conn: IgtlConnection): () => Promise<unknown> | undefined {
  let waiting = 0;
  conn.queue$.subscribe((q) => (waiting = q.bytes));
  return () => (waiting > HIGH_WATER ? firstValueFrom(conn.queue$.pipe(filter((q) => q.bytes <= LOW_WATER))) : undefined);
}

/** The messages of a recording or of a sequence file (chosen by the file's extension), at the recorded pace. */
function playback(file: string, options: ReplayOptions, sequence: { rebase: boolean; validOnly: boolean } | undefined): Observable<IgtlMessage> {
  if (!sequence) return replayRecording(file, options).pipe(map((r) => r.message));
  return replaySequence(file, {
    ...(options.speed === undefined ? {} : { speed: options.speed }),
    ...(options.loop === undefined ? {} : { loop: options.loop }),
    ...(options.flowControl ? { flowControl: options.flowControl } : {}),
    // What a file lacks (a transform to place the image, a timestamp) is worth a warning, not a failed exit.
    onProblem: (err) => process.stderr.write(`igtl-rx: warning: ${err.message}\n`),
    timestamps: sequence.rebase ? 'rebase' : 'original',
    invalidTransforms: sequence.validOnly ? 'skip' : 'send',
  }).pipe(map((m) => m.message));
}

/** `--serve`: each client that connects gets its own playback from the start. */
async function serve(
  file: string,
  endpoint: { host: string; port: number },
  options: ReplayOptions,
  stop$: Observable<string>,
  how: { once: boolean; close: boolean; note: (line: string) => void; sequence: { rebase: boolean; validOnly: boolean } | undefined },
): Promise<string | undefined> {
  // A replay is the recorded traffic and nothing else: no automatic replies.
  // Empty queries keep the framing they were recorded in (as with --to).
  const server = createServer({ host: endpoint.host, port: endpoint.port, housekeeping: false, legacyEmptyQueries: false });
  try {
    await server.listen();
  } catch (err) {
    throw listenFailure(endpoint.host, endpoint.port, err);
  }
  // Always printed (also with --quiet): scripts read the port from it.
  process.stdout.write(`listening on ${server.address.address}:${server.address.port}\n`);
  // With --once, the one playback is the job: when it was not delivered, the exit says so.
  let failure: string | undefined;
  await new Promise<void>((resolve) => {
    const stopping = stop$.subscribe(() => resolve());
    const finished = (line: string, ok: boolean) => {
      if (!how.once) {
        how.note(line);
        return;
      }
      if (ok) how.note(line);
      else failure = line;
      stopping.unsubscribe();
      resolve();
    };
    server.sessions$.subscribe((session: IgtlSession) => {
      const client = `${session.remoteAddress}:${session.remotePort}`;
      how.note(`client ${client} connected: replaying ${file}`);
      // Why the client's connection ended, when it ended before the playback: a client dropped
      // for not reading (write stall) must not read as a playback that was delivered.
      let gone = false;
      let lost: Error | undefined;
      const gone$ = session.pipe(
        ignoreElements(),
        catchError((err: Error) => ((lost = err), EMPTY)),
        endWith(true),
        tap(() => (gone = true)),
      );
      let count = 0;
      playback(file, { ...options, flowControl: drained(session) }, how.sequence)
        .pipe(
          sendTo(session, { policy: 'lossless' }),
          takeUntil(gone$),
          takeUntil(stop$),
        )
        .subscribe({
          next: () => count++,
          complete: () => {
            void (async () => {
              const unsent = gone ? 0 : how.close ? await writtenOrEnded(session) : 0;
              if (how.close) session.close();
              const what = `${count} message${count === 1 ? '' : 's'}`;
              if (lost) finished(`client ${client}: connection lost after ${what}: ${lost.message}`, false);
              else if (unsent > 0) finished(`client ${client}: connection ended with ${unsent} of ${what} not sent`, false);
              else if (gone) finished(`client ${client}: closed by the client after ${what}`, true);
              else finished(`client ${client}: replayed ${what}`, true);
            })();
          },
          error: (err: Error) => {
            session.close();
            finished(`client ${client}: ${err.message}`, false);
          },
        });
    });
  });
  await server.close();
  return failure;
}
