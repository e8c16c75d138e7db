#!/usr/bin/env node
// igtl-rx benchmark suite: every figure side by side with the OpenIGTLink C++ library
// (Debian's libopenigtlink-dev), or with the raw relay, measured in the same run on the same machine.
// `node bench/run.mjs --help` lists the options and the benchmarks (USAGE below).
//
// Each benchmark runs C++ and igtl-rx alternately, each in a fresh process, `--runs` times; a
// ratio is computed per pair and the table shows the median ratio (and the median of each side),
// so a burst of load from other processes hits both sides of a pair alike.
// The C++ programs are bench/cpp/*.cxx, built by scripts/setup-cpp-peers.sh; the igtl-rx sides
// are bench/js/*.mjs, which import the built library from dist/.
// A run prints its table; bench/results.md and results.json (the published figures) are written
// only with --write, so trying a benchmark never overwrites them.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarise } from './tools/profile-summary.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, '.cache/cpp-peers/bin');
const JS = path.join(ROOT, 'bench/js');
const RESULTS = path.join(ROOT, 'bench/results.md');
const RESULTS_JSON = path.join(ROOT, 'bench/results.json');

// ---------------------------------------------------------------------------------------------
// Arguments

const BENCHMARKS = {
  1: 'codec in memory: TRANSFORM / STATUS / STRING decode+CRC (msgs/s) vs C++ igtl::MessageBase Unpack(1)',
  2: 'codec in memory: TRANSFORM / STATUS / STRING encode+CRC (msgs/s) vs C++ Pack() (runs with 1)',
  3: 'CRC-64 over 256 / 64 MiB (MB/s), WebAssembly and JavaScript kernels, vs the C++ library\'s igtl_crc64',
  4: 'TCP receive over loopback: 1M TRANSFORMs from a C++ sender (batching, and one message per send())\n' +
     '      into an igtl-rx receiver vs a C++ igtl::ClientSocket receiver (msgs/s), and a plain Node socket',
  5: 'IMAGE 512x512x100 uint16: encode / decode in memory and over loopback vs C++ (ms)',
  6: 'latency at 1 kHz over loopback, p50 / p99 (ms, difference to the C++ receiver)',
  7: 'memory: 1 kHz soak (--soak-minutes), stalled consumer, slow for-await consumer',
  8: 'fan-out: one server, 1, 100 and 300 clients x 120 Hz, server CPU vs the C++ server (and a raw\n' +
     '      Node server doing the same work); the bridge at 10/50/200 WebSocket clients, CPU and latency\n' +
     '      vs a raw byte relay',
  9: 'sequence file decode (informative, no C++ counterpart)',
  10: 'browser: the codec bundle in headless Chromium, TRANSFORM decode/encode (msgs/s), IMAGE decode (MB/s)\n' +
     '      vs the C++ codec in memory',
  11: 'IMAGE of 64 KiB to 256 MiB assembled by the streaming framer from 64 KiB chunks vs a bare CRC-64 pass (ms)',
};

const USAGE = `Usage: node bench/run.mjs [options]        (npm run bench = npm run build && node bench/run.mjs)

Runs the benchmarks, prints the table (and writes it to bench/out/last-run.md, git-ignored).
bench/results.md and bench/results.json, the published figures, are written only with --write.

Options:
  -h, --help           print this help and exit (nothing is run)
  --only IDS           run some benchmarks only, comma-separated ids (default: all); "none" runs
                       nothing (with --write: re-render results.md from bench/results.json)
  --runs N             pairs of runs (C++ and igtl-rx alternately) per benchmark (default 3)
  --soak-minutes M     length of benchmark 7's 1 kHz soak, in minutes (default 1); its memory
                       growth is measured over the last half of the soak
  --profile            also profile the timed codec loops (bench/out/profiles/, summary in results.md)
  --write              publish: write bench/results.md and bench/results.json. With --only, only
                       the lines of the benchmarks run are replaced, the others are kept.
  --no-write           do not write the published files (the default; accepted for old scripts)

Benchmarks (ids for --only):
${Object.entries(BENCHMARKS).map(([id, text]) => `  ${id.padStart(2)}  ${text}`).join('\n')}

Examples:
  node bench/run.mjs --only 4 --runs 5              try one benchmark, publish nothing
  node bench/run.mjs --only 7 --soak-minutes 10 --write
  node bench/run.mjs --write                        the full suite, published (about 15 min on 2 cores)
`;

/** Parses the command line; exits 0 after --help, 2 on a bad option (nothing is run). */
function parseArgs(argv) {
  const opts = { runs: 3, only: [], soakMinutes: 1, profile: false, write: false };
  const fail = (msg) => {
    process.stderr.write(`bench/run.mjs: ${msg}\nnode bench/run.mjs --help lists the options.\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('-'))) fail(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '-h':
      case '--help':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      case '--runs': {
        const v = value();
        opts.runs = Number(v);
        if (!Number.isInteger(opts.runs) || opts.runs < 1) fail(`--runs ${v}: a whole number >= 1 please`);
        break;
      }
      case '--only': {
        const v = value();
        opts.only = v === 'none' ? ['none'] : v.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = opts.only.filter((id) => id !== 'none' && !(id in BENCHMARKS));
        if (unknown.length || opts.only.length === 0) fail(`--only ${v}: unknown benchmark id ${unknown.join(', ') || '(empty)'} (ids: ${Object.keys(BENCHMARKS).join(', ')}, or none)`);
        break;
      }
      case '--soak-minutes': {
        const v = value();
        opts.soakMinutes = Number(v);
        if (!(opts.soakMinutes > 0)) fail(`--soak-minutes ${v}: a number of minutes > 0 please`);
        break;
      }
      case '--profile':
        opts.profile = true;
        break;
      case '--write':
        opts.write = true;
        break;
      case '--no-write':
        opts.write = false;
        break;
      default:
        fail(`unknown option ${a}`);
    }
  }
  return opts;
}

const OPTS = parseArgs(process.argv.slice(2));
const RUNS = OPTS.runs;
const ONLY = OPTS.only;
const SOAK_MINUTES = OPTS.soakMinutes;
// Benchmark 7's stalled consumer: long enough for its second half to start after V8's first
// old-generation collection (10-21 s in on this machine), so its growth is not the heap's sizing.
const STALL_SECONDS = Math.max(40, Math.min(120, Math.round(SOAK_MINUTES * 12)));
const PROFILE = OPTS.profile;
// With --only, --write replaces the lines of the benchmarks that ran and keeps the others from
// bench/results.json (the previous run's data).
const WRITE = OPTS.write;
const selected = (id) => ONLY.length === 0 || ONLY.includes(String(id));

// ---------------------------------------------------------------------------------------------
// Processes

function log(...args) {
  process.stderr.write(`[bench] ${args.join(' ')}\n`);
}

// In-memory benchmarks run pinned to one core (the same one for C++ and igtl-rx): unpinned, the
// same build swung by +-50% between runs here as the scheduler moved processes between cores.
const PIN_CORE = String(Math.max(0, os.cpus().length - 1));
const CAN_PIN = spawnSync('taskset', ['-c', PIN_CORE, 'true']).status === 0;

/** Runs a program to completion; resolves with the JSON objects it printed (one per line). */
function run(cmd, args, { timeoutMs = 300_000, env, pin = false } = {}) {
  if (pin && CAN_PIN) {
    args = ['-c', PIN_CORE, cmd, ...args];
    cmd = 'taskset';
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const json = parseLines(out);
      if (code !== 0 || json.length === 0) {
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${code ?? signal}\n${err.slice(-2000)}${out.slice(-1000)}`));
      } else resolve(json);
    });
  });
}

function parseLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      // not ours
    }
  }
  return out;
}

/**
 * Starts a server program that prints {"listening":port} first; resolves with the port and a
 * promise of its final JSON objects.
 */
