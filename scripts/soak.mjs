#!/usr/bin/env node
// `npm run soak -- --minutes N`: the soak of test/soak at length (default 10 minutes), printing
// messages sent/received/lost-by-policy, reconnects, heap and RSS over time.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const r = spawnSync('npx', ['vitest', 'run', 'test/soak', '--testTimeout=0', '--reporter=default'], {
  stdio: 'inherit',
  env: { ...process.env, SOAK_MINUTES: values.minutes, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() },
});
process.exit(r.status ?? 1);
