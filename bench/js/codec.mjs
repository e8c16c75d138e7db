// In-memory codec benchmarks of igtl-rx, the JS side of bench/cpp/igtlbench_codec.cxx (same
// modes, same message contents). Usage: node bench/js/codec.mjs <mode> [args]
import { igtl, emit, median, cpuNow as now, packAll, statusPool, transformPool, poolMatrix, DEVICES, STATUS_TEXT, POOL } from './common.mjs';

// All times here are CPU time of this process (see cpuNow in common.mjs).

// STATUS texts that do not repeat: TEXT_POOL distinct texts of 30-40 ASCII characters (the same
// strings as distinctTexts() in bench/cpp/igtlbench_codec.cxx), so each of the 1M messages of a
// run has a text of its own (N up to 2^20; a larger N cycles them).
const TEXT_POOL = 1 << 20;

/** The k-th distinct status text. */
function distinctText(k) {
  return `Tool ${k % 7} frame ${k}: RMS error ${(k * 7919) % 1000} um`;
}

/** STATUS messages with distinct texts (TEXT_POOL of them; otherwise as statusPool). */
function statusDistinctPool() {
  const out = [];
  for (let k = 0; k < TEXT_POOL; k++) {
    out.push(igtl.createMessage('STATUS', {
      code: 1 + (k % 19),
      subcode: BigInt(k * 1000),
      errorName: k % 2 ? 'TrackerError' : '',
      // A flat string, as text read from a file or socket is (a template literal's result may be a rope).
      statusMessage: distinctText(k).split('').join(''),
    }, { deviceName: DEVICES[k % 4], timestamp: new igtl.Timestamp(1700000000 + (k % POOL), 0) }));
  }
  return out;
}

/**
 * STRING messages with distinct texts (TEXT_POOL of them), US-ASCII (IANA 3), what a C++
 * StringMessage sends by default; device names and timestamps as statusDistinctPool.
 */
function stringDistinctPool() {
  const out = [];
  for (let k = 0; k < TEXT_POOL; k++) {
    out.push(igtl.createMessage('STRING', { encoding: 3, value: distinctText(k).split('').join('') },
      { deviceName: DEVICES[k % 4], timestamp: new igtl.Timestamp(1700000000 + (k % POOL), 0) }));
  }
  return out;
}

