// Types of build.mjs (plain JavaScript, so users can run it with node as it is).

/** Builds the page into `outDir` (index.html, main.js, main.css, source maps); resolves with `outDir`. */
export function buildPage(outDir: string, options?: { minify?: boolean; sourcemap?: boolean }): Promise<string>;
