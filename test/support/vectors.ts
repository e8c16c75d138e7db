// Golden vectors (../shared/vectors, or IGTL_VECTORS): manifest loading and the same comparison
// rules as ../shared/tools/check-vectors.mjs, so unit tests fail where the official check would.
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const vectorsDir = process.env.IGTL_VECTORS ?? resolve(repoRoot, '../shared/vectors');

if (!existsSync(join(vectorsDir, 'manifest.json'))) {
  throw new Error(`golden vectors not found at ${vectorsDir} (set IGTL_VECTORS or put shared/ beside the repo)`);
}

export interface ManifestEntry {
  file: string;
  kind: 'message' | 'error' | 'stream';
  type?: string;
  headerVersion?: number;
  deviceName?: string;
  timestampRaw?: string;
  messageId?: number;
  metadata?: { key: string; encoding: number; value: string; valueHex: string }[];
  content?: Record<string, unknown>;
  error?: string;
  messageCount?: number;
  messages?: { offset: number; length: number; file: string; type: string; headerVersion: number; deviceName: string }[];
  [k: string]: unknown;
}

export const manifest: ManifestEntry[] = JSON.parse(readFileSync(join(vectorsDir, 'manifest.json'), 'utf8')) as ManifestEntry[];

/** The bytes of a vector file. */
export function vectorBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(vectorsDir, file)));
}

/** Good single-message vectors, optionally of one type. */
export function messageVectors(type?: string): ManifestEntry[] {
  return manifest.filter((e) => e.kind === 'message' && (type === undefined || e.type === type));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Compares an expected manifest value with what our canonical JSON gave, with the checker's
 * rules (`xxxSha256`/`xxxLength` against `xxxBase64`, previews skipped). Returns the list of
 * differences (empty when equal).
 */
export function compareToManifest(expected: unknown, got: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const same = (exp: unknown, g: unknown, p: string): void => {
    if (exp === null || typeof exp !== 'object') {
      if (typeof exp === 'number' && typeof g === 'number') {
        if (Object.is(exp, g) || exp === g) return;
      } else if (typeof exp === 'string' && (typeof g === 'string' || typeof g === 'number' || typeof g === 'bigint')) {
        if (exp === String(g)) return;
      } else if (exp === g) return;
      problems.push(`${p}: expected ${JSON.stringify(exp)} got ${JSON.stringify(g)}`);
      return;
    }
    if (Array.isArray(exp)) {
      if (!Array.isArray(g) || g.length !== exp.length) {
        problems.push(`${p}: expected array[${exp.length}] got ${JSON.stringify(g)?.slice(0, 80)}`);
        return;
      }
      exp.forEach((e, i) => same(e, g[i], `${p}[${i}]`));
      return;
    }
    if (g === null || typeof g !== 'object') {
      problems.push(`${p}: expected object got ${JSON.stringify(g)?.slice(0, 80)}`);
      return;
    }
    const go = g as Record<string, unknown>;
    for (const [k, v] of Object.entries(exp as Record<string, unknown>)) {
      if (k.endsWith('Preview') || k === 'unitHex' || k === 'valueHex') continue;
      const m = k.match(/^(.*)(Sha256|Length)$/);
      if (m && go[`${m[1]}Base64`] !== undefined && !(k in go)) {
        const bytes = Buffer.from(go[`${m[1]}Base64`] as string, 'base64');
        const value = m[2] === 'Sha256' ? sha(bytes) : bytes.length;
        if (String(value) !== String(v)) problems.push(`${p}.${k}: expected ${String(v)} got ${value}`);
        continue;
      }
      if (!(k in go) && go[`${k}Base64`] !== undefined && Array.isArray(v)) continue;
      if (k === 'rawHex' && go.rawBase64 !== undefined && !(k in go)) {
        if (Buffer.from(go.rawBase64 as string, 'base64').toString('hex') !== v) problems.push(`${p}.rawHex differs`);
        continue;
      }
      same(v, go[k], `${p}.${k}`);
    }
  };
  same(expected, got, path);
  return problems;
}
