// Name patterns shared by ofDevice and ofElement: exact text, a glob (picomatch), or a RegExp.
// 'picomatch/posix.js', with the extension: picomatch has no exports map, so Node's ESM resolver
// needs the file name (and the posix build keeps Node's `path` out of browser bundles).
import picomatch from 'picomatch/posix.js';

/** A device or element name pattern: exact text or a glob (`Stylus*`, `Tool[12]`, `!Reference`), or a RegExp. */
export type NamePattern = string | RegExp;

/**
 * Compiles a pattern into a test. A string is exact text unless picomatch sees glob syntax in it;
 * even then a name equal to the text matches, so a device literally named `Tracker (1)` is
 * still found by its own name. A RegExp is copied without its `g`/`y` flags, whose `lastIndex`
 * would make `test` answer differently on every call.
 */
export function nameMatcher(pattern: NamePattern): (name: string) => boolean {
  if (pattern instanceof RegExp) {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return (name) => re.test(name);
  }
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob && !scan.negated) return (name) => name === pattern;
  const glob = picomatch(pattern, { dot: true });
  return (name) => name === pattern || glob(name);
}
