#!/usr/bin/env node
// Builds the workbench page: bundles main.ts (with three.js and uPlot) for the browser with
// esbuild, and copies index.html next to it. `npm run build` runs it into dist/web, which ships
// in the package and which `igtl-rx bridge` serves by default.
// Usage: node examples/web/build.mjs [OUT_DIR]   (default examples/web/dist)
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Builds the page into `outDir` (index.html, main.js, main.css and their source maps).
 * @param {string} outDir
 * @param {{ minify?: boolean, sourcemap?: boolean }} [options]
 * @returns {Promise<string>} the output directory
 */
export async function buildPage(outDir, options = {}) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(here, 'main.ts')],
    outfile: path.join(outDir, 'main.js'),
    bundle: true,
    // The browser, with no Node polyfills: anything reaching for a Node built-in fails the build.
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: options.sourcemap ?? true,
    minify: options.minify ?? false,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await copyFile(path.join(here, 'index.html'), path.join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] ?? path.join(here, 'dist'));
  await buildPage(out, { minify: true });
  console.log(`built ${path.relative(process.cwd(), out) || '.'}: serve it with  igtl-rx bridge --static ${path.relative(process.cwd(), out) || '.'}`);
}
