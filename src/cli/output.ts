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

/** Buffers stdout writes and respects backpressure (piping into `head` must not crash). */
export class LineWriter {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  line(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
    if (this.size > 65536) this.flushSync();
  }

  private flushSync(): void {
    if (this.chunks.length === 0) return;
    this.stream.write(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }

  /**
   * Flushes every `intervalMs` until the returned function is called: for verbs that print as
   * things happen (a pipe or a log must see them live, not at exit), still one write per batch.
   */
  flushEvery(intervalMs = 100): () => void {
    const timer = setInterval(() => void this.flush(), intervalMs);
    return () => clearInterval(timer);
  }

  /** Writes what is buffered and waits until the stream has taken it. */
  async flush(): Promise<void> {
    this.flushSync();
    await new Promise<void>((resolve) => {
      if (this.stream.write('')) resolve();
      else this.stream.once('drain', () => resolve());
    });
  }
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
    if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) throw new CliError(`${e.message}\n${usage.split('\n\n')[0]}`, 2);
    throw err;
  }
}

/** Exits quietly when stdout is closed by the reader (`| head`), instead of a stack trace. */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`igtl-rx: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });
}