function startServer(cmd, args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let announced = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const done = new Promise((res, rej) => {
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const json = parseLines(out).filter((j) => j.listening === undefined);
        if (code !== 0) rej(new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${code ?? signal}\n${err.slice(-2000)}`));
        else res(json);
      });
    });
    done.catch(() => {});
    child.stdout.on('data', (d) => {
      out += d;
      if (!announced) {
        const first = parseLines(out).find((j) => j.listening !== undefined);
        if (first) {
          announced = true;
          resolve({ port: first.listening, done, kill: () => child.kill('SIGKILL') });
        }
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (!announced) reject(new Error(`${path.basename(cmd)} exited (${code}) before listening\n${err.slice(-2000)}`));
    });
  });
}

const cpp = (name) => path.join(BIN, name);
const node = process.execPath;
const js = (name) => path.join(JS, name);

/** A sender (server) and a receiver (client): resolves with [receiver result, sender result]. */
async function pair(sender, receiver, timeoutMs = 300_000) {
  const srv = await startServer(sender.cmd, sender.args, { timeoutMs: timeoutMs + 30_000 });
  try {
    const rx = await run(receiver.cmd, receiver.args(srv.port), { timeoutMs });
    const tx = await srv.done;
    return [rx[rx.length - 1], tx[tx.length - 1]];
  } catch (err) {
    srv.kill();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

const median = (values) => {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const rows = [];
const notes = [];

/**
 * Adds a table row from paired runs. `pairs`: [{ igtl, cpp }] raw values; `ratio(igtl, cpp)`
 * per pair; `target`: { op: '>=' | '<=', value }.
 */
function addRow(id, name, unit, pairs, target, ratio = (a, b) => a / b, fmt = fmtNumber) {
  const r = median(pairs.map((p) => ratio(p.igtl, p.cpp)));
  const ratioKind = ratio === DIFF ? 'diff' : 'ratio';
  const row = {
    id,
    name,
    unit,
    igtl: median(pairs.map((p) => p.igtl)),
    cpp: median(pairs.map((p) => p.cpp)),
    ratio: r,
    ratios: pairs.map((p) => ratio(p.igtl, p.cpp)),
    target,
    met: target ? (target.op === '>=' ? r >= target.value : r <= target.value) : undefined,
    fmt: fmtName(fmt),
    ratioKind,
  };
  rows.push(row);
  log(`${id} ${name}: igtl-rx ${fmt(row.igtl)} | C++ ${fmt(row.cpp)} | ${ratioText(row)}${target ? ` (target ${target.op} ${target.value}: ${row.met ? 'met' : 'NOT met'})` : ''}`);
  return row;
}

function fmtNumber(v) {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
const fmtMs = (v) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 3 : 1)} ms` : 'n/a');
const fmtMinutes = (m) => (m === 1 ? '1 minute' : `${m} minutes`);
const fmtMB = (v) => (Number.isFinite(v) ? `${(v / 1048576).toFixed(1)} MiB` : 'n/a');
const FORMATS = { num: fmtNumber, ms: fmtMs, mb: fmtMB };
const fmtName = (f) => Object.keys(FORMATS).find((k) => FORMATS[k] === f) ?? 'num';
const fmtOf = (row) => FORMATS[row.fmt] ?? fmtNumber;
/** Ratio function for latency lines: the difference igtl-rx - C++, in ms. */
const DIFF = (a, b) => a - b;

// ---------------------------------------------------------------------------------------------
// Benchmarks

const N = 1_000_000;

async function bench1and2() {
  // 1: decode with CRC; 2: encode with CRC. TRANSFORM and STATUS. Each process repeats its loop 3 times (median).
  const cases = [
    { id: '1', name: 'TRANSFORM decode+CRC, 1M from one buffer (msgs/s)', c: 'transform-decode', j: 'transform-decode', t: 1.0 },
    { id: '1', name: 'TRANSFORM decode+CRC, streaming framer, 64 KiB chunks (msgs/s)', c: 'transform-decode', j: 'transform-decode-stream', t: 0.8 },
    { id: '1', name: 'STATUS decode+CRC, 1M from one buffer (msgs/s)', c: 'status-decode', j: 'status-decode', t: 1.0 },
    { id: '1', name: 'STATUS decode+CRC, 1M from one buffer, distinct texts (each of the 1M messages its own text of 30-40 chars) (msgs/s)', c: 'status-decode-distinct', j: 'status-decode-distinct', t: 1.0 },
    { id: '1', name: 'STRING (US-ASCII) decode+CRC, 1M from one buffer, distinct texts (the same 1M texts as the STATUS line) vs C++ igtl::StringMessage Unpack(1) (msgs/s)', c: 'string-decode-distinct', j: 'string-decode-distinct', t: 1.0 },
    { id: '1', name: 'TRANSFORM decode+CRC, 1M, decodeMessage() per message vs C++ header+body Unpack per message (msgs/s)', c: 'transform-decode', j: 'transform-decode-each', t: 1.0 },
    { id: '2', name: 'TRANSFORM encode+CRC, 1M into one buffer (msgs/s)', c: 'transform-encode', j: 'transform-encode', t: 1.0 },
    { id: '2', name: 'STATUS encode+CRC, 1M into one buffer (msgs/s)', c: 'status-encode', j: 'status-encode', t: 1.0 },
    { id: '2', name: 'STATUS encode+CRC, 1M into one buffer, distinct texts (each of the 1M messages its own text of 30-40 chars) (msgs/s)', c: 'status-encode-distinct', j: 'status-encode-distinct', t: 1.0 },
    { id: '2', name: 'STRING (US-ASCII) encode+CRC, 1M into one buffer, distinct texts (the same 1M texts) vs C++ igtl::StringMessage SetString() + Pack() (msgs/s)', c: 'string-encode-distinct', j: 'string-encode-distinct', t: 1.0 },
    { id: '2', name: 'TRANSFORM send() path: createMessage + the connection\'s encode, per message vs C++ New() + Pack() per message (msgs/s)', c: 'transform-send', j: 'transform-send', t: 1.0 },
    { id: '2', name: 'STATUS send() path: createMessage + the connection\'s encode, per message vs C++ New() + Pack() per message (msgs/s)', c: 'status-send', j: 'status-send', t: 1.0 },
    { id: '2', name: 'STATUS send() path, distinct texts (each of the 1M messages its own text of 30-40 chars): as the line above, the i-th message built from the i-th text on both sides (msgs/s)', c: 'status-send-distinct', j: 'status-send-distinct', t: 1.0 },
    { id: '2', name: 'STRING (US-ASCII) send() path, distinct texts (the same 1M texts): the i-th message built from the i-th text on both sides, createMessage + the connection\'s encode vs C++ New() + SetString() + Pack() per message (msgs/s)', c: 'string-send-distinct', j: 'string-send-distinct', t: 1.0 },
  ];
  for (const k of cases) {
    if (!selected(k.id)) continue;
    const pairs = [];
    for (let r = 0; r < RUNS; r++) {
      const [c] = await run(cpp('igtlbench_codec'), [k.c, String(N), '3'], { pin: true });
      const [j] = await run(node, [js('codec.mjs'), k.j, String(N), '3'], { pin: true });
      pairs.push({ cpp: c.perSecond, igtl: j.perSecond });
    }
    addRow(k.id, k.name, 'msgs/s', pairs, { op: '>=', value: k.t });
  }
}

async function bench3() {
  for (const mib of [256, 64]) {
    const pairs = [];
    for (let r = 0; r < RUNS; r++) {
      const [c] = await run(cpp('igtlbench_codec'), ['crc', String(mib), '3'], { pin: true });
      const [j] = await run(node, [js('codec.mjs'), 'crc', String(mib), '3'], { pin: true });
      if (c.crc !== j.crc) throw new Error(`CRC differs: C++ ${c.crc}, igtl-rx ${j.crc}`);
      pairs.push({ cpp: c.mbPerSecond, igtl: j.mbPerSecond });
    }
    addRow('3', `CRC-64 over ${mib} MiB in one call (bytes i % 251, best of 3 per process), igtl-rx crc64() (WebAssembly kernel) vs the C++ library's igtl_crc64 (MB/s)`, 'MB/s', pairs, mib === 256 ? { op: '>=', value: 3.5 } : undefined);
  }
  // The JavaScript fallback kernel, for the record (no target).
  const pairs = [];
  for (let r = 0; r < RUNS; r++) {
    const [c] = await run(cpp('igtlbench_codec'), ['crc', '64', '3'], { pin: true });
    const [j] = await run(node, [js('codec.mjs'), 'crc', '64', '3', 'js'], { pin: true });
    pairs.push({ cpp: c.mbPerSecond, igtl: j.mbPerSecond });
  }
  addRow('3', 'CRC-64 over 64 MiB in one call (same bytes), JavaScript fallback kernel (where WebAssembly is refused) vs igtl_crc64 (MB/s)', 'MB/s', pairs);
}

async function bench5() {
  const enc = [];
  const encFresh = [];
  const dec = [];
  const encParts = [];
  const encCpp = [];
  const decCpp = [];
  let shares = true;
  for (let r = 0; r < RUNS; r++) {
    const [j] = await run(node, [js('codec.mjs'), 'image', '5'], { pin: true });
    const [ce] = await run(cpp('igtlbench_codec'), ['image-encode', '5'], { pin: true });
    const [cd] = await run(cpp('igtlbench_codec'), ['image-decode', '5'], { pin: true });
    shares &&= j.pixelsShareReceiveBuffer;
    // Ratios against igtl-rx's own bare CRC pass over the same bytes, in the same process.
    enc.push({ igtl: j.encodeIntoSeconds * 1e3, cpp: j.crcSeconds * 1e3 });
    encParts.push({ igtl: j.partsSeconds * 1e3, cpp: j.crcSeconds * 1e3 });
    encFresh.push({ igtl: j.encodeSeconds * 1e3, cpp: j.crcSeconds * 1e3 });
    dec.push({ igtl: j.decodeSeconds * 1e3, cpp: j.crcSeconds * 1e3 });
    encCpp.push({ igtl: j.encodeIntoSeconds * 1e3, cpp: ce.seconds * 1e3 });
    decCpp.push({ igtl: j.decodeSeconds * 1e3, cpp: cd.seconds * 1e3 });
  }
  addRow('5', 'IMAGE 512x512x100 u16 encode+CRC as sent (encodeMessageParts: pixels hashed in place, written with writev) vs bare CRC-64 pass (ms; "C++" column = the CRC pass)', 'ms', encParts, { op: '<=', value: 1.2 }, undefined, fmtMs);
  addRow('5', 'IMAGE 512x512x100 u16 encode+CRC into one contiguous buffer (a copy of the pixels is unavoidable there) vs bare CRC-64 pass (ms; informative)', 'ms', enc, undefined, undefined, fmtMs);
  addRow('5', 'IMAGE 512x512x100 u16 decode+CRC vs bare CRC-64 pass (ms; "C++" column = the CRC pass)', 'ms', dec, { op: '<=', value: 1.2 }, undefined, fmtMs);
  addRow('5', 'IMAGE encodeMessage() into a new 52 MB buffer vs bare CRC-64 pass (ms; informative)', 'ms', encFresh, undefined, undefined, fmtMs);
  addRow('5', 'IMAGE encode+CRC vs C++ Pack() (ms)', 'ms', encCpp, { op: '<=', value: 1.0 }, undefined, fmtMs);
  addRow('5', 'IMAGE decode+CRC vs C++ header Unpack + body copy + Unpack(1) (ms)', 'ms', decCpp, { op: '<=', value: 1.0 }, undefined, fmtMs);
  notes.push(`Benchmark 5: the decoded pixels share the input buffer (content.data.buffer === input.buffer, and imagePixels() returns a view on it): ${shares ? 'yes' : 'NO'}.`);

  // Over loopback: sender encodes (CRC) and sends 10 images, receiver decodes (CRC) them.
  const IMAGES = 10;
  const loop = [];
  const mixed = [];
  let views = true;
  for (let r = 0; r < RUNS; r++) {
    const [c] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', 'image', String(IMAGES)] }, { cmd: cpp('igtlbench_recv'), args: (p) => ['127.0.0.1', String(p), 'image', String(IMAGES)] });
    const [j] = await pair({ cmd: node, args: [js('tcp-send.mjs'), '0', 'image', String(IMAGES)] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'image', String(IMAGES)] });
    const [m] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', 'image', String(IMAGES)] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'image', String(IMAGES)] });
    views &&= j.pixelsViewAssemblyBuffer;
    loop.push({ igtl: j.seconds * 1e3, cpp: c.seconds * 1e3 });
    mixed.push({ igtl: m.seconds * 1e3, cpp: c.seconds * 1e3 });
  }
  addRow('5', `IMAGE 512x512x100 u16 over loopback, ${IMAGES} frames, each encoded and sent once the previous one is written: igtl-rx server session.send (lossless) -> connectTcp + ofType('IMAGE') vs C++ Pack() + send -> igtl::ClientSocket Receive + Unpack(1) (ms, connect to last frame decoded)`, 'ms', loop, { op: '<=', value: 1.0 }, undefined, fmtMs);
  addRow('5', `IMAGE 512x512x100 u16 over loopback, ${IMAGES} frames: C++ sender (Pack() + one send per frame) -> igtl-rx connectTcp + ofType('IMAGE') vs the C++ pair (ms; informative)`, 'ms', mixed, undefined, undefined, fmtMs);
  notes.push(`Benchmark 5 over loopback: each received IMAGE's pixels are a view on the one buffer the framer assembled the message in from the socket's chunks (no further copy): ${views ? 'yes' : 'NO'}.`);
}

async function bench4() {
  // TCP receive: the same 1M TRANSFORMs (device Tracker, distinct matrices, packed by the C++
  // library beforehand) from a C++ sender that either batches them (64 KiB per send()) or writes
  // one message per send() as a C++ application does (Pack() + igtl::Socket::Send() per message).
  // A batching sender hands the receiver full 64 KiB reads, where a JavaScript receiver shines;
  // one message per send() means many small reads, where the per-read overhead counts.
  const modes = [
    { mode: 'transform-each', text: 'writing one message per send() (106-byte writes, TCP_NODELAY, as igtl::Socket::Send per message)' },
    { mode: 'transform-blast', text: 'batching them (packed back to back, 64 KiB per send())' },
  ];
  for (const { mode, text } of modes) {
    const pairs = [];
    // One message per send(): also what a Node receiver doing nothing reaches (a plain
    // net.Socket counting bytes, no decoding: bench/js/tcp-recv.mjs transform-raw), after each pair.
    const baseline = mode === 'transform-each' ? [] : undefined;
    const reads = [];
    for (let r = 0; r < RUNS; r++) {
      const [c] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', mode, String(N)] }, { cmd: cpp('igtlbench_recv'), args: (p) => ['127.0.0.1', String(p), 'transform', String(N)] });
      const [j] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', mode, String(N)] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'transform', String(N)] });
      pairs.push({ cpp: c.perSecond, igtl: j.perSecond });
      if (baseline) {
        const [n] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', mode, String(N)] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'transform-raw', String(N)] });
        baseline.push({ cpp: c.perSecond, igtl: n.perSecond, rx: j.perSecond });
        reads.push(`${(N / n.reads).toFixed(2)} messages per read`);
      }
    }
    addRow(
      '4',
      `TCP receive over loopback, 1M TRANSFORMs (106 B, device Tracker) from a C++ sender ${text}: igtl-rx connectTcp + ofType('TRANSFORM') + ofDevice('Tracker') subscriber vs C++ igtl::ClientSocket Receive + Unpack(1) (msgs/s, connect to last message)`,
      'msgs/s',
      pairs,
      { op: '>=', value: mode === 'transform-blast' ? 1.5 : 1.0 },
    );
    if (baseline) {
      addRow('4', `TCP receive, the same one-message-per-send() sender: a plain Node net.Socket that only counts the bytes (no decoding, no igtl-rx: bench/js/tcp-recv.mjs transform-raw) vs the C++ receiver (msgs/s; informative, the Node baseline: the "igtl-rx" column is the raw Node socket)`, 'msgs/s', baseline);
      const overRaw = median(baseline.map((f) => f.rx / f.igtl));
      const verdict = overRaw >= 1 ? 'igtl-rx is not slower than a Node socket that does nothing with the bytes: the event loop bounds the rate, not decoding' : 'igtl-rx is slower than a Node socket that does nothing with the bytes';
      notes.push(`Benchmark 4, one message per send(): igtl-rx / the raw Node socket per run: ${baseline.map((f) => (f.rx / f.igtl).toFixed(2)).join(', ')}, median ${overRaw.toFixed(2)}: ${verdict} (the raw socket got ${reads.join(', ')}).`);
    }
  }
  notes.push(`Benchmark 4: with one message per send(), how many messages a read returns depends on the scheduling, so these rates depend on the machine's load (load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}). Sender and receiver take turns: each read of a Node receiver holds one or two messages and costs a wake-up of Node's event loop (epoll_wait, read, a 'data' event), while the C++ receiver blocks in recv() (two per message: header, body). See the per-pair ratios.`);
}

async function bench6() {
  const COUNT = 10_000; // 10 s at 1 kHz per receiver (the first 10% are a warm-up)
  const p50 = [];
  const p99 = [];
  const p50ui = [];
  const p99ui = [];
  const p50bare = [];
  const p99bare = [];
  const p50raw = [];
  const p99raw = [];
  for (let r = 0; r < RUNS; r++) {
    const send = { cmd: cpp('igtlbench_send'), args: ['0', 'transform-rate', String(COUNT), '1000'] };
    const [c] = await pair(send, { cmd: cpp('igtlbench_recv'), args: (p) => ['127.0.0.1', String(p), 'latency', String(COUNT)] });
    const [j] = await pair(send, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'latency', String(COUNT), '1000'] });
    const [u] = await pair(send, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'latency', String(COUNT), '60'] });
    const [b] = await pair(send, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'latency', String(COUNT), '0'] });
    const [w] = await pair(send, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'latency-raw', String(COUNT)] });
    p50bare.push({ igtl: b.p50, cpp: c.p50 });
    p99bare.push({ igtl: b.p99, cpp: c.p99 });
    p50raw.push({ igtl: w.p50, cpp: c.p50 });
    p99raw.push({ igtl: w.p99, cpp: c.p99 });
    p50.push({ igtl: j.p50, cpp: c.p50 });
    p99.push({ igtl: j.p99, cpp: c.p99 });
    p50ui.push({ igtl: u.p50, cpp: c.p50 });
    p99ui.push({ igtl: u.p99, cpp: c.p99 });
  }
  const diff = DIFF;
  addRow('6', 'Latency p50, 10 000 TRANSFORMs at 1 kHz from a C++ sender (one send() each, stamped with CLOCK_MONOTONIC; first 10% a warm-up) -> connectTcp + ofType+throttleTracking(1000) vs C++ igtl::ClientSocket receiver (ms; ratio = difference in ms)', 'ms', p50, undefined, diff, fmtMs);
  const p99row = addRow('6', 'Latency p99, same (ms; ratio = difference in ms)', 'ms', p99, undefined, diff, fmtMs);
  p99row.met = p99row.igtl < 1;
  p99row.targetText = 'igtl-rx p99 < 1 ms';
  log(`6 p99 target (< 1 ms): ${p99row.met ? 'met' : 'NOT met'}`);
  addRow('6', 'Latency p50, 1 kHz TRANSFORM, ofType+throttleTracking(60) (age of each delivered sample; ms)', 'ms', p50ui, undefined, diff, fmtMs);
  addRow('6', 'Latency p99, same, throttleTracking(60) (ms)', 'ms', p99ui, undefined, diff, fmtMs);
  addRow('6', 'Latency p50, 1 kHz TRANSFORM, ofType only (no throttle; ms)', 'ms', p50bare, undefined, diff, fmtMs);
  addRow('6', 'Latency p99, same, ofType only (ms)', 'ms', p99bare, undefined, diff, fmtMs);
  addRow('6', 'Latency p50, plain Node net.Socket, no igtl-rx (the floor for a Node receiver; ms)', 'ms', p50raw, undefined, diff, fmtMs);
  addRow('6', 'Latency p99, same, plain Node net.Socket (ms)', 'ms', p99raw, undefined, diff, fmtMs);
}

