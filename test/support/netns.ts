/**
 * Dead-peer test harness: runs Node scripts inside a private network namespace (`unshare -rn`,
 * a user + network namespace: no root needed outside, no packet can leave it), where a test can
 * make an established loopback TCP connection silently lose every packet ("blackhole") and later
 * heal it ("restore"). Node built-ins only. Facts measured on this machine: test/support/netns.md.
 *
 *   import { assertNetnsAvailable, startNetns, closeAllNetns, SERVER_ADDR } from '../support/netns.js';
 *
 *   beforeAll(() => assertNetnsAvailable());    // throws a clear error: never a silent skip
 *   afterEach(() => closeAllNetns());           // kills every namespace's process group
 *
 *   const ns = await startNetns();
 *   const server = await ns.spawn('server', '/abs/path/server.mjs', ['5000']);
 *   await server.waitFor('listening', 5_000);
 *   const client = await ns.spawn('client', '/abs/path/client.mjs', [SERVER_ADDR, '5000']);
 *   await client.waitFor('connected', 5_000);
 *   const tBlackhole = await ns.blackhole();     // both directions; returns Date.now() after it took effect
 *   const dead = await client.waitFor((e) => e.ev === 'dead', 30_000);
 *   expect(dead.t - tBlackhole).toBeLessThan(30_000);
 *
 * Inside the namespace, 127.0.0.0/8 is all local on `lo`: a server listens on SERVER_ADDR
 * (127.0.0.2), a client binds CLIENT_ADDR (127.0.0.1) as its localAddress, and blackholing one
 * address cuts one direction only.
 *
 * Child scripts are plain .mjs (no TypeScript loader in child processes). They may import the
 * built library from dist/ (`npm test` builds first), e.g. `import ... from '<repo>/dist/src/node.js'`,
 * and the helpers emit()/onCommand() from test/support/netns-child.mjs. Protocol: the child prints
 * one JSON object per line on stdout (an event, e.g. {"ev":"listening"}), and reads one command per
 * line on stdin (whatever child.send(line) sent).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const NETNS_SUPERVISOR = path.join(HERE, 'netns-supervisor.mjs');
/** Helpers for child scripts: emit(ev, data), onCommand(handler), exitAfter(ms). */
export const NETNS_CHILD_HELPERS = path.join(HERE, 'netns-child.mjs');

/** The address a client binds (localAddress) inside the namespace. */
export const CLIENT_ADDR = '127.0.0.1';
/** The address a server listens on inside the namespace. */
export const SERVER_ADDR = '127.0.0.2';

/**
 * How packets are made to vanish.
 * - 'rule' (default; needs only iproute2): `ip rule add pref 10 to ADDR blackhole`, with the
 *   local table's rule moved from preference 0 to 100. The sending kernel fails to route, so
 *   its data stays queued (notsent, persist timer); nothing reaches the peer, no RST, no FIN.
 * - 'nft' (needs the Debian package nftables): an nftables input-hook rule drops packets to
 *   ADDR after they were "sent": the sender retransmits as on a real lossy path.
 * Both look the same to Node: writes succeed, nothing arrives, keepalive on an idle socket ends
 * with ETIMEDOUT; see netns.md.
 */
export type BlackholeMethod = 'rule' | 'nft';

/** One event line: from the supervisor (src 'netns') or from a child (src = its name). */
export interface NetnsEvent {
  /** 'netns' or the child's name. */
  src: string;
  /** Event name: the child's own (e.g. 'listening'), or 'exit' | 'stdout' | 'stderr' | 'spawn-error'. */
  ev: string;
  /** Date.now() when the event was printed (same clock as the test). */
  t: number;
  [key: string]: unknown;
}

export type EventMatcher = string | ((e: NetnsEvent) => boolean);

export interface WaitOptions {
  /** Only events with t >= since (ms, Date.now() clock). Default: every event so far and later. */
  since?: number;
}

export interface NetnsChild {
  readonly name: string;
  readonly pid: number;
  /** One line to the child's stdin (newline added). */
  send(line: string): Promise<void>;
  /** Any signal, e.g. 'SIGSTOP' / 'SIGCONT' / 'SIGKILL'. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** This child's events so far. */
  events(): NetnsEvent[];
  /**
   * The first event of this child (past or future) that matches: an event name or a predicate.
   * Rejects after timeoutMs with the recent events and stderr in the message, or at once if the
   * child exits without a match.
   */
  waitFor(match: EventMatcher, timeoutMs: number, opts?: WaitOptions): Promise<NetnsEvent>;
}

