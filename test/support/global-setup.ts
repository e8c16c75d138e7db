/**
 * vitest globalSetup: builds the OpenIGTLink C++ interop peers before any test runs, by running
 * scripts/setup-cpp-peers.sh (installs the Debian packages if missing, builds into
 * .cache/cpp-peers/bin; a no-op taking milliseconds when already up to date).
 * Its output goes straight to the terminal so a failure is visible; a failure fails the run.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function setup(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const script = path.join(root, 'scripts', 'setup-cpp-peers.sh');
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: root, stdio: 'inherit' });
    child.once('error', (err) => reject(new Error(`Could not run ${script}: ${err.message}`)));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  if (result.code !== 0) {
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    throw new Error(
      `scripts/setup-cpp-peers.sh ${how}: the OpenIGTLink C++ interop peers are not built, so the ` +
        `test run cannot proceed. See the script's output above.`,
    );
  }
}
