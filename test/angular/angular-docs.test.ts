// docs/angular.md cannot rot: every ```ts block in it is a whole file of test/angular/src/, laid
// out as in an `ng new` app (its first line names the file: `// src/app/igtl.service.ts`), every
// file there is shown, and those files type-check against @angular/core 20, @angular/common and
// RxJS with the settings of an Angular CLI project (@angular/router and @angular/platform-browser,
// which the root does not install, as declared in angular-cli.d.ts). test/angular/angular-app.build.test.ts
// builds the same files with the real Angular compiler and renders them in Chromium.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const here = path.join(root, 'test', 'angular');
const srcDir = path.join(here, 'src');
const doc = readFileSync(path.join(root, 'docs', 'angular.md'), 'utf8');

/** The ```ts blocks of a Markdown text, without their fences. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const normal = (text: string) => text.replace(/\r\n/g, '\n').replace(/\s+$/, '');

describe('docs/angular.md', () => {
  // Paths as the blocks name them: relative to test/angular, i.e. to the root of the app.
  const files = new Map(
    readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join('src', f).split(path.sep).join('/'))
      .map((f) => [f, normal(readFileSync(path.join(here, f), 'utf8'))]),
  );
  const blocks = tsBlocks(doc).map(normal);

  it('has ts blocks, each identical to a file of test/angular/src', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    for (const block of blocks) {
      const name = /^\/\/ (src\/\S+\.ts)$/.exec(block.split('\n')[0] ?? '')?.[1];
      expect(name, `a block must start with "// src/<file>.ts":\n${block.slice(0, 200)}`).toBeDefined();
      expect(files.has(name!), `${name} is not a file of test/angular/src`).toBe(true);
      expect(block, `the block of ${name} differs from test/angular/${name}`).toBe(files.get(name!));
    }
  });

  it('shows every checked file', () => {
    const shown = new Set(blocks.map((b) => /^\/\/ (src\/\S+\.ts)$/.exec(b.split('\n')[0] ?? '')?.[1]));
    expect([...files.keys()].filter((f) => !shown.has(f))).toEqual([]);
  });

  it('type-checks against @angular/core 20 and RxJS (tsc -p test/angular/tsconfig.json --noEmit)', () => {
    const angular = JSON.parse(readFileSync(path.join(root, 'node_modules', '@angular', 'core', 'package.json'), 'utf8')) as { version: string };
    expect(angular.version).toMatch(/^20\./);
    const tsc = spawnSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'test', 'angular', 'tsconfig.json'), '--noEmit'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(`${tsc.stdout}${tsc.stderr}`.trim()).toBe('');
    expect(tsc.status).toBe(0);
  });
});
