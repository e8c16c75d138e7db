// Progress display of long runs (record until Ctrl-C, replaying a large file): cli-progress on
// stderr when it is a terminal, nothing otherwise (a pipe or a log file gets the final line only).
// Also the loading of the CLI's terminal packages, log-update and cli-progress: optional peer
// dependencies of igtl-rx (a library user does not get them), loaded on demand, only in a
// terminal. When one is missing the verb says so once on stderr and goes on without it.
import { createRequire } from 'node:module';

/** What the live views (monitor, demo) use of log-update. */
export interface LogUpdate {
  (...text: string[]): void;
  done(): void;
}

type CliProgress = typeof import('cli-progress');

const noted = new Set<string>();

/** True when `err` says that the package `name` itself is not installed. */
function isMissing(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(`'${name}'`);
}

/** Tells once, on stderr, that an optional package is missing and what happens instead. */
function noteMissing(name: string, what: string, instead: string): void {
  if (noted.has(name)) return;
  noted.add(name);
  process.stderr.write(`igtl-rx: ${what} needs the optional package ${name}, which is not installed (npm install ${name}); ${instead}\n`);
}

/**
 * log-update, for a view redrawn in place in a terminal; undefined (after a note on stderr) when
 * it is not installed: the verb then prints lines, as when its output is not a terminal.
 */
export async function loadLogUpdate(): Promise<LogUpdate | undefined> {
  try {
    return (await import('log-update')).default;
  } catch (err) {
    if (!isMissing(err, 'log-update')) throw err;
    noteMissing('log-update', 'the live terminal view', 'printing lines instead');
    return undefined;
  }
}

/** cli-progress (CommonJS, so loaded synchronously); undefined after a note when not installed. */
function loadCliProgress(): CliProgress | undefined {
  try {
    return createRequire(import.meta.url)('cli-progress') as CliProgress;
  } catch (err) {
    if (!isMissing(err, 'cli-progress')) throw err;
    noteMissing('cli-progress', 'the progress display', 'going on without it');
    return undefined;
  }
}

/** A progress line that can be updated and stopped; a no-op when stderr is not a terminal. */
export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress display: a bar when `total` is known, a single updating line otherwise. `format`
 * uses cli-progress tokens ({bar}, {value}, {total}, {percentage}, {eta_formatted},
 * {duration_formatted}) and the payload's keys.
 */
export function createProgress(format: string, total: number | undefined, enabled = process.stderr.isTTY === true): Progress {
  const cliProgress = enabled ? loadCliProgress() : undefined;
  if (!cliProgress) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format, stream: process.stderr, hideCursor: true, clearOnComplete: false, fps: 5, etaBuffer: 50, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0, {});
  let stopped = false;
  return {
    update(value, payload) {
      if (!stopped) bar.update(value, payload ?? {});
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/** Seconds as m:ss.s or h:mm:ss. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}:${(s - m * 60).toFixed(0).padStart(2, '0')}`;
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${(s % 60).toFixed(0).padStart(2, '0')}`;
}
