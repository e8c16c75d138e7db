// Shared CLI plumbing: one clear error line and an exit code, never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IgtlError } from '../protocol/errors.js';

/** An error the CLI reports as one line (with exit status 2 = usage, 1 = failure). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Prints `igtl-rx: <message>` for any error and returns the exit status to use. */
export function reportError(err: unknown): number {
  if (err instanceof CliError) {
    process.stderr.write(`igtl-rx: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof IgtlError) {
    process.stderr.write(`igtl-rx: ${err.message}\n`);
    return 1;
  }
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') {
    process.stderr.write(`igtl-rx: ${e.message}\n`);
    return 1;
  }
  process.stderr.write(`igtl-rx: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

let outputAbandoned = false;

/** True once a {@link LineWriter.end} gave up on a reader of stdout that took nothing: the process must exit explicitly. */
export function stdoutAbandoned(): boolean {
  return outputAbandoned;
}

/** What a {@link LineWriter} does with lines while its reader does not keep up. */
export interface LineWriterOptions {
  /**
   * For live output (monitor, demo, send --replies), which must not slow the peer nor grow without
   * bound: past `maxBufferedBytes` waiting, new lines are dropped, and where writing resumes this
   * line (given the count) marks the gap. Without it nothing is dropped: the verb holds its source
   * back with {@link LineWriter.whenWritable} (decode, replay to stdout).
   */
  readonly droppedLine?: (count: number) => string;
  /** Bytes (UTF-16 units) kept waiting before lines are dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
}

/**
 * Buffers stdout writes and respects backpressure (piping into `head` must not crash; a reader
 * that stops reading must not make the process grow: measured before, `monitor --json | sleep`
 * grew by 55 MB in 8 s and `decode --json` of a 47 MB recording by 60 MB in 4 s, each periodic
 * flush adding one more 'drain' listener until Node printed a MaxListenersExceededWarning).
 */
export class LineWriter {
  private chunks: string[] = [];
  private size = 0;
  private dropped = 0;
  private drained: Promise<void> | undefined;
  private readonly maxBuffered: number;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly options: LineWriterOptions = {},
  ) {
    this.maxBuffered = options.maxBufferedBytes ?? 4 << 20;
  }

  line(text: string): void {
    const { droppedLine } = this.options;
    if (droppedLine && this.size >= this.maxBuffered && this.blocked()) {
      this.dropped++;
      return;
    }
    if (droppedLine && this.dropped > 0) this.push(droppedLine(this.takeDropped()));
    this.push(text);
    if (this.size > 65536) this.flushSync();
  }

  /**
   * A promise that resolves once the reader has taken what was written, while it has not (hold
   * the source back until then); undefined when lines can be written now.
   */
  whenWritable(): Promise<void> | undefined {
    return this.blocked() ? this.drain() : undefined;
  }

  private push(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
  }

  private takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  /** True while the stream has not taken the last write (its buffer is over its high-water mark). */
  private blocked(): boolean {
    return !this.gone() && (this.stream as { writableNeedDrain?: boolean }).writableNeedDrain === true;
  }

  /**
   * True once the stream's reader has gone (EPIPE): nothing written now arrives, and waiting for
   * a drain waited for ever (then the full second of {@link end}, saying the reader was stuck).
   * process.stdout is not destroyed by an EPIPE (it stays `writableNeedDrain`, and each write
   * fails again), so for it the EPIPE seen by {@link watchStdout} decides.
   */
  private gone(): boolean {
    return (this.stream as { destroyed?: boolean }).destroyed === true || (this.stream === process.stdout && stdoutLost);
  }

  /** One 'drain' listener however often it is awaited; what waited is written when it comes. */
  private drain(): Promise<void> {
    // 'close' too: a stream whose reader went (EPIPE) never drains.
    this.drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.drained = undefined;
        this.flushSync();
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
    return this.drained;
  }

  /** Writes what is buffered, unless the stream has not taken the last write (then at its drain). */
  private flushSync(): void {
    if (this.chunks.length === 0) return;
    if (this.gone()) {
      this.chunks = [];
      this.size = 0;
      return;
    }
    if (this.blocked()) {
      void this.drain();
      return;
    }
    this.stream.write(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }

  /**
   * Flushes every `intervalMs` until the returned function is called: for verbs that print as
   * things happen (a pipe or a log must see them live, not at exit), still one write per batch.
   */
  flushEvery(intervalMs = 100): () => void {
    const timer = setInterval(() => this.flushSync(), intervalMs);
    return () => clearInterval(timer);
  }

  /**
   * The end of live output: {@link flush}, for at most `maxWaitMs`. A reader that has stopped
   * reading (a hung consumer, a paused pager) kept the verb from exiting after its stop, for as
   * long as the reader stayed stuck, also after SIGTERM; now what it did not take is left
   * unwritten (said on stderr) and the process ends with its status ({@link stdoutAbandoned}).
   */
  async end(maxWaitMs = 1000): Promise<void> {
    outputEnding();
    if (this.options.droppedLine && this.dropped > 0) this.push(this.options.droppedLine(this.takeDropped()));
    this.flushSync();
    // A reader that is slow but takes something within each maxWaitMs is waited for.
    while (this.chunks.length > 0 || this.blocked()) {
      let timer: NodeJS.Timeout | undefined;
      const took = await Promise.race([this.drain().then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), maxWaitMs)))]);
      clearTimeout(timer);
      if (!took) {
        process.stderr.write(`igtl-rx: stdout took nothing for ${maxWaitMs} ms after the end: the last lines are not written\n`);
        // A write still pending on stdout keeps the process alive (process.stdout cannot be
        // destroyed): main exits explicitly once the verb has its status.
        outputAbandoned = true;
        return;
      }
    }
  }

  /** Writes what is buffered (and the count of lines dropped, if any) and waits until the stream has taken it. */
  async flush(): Promise<void> {
    if (this.options.droppedLine && this.dropped > 0) this.push(this.options.droppedLine(this.takeDropped()));
    this.flushSync();
    while (this.chunks.length > 0 || this.blocked()) await this.drain();
  }
}

