// `igtl-rx send HOST:PORT [FILE]`: sends messages given as canonical JSON.
import { readFile } from 'node:fs/promises';
import { filter, firstValueFrom, from, concatMap, timer, map, merge, takeUntil, type Subscription } from 'rxjs';
import { sendTo } from '../../operators/index.js';
import { IgtlError } from '../protocol/errors.js';
import type { JsonValue } from '../protocol/json-types.js';
import { fromJSON, stringifyJSON, toJSON } from '../protocol/json.js';
import { summarize } from '../protocol/summary.js';
import type { IgtlMessage } from '../protocol/types.js';
import { signalExitCode } from './connection-view.js';
import { connectClient, openConnection, parseEndpoint, parseNumber, sendsWritten, Stopped, stopSignalOnce, writtenOrEnded } from './net-helper.js';
import { CliError, droppedLine, LineWriter } from './output.js';
import { parseOptions } from './verb-helper.js';
import { MAX_TIMER_MS } from '../connection/scheduler.js';

export const usage = `usage: igtl-rx send HOST:PORT [FILE] [--interval MS] [--replies MS] [--json]

Sends messages given in canonical JSON (as printed by "igtl-rx decode --json" or "igtl-rx
monitor --json"): FILE (default "-", stdin) holds one message per line, or a JSON array of
messages, or one message. Every message is checked before anything is sent; a bad one is
reported with its line (or array index) and nothing is sent.

  --interval MS   wait MS between messages (default 0)
  --replies MS    print what the peer sends from the first message until MS after the last
                  (default 0: print nothing)
  --json          print replies as canonical JSON lines instead of summaries

Example: echo '{"type":"GET_STATUS","headerVersion":1,"deviceName":"","content":{}}' |
         igtl-rx send 127.0.0.1:18944 --replies 500
Exit status: 0 when every message was sent, 1 on errors (bad input, connection), 2 on usage errors;
130 on Ctrl-C (143 on SIGTERM, 129 on SIGHUP) once connected, saying how many were not sent.`;

/** Parses canonical JSON input: JSON lines, a JSON array, or one JSON object. */
export function parseMessages(text: string): { messages: IgtlMessage[]; errors: string[] } {
  const messages: IgtlMessage[] = [];
  const errors: string[] = [];
  const trimmed = text.trim();
  if (trimmed === '') return { messages, errors: ['no messages in the input'] };
  let whole: JsonValue | undefined;
  try {
    whole = JSON.parse(trimmed) as JsonValue;
  } catch {
    whole = undefined;
  }
  const one = (value: JsonValue | string, where: string) => {
    try {
      messages.push(fromJSON(value));
    } catch (err) {
      if (!(err instanceof IgtlError)) throw err;
      errors.push(`${where}: ${err.message}`);
    }
  };
  if (Array.isArray(whole)) whole.forEach((v, i) => one(v, `message [${i}]`));
  else if (whole !== undefined && typeof whole === 'object' && whole !== null) one(whole, 'message');
  else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== '') one(line, `line ${i + 1}`);
    });
  }
  return { messages, errors };
}

