#!/usr/bin/env node
// `npm run fuzz [-- --runs N] [-- --seed S]`: the property and hostile-input suites of `npm test`,
// with many more cases per property and a fresh seed each run (printed, so a failure replays with
// IGTL_FC_SEED=<seed>).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5000' }, seed: { type: 'string' } } });
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
console.log(`fuzz: seed ${seed}, ${values.runs} runs per property (replay: IGTL_FC_SEED=${seed} IGTL_FC_RUNS=${values.runs} npx vitest run test/unit/property.test.ts)`);
const r = spawnSync('npx', ['vitest', 'run', 'test/unit/property.test.ts', '--testTimeout=0', '--reporter=dot'], {
  stdio: 'inherit',
  env: { ...process.env, IGTL_FC_SEED: seed, IGTL_FC_RUNS: values.runs, IGTL_FC_REPORT: '1' },
});
process.exit(r.status ?? 1);