export interface Netns {
  readonly pid: number;
  readonly method: BlackholeMethod;
  /** Every event so far, of the supervisor and of all children, in arrival order. */
  readonly events: readonly NetnsEvent[];
  /** Start `node script ...args` inside the namespace. */
  spawn(name: string, script: string, args?: string[]): Promise<NetnsChild>;
  /**
   * From now on, packets to these addresses vanish (default: both CLIENT_ADDR and SERVER_ADDR, i.e.
   * both directions). Resolves with Date.now() once the rule is in place. Replaces an earlier blackhole.
   */
  blackhole(addrs?: string[]): Promise<number>;
  /** Remove the blackhole; resolves with Date.now() once removed. */
  restore(): Promise<number>;
  /** Run a shell command inside the namespace (diagnostics, e.g. 'ss -tnoi'); resolves with stdout. */
  sh(command: string): Promise<string>;
  /** Like NetnsChild.waitFor, over every event (any src). */
  waitFor(match: EventMatcher, timeoutMs: number, opts?: WaitOptions): Promise<NetnsEvent>;
  /** Kill the supervisor and every child (SIGKILL to the process group); idempotent. */
  close(): Promise<void>;
}

export interface StartNetnsOptions {
  method?: BlackholeMethod;
  /** Hard limit: the supervisor kills everything and exits after this (default 120 s). */
  maxLifetimeMs?: number;
  /** How long to wait for the namespace to be ready (default 10 s). */
  startTimeoutMs?: number;
}

const checked = new Map<BlackholeMethod, string | null>();

/**
 * Throws a clear error unless `unshare -rn` can make a namespace in which `ip` (and, for 'nft',
 * `nft`) can install a blackhole. Call it in beforeAll: the tests then fail loudly, never skip.
 */
export function assertNetnsAvailable(method: BlackholeMethod = 'rule'): void {
  if (!checked.has(method)) checked.set(method, probe(method));
  const problem = checked.get(method);
  if (problem) throw new Error(problem);
}

function probe(method: BlackholeMethod): string | null {
  const script =
    method === 'rule'
      ? 'ip link set lo up && ip rule add pref 100 table local && ip rule del pref 0 table local && ' +
        'ip rule add pref 10 to 127.0.0.2 blackhole && ip rule del pref 10'
      : 'ip link set lo up && nft add table inet probe && nft delete table inet probe';
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', script], { encoding: 'utf8', timeout: 10_000 });
  const hint =
    'The dead-peer tests need a private network namespace: `unshare -rn` (util-linux) must work ' +
    '(user namespaces enabled: sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1 ' +
    'if non-root; in a container: seccomp/AppArmor must allow unshare(CLONE_NEWUSER|CLONE_NEWNET)), ' +
    (method === 'rule'
      ? 'and `ip` (iproute2) must exist.'
      : 'and `ip` (iproute2) and `nft` (Debian package nftables) must exist.');
  if (r.error) return `netns unavailable: could not run \`unshare -rn\`: ${r.error.message}. ${hint}`;
  if (r.status !== 0) {
    const how = r.signal ? `was killed by ${r.signal}` : `exited with ${r.status}`;
    return `netns unavailable: \`unshare -rn sh -c '${script}'\` ${how}: ${(r.stderr || r.stdout).trim()}. ${hint}`;
  }
  return null;
}

const open = new Set<NetnsImpl>();

/** Start a fresh namespace with its supervisor; resolves once it is ready. */
export async function startNetns(opts: StartNetnsOptions = {}): Promise<Netns> {
  const method = opts.method ?? 'rule';
  assertNetnsAvailable(method);
  const ns = new NetnsImpl(method, opts.maxLifetimeMs ?? 120_000);
  open.add(ns);
  try {
    await ns.waitFor((e) => e.src === 'netns' && (e.ev === 'ready' || e.ev === 'setup-failed'), opts.startTimeoutMs ?? 10_000).then((e) => {
      if (e.ev !== 'ready') throw new Error(`netns setup failed: ${String(e['message'])}`);
    });
  } catch (err) {
    await ns.close();
    throw err;
  }
  return ns;
}

/**
 * Convenience for a single script: a fresh namespace with one child named 'main'.
 * The namespace is reachable as `.netns` (blackhole/restore/close).
 */
export async function runInNetns(script: string, args: string[] = [], opts: StartNetnsOptions = {}): Promise<NetnsChild & { netns: Netns }> {
  const ns = await startNetns(opts);
  const child = await ns.spawn('main', script, args);
  return Object.assign(child, { netns: ns });
}

/** For afterEach: close every namespace that is still open. */
export async function closeAllNetns(): Promise<void> {
  await Promise.all([...open].map((ns) => ns.close()));
}

function matches(match: EventMatcher, e: NetnsEvent): boolean {
  return typeof match === 'string' ? e.ev === match : match(e);
}

interface Waiter {
  filter: (e: NetnsEvent) => boolean;
  resolve: (e: NetnsEvent) => void;
  reject: (err: Error) => void;
}

class NetnsImpl implements Netns {
  readonly events: NetnsEvent[] = [];
  readonly pid: number;
  private readonly proc: ChildProcess;
  private readonly waiters = new Set<Waiter>();
  private nextId = 1;
  private exited: Promise<void>;
  private done = false;

