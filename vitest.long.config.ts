import { defineConfig } from 'vitest/config';
import { LONG_SUITES, shared } from './vitest.config.js';

// The long suites (see vitest.config.ts): `npm run test:long`, and in CI after `npm test`.
export default defineConfig({
  test: {
    ...shared,
    include: LONG_SUITES,
    exclude: ['**/node_modules/**'],
    // One file at a time: these suites measure (frame rates, timers of 15-30 s, memory) and load
    // the machine; two of them side by side on 2 cores would measure each other.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
