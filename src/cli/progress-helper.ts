// Progress display of long runs (record until Ctrl-C, replaying a large file): cli-progress on
// stderr when it is a terminal, nothing otherwise (a pipe or a log file gets the final line only).
import cliProgress from 'cli-progress';

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
  if (!enabled) return { update() {}, stop() {} };
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
