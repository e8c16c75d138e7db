import { defineConfig } from 'vitest/config';

/**
 * The suites that take minutes (a 2-minute soak, real Chromium, private network namespaces with
 * 15-30 s dead-peer timers, forced restarts, the packed package, the Angular build). `npm test`
 * is the fast loop without them; `npm run test:long` runs them; CI (.ci/run) runs both.
 */
export const LONG_SUITES = [
  'test/soak/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/angular/**/*.build.test.ts',
  'test/package/**/*.test.ts',
  'test/faults/dead-peer.test.ts',
  'test/faults/netns-harness.test.ts',
  'test/faults/lossless-restarts.test.ts',
];

export const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 30_000,
  hookTimeout: 120_000,
  // Interop tests start real C++ peers on loopback; two cores, so keep parallelism modest.
  maxWorkers: 2,
  reporters: ['default', './test/support/summary-reporter.ts'],
};

export default defineConfig({
  test: {
    ...shared,
    include: ['test/**/*.test.ts', 'marble-tests/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...LONG_SUITES],
  },
});
