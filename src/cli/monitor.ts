// `igtl-rx monitor HOST:PORT`: a live view of a connection (pipeline in monitor-pipeline.ts).
import { catchError, EMPTY, map, merge, share, takeUntil, type Subscription } from 'rxjs';
import type { ConnectionState } from '../connection/state.js';
import { monotonicNow, wallClockMs } from '../protocol/clock.js';
import { stringifyJSON } from '../protocol/json.js';
import { countErrors, errorJSON, errorsJSON, errorsText, exitStatus, stateJSON, stateText, type Ending, type ErrorCounts } from './connection-view.js';
import { ANNOUNCE_V3_OPTION, announceV3Help, connectClient, IDLE_TIMEOUT_OPTION, idleTimeoutHelp, parseIdleTimeout, keepStreams, openConnection, parseEndpoint, parseNumber, sendsWritten, stopWhen } from './net-helper.js';
import { monitorFilter, messageJSON, monitorTable, renderTable, stampReceived, tableJSON, type MonitorTable } from './monitor-pipeline.js';
import { CliError, droppedLine, LineWriter, outputEnding } from './output.js';
import { loadLogUpdate } from './progress-helper.js';
import { parseOptions, parseStreamTypes, watchStdout } from './verb-helper.js';
import { MAX_TIMER_MS } from '../connection/scheduler.js';

