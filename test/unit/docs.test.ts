// Code shown in the README is a file the type-check covers, so the README cannot drift from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/vectors.js';

describe('README', () => {
  it('shows examples/readme.ts exactly', () => {
    const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
    const block = /## Ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(`${repoRoot}/examples/readme.ts`, 'utf8'));
  });

  it('names the test command and the demo', () => {
    const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm run demo');
    const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
  });
});
