import { defineConfig } from 'vitest/config';

/**
 * The suites that take minutes (a 2-minute soak, real Chromium, private network namespaces with
 * 15-30 s dead-peer timers, forced restarts, the packed package, the Angular build), and the ones
 * that measure rates under load over seconds (they belong where files run one at a time).
 * `npm test` is the fast loop without them; `npm run test:long` runs them; CI (.ci/run) runs both.
 */
export const LONG_SUITES = [
  'test/soak/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/angular/**/*.build.test.ts',
  'test/package/**/*.test.ts',
  'test/faults/dead-peer.test.ts',
  'test/faults/bridge-dead-client.test.ts',
  'test/faults/netns-harness.test.ts',
  'test/faults/lossless-restarts.test.ts',
  // 1,000 TRANSFORM/s to ten WebSocket clients plus 2.6 MB/s of images to back one up, then rates
  // over a 5 s window: a throughput measurement, which a parallel file on two cores would skew.
  'test/e2e/bridge-stalled.test.ts',
  // Rates within 10% over 1 s windows for 3.5 s, at 60 and 250 Hz, through two processes: a rate
  // a busy CPU skews. (simulate + monitor output stays in the fast loop: cli-simulate-monitor.)
  'test/e2e/cli-simulate-monitor-rates.test.ts',
];

const timeouts = { testTimeout: 30_000, hookTimeout: 120_000 };

export const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  ...timeouts,
  // Interop tests start real C++ peers on loopback; two cores, so keep parallelism modest.
  maxWorkers: 2,
  reporters: ['default', './test/support/summary-reporter.ts'],
};

const ALL = ['test/**/*.test.ts', 'marble-tests/**/*.test.ts', 'examples/**/*.test.ts'];

/**
 * In-process tests of the library (codecs, operators on virtual time, connections over fake
 * channels or loopback): they share one module graph per worker (isolate: false). A fresh graph
 * per file costs about half a second of imports, against a few milliseconds of tests for most of
 * these files (measured: 30 files of test/unit/messages and marble-tests, 15 s isolated, 3 s not).
 */
const SHARED_MODULES = ['test/unit/**/*.test.ts', 'test/types/**/*.test.ts', 'marble-tests/**/*.test.ts'];

/** The files among SHARED_MODULES that need a module graph (or a process) of their own. */
const OWN_MODULES = [
  'test/unit/transport/broadcast.test.ts', // vi.mock of a module every other file imports
  'test/unit/crc64.test.ts', // vi.resetModules, and replaces globalThis.WebAssembly
  'test/types/custom-codec.test.ts', // registers a codec in the default registry
  'test/unit/framer-memory.test.ts', // measures the heap
  'test/unit/recording/sequence-streaming.test.ts', // measures the RSS
];

// A project does not extend the root config: it would inherit the global setup and run it once
// more (the root runs it once for all).
const project = (test: Record<string, unknown>) => ({ test: { ...timeouts, ...test } });

export default defineConfig({
  test: {
    ...shared,
    projects: [
      project({ name: 'shared-modules', include: SHARED_MODULES, exclude: ['**/node_modules/**', ...OWN_MODULES], isolate: false }),
      project({ name: 'own-modules', include: OWN_MODULES }),
      // Everything else (end to end, interop, faults, docs, examples) runs each file in a fresh
      // process: they start servers, child processes and process-wide listeners.
      project({ name: 'isolated', include: ALL, exclude: ['**/node_modules/**', ...LONG_SUITES, ...SHARED_MODULES] }),
    ],
  },
});
