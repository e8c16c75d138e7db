// The API reference (docs/api.md): `npm run docs` installs TypeDoc into .cache/typedoc when it is
// missing (scripts/setup-typedoc.sh, from the npm registry) and builds the HTML of the three entry
// points into dist/api with validation on, then checks the relative links of the HTML. This suite
// runs it as a user would and asserts the result; then it shows that the same settings fail a
// build with an undocumented export, a broken {@link} or an unexported type in a public
// signature, and that the link check fails on a page that links to a missing one.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../support/npm-child.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(root, 'dist', 'api');
const typedoc = path.join(root, '.cache', 'typedoc', 'node_modules', 'typedoc', 'bin', 'typedoc');
const checkLinks = path.join(root, 'tools', 'typedoc', 'check-links.mjs');

/** Runs a command (npm's per-run variables left out); its exit status and its output, stdout then stderr. */
async function runOf(file: string, args: string[], options: { cwd: string; timeout: number }): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await sh(file, args, { ...options, env: { NO_COLOR: '1' } });
  return { code, output: `${stdout}${stderr}` };
}

const page = (file: string) => readFileSync(path.join(out, file), 'utf8');

let docs: { code: number; output: string; seconds: number };
let work: string;

beforeAll(async () => {
  // No pages of an earlier run: what the assertions read below is this run's output.
  rmSync(out, { recursive: true, force: true });
  const start = performance.now();
  // The first run installs TypeDoc (a few seconds with a reachable registry); later ones build only.
  docs = { ...(await runOf('npm', ['run', 'docs'], { cwd: root, timeout: 600_000 })), seconds: (performance.now() - start) / 1000 };
  work = mkdtempSync(path.join(tmpdir(), 'igtl-rx-api-docs-'));
}, 620_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm run docs', () => {
  it('exits 0 with no TypeDoc warning and no broken link in the HTML', () => {
    expect(docs.code, docs.output).toBe(0);
    expect(docs.output).not.toMatch(/\[warning\]|\[error\]/);
    expect(docs.output).toMatch(/check-links: \d+ relative links in \d+ pages, none broken/);
    console.log(`npm run docs: ${docs.seconds.toFixed(1)} s`);
  });

  it('has one module page per entry point of package.json "exports"', () => {
    const exportsField = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;
    const entries = Object.keys(exportsField).filter((k) => k !== './package.json').map((k) => `igtl-rx${k.slice(1)}`);
    expect(entries.sort()).toEqual(['igtl-rx', 'igtl-rx/node', 'igtl-rx/operators']);
    for (const name of entries) {
      expect(page(`modules/${name.replace('/', '_')}.html`)).toContain(`<h1>Module ${name}</h1>`);
    }
  });

  it('has pages for known exports of each entry point, with their summaries', () => {
    expect(page('classes/igtl-rx.IgtlConnection.html')).toContain('Observable');
    expect(page('functions/igtl-rx.decodeMessage.html')).toContain('decodeMessage');
    expect(page('types/igtl-rx.IgtlMessage.html')).toContain('narrows it to a');
    expect(page('interfaces/igtl-rx.IgtlErrorCodes.html')).toContain('command-failed');
    expect(page('functions/igtl-rx_node.connectTcp.html')).toContain('connectTcp');
    expect(page('classes/igtl-rx_node.IgtlServer.html')).toContain('IgtlServer');
    expect(page('functions/igtl-rx_operators.ofType.html')).toContain('ofType');
    expect(page('classes/igtl-rx_operators.CommandFailedError.html')).toContain('Status=&quot;FAIL&quot;');
  });

  it('has no page for an internal (not exported by any entry point)', () => {
    for (const internal of ['SendQueue', 'pullFrom', 'PausableSource', 'implausibleHeader', 'hex64']) {
      for (const dir of ['classes', 'functions', 'interfaces', 'types', 'variables']) {
        expect(existsSync(path.join(out, dir, `igtl-rx.${internal}.html`)), `${dir}/${internal}`).toBe(false);
      }
    }
  });
});

describe('the checks fail when they should', () => {
  it('TypeDoc with the same options fails on an undocumented export, a broken {@link} and an unexported type in a signature', async () => {
    const dir = path.join(work, 'bad');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'index.ts'),
      [
        'interface Hidden { readonly x: number }',
        'export function undocumented(): void {}',
        '/** Links to {@link NoSuchThing}. */',
        'export const linked = 1;',
        '/** Returns a type no entry point exports. */',
        'export function leaks(): Hidden { return { x: 1 }; }',
        '',
      ].join('\n'),
    );
    // A package.json: TypeDoc names a symbol's package from it (and reports nothing for a file outside any package).
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bad-fixture', version: '0.0.0', type: 'module' }));
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', types: [] }, files: ['index.ts'] }));
    // The repository's options, with only the input and output replaced.
    writeFileSync(path.join(dir, 'typedoc.json'), JSON.stringify({ extends: [path.join(root, 'tools', 'typedoc', 'typedoc.json')], entryPoints: ['./index.ts'], tsconfig: './tsconfig.json', out: './api', intentionallyNotExported: [] }));
    const result = await runOf(process.execPath, [typedoc, '--options', path.join(dir, 'typedoc.json')], { cwd: dir, timeout: 120_000 });
    expect(result.code, result.output).not.toBe(0);
    expect(result.output).toMatch(/undocumented.*does not have any documentation/);
    expect(result.output).toMatch(/Failed to resolve link to "NoSuchThing"/);
    expect(result.output).toMatch(/Hidden, defined in .*is referenced by .*leaks.* but not included in the documentation/);
  }, 120_000);

  it('the link check fails on a relative link to a missing page or anchor', async () => {
    const dir = path.join(work, 'links');
    mkdirSync(path.join(dir, 'classes'), { recursive: true });
    writeFileSync(path.join(dir, 'index.html'), '<a href="classes/A.html#member">A</a> <a href="https://example.org/x">ext</a>');
    writeFileSync(path.join(dir, 'classes', 'A.html'), '<h1 id="top">A</h1> <a href="../missing.html">gone</a>');
    const result = await runOf(process.execPath, [checkLinks, dir], { cwd: dir, timeout: 30_000 });
    expect(result.code).toBe(1);
    expect(result.output).toContain('index.html -> classes/A.html#member (no such anchor)');
    expect(result.output).toContain(`${path.join('classes', 'A.html')} -> ../missing.html (no such file)`);
    expect(result.output).toContain('2 broken link(s) of 2');
  });
});
