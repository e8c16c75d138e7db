// Running npm (and the tools it installs) from a test that npm itself started.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

// A test run by `npm test` inherits npm's npm_* variables (local prefix, package, lifecycle):
// they would describe this repository to an npm started inside the test. Only where the cache,
// the registry and the user's config are is kept.
const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);

/** process.env without npm's per-run variables (cache, registry and user config kept). */
export const npmFreeEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_') || keep.has(k.toLowerCase())),
);

/** Runs a command in `npmFreeEnv`; resolves with its output whatever its exit status (the assertions say what is expected). */
export async function sh(
  file: string,
  args: string[],
  options: { cwd: string; timeout: number; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { ...options, env: { ...npmFreeEnv, ...options.env }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; signal?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''}${e.signal ? ` (killed: ${e.signal})` : ''}` };
  }
}
