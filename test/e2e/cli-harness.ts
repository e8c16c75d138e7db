/**
 * Running the built CLI (dist/src/cli/main.js) in end-to-end tests: start a verb as a child
 * process, wait for its output, stop it by PID. `npm test` builds first; during development run
 * `npx tsc -p tsconfig.json` before the tests.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, type TestContext } from 'vitest';
import { REPO_ROOT } from '../support/cpp-peers.js';

/** The built CLI. */
export const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running CLI verb. */
export interface CliProcess {
  readonly args: readonly string[];
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  readonly exited: Promise<CliExit>;
  /**
   * Resolves with the match once `pattern` appears on stdout (or `stream`), looking from the
   * `from`-th character on (default 0); rejects on timeout or exit.
   */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr', from?: number): Promise<RegExpExecArray>;
  /** SIGINT (what Ctrl-C sends), then SIGKILL after `graceMs`; resolves with the exit. */
  stop(graceMs?: number): Promise<CliExit>;
}

const running = new Set<CliProcess>();

/** Options of {@link startCli}. */
export interface StartOptions {
  /** Written to stdin, which is then closed (default: stdin closed at once). */
  readonly input?: string | Buffer;
  /**
   * Run in a pseudo-terminal (util-linux `script`), so that stdout and stderr are a TTY: the
   * verbs draw their live views with log-update. stdin stays open: write `\x03` to it for a
   * Ctrl-C (the terminal turns it into SIGINT for the verb). The exit is the verb's.
   */
  readonly terminal?: { readonly rows: number; readonly columns: number };
  /** More environment variables for the verb (e.g. LD_PRELOAD of libfaketime). */
  readonly env?: Readonly<Record<string, string>>;
}

/** True when `script` (util-linux) is there to give a verb a pseudo-terminal. */
export const HAS_SCRIPT = (() => {
  try {
    return /util-linux/.test(execFileSync('script', ['--version'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
})();

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts `igtl-rx ...args`. */
export function startCli(args: readonly string[], options: StartOptions = {}): CliProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
  const env = { ...process.env, FORCE_COLOR: '0', ...options.env };
  const term = options.terminal;
  // In a pseudo-terminal: a fresh pty has no size (0 x 0), so it is set first; `exec` leaves the
  // verb as the terminal's foreground process, and -e returns its exit status.
  const child = term
    ? spawn('script', ['-qfec', `stty rows ${term.rows} cols ${term.columns}; exec ${[process.execPath, CLI, ...args].map(quote).join(' ')}`, '/dev/null'], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, TERM: 'xterm' } })
    : spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters) w();
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  else if (!term) child.stdin!.end();
  const exited = new Promise<CliExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  const proc: CliProcess = {
    args,
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(pattern, timeoutMs = 10_000, stream = 'stdout', from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec((stream === 'stdout' ? stdout : stderr).slice(from));
          if (m) {
            finish();
            resolve(m);
          } else if (done) {
            finish();
            reject(new Error(`igtl-rx ${args.join(' ')} exited before printing ${pattern}\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`igtl-rx ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 3000) {
      if (!done) {
        // In a terminal, Ctrl-C is typed (`script` itself would not pass a SIGINT on).
        if (term) child.stdin!.write('\x03');
        else child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(proc);
      return exited;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Runs `igtl-rx ...args` to the end (killed after `timeoutMs`). */
export async function runCli(args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args, options.input === undefined ? {} : { input: options.input });
  const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Starts `igtl-rx simulate --port 0 ...args` and resolves once it listens, with its port. */
export async function startSimulate(args: readonly string[] = []): Promise<{ sim: CliProcess; port: number }> {
  const sim = startCli(['simulate', '--port', '0', ...args]);
  const m = await sim.waitFor(/listening on [\d.]+:(\d+)/, 15_000);
  return { sim, port: Number(m[1]) };
}

/**
 * {@link startSimulate} for one test: the simulator stops when that test ends (so tests can run
 * side by side, which an afterEach that stops everything would not allow).
 */
export async function simulateFor(ctx: TestContext, args: readonly string[] = []): Promise<{ sim: CliProcess; port: number }> {
  const started = await startSimulate(args);
  ctx.onTestFinished(async () => {
    await started.sim.stop();
  });
  return started;
}

/** A row of the `{"kind":"rates",...}` lines of `igtl-rx monitor --json`. */
export interface RateRow {
  type: string;
  deviceName: string;
  hz: number;
  count: number;
  latencyMs: number | null;
}

/** Monitors a simulator at `rate` Hz for `seconds` (`monitor --json --duration`): its message and rate lines. */
export async function monitorSimulator(ctx: TestContext, rate: number, seconds: number, extra: string[] = []) {
  const { port } = await simulateFor(ctx, ['--rate', String(rate), '--quiet']);
  const mon = await runCli(['monitor', `127.0.0.1:${port}`, '--json', '--duration', String(seconds), ...extra], { timeoutMs: (seconds + 15) * 1000 });
  expect(mon.stderr).toBe('');
  expect(mon.code).toBe(0);
  const lines = jsonLines(mon.stdout);
  return { messages: lines.filter((l) => l.kind === 'message'), reports: lines.filter((l) => l.kind === 'rates') as unknown as { rows: RateRow[] }[] };
}

/** Stops every CLI process this test file started (use in afterEach). */
export async function stopAllCli(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** The JSON lines of a text (lines that are not JSON are skipped). */
export function jsonLines(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the end of the run
    }
  }
  return out;
}
