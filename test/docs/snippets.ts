// The ```ts blocks of the README and docs/*.md, as data: where each is, and its text.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** docs/angular.md is checked by test/angular/angular-docs.test.ts (its blocks are the files of an Angular app). */
export const CHECKED_ELSEWHERE = new Set(['docs/angular.md']);

export interface Snippet {
  /** Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** 1-based position among the file's ```ts blocks. */
  readonly index: number;
  /** First line of the block: how the context map names it. */
  readonly first: string;
  readonly code: string;
}

/** The ```ts blocks of one Markdown text. */
export function tsBlocks(file: string, markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`${file}:${start + 1}: unclosed \`\`\`ts block`);
    out.push({ file, line: start + 1, index: out.length + 1, first: body[0] ?? '', code: `${body.join('\n')}\n` });
  }
  return out;
}

/** Every ```ts block of README.md and docs/*.md (those checked elsewhere left out). */
export function allSnippets(): Snippet[] {
  const files = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.filter((f) => !CHECKED_ELSEWHERE.has(f)).flatMap((f) => tsBlocks(f, readFileSync(path.join(root, f), 'utf8')));
}
