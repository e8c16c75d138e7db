// The package as a user gets it: `npm pack` of this repository (the build `npm test` has just made),
// the tarball installed into a fresh project (test/package/fixtures/consumer) with rxjs, its peer,
// and @types/node, all from the local npm cache (`npm ci` has just filled it). The consumer is then
// type-checked with this repository's TypeScript, strict and with skipLibCheck false, under
// moduleResolution nodenext, bundler, and bundler with no Node types (a browser page importing
// `igtl-rx` and `igtl-rx/operators`), and run: a server and a client, one TRANSFORM through the
// README's operators, one message through `messages()`. The CLI runs too, without its optional
// terminal packages (log-update, cli-progress), which a library user does not get.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../support/npm-child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = path.join(root, 'node_modules', '.bin', 'tsc');
const repoPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const installedVersion = (name: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
let consumer: string;
let tarballFiles: string[];

/** Every `<dir>/node_modules/**\/<name>/package.json` below `dir`: the copies of a package. */
function copiesOf(dir: string, name: string): string[] {
  const found: string[] = [];
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      const scoped = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((e) => `${entry}/${e}`) : [entry];
      for (const pkg of scoped) {
        const at = path.join(modules, pkg);
        if (pkg === name) found.push(at);
        walk(path.join(at, 'node_modules'));
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return found;
}

beforeAll(async () => {
  if (!existsSync(path.join(root, 'dist', 'src', 'node.d.ts'))) throw new Error('no build in dist/: run `npm run build` first (`npm test` does)');
  work = mkdtempSync(path.join(tmpdir(), 'igtl-rx-consume-'));
  // Packed without the prepack build: `npm test` has just built, and rebuilding dist/ here would
  // pull files from under the other test files that run the CLI from it.
  const pack = await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, timeout: 60_000 });
  expect(pack.code, pack.stderr).toBe(0);
  const [packed] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  tarballFiles = packed.files.map((f) => f.path);
  consumer = path.join(work, 'consumer');
  cpSync(path.join(root, 'test', 'package', 'fixtures', 'consumer'), consumer, { recursive: true });
  // Written here, not kept in the fixture: inside the repository the fixture's sources resolve
  // `igtl-rx` to this package (self-reference), so tsconfig.test.json type-checks them too.
  const manifest = { name: 'igtl-rx-consumer', version: '0.0.0', private: true, type: 'module' };
  writeFileSync(path.join(consumer, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // The versions this repository has installed are in the local cache: nothing is downloaded.
  const install = await sh(
    'npm',
    ['install', path.join(work, packed.filename), `rxjs@${installedVersion('rxjs')}`, `@types/node@${installedVersion('@types/node')}`, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    { cwd: consumer, timeout: 90_000 },
  );
  expect(install.code, install.stderr).toBe(0);
}, 150_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack, installed into a fresh project', () => {
  it('the tarball holds the build (JavaScript and declarations), README, LICENSE and CHANGELOG, and no sources or tests', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/node.js', 'dist/src/node.d.ts', 'dist/operators/index.js', 'dist/operators/index.d.ts', 'dist/src/cli/main.js']) {
      expect(tarballFiles).toContain(f);
    }
    expect(tarballFiles.filter((f) => f.startsWith('test/') || f.startsWith('src/') || /(?<!\.d)\.ts$/.test(f))).toEqual([]);
  });

  it('installs one rxjs (the peer, the application\'s own copy) and none of the CLI\'s terminal packages', () => {
    const installed = JSON.parse(readFileSync(path.join(consumer, 'node_modules', 'igtl-rx', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    expect(installed.peerDependencies.rxjs).toBe('^7.8.2');
    expect(Object.keys(installed.dependencies)).not.toContain('rxjs');
    for (const cliOnly of ['log-update', 'cli-progress']) {
      expect(Object.keys(installed.dependencies)).not.toContain(cliOnly);
      expect(installed.peerDependenciesMeta[cliOnly]?.optional).toBe(true);
      expect(copiesOf(consumer, cliOnly)).toEqual([]);
    }
    expect(copiesOf(consumer, 'rxjs')).toEqual([path.join(consumer, 'node_modules', 'rxjs')]);
    // The types a consumer compiles against come with the package's dependencies: not `@types/ws`.
    expect(copiesOf(consumer, '@types/ws')).toEqual([]);
  });

  it.each([
    ['nodenext', 'module and moduleResolution nodenext, Node types'],
    ['bundler', 'module esnext, moduleResolution bundler, Node types'],
    ['browser', 'moduleResolution bundler, no Node types: igtl-rx and igtl-rx/operators only'],
  ])('type-checks strict with skipLibCheck false: %s (%s)', async (config) => {
    const result = await sh(tsc, ['-p', path.join(consumer, `tsconfig.${config}.json`)], { cwd: consumer, timeout: 60_000 });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);

  it('runs: a server and a client in one process, a TRANSFORM through ofType/ofDevice/throttleTracking, a message through messages(), exit 0', async () => {
    // dist/main.js is what the nodenext check emitted; compile again in case that test was filtered out.
    if (!existsSync(path.join(consumer, 'dist', 'main.js'))) await sh(tsc, ['-p', path.join(consumer, 'tsconfig.nodenext.json')], { cwd: consumer, timeout: 60_000 });
    const result = await sh(process.execPath, ['dist/main.js'], { cwd: consumer, timeout: 20_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ tracked: 'StylusToTracker', x: 0, pulled: 'TRANSFORM' });
  }, 30_000);

  it('the CLI runs without log-update and cli-progress, and says once what they would add', async () => {
    const bin = path.join(consumer, 'node_modules', '.bin', 'igtl-rx');
    const version = await sh(bin, ['--version'], { cwd: consumer, timeout: 10_000 });
    expect(version.stdout.trim()).toBe(repoPkg.version);
    // In a terminal (a pseudo-terminal from `script`) the demo would redraw in place with
    // log-update; without it, a note and the plain lines, exit 0.
    const demo = await sh('script', ['-qec', `${bin} demo --port 0 --duration 1.5`, '/dev/null'], { cwd: consumer, timeout: 20_000 });
    const lines = demo.stdout.split(/\r?\n/);
    expect(lines.filter((l) => l.includes('log-update'))).toEqual([
      'igtl-rx: the live terminal view needs the optional package log-update, which is not installed (npm install log-update); printing lines instead',
    ]);
    expect(lines.some((l) => /^Stylus x=-?\d/.test(l)), demo.stdout).toBe(true);
    expect(demo.code).toBe(0);
    // record/replay's progress bar (cli-progress), asked for as in a terminal.
    const progress = await sh(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { createProgress } = await import(process.argv[1]); const p = createProgress('{bar}', 10, true); p.update(5); p.stop(); createProgress('{bar}', 10, true).stop();",
        pathToFileURL(path.join(consumer, 'node_modules', 'igtl-rx', 'dist', 'src', 'cli', 'progress-helper.js')).href,
      ],
      { cwd: consumer, timeout: 10_000 },
    );
    expect(progress.code, progress.stderr).toBe(0);
    expect(progress.stderr).toBe('igtl-rx: the progress display needs the optional package cli-progress, which is not installed (npm install cli-progress); going on without it\n');
  }, 40_000);
});
