/**
 * Helpers to run the OpenIGTLink C++ programs (built by scripts/setup-cpp-peers.sh into
 * .cache/cpp-peers/bin) as real peers in tests. Node built-ins only.
 *
 * Typical use:
 *
 *   afterEach(() => stopAllCppPeers());
 *
 *   const port = await freePort();
 *   const peer = await startCppPeer('ReceiveServer', [String(port)], { waitForPort: port });
 *   // ... connect to 127.0.0.1:port and send something ...
 *   await peer.waitForOutput('Receiving TRANSFORM data type.');
 *
 * Read test/support/cpp-peers.md before writing a test against a given program: most of them
 * have quirks (100-message limit per connection, output on stderr vs stdout, ...).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CPP_PEERS_DIR = path.join(REPO_ROOT, '.cache', 'cpp-peers');
/** Where the programs are; also the default cwd of started peers. */
export const CPP_PEERS_BIN_DIR = path.join(CPP_PEERS_DIR, 'bin');
/**
 * Copy of the examples' Imager/img directory (igtlTestImage1..6.raw, 256x256 uint8 each).
 * ImagerServer / ImagerClient / ImagerClient2 / ImageDatabaseServer take an image directory
 * argument that is resolved against their cwd; with the default cwd (CPP_PEERS_BIN_DIR) pass 'img'.
 */
export const CPP_PEER_IMG_DIR = path.join(CPP_PEERS_BIN_DIR, 'img');

const SETUP_HINT =
  'The C++ peers are built by scripts/setup-cpp-peers.sh, which vitest runs first through its ' +
  'globalSetup (test/support/global-setup.ts). Run `bash scripts/setup-cpp-peers.sh` to see why it failed.';

