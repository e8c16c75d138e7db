#!/usr/bin/env node
// Builds the workbench page into dist/web (part of `npm run build`): minified, without source
// maps, so that it ships in the package and `igtl-rx bridge` serves it with no build step.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage } from '../examples/web/build.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'web');
await rm(out, { recursive: true, force: true });
await buildPage(out, { minify: true, sourcemap: false });
console.log(`workbench page built into ${path.relative(root, out)}`);
