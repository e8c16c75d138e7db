// `igtl-rx monitor HOST:PORT`: a live view of a connection (pipeline in monitor-pipeline.ts).
import { parseArgs } from 'node:util';
import logUpdate from 'log-update';
import { map, merge, share, takeUntil, type Subscription } from 'rxjs';
import { stream } from '../../operators/index.js';
import { stringifyJSON } from '../protocol/json.js';
import { connectClient, openConnection, parseEndpoint, parseNumber, stopWhen } from './net-helper.js';
import { monitorFilter, messageJSON, monitorTable, renderTable, stampReceived, tableJSON } from './monitor-pipeline.js';
import { CliError, LineWriter } from './output.js';
import { parseOptions, parseStreamTypes, watchStdout } from './verb-helper.js';

export const usage = `usage: igtl-rx monitor HOST:PORT [--type LIST] [--device PATTERN] [--split] [--element PATTERN]
                      [--rate HZ] [--stream TYPE]... [--json] [--interval MS] [--content-limit BYTES]
                      [--duration S] [--reconnect]

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
  --duration S          stop after S seconds (default: until Ctrl-C or the server closes)
  --reconnect           keep reconnecting when the connection drops (default: stop)

Filters apply in the order type, device, split/element, rate; rates and latency are measured
after them. Exit status: 0 when stopped or closed by the server, 1 on a connection error.`;

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
    'content-limit': { type: 'string' },
    duration: { type: 'string' },
    reconnect: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`monitor takes one HOST:PORT\n${usage}`, 2);
  const endpoint = parseEndpoint(positionals[0]!);
  const tty = process.stdout.isTTY === true && !values.json;
  const rateHz = parseNumber('--rate', values.rate as string | undefined, { above: 0 });
  const intervalMs = parseNumber('--interval', values.interval as string | undefined, { above: 0 }) ?? (tty ? 500 : 1000);
  const contentLimit = parseNumber('--content-limit', values['content-limit'] as string | undefined, { min: 0 }) ?? 4096;
  const duration = parseNumber('--duration', values.duration as string | undefined, { above: 0 });
  const types = values.type === undefined ? undefined : (values.type as string).split(',').map((t) => t.trim().toUpperCase()).filter(Boolean);
  const streams = parseStreamTypes((values.stream as string[] | undefined) ?? []);

  const conn = connectClient(endpoint, { reconnect: values.reconnect as boolean });
  await openConnection(conn, endpoint);
  const stop$ = stopWhen(duration).pipe(share());
  const out = new LineWriter();
  watchStdout();
  const subs: Subscription[] = [];
  for (const type of streams) subs.push(stream(conn, type).subscribe({ error: (err: Error) => process.stderr.write(`igtl-rx: --stream ${type}: ${err.message}\n`) }));

  const received$ = conn.pipe(
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
  const tables$ = received$.pipe(monitorTable({ intervalMs }));
  const title = () => `igtl-rx monitor ${endpoint.host}:${endpoint.port}   ${new Date().toISOString().slice(11, 19)} UTC   (Ctrl-C to stop)`;
  const flushTimer = setInterval(() => void out.flush(), 100);
  let failure: Error | undefined;
  const done = new Promise<void>((resolve) => {
    const columns = () => (tty ? process.stdout.columns || 120 : 160);
    const sink = values.json
      ? merge(
          received$.pipe(map((r) => stringifyJSON(messageJSON(r, contentLimit)))),
          tables$.pipe(map((t) => stringifyJSON(tableJSON(t)))),
        )
      : tables$.pipe(map((t) => `${tty ? '' : '\n'}${renderTable(t, columns(), title())}`));
    subs.push(
      sink.subscribe({
        next: (line) => (tty ? logUpdate(line) : out.line(line)),
        error: (err: Error) => {
          failure = err;
          resolve();
        },
        complete: () => resolve(),
      }),
    );
  });
  // The connection ending (peer closed, error) ends the pipeline through the connection itself.
  await done;
  clearInterval(flushTimer);
  if (tty) logUpdate.done();
  for (const s of subs) s.unsubscribe();
  // Let the STP_ of --stream go out before closing.
  if (streams.length > 0) await new Promise((r) => setTimeout(r, 50));
  conn.close();
  await out.flush();
  if (failure) throw new CliError(`connection to ${endpoint.host}:${endpoint.port} failed: ${failure.message}`);
  return 0;
}