async function bench7() {
  const seconds = Math.round(SOAK_MINUTES * 60);
  log(`7: soak ${seconds} s at 1 kHz`);
  const [soak] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', 'transform-rate', String(seconds * 1000 + 2000), '1000'] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'soak', String(seconds), '60'] }, seconds * 1000 + 120_000);
  // Growth is measured after a warm-up (the first quarter, at least 15 s: JIT, V8 sizing its young
  // generation), from the first to the last quarter of the rest; the heap by its floor (lowest
  // heapUsed, i.e. after a scavenge: the retained heap), RSS by means. The bounds are absolute, so
  // a short soak sees less of a slow leak: the note says what the run could detect.
  const span = soak.spanSeconds - soak.quarterSeconds; // between the centres of the two quarters
  const soakWorkload = `C++ sender (igtlbench_send transform-rate: one TRANSFORM per send() every 1 ms, device Tracker, distinct matrices) -> igtl-rx connectTcp, ofType('TRANSFORM') counter + throttleTracking(60) subscriber formatting each pose, ${fmtMinutes(SOAK_MINUTES)}`;
  rows.push({
    id: '7', name: `Memory soak, ${soakWorkload}: RSS growth, mean of the first vs the last quarter after a ${soak.warmSeconds.toFixed(0)} s warm-up (quarters of ${soak.quarterSeconds} s, ${span.toFixed(0)} s apart)`, unit: 'bytes',
    igtl: soak.rssGrowthAvg, cpp: NaN, ratio: NaN, fmt: 'mb', targetText: 'flat: < 8 MiB', met: Math.abs(soak.rssGrowthAvg) < 8 * 1048576,
  });
  rows.push({
    id: '7', name: `Memory soak, same: heap growth, floor (lowest heapUsed) of the first vs the last quarter (peak heap ${fmtMB(soak.heapPeak)}, peak RSS ${fmtMB(soak.rssPeak)})`, unit: 'bytes',
    igtl: soak.heapFloorGrowth, cpp: NaN, ratio: NaN, fmt: 'mb', targetText: 'flat: < 4 MiB', met: Math.abs(soak.heapFloorGrowth) < 4 * 1048576,
  });
  notes.push(`Benchmark 7 soak (${(soak.seconds / 60).toFixed(1)} min): ${soak.received} TRANSFORMs received, ${soak.frames} UI frames at ${soak.uiHz} Hz; RSS ${fmtMB(soak.rssStart)} -> ${fmtMB(soak.rssEnd)} (peak ${fmtMB(soak.rssPeak)}), heap floor ${fmtMB(soak.heapFloorStart)} -> ${fmtMB(soak.heapFloorEnd)} (mean growth ${fmtMB(soak.heapGrowthAvg)}, peak ${fmtMB(soak.heapPeak)}). What this run can detect: a leak of more than ${((4 * 1048576) / span / 1024).toFixed(0)} KiB/s of heap (${((4 * 1048576) / span / 1000).toFixed(0)} bytes per received message) or ${((8 * 1048576) / span / 1024).toFixed(0)} KiB/s of RSS; a longer soak (--soak-minutes 10) detects one ten times slower. Samples [s, RSS MiB, heap MiB]: ${JSON.stringify(soak.samples.map(([t, r, h]) => [t, +(r / 1048576).toFixed(1), +(h / 1048576).toFixed(1)]))}`);

  // --expose-gc: stall.mjs forces a full collection at the middle and at the end of the run, so the
  // second half's growth is what is retained, not garbage V8 has not collected yet (its old
  // generation grew for 10 to 40 s before the first mark-compact here, depending on the load).
  const [stall] = await run(node, ['--expose-gc', js('stall.mjs'), String(STALL_SECONDS), '20000', '4'], { timeoutMs: STALL_SECONDS * 1000 + 120_000 });
  const [mid, end] = stall.afterGc;
  const stallWorkload = `igtl-rx server, sendPolicy latest, TRANSFORMs at 20 kHz over 4 devices for ${STALL_SECONDS} s to a client that connects and never reads`;
  rows.push({
    id: '7', name: `Stalled consumer, ${stallWorkload}: peak send queue (messages; first half ${stall.maxQueuedFirstHalf}, second half ${stall.maxQueuedSecondHalf})`, unit: 'msgs',
    igtl: stall.maxQueued, cpp: NaN, ratio: NaN, fmt: 'num', targetText: 'bounded: no growth',
    met: stall.maxQueuedSecondHalf <= stall.maxQueuedFirstHalf && stall.maxQueued < 1000,
  });
  rows.push({
    id: '7', name: `Stalled consumer, same: RSS growth over the second half, after a forced full GC at ${mid[0]} s and at ${end[0]} s (peak RSS ${fmtMB(stall.rssPeak)}, peak heap ${fmtMB(stall.heapPeak)})`, unit: 'bytes',
    igtl: end[1] - mid[1], cpp: NaN, ratio: NaN, fmt: 'mb', targetText: 'bounded: < 16 MiB', met: end[1] - mid[1] < 16 * 1048576,
  });
  rows.push({
    id: '7', name: `Stalled consumer, same: retained heap growth over the second half (heapUsed after the same forced GCs: ${fmtMB(mid[2])} -> ${fmtMB(end[2])})`, unit: 'bytes',
    igtl: end[2] - mid[2], cpp: NaN, ratio: NaN, fmt: 'mb', targetText: 'bounded: < 4 MiB', met: end[2] - mid[2] < 4 * 1048576,
  });
  notes.push(`Benchmark 7 stalled consumer: ${stall.sent} messages offered, ${stall.replaced} replaced by newer ones (latest policy), ${stall.dropped} dropped; samples [s, RSS MiB, heap MiB, queued]: ${JSON.stringify(stall.samples.map(([t, r, h, q]) => [t, +(r / 1048576).toFixed(1), +(h / 1048576).toFixed(1), q]))}`);

  const [pull] = await pair({ cmd: cpp('igtlbench_send'), args: ['0', 'transform-blast', String(N)] }, { cmd: node, args: (p) => [js('tcp-recv.mjs'), String(p), 'pull', String(N), '1000', '1'] });
  rows.push({
    id: '7', name: `Slow consumer: C++ sender batching 1M TRANSFORMs (64 KiB send() calls) -> for await over conn.messages({ highWaterMark: 1000 }), 1 ms pause every 1000 messages: peak RSS (received ${pull.received}, in order: ${pull.inOrder})`, unit: 'bytes',
    igtl: pull.peakRss, cpp: NaN, ratio: NaN, fmt: 'mb', targetText: 'bounded: < 256 MiB, all received', met: pull.received === N && pull.inOrder && pull.peakRss < 256 * 1048576,
  });
  notes.push(`Benchmark 7 slow consumer: ${pull.received} of ${N} received in order in ${pull.seconds.toFixed(1)} s, peak heap ${fmtMB(pull.peakHeap)}, peak RSS ${fmtMB(pull.peakRss)} (the socket is paused at 1000 waiting messages, TCP flow control holds the sender).`);
}

