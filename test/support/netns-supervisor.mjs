// Runs INSIDE the private network namespace made by test/support/netns.ts:
//   unshare -rn node netns-supervisor.mjs <rule|nft> <maxLifetimeMs>
// Plain JavaScript, Node built-ins only. See test/support/netns.md for the protocol and the facts.
//
// stdin: one JSON command per line, {"id":N,"cmd":...}; stdout: one JSON event per line.
// Every command is answered by {"src":"netns","ev":"ok","id":N,...} or {"src":"netns","ev":"error","id":N,"message":...}.
//   {"cmd":"spawn","name":"server","script":"/abs/x.mjs","args":["a"]}  start `node script args` here
//   {"cmd":"send","name":"server","line":"ping"}                         one line to that child's stdin
//   {"cmd":"signal","name":"server","signal":"SIGSTOP"}                  any signal to that child
//   {"cmd":"blackhole","addrs":["127.0.0.1","127.0.0.2"]}                packets TO these addresses vanish
//   {"cmd":"restore"}                                                    undo every blackhole
//   {"cmd":"sh","command":"ss -tnoi"}                                    diagnostics; ok carries stdout
// Child events: each JSON-object line a child prints is relayed with "src": <child name> added
// (and "t" if it has none); other lines become {"ev":"stdout","line":...}; exit is {"ev":"exit",...}.
import { spawn, execFileSync } from 'node:child_process';
import readline from 'node:readline';

const method = process.argv[2] ?? 'rule';
const maxLifetimeMs = Number(process.argv[3] ?? 120_000);
const children = new Map();
let blackholed = [];

function out(obj) {
  process.stdout.write(JSON.stringify({ t: Date.now(), ...obj }) + '\n');
}
function netns(ev, data = {}) {
  out({ src: 'netns', ev, ...data });
}
function run(cmd, args, input) {
  try {
    return execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (err) {
    const stderr = err.stderr ? String(err.stderr).trim() : '';
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${stderr || err.message}`);
  }
}

function killAll() {
  for (const c of children.values()) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
function shutdown(code) {
  killAll();
  process.exit(code);
}

// --- the namespace itself ---------------------------------------------------------------------
function setUp() {
  run('ip', ['link', 'set', 'lo', 'up']);
  if (method === 'rule') {
    // Loopback destinations are found in table `local`, consulted by the rule of preference 0,
    // before anything else. Move it behind the blackhole rules' preferences (10..19).
    run('ip', ['rule', 'add', 'pref', '100', 'table', 'local']);
    run('ip', ['rule', 'del', 'pref', '0', 'table', 'local']);
  } else if (method === 'nft') {
    run('nft', ['--version']);
  } else {
    throw new Error(`unknown blackhole method ${JSON.stringify(method)} (expected rule or nft)`);
  }
}

function blackhole(addrs) {
  if (!Array.isArray(addrs) || addrs.length === 0 || addrs.length > 10) throw new Error('addrs: 1..10 addresses');
  for (const a of addrs) {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) throw new Error(`only 127.x.y.z addresses, got ${a}`);
  }
  if (blackholed.length > 0) restore();
  if (method === 'rule') {
    addrs.forEach((a, i) => run('ip', ['rule', 'add', 'pref', String(10 + i), 'to', a, 'blackhole']));
  } else {
    // Dropped on INPUT: the sender's stack believes it transmitted (retransmission timer runs).
    const set = addrs.join(', ');
    run('nft', ['-f', '-'], `table inet igtlbh {\n chain in {\n  type filter hook input priority -300; policy accept;\n  ip daddr { ${set} } drop\n }\n}\n`);
  }
  blackholed = addrs.slice();
}

function restore() {
  if (method === 'rule') {
    for (let i = 0; i < blackholed.length; i++) run('ip', ['rule', 'del', 'pref', String(10 + i)]);
  } else if (blackholed.length > 0) {
    run('nft', ['delete', 'table', 'inet', 'igtlbh']);
  }
  blackholed = [];
}

// --- children ---------------------------------------------------------------------------------
function child(name) {
  const c = children.get(name);
  if (!c) throw new Error(`no child named ${JSON.stringify(name)}`);
  return c;
}

function spawnChild(name, script, args) {
  if (typeof name !== 'string' || name === 'netns' || children.has(name)) throw new Error(`bad or duplicate name ${JSON.stringify(name)}`);
  const c = spawn(process.execPath, [script, ...(args ?? []).map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.set(name, c);
  c.stdin.on('error', () => {});
  readline.createInterface({ input: c.stdout }).on('line', (line) => {
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      obj = undefined;
    }
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) out({ ...obj, src: name });
    else out({ src: name, ev: 'stdout', line });
  });
  readline.createInterface({ input: c.stderr }).on('line', (line) => out({ src: name, ev: 'stderr', line }));
  c.on('error', (err) => out({ src: name, ev: 'spawn-error', message: err.message }));
  c.on('exit', (code, signal) => out({ src: name, ev: 'exit', code, signal }));
  return c.pid;
}

function handle(msg) {
  switch (msg.cmd) {
    case 'spawn':
      return { pid: spawnChild(msg.name, msg.script, msg.args) };
    case 'send':
      child(msg.name).stdin.write(String(msg.line) + '\n');
      return {};
    case 'signal':
      child(msg.name).kill(msg.signal);
      return {};
    case 'blackhole':
      blackhole(msg.addrs);
      return { addrs: blackholed };
    case 'restore':
      restore();
      return {};
    case 'sh':
      return { stdout: run('sh', ['-c', String(msg.command)]) };
    default:
      throw new Error(`unknown command ${JSON.stringify(msg.cmd)}`);
  }
}

try {
  setUp();
} catch (err) {
  netns('setup-failed', { message: err.message });
  process.exit(2);
}

setTimeout(() => {
  netns('lifetime-exceeded', { maxLifetimeMs });
  shutdown(4);
}, maxLifetimeMs).unref();

readline.createInterface({ input: process.stdin })
  .on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      netns('error', { message: `not JSON: ${line}` });
      return;
    }
    try {
      netns('ok', { id: msg.id, cmd: msg.cmd, ...handle(msg) });
    } catch (err) {
      netns('error', { id: msg.id, cmd: msg.cmd, message: err.message });
    }
  })
  .on('close', () => shutdown(0));

process.on('SIGTERM', () => shutdown(0));
netns('ready', { method, pid: process.pid });
