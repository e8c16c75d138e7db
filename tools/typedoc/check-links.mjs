// Checks the relative links of the generated API reference (npm run docs): every href/src that
// points inside the output must name a file that exists, and a #fragment must name an id (or
// name) on that page. TypeDoc's own invalidLink check covers the {@link}s of the comments; this
// covers what the HTML it wrote links to (pages, anchors, assets).
//
// Usage: node tools/typedoc/check-links.mjs [dir]   (default dist/api; exit 1 on a broken link)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? 'dist/api');
if (!existsSync(path.join(dir, 'index.html'))) {
  console.error(`check-links: ${dir}/index.html is missing (run npm run docs)`);
  process.exit(1);
}

/** Every .html file below `root`. */
function htmlFiles(root) {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => path.join(e.parentPath, e.name));
}

const idsOf = new Map();
/** The ids (and `name`s) a page defines, read once. */
function ids(file) {
  let set = idsOf.get(file);
  if (set === undefined) {
    set = new Set([...readFileSync(file, 'utf8').matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => m[1]));
    idsOf.set(file, set);
  }
  return set;
}

const decode = (s) => s.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");
const broken = [];
let checked = 0;
for (const file of htmlFiles(dir)) {
  for (const [, raw] of readFileSync(file, 'utf8').matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const link = decode(raw);
    if (link === '' || /^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue; // external
    checked += 1;
    const [target, fragment] = link.split('#', 2);
    const page = target === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(target.split('?')[0]));
    const where = `${path.relative(dir, file)} -> ${link}`;
    if (!page.startsWith(dir + path.sep) && page !== dir) broken.push(`${where} (outside the reference)`);
    else if (!existsSync(page)) broken.push(`${where} (no such file)`);
    else if (fragment && page.endsWith('.html') && !ids(page).has(decodeURIComponent(fragment))) broken.push(`${where} (no such anchor)`);
  }
}
if (broken.length > 0) {
  console.error(`check-links: ${broken.length} broken link(s) of ${checked} in ${dir}:\n  ${broken.slice(0, 50).join('\n  ')}`);
  process.exit(1);
}
console.log(`check-links: ${checked} relative links in ${htmlFiles(dir).length} pages, none broken`);
