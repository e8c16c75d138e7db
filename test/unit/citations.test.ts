// Every `.md` a source file cites must be one a reader of the repository or the published package
// can open: a file of this repository (docs/*.md, README.md, bench/results.md, test/support/*.md,
// by path from the root or from the citing file), or a page of the upstream protocol documents
// (https://github.com/openigtlink/OpenIGTLink/tree/master/Documents/Protocol). Private notes
// ("spec X.md §N", STYLE.md) are not.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The pages of openigtlink/OpenIGTLink Documents/Protocol/. */
const UPSTREAM = new Set([
  'bind', 'capability', 'colortable', 'command', 'header', 'image', 'imagemeta', 'index', 'labelmeta',
  'ndarray', 'point', 'polydata', 'position', 'qtrackingdata', 'qtransform', 'query', 'sensordata',
  'status', 'string', 'summary', 'timestamp', 'trackingdata', 'trajectory', 'transform', 'unit',
  'v3_proposal', 'video', 'videometa',
].map((n) => `${n}.md`));

const ROOTS = ['src', 'operators', 'bench', 'scripts', 'test', 'examples'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|cxx|cpp|h|sh)$/;
const SKIP = new Set(['node_modules', 'dist', 'out', '.angular']);

function* sources(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* sources(full);
    else if (SOURCE.test(entry)) yield full;
  }
}

/** Why a cited `.md` (as written, without an anchor) cannot be followed, or undefined when it can. */
export function unfollowable(cited: string, fromFile: string): string | undefined {
  const name = path.posix.basename(cited);
  if (cited.startsWith('Documents/Protocol/') || cited.includes('/Documents/Protocol/')) {
    return name === '*.md' || UPSTREAM.has(name) ? undefined : `no upstream page Documents/Protocol/${name}`;
  }
  if (cited.includes('*')) return existsSync(path.join(repoRoot, path.posix.dirname(cited))) ? undefined : 'no such folder';
  if (cited.startsWith('/')) return 'an absolute path outside the repository';
  // Where a program writes its output (git-ignored, so absent from a fresh clone): not a citation.
  if (/^(dist|bench\/out)\//.test(cited)) return undefined;
  for (const base of [repoRoot, path.dirname(fromFile), path.join(repoRoot, 'docs')]) {
    const resolved = path.resolve(base, cited);
    if (resolved.startsWith(repoRoot + path.sep) && existsSync(resolved)) return undefined;
  }
  if (!cited.includes('/') && UPSTREAM.has(name)) return undefined;
  return 'neither a file of this repository nor an upstream Documents/Protocol page';
}

/** `.md` references in a text: `path/to/file.md`, optionally followed by `#anchor`. */
const citations = (text: string) => [...text.matchAll(/(?<![\w./*-])([\w./*-]*[\w*])\.md\b/g)].map((m) => `${m[1]}.md`);

describe('citations', () => {
  it('recognises what a reader can and cannot open', () => {
    const here = path.join(repoRoot, 'src', 'protocol', 'x.ts');
    expect(unfollowable('docs/operators.md', here)).toBeUndefined();
    expect(unfollowable('OpenIGTLink/Documents/Protocol/trackingdata.md', here)).toBeUndefined();
    expect(unfollowable('Documents/Protocol/header.md', here)).toBeUndefined();
    expect(unfollowable('video.md', here)).toBeUndefined();
    expect(unfollowable('connections.md', here)).toBeUndefined();
    expect(unfollowable('messages.md', here)).toBeDefined();
    expect(unfollowable('STYLE.md', here)).toBeDefined();
    expect(unfollowable('Documents/Protocol/Header.md', here)).toBeDefined();
    expect(unfollowable('/work/shared/spec/header.md', here)).toBeDefined();
    expect(unfollowable('bench/out/last-run.md', here)).toBeUndefined(); // an output path, absent in a fresh clone
    expect(citations('see spec queries.md §4 and docs/cli.md#monitor, (header.md).')).toEqual(['queries.md', 'docs/cli.md', 'header.md']);
  });

  it('every .md a source file cites is in this repository or upstream Documents/Protocol', () => {
    const broken: string[] = [];
    for (const root of ROOTS) {
      for (const file of sources(path.join(repoRoot, root))) {
        if (file === fileURLToPath(import.meta.url)) continue; // its own examples of bad citations
        const text = readFileSync(file, 'utf8');
        const rel = path.relative(repoRoot, file);
        for (const cited of citations(text)) {
          const why = unfollowable(cited, file);
          if (why !== undefined) broken.push(`${rel}: ${cited} (${why})`);
        }
        // A section sign with no file ("spec §5") points into notes nobody else has.
        for (const m of text.matchAll(/\bspec (§|README|vectors)/g)) broken.push(`${rel}: "${m[0]}" (private notes)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
