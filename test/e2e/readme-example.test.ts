// The README's example, as printed, against the simulator `npm run demo` starts (port 18944):
// transpiled (types stripped, nothing else), run as a user would run it (importing the package by
// its name), and its output checked: the connection opens and Stylus poses arrive at the
// throttled rate (30 Hz from a 60 Hz stream).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("README's ten lines", () => {
  it('print the connection state and Stylus poses at 30 Hz against the demo simulator', async () => {
    const sim: Simulator = createSimulator({ port: 18944 });
    await sim.start();
    cleanups.push(() => sim.stop());
    // Inside the repository, so that 'igtl-rx/node' resolves to this package (self-reference).
    const script = path.join(root, 'examples', '.readme-run.tmp.mjs');
    writeFileSync(script, transformSync(readFileSync(path.join(root, 'examples', 'readme.ts'), 'utf8'), { loader: 'ts', format: 'esm' }).code);
    cleanups.push(() => rmSync(script, { force: true }));
    const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    const lines: { at: number; text: string }[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (text) => lines.push({ at: Date.now(), text }));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // 3 s of Stylus lines after the first one.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const check = () => {
        const poses = lines.filter((l) => l.text.startsWith('Stylus '));
        if (poses.length > 0 && Date.now() - poses[0]!.at >= 3000) resolve();
        else if (Date.now() > deadline || child.exitCode !== null) reject(new Error(`no Stylus poses: ${JSON.stringify(lines.slice(0, 5))} ${stderr}`));
        else setTimeout(check, 50);
      };
      check();
    });
    expect(lines.map((l) => l.text)).toContain('connection open');
    const poses = lines.filter((l) => l.text.startsWith('Stylus '));
    expect(poses[0]!.text).toMatch(/^Stylus \[ -?\d+(\.\d+)?, -?\d+(\.\d+)?, -?\d+(\.\d+)? \]$/);
    const first = poses[0]!.at;
    const inWindow = poses.filter((p) => p.at >= first && p.at < first + 3000).length;
    // throttleTracking(30) on a 60 Hz stream: 30 a second. The margin below is for a loaded
    // 2-core machine (24.7/s seen at load 10); 22 still fails a throttle that halves the rate
    // again (15/s), and the upper bound fails one that lets the 60 Hz stream through.
    expect(inWindow / 3).toBeGreaterThan(22);
    expect(inWindow / 3).toBeLessThan(34);
    expect(stderr).toBe('');
  }, 30_000);
});
