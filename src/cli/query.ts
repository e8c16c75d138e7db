// `igtl-rx query HOST:PORT GET_<TYPE> [DEVICE]` and `--command NAME`: one request, its answer printed.
import { firstValueFrom, from, lastValueFrom, merge, Observable, take, takeUntil, tap, throwError, timeout } from 'rxjs';
import { command, CommandFailedError, query, QueryFailedError, stream, type CommandResult } from '../../operators/index.js';
import { createMessage } from '../protocol/message.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import { stringifyJSON, toJSON } from '../protocol/json.js';
import { summarize } from '../protocol/summary.js';
import { EMPTY_METADATA } from '../protocol/metadata.js';
import { Timestamp } from '../protocol/timestamp.js';
import type { IgtlMessage } from '../protocol/types.js';
import type { EmptyQueryType } from '../protocol/messages/query.js';
import { signalExitCode } from './connection-view.js';
import { connectClient, openConnection, parseEndpoint, parseNumber, sendsWritten, Stopped, stopSignalOnce } from './net-helper.js';
import { CliError, whenStdoutGone } from './output.js';
import { parseOptions, parseStreamTypes } from './verb-helper.js';
import { MAX_TIMER_MS } from '../connection/scheduler.js';

export const usage = `usage: igtl-rx query HOST:PORT TYPE [DEVICE] [--timeout MS] [--json] [--resolution MS] [--count N]
       igtl-rx query HOST:PORT --command NAME [--attr KEY=VALUE]... [--xml TEXT] [--timeout MS] [--json]

Sends one request and prints the answer.

  TYPE [DEVICE]        a query: GET_STATUS, GET_TRANS, GET_IMAGE, GET_IMGMETA, GET_CAPABIL, ...
                       (answered by the message, or RTS_<type> when not available), or STT_<type>
                       / STP_<type> (answered by RTS_<type>). DEVICE is the device name (default
                       empty: "any"). With STT_ and --count N, prints the first N streamed
                       messages instead, then sends STP_.
  --command NAME       send a v3 COMMAND (e.g. Version, GetFrameRate) and print its RTS_COMMAND:
                       status, message and the reply's attributes and metadata
  --attr KEY=VALUE     an attribute of the command's <Command Name="NAME" .../> (repeatable)
  --xml TEXT           the command's XML text as it is (instead of --attr)
  --timeout MS         give up after MS without an answer (default 5000)
  --resolution MS      the resolution of STT_TDATA / STT_QTDATA (default 0)
  --count N            with STT_: print N streamed messages, then stop the stream (fails when
                       nothing is streamed for --timeout MS)
  --json               print the answer as canonical JSON instead of a summary

Exit status: 0 when answered with success, 1 for no answer in time, an error status (RTS_ status,
Status="FAIL") or a connection error, 2 on usage errors; 130 on Ctrl-C (143 on SIGTERM, 129 on
SIGHUP) while connecting or waiting, once the connection is closed (and the STP_ of --count sent).`;

/** The request message for TYPE and DEVICE. */
function requestOf(type: string, deviceName: string, resolution: number): IgtlMessage {
  if (!/^(GET|STT|STP)_[A-Z0-9_]+$/.test(type)) throw new CliError(`"${type}" is not a query type (GET_<type>, STT_<type> or STP_<type>)`, 2);
  if (type === 'STT_TDATA' || type === 'STT_QTDATA') return createMessage(type, { resolution, coordinateName: '' }, { deviceName, timestamp: Timestamp.ZERO });
  const codec = defaultRegistry.get(type);
  const empty = (() => {
    try {
      return codec?.size({}) === 0;
    } catch {
      return false;
    }
  })();
  // `type` is only known at run time; the registry just confirmed it has empty content.
  if (codec && empty) return createMessage(type as EmptyQueryType, {}, { deviceName, timestamp: Timestamp.ZERO }) as IgtlMessage;
  if (codec) throw new CliError(`${type} needs content; send it with "igtl-rx send" instead`, 2);
  // A query igtl-rx has no codec for (GET_VIDEO, ...): sent with an empty body all the same.
  return { type: 'UNKNOWN', typeName: type, headerVersion: 1, deviceName, timestamp: Timestamp.ZERO, messageId: 0, metadata: EMPTY_METADATA, content: { raw: new Uint8Array(0) } };
}

