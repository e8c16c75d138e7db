// The igtl-rx receiving side of the loopback benchmarks: connectTcp to a sender on 127.0.0.1.
//
// Usage: node bench/js/tcp-recv.mjs <port> <mode> <count> [options]
//   transform  <count>   conn.pipe(ofType('TRANSFORM'), ofDevice('Tracker')).subscribe(...):
//                        rate from connect to the count-th message
//   latency    <count> <hz>  conn.pipe(ofType('TRANSFORM'), throttleTracking(hz)) (hz 0: ofType only): per delivered
//                        message, process.hrtime (CLOCK_MONOTONIC) - its TIMESTAMP (set from
//                        CLOCK_MONOTONIC by the sender): p50 / p99 / max in ms
//   latency-raw <count>  the same with a plain net.Socket and no igtl-rx (the floor for Node)
//   transform-raw <count>  a plain net.Socket that only counts the bytes of <count> 106-byte
//                        TRANSFORMs, no decoding and no igtl-rx (the floor for a Node receiver:
//                        one 'data' event per read): rate from connect to the last byte
//   image      <count>   IMAGEs through ofType('IMAGE'): time from connect to the last decoded
//   pull       <count> <delayEvery> <delayMs>   for await (const m of conn.messages()): a slow
//                        consumer (sleeps delayMs every delayEvery messages); every message must
//                        arrive; reports peak RSS / heap
//   soak       <seconds> [uiHz]   1 kHz TRANSFORMs, consumed by a 60 Hz UI-style subscriber
//                        (throttleTracking(uiHz) + a little work per frame); samples RSS and heap
//                        every second; growth from the first to the last quarter after a warm-up
import { igtl, emit, memory, now } from './common.mjs';
import { connectTcp } from '../../dist/src/node.js';
import { ofDevice, ofType, throttleTracking } from '../../dist/operators/index.js';

const [portArg, mode, countArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : 0;
}

if (mode === 'latency-raw') {
  // The floor for any Node receiver: a plain net.Socket, the TIMESTAMP read straight from the
  // bytes (no igtl-rx, no RxJS). Same measurement as 'latency'.
  const net = await import('node:net');
  const lat = [];
  let pending = new Uint8Array(0);
  let got = 0;
  const sock = net.connect({ host: '127.0.0.1', port });
  sock.on('data', (d) => {
    const t = process.hrtime.bigint();
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= 106) {
      const v = new DataView(pending.buffer, pending.byteOffset, 106);
      const sent = BigInt(v.getUint32(34)) * 1_000_000_000n + BigInt(igtl.fractionToNanoseconds(v.getUint32(38)));
      if (got++ >= count / 10) lat.push(Number(t - sent) / 1e6);
      pending = pending.subarray(106);
    }
  });
  sock.on('close', () => {
    lat.sort((a, b) => a - b);
    emit({ mode, received: got, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? 0, ...memory() });
    process.exit(0);
  });
  await new Promise(() => {});
}

if (mode === 'transform-raw') {
  const net = await import('node:net');
  const total = count * 106;
  let bytes = 0;
  let reads = 0;
  const t0 = now();
  const sock = net.connect({ host: '127.0.0.1', port, noDelay: true });
  sock.on('data', (d) => {
    reads++;
    bytes += d.length;
    if (bytes >= total) {
      const secs = now() - t0;
      emit({ mode, received: Math.floor(bytes / 106), reads, seconds: secs, perSecond: count / secs, ...memory() });
      process.exit(0);
    }
  });
  await new Promise(() => {});
}

const conn = connectTcp({ host: '127.0.0.1', port, reconnect: false });
let tOpen = now();
conn.state$.subscribe((s) => {
  if (s.kind === 'connecting') tOpen = now();
});
let errors = 0;
conn.errors$.subscribe(() => errors++);

function finish(obj) {
  emit({ ...obj, errors, ...memory() });
  conn.close();
  setTimeout(() => process.exit(0), 50);
}

