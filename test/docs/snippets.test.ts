// Every ```ts block of the README and docs/*.md is compiled (strict, as the repository's own
// code) with the context its prose assumes (context.ts), and the blocks that can run are run
// against the simulator, transpiled as they are and importing the package by its name.
// (docs/angular.md: test/angular/angular-docs.test.ts. The README block is also
// examples/readme.ts: test/unit/docs.test.ts, test/e2e/readme-example.test.ts.)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { CONTEXTS, type SnippetContext } from './context.js';
import { allSnippets, root, type Snippet } from './snippets.js';

// In the repository (so that 'igtl-rx', 'igtl-rx/node' resolve to this package by self-reference
// when run) but outside what tsconfig.test.json includes; .cache/ is gitignored.
const generated = path.join(root, '.cache', 'docs-snippets');
const snippets = allSnippets();
const key = (file: string, first: string) => `${file}\u0000${first}`;
const contexts = new Map(CONTEXTS.map((c) => [key(c.file, c.first), c]));
const slug = (s: Snippet) => `${s.file.replace(/[/.]/g, '_')}_${s.index}`;

/** The block with its elisions filled in (each must be there). */
function body(s: Snippet, c: SnippetContext): string {
  let code = s.code;
  for (const [from, to] of c.elisions ?? []) {
    if (!code.includes(from)) throw new Error(`${s.file}:${s.line}: elision ${JSON.stringify(from)} is not in the block`);
    code = code.replace(from, to);
  }
  return code;
}

const compileSource = (s: Snippet, c: SnippetContext) => `${c.prelude ?? ''}${body(s, c)}\nexport {};\n`;
const runSource = (s: Snippet, c: SnippetContext) => `${c.run!.prelude ?? ''}${body(s, c)}${c.run!.suffix}\nexport {};\n`;

describe('docs snippets', () => {
  it('every block has a context entry, and every entry names a block', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(25);
    const seen = new Set<string>();
    for (const s of snippets) {
      const k = key(s.file, s.first);
      expect(seen.has(k), `${s.file}:${s.line}: two blocks start with the same line`).toBe(false);
      seen.add(k);
      expect(contexts.has(k), `${s.file}:${s.line}: no entry in test/docs/context.ts for the block starting ${JSON.stringify(s.first)}`).toBe(true);
    }
    expect(CONTEXTS.filter((c) => !seen.has(key(c.file, c.first))).map((c) => `${c.file}: ${c.first}`)).toEqual([]);
  });

  it('every block type-checks (strict, against the sources of igtl-rx, igtl-rx/node, igtl-rx/operators)', () => {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(generated, { recursive: true });
    const names: string[] = [];
    for (const s of snippets) {
      const c = contexts.get(key(s.file, s.first));
      if (!c) continue;
      writeFileSync(path.join(generated, `${slug(s)}.ts`), `// ${s.file}:${s.line}\n${compileSource(s, c)}`);
      names.push(`${slug(s)}.ts`);
      if (c.run) {
        writeFileSync(path.join(generated, `${slug(s)}.run.ts`), `// ${s.file}:${s.line} (as run)\n${runSource(s, c)}`);
        names.push(`${slug(s)}.run.ts`);
      }
    }
    writeFileSync(
      path.join(generated, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: {
          noEmit: true,
          rootDir: '../..',
          paths: { 'igtl-rx': ['../../src/index.ts'], 'igtl-rx/node': ['../../src/node.ts'], 'igtl-rx/operators': ['../../operators/index.ts'] },
        },
        include: [],
        files: names,
      }),
    );
    const tsc = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(generated, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    expect(`${tsc.stdout}${tsc.stderr}`.trim()).toBe('');
    expect(tsc.status).toBe(0);
  });

  describe('the runnable ones run against the simulator', () => {
    let sim: Simulator;
    let port = 0;
    beforeAll(async () => {
      sim = createSimulator({ port: 0 });
      ({ port } = await sim.start());
      mkdirSync(generated, { recursive: true });
    });
    afterAll(() => sim.stop());

    for (const s of snippets) {
      const c = contexts.get(key(s.file, s.first));
      if (!c?.run) continue;
      it(`${s.file}:${s.line}`, async () => {
        const source = runSource(s, c).replaceAll('18944', String(port));
        const script = path.join(generated, `${slug(s)}.mjs`);
        writeFileSync(script, transformSync(source, { loader: 'ts', format: 'esm' }).code);
        const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(stdout, `stderr: ${stderr}`).toContain('SNIPPET-OK');
        expect(code, `stderr: ${stderr}`).toBe(0);
      }, 20_000);
    }
  });
});