/** Runs the two sides of pair `r`, the reference first in even pairs and second in odd ones (drift hits both alike); resolves [reference, igtl-rx]. */
async function alternately(r, reference, igtl) {
  if (r % 2 === 0) {
    const ref = await reference();
    return [ref, await igtl()];
  }
  const mine = await igtl();
  return [await reference(), mine];
}

async function bench8() {
  // Fan-out (issue 16 item 3): one server, <clients> clients (the same C++ load generator for
  // both), a TRANSFORM and a TDATA per tick at 120 Hz; the server process's CPU (user + system)
  // over the sending period, igtl-rx (broadcast()) vs the C++ library (Pack() once per tick,
  // written to every client), measured in the same run, in alternating order.
  const HZ = 120;
  const SECONDS = 10;
  // Both servers send for WARMUP seconds first, not counted: the steady state, as the bridge
  // lines below leave out their first 2 s (most of the JIT compilation of the send path).
  const WARMUP = 2;
  // 1 client: what each server costs just to tick (wake up at 120 Hz, build and send the two
  // messages once), against which the per-client cost of 100 and 300 clients adds up.
  const medians = {};
  for (const CLIENTS of [1, 100, 300]) {
    const cpu = [];
    const rate = [];
    const split = [];
    // The Node floor of the same work (bench/js/raw-fan-server.mjs: no igtl-rx connection,
    // outbox or broadcast, one socket.write per client per tick), after each pair.
    const raw = [];
    const overRaw = [];
    for (let r = 0; r < RUNS; r++) {
      const one = async (serverCmd, serverArgs) => {
        const srv = await startServer(serverCmd, serverArgs);
        const clients = await run(cpp('igtlbench_scale_clients'), [String(srv.port), String(CLIENTS), String(WARMUP + SECONDS + 20)]);
        const s = (await srv.done).pop();
        return { server: s, clients: clients[clients.length - 1] };
      };
      const [c, j] = await alternately(
        r,
        () => one(cpp('igtlbench_scale_server'), ['0', String(CLIENTS), String(HZ), String(SECONDS), String(WARMUP)]),
        () => one(node, [js('scale-server.mjs'), '0', String(CLIENTS), String(HZ), String(SECONDS), String(WARMUP)]),
      );
      const n = await one(node, [js('raw-fan-server.mjs'), '0', String(CLIENTS), String(HZ), String(SECONDS), String(WARMUP)]);
      cpu.push({ igtl: j.server.cpuPercent, cpp: c.server.cpuPercent });
      raw.push({ igtl: n.server.cpuPercent, cpp: c.server.cpuPercent });
      overRaw.push((j.server.cpuPercent / n.server.cpuPercent).toFixed(2));
      rate.push({ igtl: j.clients.perSecond, cpp: c.clients.perSecond });
      const sec = (v) => (Number.isFinite(v) ? v.toFixed(2) : '?');
      split.push(`igtl-rx ${sec(j.server.userSeconds)} s user + ${sec(j.server.sysSeconds)} s system, C++ ${sec(c.server.userSeconds)} + ${sec(c.server.sysSeconds)}, raw Node ${sec(n.server.userSeconds)} + ${sec(n.server.sysSeconds)} (clients got ${j.clients.messages} / ${c.clients.messages} / ${n.clients.messages}, per client min ${j.clients.minPerClient} / ${c.clients.minPerClient} / ${n.clients.minPerClient})`);
    }
    medians[CLIENTS] = { igtl: median(cpu.map((c) => c.igtl)), cpp: median(cpu.map((c) => c.cpp)) };
    const rawRow = () =>
      addRow('8', `Fan-out, ${CLIENTS} client${CLIENTS === 1 ? '' : 's'}: the Node floor, a plain net server doing the same work without igtl-rx (bench/js/raw-fan-server.mjs: both messages encoded once per tick, joined, one socket.write per client) vs the C++ server: server CPU (% of one core; informative: the "igtl-rx" column is the raw Node server)`, '%', raw);
    if (CLIENTS === 1) {
      addRow('8', `Fan-out: 1 server, 1 client x ${HZ} Hz TRANSFORM+TDATA, as below: server CPU (% of one core; informative: the fixed cost of a server ticking at ${HZ} Hz, see the note on the Node timer floor)`, '%', cpu);
      rawRow();
      notes.push(`Benchmark 8 fan-out, 1 client: ${split.join('; ')}; igtl-rx / raw Node per run: ${overRaw.join(', ')}.`);
      continue;
    }
    addRow('8', `Fan-out: 1 server, ${CLIENTS} clients x ${HZ} Hz TRANSFORM+TDATA (broadcast()) vs the C++ library packing once per tick and writing to every client: server CPU, user + system, over ${SECONDS} s after ${WARMUP} s of sending not counted (both sides) (% of one core)`, '%', cpu, { op: '<=', value: 1.0 });
    rawRow();
    addRow('8', `Fan-out, ${CLIENTS} clients: delivered rate at the clients (msgs/s; ideal ${CLIENTS * HZ * 2})`, 'msgs/s', rate, { op: '>=', value: 0.95 });
    notes.push(`Benchmark 8 fan-out, ${CLIENTS} clients, ${SECONDS} s per run after ${WARMUP} s of warm-up: ${split.join('; ')}; igtl-rx / raw Node per run: ${overRaw.join(', ')}.`);
  }
  // The Node floor of that fixed cost: a bare setTimeout loop paced as the server's ticks.
  const floor = [];
  for (let r = 0; r < RUNS; r++) floor.push((await run(node, [js('timer-floor.mjs'), String(HZ), String(SECONDS)])).pop());
  const pct = (v) => `${v.toFixed(2)}%`;
  notes.push(`Benchmark 8, the Node timer floor: a Node process that only wakes at ${HZ} Hz (bench/js/timer-floor.mjs: setTimeout paced as the server's ticks, nothing sent) uses ${floor.map((f) => pct(f.cpuPercent)).join(', ')} of one core (user ${floor.map((f) => f.userSeconds.toFixed(2)).join(', ')} s per ${SECONDS} s). Per-client cost, (CPU at N clients - CPU at 1 client) / (N - 1) from the medians: ${[100, 300].map((n) => {
    const per = (k) => (medians[n][k] - medians[1][k]) / (n - 1);
    return `${n} clients: igtl-rx ${per('igtl').toFixed(3)}%, C++ ${per('cpp').toFixed(3)}% of one core per client (ratio ${(per('igtl') / per('cpp')).toFixed(2)})`;
  }).join('; ')}; at 1 client igtl-rx ${medians[1].igtl.toFixed(2)}%, C++ ${medians[1].cpp.toFixed(2)}%.`);

  // The bridge: one TCP peer (bench/js/bridge-source.mjs, TRANSFORM+TDATA at 120 Hz stamped with
  // CLOCK_MONOTONIC) -> the process under test -> <clients> WebSocket clients in a separate
  // process (bench/js/bridge-clients.mjs: their cost is not counted), which take each message's
  // latency. The reference ("C++" column) is a raw byte relay in Node (bench/js/bridge-server.mjs
  // relay: the peer's TCP bytes sent on as binary frames, no parsing), measured in the same run.
  const { measureBridge } = await import('./js/bridge-bench.mjs');
  for (const CLIENTS of [10, 50, 200]) {
    const cpu = [];
    const p50 = [];
    const p99 = [];
    const counts = [];
    for (let r = 0; r < RUNS; r++) {
      const [a, b] = await alternately(
        r,
        () => measureBridge({ kind: 'relay', clients: CLIENTS, hz: HZ, seconds: SECONDS }),
        () => measureBridge({ kind: 'bridge', clients: CLIENTS, hz: HZ, seconds: SECONDS }),
      );
      cpu.push({ igtl: b.server.cpuPercent, cpp: a.server.cpuPercent });
      p50.push({ igtl: b.clients.p50, cpp: a.clients.p50 });
      p99.push({ igtl: b.clients.p99, cpp: a.clients.p99 });
      counts.push(`bridge ${b.clients.messages} messages (per client min ${b.clients.minPerClient}), ${b.server.userSeconds.toFixed(2)} s user + ${b.server.sysSeconds.toFixed(2)} s system; relay ${a.clients.messages} (min ${a.clients.minPerClient}), ${a.server.userSeconds.toFixed(2)} + ${a.server.sysSeconds.toFixed(2)}`);
    }
    addRow('8', `Bridge: ${CLIENTS} WebSocket clients, TRANSFORM+TDATA at ${HZ} Hz from one TCP peer: bridge CPU, user + system (% of one core; "C++" column = a raw byte relay in Node, ratio bridge / relay)`, '%', cpu, { op: '<=', value: 1.3 });
    const added = addRow('8', `Bridge, ${CLIENTS} clients: latency p50, peer's send to the WebSocket client's receive (ms; "C++" column = the raw relay; ratio = the difference in ms)`, 'ms', p50, undefined, DIFF, fmtMs);
    added.met = added.ratio < 1;
    added.targetText = 'bridge adds < 1 ms over the relay';
    addRow('8', `Bridge, ${CLIENTS} clients: latency p99, same (ms; informative)`, 'ms', p99, undefined, DIFF, fmtMs);
    notes.push(`Benchmark 8 bridge, ${CLIENTS} clients, ${SECONDS} s per run: ${counts.join('; ')}.`);
  }
}