export const usage = `usage: igtl-rx monitor HOST:PORT [--type LIST] [--device PATTERN] [--split] [--element PATTERN]
                      [--rate HZ] [--stream TYPE]... [--json] [--interval MS] [--content-limit BYTES]
                      [--stale MS] [--idle-timeout MS] [--duration S] [--keep-going] [--announce-v3]

Connects to an OpenIGTLink server and shows one row per message type and device name: rate
(Hz, over the last second), bytes/s, the last timestamp, latency (receive time minus the
message's timestamp, when set), message count and the latest value in short form (translation of
a TRANSFORM, size of an IMAGE, text of a STATUS or STRING...). In a terminal the table refreshes
in place; otherwise it is printed every --interval.

  --type LIST           only these message types, comma-separated (e.g. TRANSFORM,TDATA)
  --device PATTERN      only these device names: a name or a glob (Stylus*, {Stylus,Probe})
  --split               one row per tool of TDATA/QTDATA (and per point of POINT)
  --element PATTERN     only these tools of TDATA/QTDATA (implies --split)
  --rate HZ             at most HZ messages per second per row (newest kept: throttleTracking)
  --stream TYPE         ask the server to stream TYPE first (STT_TDATA, ...; repeatable):
                        TDATA, QTDATA, TRANSFORM, POSITION, IMAGE, ... (STP_ is sent on exit)
  --json                print JSON lines instead of a table: one {"kind":"message",...} per
                        message and one {"kind":"rates",...} every --interval (docs/cli.md)
  --interval MS         time between table refreshes / rate lines (default 1000; 500 in a terminal)
  --content-limit BYTES with --json, include the canonical content of messages up to this size
                        (default 4096; 0 = never)
  --stale MS            mark a row stale when nothing has arrived for it for MS (default 3000):
                        "stale" in the Hz column, "STALE 4.2 s:" before its value (a tool out
                        of the camera's view while the others go on); it leaves after a minute
${idleTimeoutHelp(24, ['as a lost connection: exit 4, or with --keep-going a reconnect'])}
  --duration S          stop after S seconds (default: until Ctrl-C or the connection ends)
  --keep-going          when the connection drops, keep reconnecting (forever) and show it,
                        instead of exiting (--reconnect is the same)
${announceV3Help(24)}

Filters apply in the order type, device, split/element, rate; rates and latency are measured
after them. The connection's state is shown as it changes (open, stale when nothing has arrived
for a while, reconnecting with attempt and delay, closed by peer), with the count of errors
reported (bad messages, lost byte stream...) by code; --json prints {"kind":"state",...} and
{"kind":"error",...} lines.

Exit status: 0 after --duration or when the reader of stdout goes (| head); 130 on Ctrl-C (143 on SIGTERM, 129 on SIGHUP), once the STP_ of --stream are
sent; 3 when the peer closed the connection; 4 when the connection was lost otherwise (reset,
dead peer, --idle-timeout, lost byte stream); 1 when it cannot connect; 2 for usage errors.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    type: { type: 'string' },
    device: { type: 'string' },
    split: { type: 'boolean', default: false },
    element: { type: 'string' },
    rate: { type: 'string' },
    stream: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    interval: { type: 'string' },
    stale: { type: 'string' },
    'content-limit': { type: 'string' },
    duration: { type: 'string' },
    'keep-going': { type: 'boolean', default: false },
    reconnect: { type: 'boolean', default: false },
    ...ANNOUNCE_V3_OPTION,
    ...IDLE_TIMEOUT_OPTION,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`monitor takes one HOST:PORT\n${usage}`, 2);
  const endpoint = parseEndpoint(positionals[0]!);
  const json = values.json as boolean;
  // In a terminal the table is redrawn in place (log-update, an optional package); else lines.
  const logUpdate = process.stdout.isTTY === true && !json ? await loadLogUpdate() : undefined;
  const tty = logUpdate !== undefined;
  const rateHz = parseNumber('--rate', values.rate as string | undefined, { above: 0 });
  const intervalMs = parseNumber('--interval', values.interval as string | undefined, { above: 0, max: MAX_TIMER_MS }) ?? (tty ? 500 : 1000);
  const staleAfterMs = parseNumber('--stale', values.stale as string | undefined, { above: 0, max: MAX_TIMER_MS });
  const contentLimit = parseNumber('--content-limit', values['content-limit'] as string | undefined, { min: 0 }) ?? 4096;
  const duration = parseNumber('--duration', values.duration as string | undefined, { above: 0 });
  const types = values.type === undefined ? undefined : (values.type as string).split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
  const streamTypes = parseStreamTypes((values.stream as string[] | undefined) ?? []);
  const keepGoing = (values['keep-going'] as boolean) || (values.reconnect as boolean);
  const idleTimeoutMs = parseIdleTimeout(values['idle-timeout'] as string | undefined);

  const conn = connectClient(endpoint, { reconnect: keepGoing, announceV3: values['announce-v3'] as boolean, idleTimeoutMs });
  await openConnection(conn, endpoint);
  const stop$ = stopWhen(duration, { stdout: true }).pipe(share());
  const out = new LineWriter(process.stdout, { droppedLine: droppedLine(json) });
  watchStdout();
  const streams = keepStreams(conn, streamTypes, (type, err) => process.stderr.write(`igtl-rx: --stream ${type}: ${err.message}\n`));
  const subs: Subscription[] = [];
  let ending: Ending | undefined;
  subs.push(stop$.subscribe((why) => (ending ??= { by: 'stop', why })));

  // What the view shows besides the table: the state (and since when), the errors by code.
  let state: ConnectionState = conn.state;
  let stateAt = monotonicNow();
  let errors: ErrorCounts = new Map();
  let table: MonitorTable = { at: 0, rows: [] };
  const title = () => `igtl-rx monitor ${endpoint.host}:${endpoint.port}   ${new Date().toISOString().slice(11, 19)} UTC   (Ctrl-C to stop)`;
  const status = () => `connection: ${stateText(state, monotonicNow() - stateAt)}   ${errorsText(errors)}`;
  const columns = () => (tty ? process.stdout.columns || 120 : 160);
  const draw = () => logUpdate?.(renderTable(table, columns(), `${title()}\n${status()}`));

  subs.push(
    conn.state$.subscribe((s) => {
      state = s;
      stateAt = monotonicNow();
      if (s.kind === 'closed') ending ??= { by: 'close', reason: s.reason };
      if (s.kind === 'idle') return;
      if (tty) draw();
      else out.line(json ? stringifyJSON(stateJSON(s, wallClockMs())) : `state: ${stateText(s)}`);
    }),
    conn.errors$.pipe(countErrors()).subscribe((counts) => (errors = counts)),
  );
  if (json) subs.push(conn.errors$.subscribe((err) => out.line(stringifyJSON(errorJSON(err, wallClockMs())))));

  const received$ = conn.pipe(
    // The connection ending (an error, once it carries why) is shown through its state.
    catchError(() => EMPTY),
    monitorFilter({
      ...(types ? { types } : {}),
      ...(values.device === undefined ? {} : { device: values.device as string }),
      ...(values.element === undefined ? {} : { element: values.element as string }),
      split: values.split as boolean,
      ...(rateHz === undefined ? {} : { rateHz }),
    }),
    stampReceived(),
    takeUntil(stop$),
    share(),
  );
  const tables$ = received$.pipe(monitorTable({ intervalMs, ...(staleAfterMs === undefined ? {} : { staleAfterMs }) }));
  const stopFlushing = out.flushEvery();
  await new Promise<void>((resolve) => {
    const sink = json
      ? merge(
          received$.pipe(map((r) => stringifyJSON(messageJSON(r, contentLimit)))),
          tables$.pipe(map((t) => stringifyJSON({ ...tableJSON(t), state: state.kind, errors: errorsJSON(errors) }))),
        )
      : tables$.pipe(
          map((t) => {
            table = t;
            return tty ? '' : `\n${renderTable(t, columns(), `${title()}\n${status()}`)}`;
          }),
        );
    subs.push(
      sink.subscribe({
        next: (line) => (tty ? draw() : out.line(line)),
        complete: () => resolve(),
      }),
    );
  });
  // Ending, whatever ended it (the connection closing too): its status holds from here.
  outputEnding();
  stopFlushing();
  for (const s of subs) s.unsubscribe();
  // STP_ for every stream asked for, written before the connection closes (at most 1 s).
  streams.stop();
  await sendsWritten(conn, 1000);
  logUpdate?.done();
  conn.close();
  await out.end();
  return exitStatus(ending ?? { by: 'close', reason: undefined }, `${endpoint.host}:${endpoint.port}`);
}
