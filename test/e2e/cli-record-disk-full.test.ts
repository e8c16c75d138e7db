// `igtl-rx record` onto a disk that fills: a 100 KiB tmpfs in a private mount namespace
// (`unshare -rm`), so nothing outside the test sees it. The recorder stops at the first failed
// write with exit 1 and one line that says how many whole messages the file kept; a replay of
// the file plays exactly those and says where it ends. Measured before: "(811 messages
// received; /tmp/arf/s.igtl holds the first 86.0 kB)", which did not say what the file held,
// and its replay ended with "truncated TRANSFORM ...: 103 of 106 bytes received" (no offset,
// no message number).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, simulateFor, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** Whether this machine lets a user make a mount namespace and mount a tmpfs in it. */
const CAN_MOUNT = (() => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-mountcheck-'));
  try {
    return spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${dir}`], { timeout: 10_000 }).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

describe.skipIf(!CAN_MOUNT)('igtl-rx record onto a disk that fills', () => {
  it('exits 1 saying how many whole messages were kept; replay plays those and says where the file ends', { timeout: 60_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-diskfull-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { port } = await simulateFor(ctx, ['--quiet']);
    const file = path.join(dir, 's.igtl');
    // Both runs inside the namespace: the tmpfs goes with it. Each part's stderr, stdout line
    // count and exit status, separated by markers.
    const script = [
      `mount -t tmpfs -o size=100k tmpfs ${dir}`,
      `"${process.execPath}" ${CLI} record ${file} 127.0.0.1:${port} --duration 20 --quiet 2>&1; echo "record-exit $?"`,
      `"${process.execPath}" ${CLI} replay ${file} --fast --quiet 2>/dev/null | wc -l | sed 's/^/replay-lines /'`,
      `"${process.execPath}" ${CLI} replay ${file} --fast --quiet 2>&1 >/dev/null; echo "replay-exit $?"`,
    ].join('\n');
    const r = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8', timeout: 50_000 });
    const out = r.stdout;
    const kept = /^igtl-rx: cannot write \S+s\.igtl(?:\.idx)?: ENOSPC: no space left on device, write \((\d+) messages received; \S+s\.igtl holds (\d+) whole messages in [\d.]+ kB\)$/m.exec(out);
    expect(kept, out).not.toBeNull();
    expect(out).toMatch(/^record-exit 1$/m);
    expect(out).not.toMatch(/recorded \d+ messages/);
    const whole = Number(kept![2]);
    expect(whole).toBeGreaterThan(100);
    expect(whole).toBeLessThanOrEqual(Number(kept![1]));
    // The replay plays the whole messages, each a line, and no more.
    expect(Number(/^replay-lines (\d+)$/m.exec(out)?.[1])).toBe(whole);
    // A full disk leaves a message cut short at the end, or an index that stops first (which of
    // the two files filled first is the file system's choice): either is said, and exits 1.
    expect(out).toMatch(/is cut short: it ends inside message \d+ \(offset \d+: \d+ of the \d+ bytes of|\.idx ends at message \d+, \S+ goes on|is cut short: it ends after/);
    expect(out).toMatch(/^replay-exit 1$/m);
  });
});