async function readInput(file: string): Promise<string> {
  try {
    if (file !== '-') return await readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    interval: { type: 'string' },
    replies: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new CliError(`send takes HOST:PORT and an optional FILE\n${usage}`, 2);
  const endpoint = parseEndpoint(positionals[0]!);
  const intervalMs = parseNumber('--interval', values.interval as string | undefined, { min: 0, max: MAX_TIMER_MS }) ?? 0;
  const repliesMs = parseNumber('--replies', values.replies as string | undefined, { min: 0, max: MAX_TIMER_MS }) ?? 0;
  if (values.json && repliesMs === 0) throw new CliError('--json is how --replies prints: give --replies MS', 2);
  const file = positionals[1] ?? '-';
  const source = file === '-' ? 'stdin' : file;
  const text = await readInput(file);
  // Empty input (stdin at EOF or closed, an empty file) has no bad message to count: it said
  // "stdin: no messages in the input" and then "nothing sent: 1 bad message".
  if (text.trim() === '') throw new CliError(`${source}: no messages in the input: nothing sent`);
  const { messages, errors } = parseMessages(text);
  if (errors.length > 0) {
    for (const e of errors.slice(0, 20)) process.stderr.write(`igtl-rx: ${source}: ${e}\n`);
    if (errors.length > 20) process.stderr.write(`igtl-rx: ... and ${errors.length - 20} more\n`);
    throw new CliError(`nothing sent: ${errors.length} bad message${errors.length === 1 ? '' : 's'}`);
  }

  const conn = connectClient(endpoint);
  // Ctrl-C, SIGTERM or SIGHUP while connecting, sending or waiting for replies: nothing more is
  // queued, what was queued gets a second to be written, the connection is closed, one line
  // says how many messages were not sent, and the status is the signal's.
  const stop = stopSignalOnce();
  let signal: string | undefined;
  void stop.signal.then((s) => (signal = s));
  const where = `${endpoint.host}:${endpoint.port}`;
  const of = (n: number) => `${n} of ${messages.length} message${messages.length === 1 ? '' : 's'}`;
  const opened = await stop.race(openConnection(conn, endpoint));
  if (opened instanceof Stopped) {
    conn.close();
    stop.dispose();
    process.stderr.write(`igtl-rx: send to ${where}: stopped by ${opened.signal} while connecting (nothing sent)\n`);
    return signalExitCode(opened.signal);
  }
  const out = new LineWriter(process.stdout, { droppedLine: droppedLine(values.json as boolean) });
  let printing: Subscription | undefined;
  if (repliesMs > 0) printing = conn.subscribe({ next: (m) => out.line(values.json ? stringifyJSON(toJSON(m)) : summarize(m)), error: () => {} });
  // Replies are printed as they come (a pipe or a terminal sees them live, not at the end).
  const stopFlushing = repliesMs > 0 ? out.flushEvery() : undefined;
  let failure: Error | undefined;
  const failures = conn.errors$.subscribe((err) => (failure ??= err));
  // Nothing more is queued once the connection has ended (it does not reconnect) or a signal came.
  const ended$ = merge(conn.state$.pipe(filter((s) => s.kind === 'closed')), from(stop.signal));
  let queued = 0;
  await new Promise<void>((resolve) => {
    from(messages)
      .pipe(
        concatMap((m, i) => (i > 0 && intervalMs > 0 ? timer(intervalMs).pipe(map(() => m)) : [m])),
        takeUntil(ended$),
        sendTo(conn, { policy: 'lossless' }),
      )
      .subscribe({ next: () => queued++, complete: () => resolve() });
  });
  const waiting = signal === undefined ? await stop.race(writtenOrEnded(conn)) : new Stopped(signal);
  let unsent: number;
  if (waiting instanceof Stopped) {
    // At most a second more for what is queued: the sender was told to stop.
    await sendsWritten(conn, 1000);
    unsent = messages.length - queued + (await firstValueFrom(conn.queue$)).messages;
  } else {
    unsent = messages.length - queued + waiting;
    if (repliesMs > 0) {
      // Cleared after a signal: a pending timer kept the process alive for the rest of MS.
      let timer: NodeJS.Timeout | undefined;
      await stop.race(new Promise((r) => (timer = setTimeout(r, repliesMs))));
      clearTimeout(timer);
    }
  }
  printing?.unsubscribe();
  stopFlushing?.();
  failures.unsubscribe();
  conn.close();
  stop.dispose();
  await out.end();
  const lost = unsent > 0 ? ` (${of(unsent)} not sent)` : '';
  if (signal !== undefined) {
    process.stderr.write(`igtl-rx: send to ${where}: stopped by ${signal}${unsent > 0 ? lost : ` (all ${messages.length} sent)`}\n`);
    return signalExitCode(signal);
  }
  if (failure) throw new CliError(`send to ${where} failed: ${failure.message}${lost}`);
  if (unsent > 0) throw new CliError(`send to ${where} failed: the connection ended${lost}`);
  process.stderr.write(`sent ${messages.length} message${messages.length === 1 ? '' : 's'} to ${where}\n`);
  return 0;
}