/** Names of the built programs (from .cache/cpp-peers/programs.txt); [] if nothing is built. */
export function builtCppPeers(): string[] {
  try {
    return fs
      .readFileSync(path.join(CPP_PEERS_DIR, 'programs.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
  } catch {
    return [];
  }
}

/** Absolute path of a built program, e.g. cppPeerPath('TrackerServer'). Throws if it is not built. */
export function cppPeerPath(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new Error(`Invalid C++ peer name ${JSON.stringify(name)}: expected a program name such as 'TrackerServer'.`);
  }
  const file = path.join(CPP_PEERS_BIN_DIR, name);
  let ok = false;
  try {
    ok = fs.statSync(file).isFile();
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    ok = false;
  }
  if (!ok) {
    const built = builtCppPeers();
    const list = built.length > 0 ? `Built programs: ${built.join(', ')}.` : 'No program is built at all.';
    throw new Error(`C++ peer program "${name}" is not built (${file} does not exist). ${list} ${SETUP_HINT}`);
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

const handedOutPorts = new Set<number>();
const PROC_TCP_FILES = ['/proc/net/tcp', '/proc/net/tcp6'];
const HAVE_PROC_NET = PROC_TCP_FILES.some((f) => fs.existsSync(f));

interface ProcSocket {
  localPort: number;
  state: string; // hex, '0A' = LISTEN, '06' = TIME_WAIT, '01' = ESTABLISHED
  inode: string;
}

function readProcSockets(): ProcSocket[] {
  const result: ProcSocket[] = [];
  for (const file of PROC_TCP_FILES) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = f[1]!;
      result.push({
        localPort: parseInt(local.slice(local.lastIndexOf(':') + 1), 16),
        state: f[3]!,
        inode: f[9]!,
      });
    }
  }
  return result;
}

/**
 * A free TCP port: listens on 127.0.0.1:0, reads the port the OS picked, closes.
 *
 * Linux extra: ports that still have any socket (e.g. TIME_WAIT of an earlier peer) are skipped,
 * because the C++ servers bind without SO_REUSEADDR and would fail with
 * "Cannot create a server socket." Ports are never handed out twice by one test process.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const { port: p } = srv.address() as AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    if (handedOutPorts.has(port)) continue;
    if (HAVE_PROC_NET && readProcSockets().some((s) => s.localPort === port)) continue;
    handedOutPorts.add(port);
    return port;
  }
  throw new Error('freePort(): could not find a free loopback port after 50 attempts');
}

/** Linux: is `pid` listening on TCP `port` (any address)? Looks at /proc, opens no connection. */
function isListeningByPid(pid: number, port: number): boolean {
  const inodes = new Set(
    readProcSockets()
      .filter((s) => s.state === '0A' && s.localPort === port)
      .map((s) => s.inode),
  );
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

function tryConnect(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Peers
// ---------------------------------------------------------------------------------------------

export interface CppPeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type CppPeerStream = 'stdout' | 'stderr' | 'all';

export interface WaitForOutputOptions {
  /**
   * Which output to search. Default 'all' (stdout and stderr interleaved in arrival order).
   * Most example programs print their decoded messages to stderr, but igtl::PrintMatrix /
   * PrintVector (matrices of TRANSFORM, TDATA, ...) go to stdout: see cpp-peers.md.
   */
  stream?: CppPeerStream;
  /** Only search the text from this offset on (e.g. `peer.output.length` taken before sending). */
  since?: number;
  /** Resolve only once the pattern has matched this many times (non-overlapping). Default 1. */
  count?: number;
}

export interface StartCppPeerOptions {
  /**
   * The program is a server on this port: resolve only once it listens there. Detected on Linux
   * from /proc without connecting (see `readiness`), elsewhere by a TCP connect to 127.0.0.1.
   */
  waitForPort?: number;
  /** Timeout for waitForPort, ms. Default 10000. */
  timeoutMs?: number;
  /** Extra environment variables (merged over process.env). */
  env?: NodeJS.ProcessEnv;
  /** Working directory. Default CPP_PEERS_BIN_DIR (so the Imager programs find 'img'). */
  cwd?: string;
  /**
   * How waitForPort decides the server is ready:
   * - 'listen' (default where /proc/net/tcp exists): the process owns a LISTEN socket on the port.
   *   Opens no connection. Needed because every example server treats the first connection as
   *   its client: a probe connection makes TrackerServer & co. send 100 messages into the void
   *   (100 / fps seconds) before the real client is served.
   * - 'connect': a TCP connect to 127.0.0.1:port succeeds (then closed at once). Only harmless
   *   for servers that notice a closed client immediately (ReceiveServer, StringEchoServer, ...).
   */
  readiness?: 'listen' | 'connect';
}

export interface CppPeer {
  readonly name: string;
  readonly path: string;
  readonly args: readonly string[];
  readonly pid: number;
  /** Everything the program wrote to stdout so far. */
  readonly stdout: string;
  /** Everything the program wrote to stderr so far. */
  readonly stderr: string;
  /** stdout and stderr interleaved in arrival order (order across the two pipes is approximate). */
  readonly output: string;
  readonly running: boolean;
  /** null while running. */
  readonly exitStatus: CppPeerExit | null;
  /** Resolves once the process has exited and its output is fully read. Never rejects. */
  readonly exited: Promise<CppPeerExit>;
  /** The underlying child process (stdin is a pipe, for custom test programs). */
  readonly process: ChildProcess;
  /**
   * Waits until `pattern` appears in the output. A string is matched literally. Resolves with
   * the (last) match; rejects on timeout (default 5000 ms) or if the program exits first, with
   * the tail of its output in the error message.
   */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number, options?: WaitForOutputOptions): Promise<RegExpExecArray>;
  /** Number of (non-overlapping) matches of `pattern` in the output so far. */
  countOutput(pattern: RegExp | string, options?: Omit<WaitForOutputOptions, 'count'>): number;
  /** SIGTERM, then SIGKILL after 1 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<CppPeerExit>;
}

const registry = new Set<CppPeerImpl>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test file forgets stopAllCppPeers(): never leave programs running.
  process.on('exit', () => {
    for (const peer of registry) peer.killNow('SIGKILL');
  });
}

function toRegExp(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') {
    return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g');
  }
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '') + 'g');
}

function describePattern(pattern: RegExp | string): string {
  return typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern);
}

function tail(text: string, maxChars = 3000): string {
  if (text.length === 0) return '    (no output)';
  const t = text.length > maxChars ? '...' + text.slice(-maxChars) : text;
  return t
    .split('\n')
    .map((l) => '    | ' + l)
    .join('\n');
}

interface Waiter {
  check(): boolean; // true when settled
  fail(err: Error): void;
}

class CppPeerImpl implements CppPeer {
  stdout = '';
  stderr = '';
  output = '';
  exitStatus: CppPeerExit | null = null;
  readonly exited: Promise<CppPeerExit>;
  readonly pid: number;
  private readonly waiters = new Set<Waiter>();
  private stopping: Promise<CppPeerExit> | null = null;

  readonly process: ChildProcess;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly args: readonly string[],
    child: ChildProcess,
  ) {
    this.process = child;
    this.pid = child.pid!;
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.output += chunk;
      this.checkWaiters();
    });
    child.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.output += chunk;
      this.checkWaiters();
    });
    child.stdin?.on('error', () => {
      // EPIPE when the program exits while a test writes to stdin: irrelevant here.
    });
    this.exited = new Promise<CppPeerExit>((resolve) => {
      child.once('close', (code, signal) => {
        this.exitStatus = { code, signal };
        registry.delete(this);
        this.checkWaiters();
        for (const w of [...this.waiters]) {
          w.fail(new Error(`${this.describe()} exited (${this.describeExit()}) before the expected output appeared.`));
        }
        resolve(this.exitStatus);
      });
    });
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  describe(): string {
    return `C++ peer ${this.name} (pid ${this.pid}, args ${JSON.stringify(this.args)})`;
  }

  describeExit(): string {
    const s = this.exitStatus;
    if (!s) return 'still running';
    return s.signal ? `signal ${s.signal}` : `exit code ${s.code}`;
  }

  outputTail(stream: CppPeerStream = 'all'): string {
    if (stream !== 'all') return `${stream}:\n${tail(this.text(stream))}`;
    return `output (stdout+stderr):\n${tail(this.output)}`;
  }

  private text(stream: CppPeerStream): string {
    return stream === 'stdout' ? this.stdout : stream === 'stderr' ? this.stderr : this.output;
  }

  private checkWaiters(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) this.waiters.delete(w);
    }
  }

  private findMatches(pattern: RegExp | string, stream: CppPeerStream, since: number): { n: number; last: RegExpExecArray | null } {
    const re = toRegExp(pattern);
    const text = this.text(stream);
    re.lastIndex = Math.max(0, since);
    let n = 0;
    let last: RegExpExecArray | null = null;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      n++;
      last = m;
      if (m[0].length === 0) re.lastIndex++;
    }
    return { n, last };
  }

  countOutput(pattern: RegExp | string, options: Omit<WaitForOutputOptions, 'count'> = {}): number {
    return this.findMatches(pattern, options.stream ?? 'all', options.since ?? 0).n;
  }

  waitForOutput(pattern: RegExp | string, timeoutMs = 5000, options: WaitForOutputOptions = {}): Promise<RegExpExecArray> {
    const stream = options.stream ?? 'all';
    const since = options.since ?? 0;
    const count = options.count ?? 1;
    return new Promise<RegExpExecArray>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const what = `${describePattern(pattern)}${count > 1 ? ` x${count}` : ''} on ${stream}`;
      const waiter: Waiter = {
        check: () => {
          const { n, last } = this.findMatches(pattern, stream, since);
          if (n >= count && last) {
            clearTimeout(timer);
            resolve(last);
            return true;
          }
          return false;
        },
        fail: (err) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          const { n } = this.findMatches(pattern, stream, since);
          reject(new Error(`${err.message}\nWaited for ${what} (matched ${n}x).\n${this.outputTail()}`));
        },
      };
      if (waiter.check()) return;
      if (this.exitStatus) {
        waiter.fail(new Error(`${this.describe()} has already exited (${this.describeExit()}).`));
        return;
      }
      timer = setTimeout(() => {
        waiter.fail(new Error(`${this.describe()}: timed out after ${timeoutMs} ms.`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  killNow(signal: NodeJS.Signals): void {
    if (!this.running) return; // never signal a pid that may already be reused
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  stop(): Promise<CppPeerExit> {
    if (this.stopping) return this.stopping;
    if (!this.running) return this.exited;
    this.killNow('SIGTERM');
    const timer = setTimeout(() => this.killNow('SIGKILL'), 1000);
    this.stopping = this.exited.finally(() => clearTimeout(timer));
    return this.stopping;
  }
}

/**
 * Spawns a built program (see cppPeerPath) with `args`. Its output is collected in
 * `peer.stdout` / `peer.stderr` / `peer.output`. With `waitForPort`, resolves only once the
 * program listens on that port (and rejects, after stopping it, if it exits first or does not
 * listen within `timeoutMs`). Every started peer is registered for stopAllCppPeers().
 *
 * Example servers bind 0.0.0.0: always give them a port from freePort() and connect to
 * 127.0.0.1 only. For servers prefer startCppServer(), which also picks the port.
 */
export async function startCppPeer(name: string, args: readonly string[] = [], opts: StartCppPeerOptions = {}): Promise<CppPeer> {
  const file = cppPeerPath(name);
  installExitHook();
  const child = spawn(file, [...args], {
    cwd: opts.cwd ?? CPP_PEERS_BIN_DIR,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new Error(`Could not start C++ peer ${name} (${file}): ${err.message}`)));
  });
  const peer = new CppPeerImpl(name, file, [...args], child);
  registry.add(peer);

  if (opts.waitForPort !== undefined) {
    const port = opts.waitForPort;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const readiness = opts.readiness ?? (HAVE_PROC_NET ? 'listen' : 'connect');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!peer.running) {
        await peer.exited;
        const bindFailed = /Cannot create a server socket/.test(peer.output);
        throw new Error(
          `${peer.describe()} exited (${peer.describeExit()}) before listening on port ${port}.` +
            (bindFailed
              ? ' It could not bind the port (in use, or TIME_WAIT: the C++ servers do not set SO_REUSEADDR). Use a fresh port from freePort(), or startCppServer() which retries.'
              : '') +
            `\n${peer.outputTail()}`,
        );
      }
      const ready = readiness === 'listen' ? isListeningByPid(peer.pid, port) : await tryConnect(port, 500);
      if (ready) break;
      if (Date.now() >= deadline) {
        await peer.stop();
        throw new Error(`${peer.describe()} did not listen on port ${port} within ${timeoutMs} ms (readiness: ${readiness}).\n${peer.outputTail()}`);
      }
      await sleep(20);
    }
  }
  return peer;
}

/**
 * Starts a server program on a fresh port from freePort(): `args(port)` builds its arguments.
 * Retries with another port (up to `attempts`, default 3) when the program cannot bind.
 */
export async function startCppServer(
  name: string,
  args: (port: number) => readonly string[],
  opts: Omit<StartCppPeerOptions, 'waitForPort'> & { attempts?: number } = {},
): Promise<{ peer: CppPeer; port: number }> {
  const attempts = opts.attempts ?? 3;
  for (let i = 1; ; i++) {
    const port = await freePort();
    try {
      const peer = await startCppPeer(name, args(port), { ...opts, waitForPort: port });
      return { peer, port };
    } catch (err) {
      if (i >= attempts || !/could not bind the port/.test(String(err))) throw err;
    }
  }
}

/** Peers started by this test process that have not exited yet. */
export function runningCppPeers(): readonly CppPeer[] {
  return [...registry];
}

/** Stops every peer started by this test process (use in afterEach / afterAll). */
export async function stopAllCppPeers(): Promise<void> {
  await Promise.all([...registry].map((p) => p.stop()));
}