/**
 * The gap line of live output whose reader did not keep up (docs/cli.md): `{"kind":"dropped",...}`
 * with `--json`, else a line in words.
 */
export function droppedLine(json: boolean): (count: number) => string {
  return json
    ? (count) => JSON.stringify({ kind: 'dropped', at: Date.now(), lines: count })
    : (count) => `(${count} line${count === 1 ? '' : 's'} dropped: stdout did not keep up)`;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `parseArgs` with `--help`/`-h` added and its errors (unknown option, missing value) turned into
 * one usage line with exit status 2.
 */
export function parseOptions(argv: string[], usage: string, options: Options): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h', default: false } } });
    return { values, positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw new CliError(`${parseError(e.message)}\n${usage.split('\n\n')[0]}`, 2);
    throw err;
  }
}

/**
 * parseArgs's error in one line. A value that starts with '-' (`--port -1`, `--idle-timeout -5`)
 * got three lines of Node's advice ("argument is ambiguous. Did you forget ...? To specify ...").
 */
function parseError(message: string): string {
  const ambiguous = /^Option '(--[\w-]+)(?:, -\w)?' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]}: a value that starts with "-" is written ${ambiguous[1]}=VALUE`;
  return message.split('\n')[0]!;
}

/**
 * Goes on when the reader of stderr has gone (`2>&1 | logger` and the logger died): progress and
 * diagnostics are lost, the verb's work is not. Unhandled, the EPIPE of the next line on stderr
 * (a `peer stale` line, a progress line) killed `record` mid-session with exit 1.
 */
export function survivesStderrLoss(): void {
  process.stderr.on('error', () => {});
}

/**
 * What the reader of stdout going away (EPIPE: `| head` has what it wanted, a log reader died)
 * means depends on what stdout is to the verb (docs/cli.md, "Conventions"):
 * - its output (monitor, demo, decode, replay, query, send): the verb has no one left to work
 *   for. A verb that watches a connection (monitor, demo, query --count: {@link whenStdoutGone}) stops as on a
 *   signal (the STP_ of its streams written, the connection closed: they were cut by the
 *   process exiting), says so, and exits 0; the others end at once, quietly, with 0 (nothing
 *   of theirs is left half done). Once it is ending (a stop signal, --duration,
 *   its connection closed: see {@link outputEnding}) it ends with the status it was heading for,
 *   saying the last lines are lost. It exited 0 there, also after SIGTERM (measured:
 *   `monitor --json > fifo`, SIGTERM, the fifo's reader killed 300 ms later: exit 0).
 * - a log (simulate, bridge: {@link stdoutIsALog}): the server goes on serving its clients, as
 *   when stderr's reader goes ({@link survivesStderrLoss}); it was killed by the next log line
 *   (`simulate | head -n 1`: gone, exit 0, at the next client's "connected").
 */
let stdoutRole: 'output' | 'log' = 'output';
let ending = false;
let stdoutLost = false;
let watching = false;
const goneListeners = new Set<() => void>();

/** Calls `listener` (once) when the reader of stdout goes while the verb runs; returns the function that removes it. */
export function whenStdoutGone(listener: () => void): () => void {
  goneListeners.add(listener);
  return () => goneListeners.delete(listener);
}

/** Marks stdout as the verb's log (simulate, bridge): losing its reader does not stop the verb. */
export function stdoutIsALog(): void {
  stdoutRole = 'log';
}

/** Marks the verb as ending (a stop signal came, or it is writing its last lines): from now on losing stdout does not change its exit status. */
export function outputEnding(): void {
  ending = true;
}

/** True once the reader of stdout has gone (EPIPE). */
export function stdoutGone(): boolean {
  return stdoutLost;
}

/** Handles errors of stdout as described above; other write errors are exit 1. Installs once. */
export function watchStdout(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      if (stdoutLost) return;
      stdoutLost = true;
      if (stdoutRole === 'log') process.stderr.write('igtl-rx: stdout was closed by its reader: no more log lines there; serving goes on\n');
      else if (ending) process.stderr.write('igtl-rx: stdout was closed by its reader: the last lines are not written\n');
      else if (goneListeners.size > 0) {
        ending = true;
        process.stderr.write('igtl-rx: stdout was closed by its reader: stopping\n');
        for (const listener of [...goneListeners]) listener();
        goneListeners.clear();
      } else process.exit(0);
      return;
    }
    process.stderr.write(`igtl-rx: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });
}
