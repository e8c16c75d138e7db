// Assembling large IMAGE messages from 64 KiB chunks (the streaming framer's split-message path,
// as a TCP receiver does it) against a bare CRC-64 pass over the same bodies, in one process.
// Usage: node bench/js/framer-growth.mjs <pixel KiB> [rounds]   (prints one JSON line)
//
// The stream holds `count` IMAGE messages of <pixel KiB> uint8 pixels back to back (count: enough
// for about 64 MiB per round, at least 1), cut into 64 KiB chunks without regard to message
// boundaries. Each round times, in turn:
//   crc:      a bare CRC pass over every message body (crc64, the kernel a decoder uses);
//   assemble: a MessageDecoder (CRC verified, IMAGE decoded) fed the chunks, with the allocation
//             a Node transport uses;
//   floor:    the least any receiver that hands out each message in a fresh contiguous buffer
//             does: one buffer of exactly its size (same allocation), its bytes copied in from
//             the chunks, one CRC pass. On a machine where first-touching fresh memory is dear
//             (page faults), this, not the CRC pass, is what assembly can approach.
// Times are CPU time of this process (all threads: GC included); the first round is a warm-up.
// Each round also counts the process's minor page faults (first touches of fresh memory), so a
// run shows how many it took per MiB assembled: about 256 with 4 KiB pages, a handful with huge
// pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, see docs/performance.md).
//
// Why the floor is far above the CRC pass here (Linux, THP `madvise`, so 4 KiB pages): every page
// of a fresh buffer costs a page fault on first touch (the kernel zeroes it), measured at about
// 2.4 us per 4 KiB, close to the CRC's own cost per byte. For 256 MiB: the CRC pass 138 ms, the
// copy into a warm buffer 27 ms, first-touching 256 MiB 155 ms; so the floor is about 2.3x the
// CRC pass, and no receiver that hands out fresh buffers in 4 KiB pages can come near 1.2x it. Memory is fresh
// for every message above 32 MiB (glibc maps such blocks, V8 maps resizable buffers); up to it,
// glibc may hand back freed blocks already paged in, so those rows depend on when the GC frees
// the last messages (noisy; assembly in segments can then beat the floor). Above 128 MiB the
// framer grows messages in place (a resizable ArrayBuffer, src/transport/socket-channel.ts), so
// it does what the floor does: nothing is copied twice.
import { igtl, emit, median, cpuNow as now } from './common.mjs';

const CHUNK = 64 * 1024;
const kib = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 5);
const pixels = kib * 1024;
if (!Number.isInteger(kib) || kib < 1 || pixels % 256 !== 0) throw new Error(`pixel KiB must be a positive integer (got ${process.argv[2]})`);

// The allocation Node transports pass to their decoder, when this build has one.
let allocate;
try {
  ({ allocateUninitialized: allocate } = await import('../../dist/src/transport/socket-channel.js'));
} catch {
  allocate = undefined;
}

/** uint8 image dimensions with i * j * k = n (i, j up to 4096: OpenIGTLink sizes are uint16). */
function dims(n) {
  const i = Math.min(4096, n >= 65536 ? 256 * Math.max(1, Math.min(16, Math.floor(Math.sqrt(n) / 256))) : 256);
  const rest = n / i;
  const j = Math.min(4096, rest);
  return [i, j, rest / j];
}

const data = new Uint8Array(pixels);
for (let i = 0; i < pixels; i++) data[i] = i % 251;
const size = dims(pixels);
const msg = igtl.createMessage('IMAGE', igtl.createImageContent({ data, size }), { deviceName: 'Volume', timestamp: igtl.Timestamp.ZERO });
const one = igtl.encodeMessage(msg);
const count = Math.max(1, Math.floor((64 * 1024 * 1024) / one.length));
const stream = new Uint8Array(one.length * count);
for (let k = 0; k < count; k++) stream.set(one, k * one.length);

function crcPass() {
  const t0 = now();
  let x = 0n;
  for (let k = 0; k < count; k++) x ^= igtl.crc64(stream, k * one.length + 58, (k + 1) * one.length);
  const secs = now() - t0;
  if (x !== (count % 2 ? igtl.crc64(one, 58) : 0n)) throw new Error('CRC pass: wrong result');
  return secs;
}

const alloc = allocate ?? ((n) => new Uint8Array(n));

function floor() {
  const t0 = now();
  let x = 0n;
  for (let k = 0; k < count; k++) {
    const at = k * one.length;
    const buf = alloc(one.length);
    for (let done = 0; done < one.length; ) {
      const pos = at + done;
      const n = Math.min(one.length - done, CHUNK - (pos % CHUNK));
      buf.set(stream.subarray(pos, pos + n), done);
      done += n;
    }
    x ^= igtl.crc64(buf, 58);
  }
  const secs = now() - t0;
  if (x !== (count % 2 ? igtl.crc64(one, 58) : 0n)) throw new Error('floor: wrong CRC');
  return secs;
}

function assemble() {
  let ok = 0;
  let failure;
  const decoder = new igtl.MessageDecoder(
    {
      message(m) {
        if (m.type !== 'IMAGE' || m.content.data.length !== pixels) failure ??= new Error(`decoded ${m.type} of ${m.content.data?.length} bytes`);
        ok++;
      },
      error(e) {
        failure ??= e;
      },
    },
    { resync: 'stop', ...(allocate ? { allocate } : {}) },
  );
  const t0 = now();
  for (let off = 0; off < stream.length; off += CHUNK) decoder.push(stream.subarray(off, Math.min(stream.length, off + CHUNK)));
  decoder.end();
  const secs = now() - t0;
  if (failure) throw failure;
  if (ok !== count) throw new Error(`decoded ${ok} of ${count} messages`);
  return secs;
}

const crc = [];
const asm = [];
const flo = [];
const asmFaults = [];
const faults = () => process.resourceUsage().minorPageFault;
for (let r = 0; r <= rounds; r++) {
  // Rotate the order, so none always runs right after another's garbage.
  const t = {};
  const f = {};
  for (const [name, fn] of [['c', crcPass], ['a', assemble], ['f', floor]].map((e, i, all) => all[(i + r) % all.length])) {
    const f0 = faults();
    t[name] = fn();
    f[name] = faults() - f0;
  }
  if (r === 0) continue;
  crc.push(t.c);
  asm.push(t.a);
  flo.push(t.f);
  asmFaults.push(f.a);
}
const ratio = (xs, ys) => median(xs.map((x, i) => x / ys[i]));
emit({
  mode: 'framer-growth', pixelBytes: pixels, messageBytes: one.length, messages: count, chunk: CHUNK, uninitializedAllocation: allocate !== undefined,
  crcSeconds: median(crc), assembleSeconds: median(asm), floorSeconds: median(flo), ratio: ratio(asm, crc), floorRatio: ratio(flo, crc), overFloor: ratio(asm, flo),
  crcMBps: (count * (one.length - 58)) / median(crc) / 1e6, rounds: { crc, asm, floor: flo },
  // Minor page faults while assembling, per MiB of messages (median over the rounds).
  assembleFaultsPerMiB: median(asmFaults) / ((count * one.length) / 2 ** 20), glibcTunables: process.env.GLIBC_TUNABLES ?? '',
});
