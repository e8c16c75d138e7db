// What the README and docs/*.md claim about the repository is checked against it: the README's
// example is a file the type-check covers (and test/e2e/readme-example.test.ts runs), every
// `npm run <script>` they show is a script of package.json, and every relative link names a file
// (and heading) that exists. The ```ts blocks are
// compiled and run by test/docs/snippets.test.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const markdown = ['README.md', ...readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const pkg = JSON.parse(text('package.json')) as { scripts: Record<string, string> };

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of text(file).split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Markdown outside fenced code blocks (links and prose only). */
const prose = (file: string) => text(file).replace(/^```[\s\S]*?^```$/gm, '');

describe('README', () => {
  it('shows examples/readme.ts exactly', () => {
    const readme = text('README.md');
    const block = /## Ten lines[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(text('examples/readme.ts'));
  });

  it('starts the simulator its example reads (npm run demo) and names the test commands', () => {
    const readme = text('README.md');
    expect(readme).toMatch(/npm run demo/);
    expect(pkg.scripts.demo).toMatch(/\bdemo\b/);
    // The example connects where the demo's simulator listens.
    expect(text('examples/readme.ts')).toContain('port: 18944');
    expect(text('src/cli/demo.ts')).toMatch(/18944/);
  });
});

describe('README and docs/*.md', () => {
  it('show only npm scripts that package.json has', () => {
    const missing: string[] = [];
    for (const file of markdown) {
      for (const m of text(file).matchAll(/\bnpm run ([\w:.-]+)/g)) if (!(m[1]! in pkg.scripts)) missing.push(`${file}: npm run ${m[1]}`);
    }
    expect(missing).toEqual([]);
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      for (const m of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue; // http(s):, mailto:
        const [p, hash] = target.split('#') as [string, string | undefined];
        const resolved = p === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), p));
        checked++;
        if (!existsSync(path.join(repoRoot, resolved))) {
          broken.push(`${file}: ${target} (no ${resolved})`);
          continue;
        }
        if (hash !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(hash)) broken.push(`${file}: ${target} (no heading #${hash} in ${resolved})`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });
});