switch (mode) {
  case 'transform': {
    let got = 0;
    let checksum = 0;
    const sub = conn.pipe(ofType('TRANSFORM'), ofDevice('Tracker')).subscribe((m) => {
      checksum += m.content.matrix[3];
      if (++got === count) {
        const secs = now() - tOpen;
        sub.unsubscribe();
        finish({ mode, received: got, seconds: secs, perSecond: got / secs, checksum });
      }
    });
    break;
  }
  case 'latency': {
    const hz = Number(rest[0] ?? 1000);
    const lat = [];
    let got = 0;
    // hz 0: no throttle (ofType only), to see what the throttle adds.
    const sub = (hz > 0 ? conn.pipe(ofType('TRANSFORM'), throttleTracking(hz)) : conn.pipe(ofType('TRANSFORM'))).subscribe({
      next: (m) => {
        const t = process.hrtime.bigint();
        const sent = BigInt(m.timestamp.seconds) * 1_000_000_000n + BigInt(igtl.fractionToNanoseconds(m.timestamp.fraction));
        // The first 10% (by sequence, from the matrix) are a warm-up, as on the C++ side.
        if (m.content.matrix[11] >= count / 10) lat.push(Number(t - sent) / 1e6);
        got++;
      },
      complete: () => done(),
    });
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      sub.unsubscribe();
      lat.sort((a, b) => a - b);
      finish({ mode, hz, received: got, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat[lat.length - 1] ?? 0 });
    };
    // The sender sends `count` messages and closes: the stream completes.
    break;
  }
  case 'image': {
    let got = 0;
    let shares = true;
    let endian = 0;
    const sub = conn.pipe(ofType('IMAGE')).subscribe((m) => {
      // The pixels are a view on the buffer the framer assembled the message in (the one copy
      // out of the socket's chunks), not a copy of their own.
      const d = m.content.data;
      shares &&= d.byteOffset === 58 + 72 && d.buffer.byteLength === 58 + 72 + d.length;
      endian = m.content.endian;
      if (++got === count) {
        const secs = now() - tOpen;
        sub.unsubscribe();
        finish({ mode, received: got, seconds: secs, perSecond: got / secs, pixelsViewAssemblyBuffer: shares, endian });
      }
    });
    break;
  }
  case 'pull': {
    const delayEvery = Number(rest[0] ?? 1000);
    const delayMs = Number(rest[1] ?? 1);
    let got = 0;
    let peakRss = 0;
    let peakHeap = 0;
    let expected = 0;
    let inOrder = true;
    const t0 = now();
    for await (const m of conn.messages({ highWaterMark: 1000 })) {
      if (m.type !== 'TRANSFORM') continue;
      if (m.timestamp.fraction !== expected) inOrder = false;
      expected++;
      got++;
      if (got % delayEvery === 0) {
        const mem = process.memoryUsage();
        peakRss = Math.max(peakRss, mem.rss);
        peakHeap = Math.max(peakHeap, mem.heapUsed);
        await new Promise((r) => setTimeout(r, delayMs));
      }
      if (got === count) break;
    }
    finish({ mode, received: got, inOrder, seconds: now() - t0, peakRss, peakHeap });
    break;
  }
  case 'soak': {
    const seconds = count;
    const uiHz = Number(rest[0] ?? 60);
    const samples = [];
    let frames = 0;
    let received = 0;
    let last;
    conn.pipe(ofType('TRANSFORM')).subscribe(() => received++);
    conn.pipe(ofType('TRANSFORM'), throttleTracking(uiHz)).subscribe((m) => {
      // A UI frame: read the pose, format it (what a display does with it).
      last = m.content.matrix.slice(0, 12).map((v) => v.toFixed(2)).join(' ');
      frames++;
    });
    const t0 = now();
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      samples.push({ t: now() - t0, rss: m.rss, heapUsed: m.heapUsed });
      if (now() - t0 >= seconds) {
        clearInterval(timer);
        // Growth after a warm-up (JIT, V8 growing its young generation to its working size:
        // RSS climbs for the first 5-15 s), between the first and the last quarter of the
        // rest. The heap is compared by its floor (the lowest heapUsed in each quarter, i.e. just
        // after a scavenge: what is retained), not by averages: heapUsed is a saw-tooth of several
        // MiB with a period of a few seconds, and the mean of a few samples depended on where the
        // teeth fell (a 1-minute soak came out "growing" by chance). RSS is compared by means.
        const warm = Math.max(15, seconds * 0.25);
        const steady = samples.filter((s) => s.t >= warm);
        const q = Math.max(1, Math.floor(steady.length / 4));
        const head = steady.slice(0, q);
        const tail = steady.slice(-q);
        const first = steady[0] ?? samples[0];
        const lastS = samples[samples.length - 1];
        const avg = (arr, k) => arr.reduce((s, x) => s + x[k], 0) / arr.length;
        const floor = (arr, k) => Math.min(...arr.map((x) => x[k]));
        finish({
          mode, seconds: lastS.t, received, frames, uiHz, lastFrame: last,
          warmSeconds: warm, quarterSeconds: q, spanSeconds: tail[tail.length - 1].t - head[0].t,
          rssStart: first.rss, rssEnd: lastS.rss, rssPeak: Math.max(...steady.map((s) => s.rss)),
          heapStart: first.heapUsed, heapEnd: lastS.heapUsed, heapPeak: Math.max(...steady.map((s) => s.heapUsed)),
          rssGrowthAvg: avg(tail, 'rss') - avg(head, 'rss'),
          heapFloorStart: floor(head, 'heapUsed'), heapFloorEnd: floor(tail, 'heapUsed'),
          heapFloorGrowth: floor(tail, 'heapUsed') - floor(head, 'heapUsed'),
          heapGrowthAvg: avg(tail, 'heapUsed') - avg(head, 'heapUsed'),
          samples: samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 60)) === 0).map((s) => [Math.round(s.t), s.rss, s.heapUsed]),
        });
      }
    }, 1000);
    break;
  }
  default:
    process.stderr.write(`unknown mode ${mode}\n`);
    process.exit(2);
}