  constructor(
    readonly method: BlackholeMethod,
    maxLifetimeMs: number,
  ) {
    this.proc = spawn('unshare', ['-rn', process.execPath, NETNS_SUPERVISOR, method, String(maxLifetimeMs)], {
      detached: true, // own process group: close() kills the supervisor and its children at once
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.proc.pid ?? -1;
    this.proc.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => this.proc.once('close', () => resolve()));
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let e: NetnsEvent;
      try {
        e = JSON.parse(line) as NetnsEvent;
      } catch {
        e = { src: 'netns', ev: 'stdout', t: Date.now(), line };
      }
      this.push(e);
    });
    readline.createInterface({ input: this.proc.stderr! }).on('line', (line) => this.push({ src: 'netns', ev: 'stderr', t: Date.now(), line }));
    this.proc.once('error', (err) => this.push({ src: 'netns', ev: 'spawn-error', t: Date.now(), message: err.message }));
    this.proc.once('exit', (code, signal) => {
      this.done = true;
      this.push({ src: 'netns', ev: 'exit', t: Date.now(), code, signal });
      for (const w of this.waiters) w.reject(new Error(`the netns supervisor exited (code ${code}, signal ${signal})${this.tail()}`));
      this.waiters.clear();
      open.delete(this);
    });
  }

  private push(e: NetnsEvent): void {
    if (typeof e.t !== 'number') e.t = Date.now();
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.filter(e)) {
        this.waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  tail(src?: string): string {
    const lines = this.events
      .filter((e) => src === undefined || e.src === src || e.src === 'netns')
      .slice(-25)
      .map((e) => '  ' + JSON.stringify(e));
    return lines.length ? `\nlast events:\n${lines.join('\n')}` : '';
  }

  waitFor(match: EventMatcher, timeoutMs: number, opts: WaitOptions = {}, src?: string, what?: string): Promise<NetnsEvent> {
    const since = opts.since ?? -Infinity;
    const filter = (e: NetnsEvent): boolean => e.t >= since && (src === undefined || e.src === src) && matches(match, e);
    const past = this.events.find(filter);
    if (past) return Promise.resolve(past);
    const label = what ?? (typeof match === 'string' ? `event '${match}'` : 'a matching event') + (src ? ` from '${src}'` : '');
    const ended = src === undefined ? undefined : this.events.find((e) => e.src === src && (e.ev === 'exit' || e.ev === 'spawn-error'));
    if (ended) return Promise.reject(new Error(`'${src}' already ended (${JSON.stringify(ended)}) while waiting for ${label}${this.tail(src)}`));
    if (this.done) return Promise.reject(new Error(`waiting for ${label}: the namespace is already closed${this.tail(src)}`));
    return new Promise<NetnsEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}${this.tail(src)}`));
      }, timeoutMs);
      const w: Waiter = {
        filter: (e) => {
          if (filter(e)) return true;
          if (src !== undefined && e.src === src && (e.ev === 'exit' || e.ev === 'spawn-error')) {
            clearTimeout(timer);
            this.waiters.delete(w);
            reject(new Error(`'${src}' ended (${JSON.stringify(e)}) while waiting for ${label}${this.tail(src)}`));
          }
          return false;
        },
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.add(w);
    });
  }

  /** Send one command to the supervisor and wait for its ok/error answer. */
  async command(cmd: Record<string, unknown>, timeoutMs = 10_000): Promise<NetnsEvent> {
    if (this.done) throw new Error(`netns command ${JSON.stringify(cmd)}: the namespace is closed${this.tail()}`);
    const id = this.nextId++;
    const answer = this.waitFor(
      (e) => e.src === 'netns' && (e.ev === 'ok' || e.ev === 'error') && e['id'] === id,
      timeoutMs,
      {},
      undefined,
      `the answer to ${JSON.stringify(cmd)}`,
    );
    this.proc.stdin!.write(JSON.stringify({ id, ...cmd }) + '\n');
    const e = await answer;
    if (e.ev === 'error') throw new Error(`netns command ${JSON.stringify(cmd)} failed: ${String(e['message'])}`);
    return e;
  }

  async spawn(name: string, script: string, args: string[] = []): Promise<NetnsChild> {
    const ok = await this.command({ cmd: 'spawn', name, script: path.resolve(script), args });
    const pid = Number(ok['pid']);
    return {
      name,
      pid,
      send: async (line) => {
        await this.command({ cmd: 'send', name, line });
      },
      signal: async (signal) => {
        await this.command({ cmd: 'signal', name, signal });
      },
      events: () => this.events.filter((e) => e.src === name),
      waitFor: (match, timeoutMs, opts) => this.waitFor(match, timeoutMs, opts, name),
    };
  }

  async blackhole(addrs: string[] = [CLIENT_ADDR, SERVER_ADDR]): Promise<number> {
    await this.command({ cmd: 'blackhole', addrs });
    return Date.now();
  }

  async restore(): Promise<number> {
    await this.command({ cmd: 'restore' });
    return Date.now();
  }

  async sh(command: string): Promise<string> {
    return String((await this.command({ cmd: 'sh', command }))['stdout'] ?? '');
  }

  async close(): Promise<void> {
    if (!this.done && this.pid > 0) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    open.delete(this);
  }
}