function printResult(result: CommandResult, json: boolean): void {
  if (json) {
    process.stdout.write(`${stringifyJSON(toJSON(result.reply))}\n`);
    return;
  }
  const lines = [`${result.status || '(no status)'}${result.message ? `: ${result.message}` : ''}`];
  for (const [k, v] of result.attributes) if (!['Name', 'Status', 'Message'].includes(k)) lines.push(`  ${k}="${v}"`);
  for (const [k, v] of result.metadata) if (!['Status', 'Message'].includes(k) && !result.attributes.has(k)) lines.push(`  ${k}: ${v.value}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    command: { type: 'string' },
    attr: { type: 'string', multiple: true },
    xml: { type: 'string' },
    timeout: { type: 'string' },
    resolution: { type: 'string' },
    count: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const json = values.json as boolean;
  const timeoutMs = parseNumber('--timeout', values.timeout as string | undefined, { above: 0, max: MAX_TIMER_MS }) ?? 5000;
  const resolution = parseNumber('--resolution', values.resolution as string | undefined, { min: 0, integer: true }) ?? 0;
  const count = parseNumber('--count', values.count as string | undefined, { min: 1, integer: true });
  const name = values.command as string | undefined;
  if (name !== undefined ? positionals.length !== 1 : positionals.length < 2 || positionals.length > 3) {
    throw new CliError(`query takes HOST:PORT and either TYPE [DEVICE] or --command NAME\n${usage}`, 2);
  }
  if (name === undefined && (values.attr !== undefined || values.xml !== undefined)) throw new CliError('--attr and --xml go with --command', 2);
  if (values.attr !== undefined && values.xml !== undefined) throw new CliError('give either --attr or --xml, not both', 2);
  const attributes = new Map<string, string>();
  for (const a of (values.attr as string[] | undefined) ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new CliError(`--attr must be KEY=VALUE, got "${a}"`, 2);
    attributes.set(a.slice(0, eq), a.slice(eq + 1));
  }
  const type = positionals[1]?.toUpperCase();
  const request = name === undefined ? requestOf(type!, positionals[2] ?? '', resolution) : undefined;
  if (count !== undefined && !type?.startsWith('STT_')) throw new CliError('--count goes with an STT_ query', 2);
  if (values.resolution !== undefined && type !== 'STT_TDATA' && type !== 'STT_QTDATA') throw new CliError('--resolution goes with STT_TDATA or STT_QTDATA', 2);
  const endpoint = parseEndpoint(positionals[0]!);

  const conn = connectClient(endpoint);
  // Ctrl-C, SIGTERM or SIGHUP while connecting or waiting: the connection is closed (after the
  // STP_ of a stream it started), one line says so, and the status is the signal's.
  const stop = stopSignalOnce();
  const what = name !== undefined ? `COMMAND ${name}` : type!;
  const stoppedBy = (signal: string, when: string) => {
    process.stderr.write(`igtl-rx: ${what}: stopped by ${signal} ${when}\n`);
    return signalExitCode(signal);
  };
  try {
    const opened = await stop.race(openConnection(conn, endpoint));
    if (opened instanceof Stopped) return stoppedBy(opened.signal, `while connecting to ${endpoint.host}:${endpoint.port}`);
    if (name !== undefined) {
      const result = await stop.race(firstValueFrom(command(conn, name, (values.xml as string | undefined) ?? attributes, { timeoutMs })));
      if (result instanceof Stopped) return stoppedBy(result.signal, 'before the answer');
      printResult(result, json);
    } else if (count !== undefined) {
      const [streamType] = parseStreamTypes([type!]);
      // --timeout is the longest wait for each streamed message: the stream operator tolerates a
      // missing RTS_ (the C++ servers send none), so a server that neither answers nor streams,
      // or stops streaming, left the query waiting for ever with nothing said.
      let got = 0;
      let signal: string | undefined;
      let readerGone = false;
      const short = (why: string) => new CliError(`${type}: ${why} after ${got} of ${count} streamed message${count === 1 ? '' : 's'}`);
      await lastValueFrom(
        stream(conn, streamType!, { resolutionMs: resolution, deviceName: positionals[2] ?? '', timeoutMs }).pipe(
          timeout({ each: timeoutMs, with: () => throwError(() => short(`nothing streamed for ${timeoutMs} ms`)) }),
          take(count),
          // A stop signal, or the reader of stdout going (`| head`), ends the stream as --count
          // does: its STP_ is sent (the reader going exited at once, without it).
          takeUntil(merge(from(stop.signal.then((s) => (signal = s))), new Observable<void>((sub) => whenStdoutGone(() => ((readerGone = true), sub.next()))))),
          // Printed as they come: what arrived is not lost when the stream fails later.
          tap((m) => {
            got++;
            process.stdout.write(`${json ? stringifyJSON(toJSON(m)) : summarize(m)}\n`);
          }),
        ),
        { defaultValue: undefined },
      );
      if (signal !== undefined) {
        await sendsWritten(conn, 1000);
        return stoppedBy(signal, `after ${got} of ${count} streamed message${count === 1 ? '' : 's'}`);
      }
      if (readerGone) {
        await sendsWritten(conn, 1000);
        return 0;
      }
      if (got < count) throw short('the connection ended');
      // Let the STP_ go out.
      await new Promise((r) => setTimeout(r, 50));
    } else {
      const reply = await stop.race(firstValueFrom(query(conn, request!, { timeoutMs })));
      if (reply instanceof Stopped) return stoppedBy(reply.signal, 'before the answer');
      process.stdout.write(`${json ? stringifyJSON(toJSON(reply)) : summarize(reply)}\n`);
    }
  } catch (err) {
    if (err instanceof CommandFailedError) {
      if (json) printResult(err.result, true);
      throw new CliError(err.message);
    }
    if (err instanceof QueryFailedError && json) process.stdout.write(`${stringifyJSON(toJSON(err.reply))}\n`);
    throw err;
  } finally {
    conn.close();
    stop.dispose();
  }
  return 0;
}
