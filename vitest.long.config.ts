import { defineConfig } from 'vitest/config';
import { LONG_SUITES, shared } from './vitest.config.js';

// The long suites (see vitest.config.ts): `npm run test:long`, and in CI after `npm test`.
export default defineConfig({
  test: {
    ...shared,
    include: LONG_SUITES,
    exclude: ['**/node_modules/**'],
  },
});