// With IGTL_BENCH_PROFILE=<file>, the timed repetitions (not the set-up) are profiled with the
// inspector's CPU profiler and the profile is written to <file> (bench/run.mjs --profile).
const PROFILE_FILE = process.env.IGTL_BENCH_PROFILE;
let session;
async function profileStart() {
  if (!PROFILE_FILE) return;
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
async function profileStop() {
  if (!session) return;
  const { profile } = await session.post('Profiler.stop');
  const fs = await import('node:fs');
  fs.writeFileSync(PROFILE_FILE, JSON.stringify(profile));
  session.disconnect();
}

const [mode, ...rest] = process.argv.slice(2);

function decodeRun(buf, n, chunk, check) {
  let ok = 0;
  let checksum = 0;
  let errors = 0;
  const decoder = new igtl.MessageDecoder({
    message(m) {
      checksum += check(m);
      ok++;
    },
    error() {
      errors++;
    },
  });
  const t0 = now();
  if (chunk === 0) decoder.push(buf);
  else for (let off = 0; off < buf.length; off += chunk) decoder.push(buf.subarray(off, Math.min(buf.length, off + chunk)));
  decoder.end();
  const secs = now() - t0;
  if (ok !== n || errors) throw new Error(`decoded ${ok} of ${n}, ${errors} errors`);
  return { secs, checksum };
}

/** The one output buffer of the encode benchmark, allocated once (as the C++ side does). */
function outputFor(pool, n) {
  let total = 0;
  for (let i = 0; i < pool.length; i++) total += igtl.encodedSize(pool[i]);
  const out = new Uint8Array(Math.ceil((total / pool.length) * n) + 4096);
  // Touch every page now (the C++ side's std::vector is zero-filled too): page faults of a fresh
  // buffer would otherwise be counted in the first timed run.
  out.fill(1);
  out.fill(0);
  return out;
}

function encodeRun(pool, n, out) {
  // A new 100 MB buffer per run would make V8 start marking ("external memory pressure") during
  // the timed loop, and its helper threads' CPU would count: one buffer, reused.
  const view = new DataView(out.buffer);
  const opts = { view };
  const size = pool.length;
  let off = 0;
  const t0 = now();
  for (let i = 0; i < n; i++) off += igtl.encodeMessageInto(pool[i % size], out, off, opts);
  const secs = now() - t0;
  return { secs, bytes: off };
}

/**
 * Runs `run(warm)` as a warm-up (a running application is warm; C++ has no JIT), then times
 * `reps` runs of `run(n)` (only these are profiled) and prints the median, with `key` of the
 * last run's result (a checksum or a byte count).
 */
async function timeReps(mode, n, reps, warm, run, key) {
  run(warm);
  const times = [];
  let last;
  await profileStart();
  for (let r = 0; r < reps; r++) {
    last = run(n);
    times.push(last.secs);
  }
  await profileStop();
  const secs = median(times);
  emit({ mode, n, seconds: secs, perSecond: n / secs, [key]: last[key], reps: times });
}

const transformCheck = (m) => m.content.matrix[3] + m.deviceName.length;
const statusCheck = (m) => m.content.code + m.content.statusMessage.length + m.content.errorName.length;
const stringCheck = (m) => m.content.encoding + m.content.value.length + m.deviceName.length;

switch (mode) {
  case 'crc': {
    const mib = Number(rest[0] ?? 256);
    const reps = Number(rest[1] ?? 1);
    const impl = rest[2] ?? 'default';
    const len = mib * 1024 * 1024;
    const buf = new Uint8Array(len);
    for (let i = 0; i < len; i++) buf[i] = i % 251;
    // The JS kernel is internal (not in the package exports): import it from its module.
    const { crc64Js } = await import('../../dist/src/protocol/crc64.js');
    const fn = impl === 'js' ? (b) => crc64Js(b) : (b) => igtl.crc64(b);
    let best = Infinity;
    let crc = 0n;
    for (let r = 0; r < reps; r++) {
      const t0 = now();
      crc = fn(buf);
      best = Math.min(best, now() - t0);
    }
    emit({ mode: 'crc', impl, bytes: len, seconds: best, mbPerSecond: len / best / 1e6, crc: crc.toString(16).padStart(16, '0') });
    break;
  }
  case 'transform-decode':
  case 'transform-decode-stream':
  case 'status-decode':
  case 'status-decode-stream':
  case 'status-decode-distinct':
  case 'string-decode-distinct': {
    const n = Number(rest[0] ?? 1_000_000);
    const isTransform = mode.startsWith('transform');
    const isString = mode.startsWith('string');
    const pool = isTransform ? transformPool() : isString ? stringDistinctPool() : mode.endsWith('-distinct') ? statusDistinctPool() : statusPool();
    const buf = packAll(pool, n);
    const chunk = mode.endsWith('-stream') ? 64 * 1024 : 0;
    const reps = Number(rest[1] ?? 3);
    const check = isTransform ? transformCheck : isString ? stringCheck : statusCheck;
    // The warm-up decodes the first 20 000 messages.
    const warm = packAll(pool, 20_000);
    await timeReps(mode, n, reps, 20_000, (count) => decodeRun(count === n ? buf : warm, count, chunk, check), 'checksum');
    break;
  }
  case 'transform-decode-each': {
    // decodeMessage() per message (what an application decoding frames it cut itself calls).
    const n = Number(rest[0] ?? 1_000_000);
    const reps = Number(rest[1] ?? 3);
    const buf = packAll(transformPool(), n);
    const size = buf.length / n; // every pool TRANSFORM is 106 bytes
    const run = (count) => {
      let checksum = 0;
      const t0 = now();
      for (let i = 0, off = 0; i < count; i++, off += size) checksum += transformCheck(igtl.decodeMessage(buf.subarray(off, off + size)));
      return { secs: now() - t0, checksum };
    };
    await timeReps(mode, n, reps, 20_000, run, 'checksum');
    break;
  }
  case 'transform-send':
  case 'status-send':
  case 'status-send-distinct':
  case 'string-send-distinct': {
    // What send() does per message, after the caller built it: createMessage, then the encode of
    // the connection (encodeFramed, for a peer in legacy framing, as the C++ peers are). The
    // bytes are dropped after a look at their last byte (a socket would take them).
    const { encodeFramed } = await import('../../dist/src/connection/connection.js');
    const n = Number(rest[0] ?? 1_000_000);
    const reps = Number(rest[1] ?? 3);
    const isTransform = mode === 'transform-send';
    const isString = mode === 'string-send-distinct';
    // *-send-distinct: the i-th message's text is the i-th distinct text (flat strings, as in statusDistinctPool).
    const texts = mode.endsWith('-send-distinct') ? Array.from({ length: TEXT_POOL }, (_, k) => distinctText(k).split('').join('')) : undefined;
    const mats = [];
    for (let k = 0; k < POOL; k++) mats.push(poolMatrix(k));
    const registry = igtl.defaultRegistry;
    const run = (count) => {
      let check = 0;
      let bytes = 0;
      const t0 = now();
      for (let i = 0; i < count; i++) {
        const k = i % POOL;
        // STRING: device name and timestamp as stringDistinctPool (and the C++ STRING loops) give them.
        const c = i % TEXT_POOL;
        const msg = isTransform
          ? igtl.createMessage('TRANSFORM', { matrix: mats[k] }, { deviceName: DEVICES[k % 4], timestamp: new igtl.Timestamp(1700000000 + k, k * 4096) })
          : isString
          ? igtl.createMessage('STRING', { encoding: 3, value: texts[c] }, { deviceName: DEVICES[c % 4], timestamp: new igtl.Timestamp(1700000000 + (c % POOL), 0) })
          : igtl.createMessage('STATUS', { code: 1 + (k % 19), subcode: BigInt(k * 1000), errorName: k % 2 ? 'TrackerError' : '', statusMessage: texts ? texts[i % TEXT_POOL] : STATUS_TEXT[k % 4] },
            { deviceName: DEVICES[k % 4], timestamp: new igtl.Timestamp(1700000000 + k, 0) });
        const out = encodeFramed(msg, 1, 0, registry, undefined);
        check += out[out.length - 1];
        bytes += out.length;
      }
      return { secs: now() - t0, bytes, check };
    };
    await timeReps(mode, n, reps, 100_000, run, 'bytes');
    break;
  }
  case 'transform-encode':
  case 'status-encode':
  case 'status-encode-distinct':
  case 'string-encode-distinct': {
    const n = Number(rest[0] ?? 1_000_000);
    const pool = mode.startsWith('transform') ? transformPool() : mode.startsWith('string') ? stringDistinctPool() : mode.endsWith('-distinct') ? statusDistinctPool() : statusPool();
    const reps = Number(rest[1] ?? 3);
    const out = outputFor(pool, n);
    await timeReps(mode, n, reps, Math.min(100_000, n), (count) => encodeRun(pool, count, out), 'bytes');
    break;
  }
  case 'image': {
    // 512x512x100 uint16: bare CRC-64 pass over the body vs encode+CRC and decode+CRC.
    const reps = Number(rest[0] ?? 5);
    const count = 512 * 512 * 100;
    const pixels = new Uint16Array(count);
    for (let i = 0; i < count; i++) pixels[i] = (i * 7) & 0xffff;
    const content = igtl.createImageContent
      ? igtl.createImageContent({ data: pixels, size: [512, 512, 100], spacing: [0.5, 0.5, 1] })
      : undefined;
    const msg = igtl.createMessage('IMAGE', content ?? {
      numComponents: 1, scalarType: 5, endian: igtl.HOST_ENDIAN, coordinate: 1, size: [512, 512, 100],
      matrix: [0.5, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], subvolumeOffset: [0, 0, 0], subvolumeSize: [512, 512, 100],
      data: new Uint8Array(pixels.buffer),
    }, { deviceName: 'Volume', timestamp: igtl.Timestamp.ZERO });
    const wire = igtl.encodeMessage(msg);
    const out = new Uint8Array(wire.length);
    const outOpts = { view: new DataView(out.buffer) };
    const body = wire.subarray(58);
    const t = { crc: [], encodeInto: [], encode: [], parts: [], decode: [] };
    let shares = true;
    for (let r = 0; r < reps + 1; r++) {
      let t0 = now();
      igtl.crc64(body);
      const a = now() - t0;
      t0 = now();
      igtl.encodeMessageInto(msg, out, 0, outOpts);
      const b = now() - t0;
      t0 = now();
      const fresh = igtl.encodeMessage(msg);
      const c = now() - t0;
      t0 = now();
      const parts = igtl.encodeMessageParts(msg);
      const e = now() - t0;
      t0 = now();
      const m = igtl.decodeMessage(wire);
      const d = now() - t0;
      if (parts.length < 2 || parts[1].buffer !== pixels.buffer) throw new Error('parts: the pixels should be sent as their own view');
      shares &&= m.content.data.buffer === wire.buffer && igtl.imagePixels(m.content).buffer === wire.buffer;
      if (fresh.length !== wire.length) throw new Error('size');
      if (r === 0) continue; // warm-up
      t.crc.push(a); t.encodeInto.push(b); t.encode.push(c); t.parts.push(e); t.decode.push(d);
    }
    for (let i = 0; i < wire.length; i += 4099) if (out[i] !== wire[i]) throw new Error('encodeInto differs');
    emit({
      mode, bytes: wire.length, crcSeconds: median(t.crc), encodeIntoSeconds: median(t.encodeInto), encodeSeconds: median(t.encode), partsSeconds: median(t.parts),
      decodeSeconds: median(t.decode), pixelsShareReceiveBuffer: shares, reps: t,
    });
    break;
  }
  default:
    process.stderr.write(`unknown mode ${mode}\n`);
    process.exit(2);
}
