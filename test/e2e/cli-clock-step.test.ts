// A step of the system clock in a real process, end to end: `igtl-rx monitor` runs with
// libfaketime preloaded (Debian's `faketime`, installed by scripts/setup-cpp-peers.sh), which
// makes its Date.now() jump back an hour when the test writes "-1h" to a file, and leaves its
// monotonic clock and timers alone (FAKETIME_DONT_FAKE_MONOTONIC), as an NTP step does. With
// durations measured on Date.now() the connection said nothing for that hour after its peer went
// silent (unit cases of the same: test/unit/connection/clock-steps.test.ts).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, createServer, IDENTITY, Timestamp } from '../../src/node.js';
import { jsonLines, startCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

/** Liveness: `staleAfterMs` of the connection layer (docs/connections.md). */
const STALE_AFTER_MS = 3000;
const HOUR_MS = 3_600_000;

/** libfaketime's multi-threaded build (Node has threads), wherever the architecture puts it. */
function libfaketime(): string {
  for (const dir of ['/usr/lib', ...readdirSync('/usr/lib').map((d) => path.join('/usr/lib', d))]) {
    const lib = path.join(dir, 'faketime', 'libfaketimeMT.so.1');
    if (existsSync(lib)) return lib;
  }
  throw new Error("libfaketime is not installed (Debian package 'faketime'; scripts/setup-cpp-peers.sh installs it)");
}

/** An igtl-rx server in this process (on the real clock), sending a TRANSFORM every 20 ms until paused. */
async function tracker(ctx: TestContext): Promise<{ port: number; pause(): void }> {
  const server = createServer({ port: 0 });
  const { port } = (await server.listen()) as AddressInfo;
  let timer: NodeJS.Timeout | undefined = setInterval(
    () => server.broadcast(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus', timestamp: Timestamp.now() })),
    20,
  );
  const pause = () => {
    clearInterval(timer);
    timer = undefined;
  };
  ctx.onTestFinished(async () => {
    pause();
    await server.close();
  });
  return { port, pause };
}

describe('monitor when the system clock steps back an hour', () => {
  it('still says stale within staleAfterMs of the peer falling silent, and its own times follow the step', { timeout: 30_000 }, async (ctx) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-faketime-'));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const offset = path.join(dir, 'offset');
    writeFileSync(offset, '+0\n');
    const { port, pause } = await tracker(ctx);
    const mon = startCli(['monitor', `127.0.0.1:${port}`, '--json', '--interval', '300'], {
      env: { LD_PRELOAD: libfaketime(), FAKETIME_TIMESTAMP_FILE: offset, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    });
    ctx.onTestFinished(async () => {
      await mon.stop();
    });
    await mon.waitFor(/"kind":"message"/);
    const before = jsonLines(mon.stdout).find((l) => l.kind === 'message')!.receivedAt as number;

    // The peer falls silent (the socket stays open), and right after its last message the
    // monitor's system clock steps back an hour: the case where Date.now() hid the silence.
    const silentFrom = mon.stdout.length;
    pause();
    writeFileSync(offset, '-1h\n');
    const pausedAt = performance.now();
    await mon.waitFor(/"state":"stale"/, STALE_AFTER_MS + 2000, 'stdout', silentFrom);
    expect(performance.now() - pausedAt).toBeLessThanOrEqual(STALE_AFTER_MS + 2000);
    const stale = jsonLines(mon.stdout.slice(silentFrom)).find((l) => l.kind === 'state' && l.state === 'stale')!;
    // How long it had been silent: seconds, not an hour off.
    expect(stale.silentMs).toBeGreaterThanOrEqual(STALE_AFTER_MS);
    expect(stale.silentMs).toBeLessThan(STALE_AFTER_MS + 2000);
    // And the step did happen in the monitor: the line's own time (wall clock) is an hour back.
    expect(stale.at as number).toBeLessThan(before - HOUR_MS + 60_000);
    expect(stale.at as number).toBeGreaterThan(before - HOUR_MS);
  });
});