async function profiles() {
  const dir = path.join(ROOT, 'bench/out/profiles'); // git-ignored
  fs.mkdirSync(dir, { recursive: true });
  const out = [];
  for (const mode of ['transform-decode', 'transform-decode-stream', 'transform-encode', 'status-decode', 'status-encode']) {
    const file = path.join(dir, `${mode}.cpuprofile`);
    fs.rmSync(file, { force: true });
    // Only the timed repetitions are profiled (codec.mjs starts the inspector's profiler after the set-up).
    await run(node, [js('codec.mjs'), mode, String(N), '3'], { env: { IGTL_BENCH_PROFILE: file } });
    out.push({ mode, top: summarise(file, 12).filter((t) => t.fn !== '(idle)' && t.fn !== '(program)') });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

function ratioText(row) {
  if (!Number.isFinite(row.ratio)) return '';
  if (row.ratioKind === 'diff') return `${row.ratio >= 0 ? '+' : ''}${row.ratio.toFixed(3)} ms`;
  return row.ratio.toFixed(2);
}

function targetText(row) {
  if (row.targetText) return row.targetText;
  if (!row.target) return '';
  return `${row.target.op} ${row.target.value}`;
}

function table() {
  const lines = ['| # | benchmark | igtl-rx | C++ | ratio | target | met |', '|---|---|---:|---:|---:|---|---|'];
  for (const r of rows) {
    const f = fmtOf(r);
    lines.push(`| ${r.id} | ${r.name} | ${f(r.igtl)} | ${Number.isFinite(r.cpp) ? f(r.cpp) : '—'} | ${ratioText(r)} | ${targetText(r)} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? '?';
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libopenigtlink-dev'], { encoding: 'utf8' });
  return `${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, libopenigtlink-dev ${dpkg.stdout || '?'}, load average at start ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

const noteId = (text) => /^Benchmark (\d+)/.exec(text)?.[1] ?? '?';

/**
 * Merges this run into bench/results.json (whole, or only the benchmarks run with --only): a
 * benchmark's lines, notes and run date are replaced only when that benchmark ran. Benchmarks 1
 * and 2 run as one step, but `--only 2` runs (and so replaces) 2 alone.
 */
function mergeState(started, prof) {
  const ran = (id) => ONLY.length === 0 || selected(id);
  const previous = fs.existsSync(RESULTS_JSON) ? JSON.parse(fs.readFileSync(RESULTS_JSON, 'utf8')) : { rows: [], notes: [], runs: {} };
  const keepRows = ONLY.length === 0 ? [] : previous.rows.filter((r) => !ran(r.id));
  const keepNotes = ONLY.length === 0 ? [] : previous.notes.filter((n) => !ran(noteId(n)));
  // Files written before 1 and 2 had runs of their own kept one entry, under '1', for both.
  const runs = ONLY.length === 0 ? {} : { ...(previous.runs['1'] && !previous.runs['2'] ? { 2: previous.runs['1'] } : {}), ...previous.runs };
  const about = { date: started.toISOString(), minutes: +((Date.now() - started.getTime()) / 60000).toFixed(1), runs: RUNS, soakMinutes: SOAK_MINUTES, machine: machine() };
  for (const id of Object.keys(BENCHMARKS)) if (ran(id)) runs[id] = about;
  const order = (r) => Number(r.id);
  const state = {
    rows: [...keepRows, ...rows.map(({ ratios, ...r }) => ({ ...r, ratios }))].sort((a, b) => order(a) - order(b)),
    notes: [...keepNotes, ...notes].sort((a, b) => Number(noteId(a)) - Number(noteId(b))),
    runs,
    profiles: prof ?? previous.profiles,
  };
  fs.writeFileSync(RESULTS_JSON, JSON.stringify(state, null, 1) + '\n');
  return state;
}

function writeResults(started, profNow) {
  const state = mergeState(started, profNow);
  const prof = state.profiles;
  rows.length = 0;
  rows.push(...state.rows);
  notes.length = 0;
  notes.push(...state.notes);
  const distinct = [...new Map(Object.entries(state.runs).map(([id, a]) => [JSON.stringify(a), [a, []]])).values()];
  for (const [id, a] of Object.entries(state.runs)) distinct.find(([b]) => JSON.stringify(b) === JSON.stringify(a))[1].push(id);
  const runLines = distinct
    .map(([a, ids]) => `- benchmarks ${ids.sort((x, y) => Number(x) - Number(y)).join(', ')}: run of ${a.date} (${a.minutes} min, ${a.runs} pairs${ids.includes('7') ? `, ${a.soakMinutes}-minute soak` : ''}); ${a.machine}`)
    .join('\n');
  const previous = fs.existsSync(RESULTS) ? fs.readFileSync(RESULTS, 'utf8') : '';
  const marker = '<!-- everything below this line is kept by bench/run.mjs -->';
  const kept = previous.includes(marker) ? previous.slice(previous.indexOf(marker)) : `${marker}\n`;
  const ratioRows = rows.filter((r) => Number.isFinite(r.ratio) && r.ratios);
  const perPair = ratioRows.map((r) => `- ${r.id} ${r.name}: ${r.ratios.map((x) => x.toFixed(2)).join(', ')}`).join('\n');
  const profText = prof
    ? prof.map((p) => `**${p.mode}** (self time)\n\n| % | ms | function |\n|---:|---:|---|\n${p.top.map((t) => `| ${t.pct.toFixed(1)} | ${t.ms.toFixed(0)} | \`${t.fn}\` |`).join('\n')}`).join('\n\n')
    : '';
  const text = `# igtl-rx benchmarks: side by side with the OpenIGTLink C++ library

Generated by \`npm run bench\` (bench/run.mjs; data in bench/results.json):

${runLines}

Each line: the given number of pairs of runs (C++ and igtl-rx alternately, each in a fresh process); the igtl-rx and C++ columns
are medians, the ratio is the median of the per-pair ratios (igtl-rx / C++ unless the line says otherwise).
Other processes share this 2-core machine, so single figures are noisy: the ratios are what counts.
In-memory benchmarks (1, 2, 3, 5 in memory) time the process's CPU time (JS: process.cpuUsage(), which also
counts V8's GC threads; C++: CLOCK_PROCESS_CPUTIME_ID), which other processes' load disturbs far less than
the wall clock; each process repeats its loop 3 times (median), the JS side after a 20 000-message warm-up.
Both sides run pinned to the same core (${CAN_PIN ? `taskset -c ${PIN_CORE}` : 'taskset not available: unpinned'}): unpinned, one build's
figures swung by +-50% between runs as processes moved between cores.
Loopback benchmarks (4, 5 over loopback, 6, 7, 8) are wall-clock by nature. Benchmark 10 times the Chromium
renderer process's CPU time (CDP ProcessTime) against the C++ CPU time, both pinned to the same core.

${table()}

${notes.map((n) => `- ${n}`).join('\n')}

Per-pair ratios:

${perPair}
${profText ? `\n## Profiles (last run with --profile: the timed loops of the codec benchmarks only, self time; .cpuprofile files in bench/out/profiles/)\n\n${profText}\n` : ''}
${kept}`;
  fs.writeFileSync(RESULTS, text);
  log(`wrote ${path.relative(ROOT, RESULTS)}`);
}

// ---------------------------------------------------------------------------------------------

// Benchmark 9 (informative, no C++ counterpart): sequence decode speed in frames/s.
async function bench9() {
  const [r] = await run(node, [js('sequence-decode.mjs'), '500'], { timeoutMs: 300_000 });
  rows.push({
    id: '9', name: `Sequence decode, 500 frames 640x480 uint8 + 3 transforms, uncompressed .mha (${r.mbRaw.toFixed(0)} MB): frames/s (informative)`, unit: 'frames/s',
    igtl: r.raw, cpp: NaN, ratio: NaN, fmt: 'num', targetText: 'informative', met: true,
  });
  rows.push({
    id: '9', name: `Sequence decode, same, zlib-compressed .igs.mha (${r.mbCompressed.toFixed(0)} MB): frames/s (informative)`, unit: 'frames/s',
    igtl: r.compressed, cpp: NaN, ratio: NaN, fmt: 'num', targetText: 'informative', met: true,
  });
}

// Benchmark 10: the codec bundle in headless Chromium (bench/js/browser-codec.mjs) vs the C++
// codec in memory, pinned to the same core (Chromium's processes inherit the driver's affinity).
async function bench10() {
  const decode = [];
  const encode = [];
  const image = [];
  const crc = [];
  const crcJs = [];
  let last;
  for (let r = 0; r < RUNS; r++) {
    const [cd] = await run(cpp('igtlbench_codec'), ['transform-decode', String(N), '3'], { pin: true });
    const [ce] = await run(cpp('igtlbench_codec'), ['transform-encode', String(N), '3'], { pin: true });
    const [ci] = await run(cpp('igtlbench_codec'), ['image-decode', '5'], { pin: true });
    const [cc] = await run(cpp('igtlbench_codec'), ['crc', '64', '3'], { pin: true });
    const [b] = await run(node, [js('browser-codec.mjs'), String(N), '3'], { pin: true, timeoutMs: 600_000 });
    if (b.crc !== cc.crc) throw new Error(`CRC differs: C++ ${cc.crc}, Chromium ${b.crc}`);
    decode.push({ igtl: b.transformDecodePerSecond, cpp: cd.perSecond });
    encode.push({ igtl: b.transformEncodePerSecond, cpp: ce.perSecond });
    image.push({ igtl: b.imageDecodeMBps, cpp: ci.bytes / ci.seconds / 1e6 });
    crc.push({ igtl: b.crcMBps, cpp: cc.mbPerSecond });
    crcJs.push({ igtl: b.crcJsMBps, cpp: cc.mbPerSecond });
    last = b;
  }
  const where = `in Chromium ${last.chromium.split('.')[0]} (headless, esbuild bundle of the igtl-rx entry)`;
  addRow('10', `Browser: TRANSFORM decode+CRC ${where}, 1M from one buffer through MessageDecoder (1024 distinct TRANSFORMs, 4 devices) vs C++ Unpack(1) (msgs/s)`, 'msgs/s', decode, { op: '>=', value: 1.0 });
  addRow('10', `Browser: TRANSFORM encode+CRC ${where}, 1M into one buffer (encodeMessageInto) vs C++ Pack() (msgs/s)`, 'msgs/s', encode, { op: '>=', value: 1.0 });
  addRow('10', `Browser: IMAGE 512x512x100 uint16 (52 MB) decode+CRC ${where}, decodeMessage vs C++ header Unpack + body copy + Unpack(1) (MB/s)`, 'MB/s', image, { op: '>=', value: 1.0 });
  addRow('10', `Browser: CRC-64 over 64 MiB ${where}, ${last.backend === 'wasm' ? 'WebAssembly' : 'JavaScript (WebAssembly unavailable!)'} kernel vs the C++ library's igtl_crc64 (MB/s)`, 'MB/s', crc);
  addRow('10', `Browser: CRC-64 over 64 MiB ${where}, JavaScript fallback kernel (a page whose CSP lacks 'wasm-unsafe-eval') vs igtl_crc64 (MB/s)`, 'MB/s', crcJs);
  notes.push(`Benchmark 10: Chromium ${last.chromium}, flags --headless --no-sandbox --disable-gpu --disable-background-networking; times are the renderer process's CPU time (CDP Performance.getMetrics ProcessTime, 10 ms ticks, each timed call 0.3 s or more), as the C++ side times its CPU time; the page's wall clock in the last run: TRANSFORM decode ${fmtNumber(last.wall.transformDecodePerSecond)}/s, encode ${fmtNumber(last.wall.transformEncodePerSecond)}/s, IMAGE decode ${fmtNumber(last.wall.imageDecodeMBps)} MB/s, CRC ${fmtNumber(last.wall.crcMBps)} MB/s (JavaScript kernel ${fmtNumber(last.wall.crcJsMBps)} MB/s).`);
}

// Benchmark 11: IMAGE messages assembled by the streaming framer from 64 KiB chunks (the
// split-message path: growth from 64 KiB to 256 MiB, in place above 128 MiB, CRC computed on arrival) vs a bare CRC-64
// pass over the same bodies, both in one process (bench/js/framer-growth.mjs, which also times the
// floor: a fresh buffer of the message's size, the copy in, one CRC pass), and vs the C++ library
// receiving the same bytes (bench/cpp/igtlbench_crc.cxx: new[] body, copies, crc64).
// A fourth row per size runs the same receiver in a process started with glibc's tunable for
// transparent huge pages on malloc'd memory (docs/performance.md, "Large images"): the deployment
// setting that takes most of the page faults away where the kernel offers huge pages on request.
const HUGE_PAGES = 'glibc.malloc.hugetlb=1';

/** The kernel's transparent huge page mode (always, madvise or never), or undefined where it cannot be read. */
function thpMode() {
  try {
    return /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

async function bench11() {
  const faultNotes = [];
  for (const [kib, label] of [[64, '64 KiB'], [1024, '1 MiB'], [16384, '16 MiB'], [262144, '256 MiB']]) {
    const own = [];
    const floor = [];
    const vsCpp = [];
    const huge = [];
    const faults = { plain: [], huge: [] };
    let last;
    for (let r = 0; r < RUNS; r++) {
      const [c] = await run(cpp('igtlbench_crc'), [String(kib), '3'], { pin: true });
      const [j] = await run(node, [js('framer-growth.mjs'), String(kib), '3'], { pin: true });
      const [h] = await run(node, [js('framer-growth.mjs'), String(kib), '3'], { pin: true, env: { GLIBC_TUNABLES: HUGE_PAGES } });
      own.push({ igtl: j.assembleSeconds * 1e3, cpp: j.crcSeconds * 1e3 });
      floor.push({ igtl: j.assembleSeconds * 1e3, cpp: j.floorSeconds * 1e3 });
      vsCpp.push({ igtl: j.assembleSeconds * 1e3, cpp: c.assembleSeconds * 1e3 });
      huge.push({ igtl: h.assembleSeconds * 1e3, cpp: h.crcSeconds * 1e3 });
      faults.plain.push(j.assembleFaultsPerMiB);
      faults.huge.push(h.assembleFaultsPerMiB);
      last = j;
    }
    const perMiB = (xs) => xs.map((x) => (x === undefined ? '?' : x.toFixed(1))).join(', ');
    faultNotes.push(`${label}: ${perMiB(faults.plain)} by default, ${perMiB(faults.huge)} with ${HUGE_PAGES}`);
    const what = `IMAGE of ${label} uint8 pixels (${last.messages} message${last.messages > 1 ? "s" : ""} of ${last.messageBytes} bytes), assembled by MessageDecoder from 64 KiB chunks, CRC checked`;
    addRow('11', `${what}, vs a bare CRC-64 pass over the same bodies (ms; "C++" column = the CRC pass; out of reach wherever the floor, next row, is itself over 1.2x: fresh memory costs a page fault per 4 KiB)`, 'ms', own, { op: '<=', value: 1.2 }, undefined, fmtMs);
    addRow('11', `${what}, vs the floor: a fresh buffer of the message's size, the bytes copied in, one CRC pass (ms; informative: the least a receiver that hands out fresh buffers can do)`, 'ms', floor, undefined, undefined, fmtMs);
    addRow('11', `${what}, vs the C++ library receiving the same bytes: new[] body, copies from the chunks, crc64 (ms; informative)`, 'ms', vsCpp, undefined, undefined, fmtMs);
    addRow('11', `${what}, in a process started with GLIBC_TUNABLES=${HUGE_PAGES} (malloc asks the kernel for transparent huge pages: a page fault per 2 MiB instead of per 4 KiB; docs/performance.md, "Large images"), vs a bare CRC-64 pass in that process (ms; informative: a deployment setting, not the default; messages over 128 MiB grow in place, in memory V8 maps, which it does not reach)`, 'ms', huge, undefined, undefined, fmtMs);
  }
  notes.push(`Benchmark 11: minor page faults while assembling, per MiB of messages, per run: ${faultNotes.join('; ')} (4 KiB pages: 256 per MiB of fresh memory). Kernel transparent huge pages: ${thpMode() ?? 'unknown'} (the tunable needs madvise or always); glibc ${process.report?.getReport().header.glibcVersionRuntime ?? 'unknown'} (the tunable needs 2.35 or later).`);
}

async function main() {
  const started = new Date();
  log(`machine: ${machine()}`);
  const build = spawnSync('bash', [path.join(ROOT, 'scripts/setup-cpp-peers.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    process.stderr.write(build.stderr);
    throw new Error('could not build the C++ benchmark programs (scripts/setup-cpp-peers.sh)');
  }
  for (const name of ['igtlbench_codec', 'igtlbench_send', 'igtlbench_recv', 'igtlbench_scale_server', 'igtlbench_scale_clients']) {
    if (!fs.existsSync(cpp(name))) throw new Error(`${cpp(name)} is missing after scripts/setup-cpp-peers.sh`);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist/src/index.js'))) throw new Error('dist/ is missing: run npm run build first (npm run bench does)');

  const steps = [
    ['1', bench1and2],
    ['3', bench3],
    ['5', bench5],
    ['4', bench4],
    ['6', bench6],
    ['8', bench8],
    ['7', bench7],
    ['9', bench9],
    ['10', bench10],
    ['11', bench11],
  ];
  for (const [id, fn] of steps) {
    if (id === '1' ? !(selected('1') || selected('2')) : !selected(id)) continue;
    // Benchmarks 1 and 2 run as one step; say which of them ran.
    const label = id === '1' ? ['1', '2'].filter(selected).join(', ') : id;
    const t0 = Date.now();
    try {
      await fn();
    } catch (err) {
      log(`benchmark ${label} failed: ${err.stack ?? err}`);
      notes.push(`Benchmark ${label} FAILED in this run: ${String(err.message ?? err).split('\n')[0]}`);
    }
    log(`benchmark ${label}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const prof = PROFILE ? await profiles() : undefined;
  process.stdout.write(`\n${table()}\n\n`);
  for (const n of notes) process.stdout.write(`- ${n.length > 400 ? n.slice(0, 400) + '...' : n}\n`);
  const last = path.join(ROOT, 'bench/out/last-run.md'); // git-ignored
  fs.mkdirSync(path.dirname(last), { recursive: true });
  fs.writeFileSync(last, `# bench/run.mjs ${process.argv.slice(2).join(' ')}: ${started.toISOString()}\n\n${machine()}\n\n${table()}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  if (WRITE) writeResults(started, prof);
  else log(`bench/results.md not written (this table is in ${path.relative(ROOT, last)}); to publish, run again with --write`);
  log(`total: ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
