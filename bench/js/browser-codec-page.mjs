// The page side of benchmark 10 (bench/js/browser-codec.mjs bundles this file with esbuild for
// the browser and serves it): the igtl-rx codec in a web page, on the same workloads as the
// in-memory benchmarks of bench/js/codec.mjs (the same message pools, from common.mjs).
//
// Each step is one call from the driver (window.igtlBench.<step>()), so that the driver can read
// the renderer's CPU time (CDP Performance.getMetrics, ProcessTime) around the timed part only.
import { igtl, packAll, transformPool, POOL } from './common.mjs';
import { crc64Backend, crc64Js } from '../../dist/src/protocol/crc64.js';

const transformCheck = (m) => m.content.matrix[3] + m.deviceName.length;

function decodeAll(buf, n) {
  let ok = 0;
  let errors = 0;
  let checksum = 0;
  const decoder = new igtl.MessageDecoder({
    message(m) {
      checksum += transformCheck(m);
      ok++;
    },
    error() {
      errors++;
    },
  });
  decoder.push(buf);
  decoder.end();
  if (ok !== n || errors) throw new Error(`decoded ${ok} of ${n}, ${errors} errors`);
  return checksum;
}

const state = {};

/** Each step returns the wall-clock ms of its timed part (performance.now in the page). */
const timed = (fn) => {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
};

window.igtlBench = {
  backend: () => crc64Backend(),
  /** Runs `step` `times` times in a row (so that one timed call lasts long enough for a CPU clock of 10 ms ticks). */
  repeat(step, times) {
    let ms = 0;
    for (let i = 0; i < times; i++) ms += window.igtlBench[step]();
    return ms;
  },

  prepareTransforms(n) {
    const pool = transformPool();
    state.n = n;
    state.pool = pool;
    state.wire = packAll(pool, n);
    // Warm-ups, as codec.mjs does (a running application is warm).
    decodeAll(packAll(pool, 20_000), 20_000);
    let total = 0;
    for (let i = 0; i < POOL; i++) total += igtl.encodedSize(pool[i]);
    state.out = new Uint8Array(Math.ceil((total / POOL) * n) + 4096);
    state.out.fill(1);
    state.out.fill(0);
    state.outOpts = { view: new DataView(state.out.buffer) };
    window.igtlBench.transformEncode(100_000);
    return state.wire.length;
  },
  transformDecode: () => timed(() => decodeAll(state.wire, state.n)).ms,
  transformEncode(count = state.n) {
    const { pool, out, outOpts } = state;
    return timed(() => {
      let off = 0;
      for (let i = 0; i < count; i++) off += igtl.encodeMessageInto(pool[i % POOL], out, off, outOpts);
      return off;
    }).ms;
  },
  releaseTransforms() {
    state.wire = state.out = state.pool = undefined;
  },

  prepareImage() {
    const count = 512 * 512 * 100;
    const pixels = new Uint16Array(count);
    for (let i = 0; i < count; i++) pixels[i] = (i * 7) & 0xffff;
    const content = igtl.createImageContent({ data: pixels, size: [512, 512, 100], spacing: [0.5, 0.5, 1] });
    state.image = igtl.encodeMessage(igtl.createMessage('IMAGE', content, { deviceName: 'Volume', timestamp: igtl.Timestamp.ZERO }));
    window.igtlBench.imageDecode(); // warm-up
    return state.image.length;
  },
  imageDecode() {
    const r = timed(() => igtl.decodeMessage(state.image));
    if (r.value.content.data.buffer !== state.image.buffer) throw new Error('IMAGE pixels copied');
    return r.ms;
  },
  releaseImage() {
    state.image = undefined;
  },

  prepareCrc(mib) {
    const len = mib * 1024 * 1024;
    state.crcBuf = new Uint8Array(len);
    for (let i = 0; i < len; i++) state.crcBuf[i] = i % 251;
    return len;
  },
  crc: () => {
    const r = timed(() => igtl.crc64(state.crcBuf));
    state.crcValue = r.value.toString(16).padStart(16, '0');
    return r.ms;
  },
  crcJs: () => {
    const r = timed(() => crc64Js(state.crcBuf));
    state.crcJsValue = r.value.toString(16).padStart(16, '0');
    return r.ms;
  },
  crcValues: () => [state.crcValue, state.crcJsValue],
};
window.igtlBenchReady = true;
