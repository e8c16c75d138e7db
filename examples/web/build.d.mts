// Types of build.mjs (plain JavaScript, so users can run it with node as it is).

/** Builds the page into `outDir` (index.html, main.js, main.js.map); resolves with `outDir`. */
export function buildPage(outDir: string, options?: { minify?: boolean }): Promise<string>;
