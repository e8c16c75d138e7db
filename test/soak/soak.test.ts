// A short soak in `npm test` (2 minutes by default; SOAK_MINUTES overrides, as `npm run soak` does).
import { describe, expect, it } from 'vitest';
import { runSoak } from './soak.js';

const minutes = Number(process.env.SOAK_MINUTES ?? 2);

describe('soak', () => {
  it(`runs ${minutes} min at 1 kHz with forced disconnects: lossless loses nothing, memory stays flat`, async () => {
    const report = await runSoak({
      durationMs: minutes * 60_000,
      disconnectEveryMs: minutes >= 2 ? 20_000 : 10_000,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`soak report: ${JSON.stringify(report, (k, v) => (k === 'samples' ? undefined : v))}\n`);
    // Every message the sender wrote reached the server exactly once, across every forced disconnect.
    expect(report.sender.failedSends).toBe(0);
    expect(report.sender.written).toBe(report.sender.sent);
    expect(report.sender.missing).toBe(0);
    expect(report.sender.duplicates).toBe(0);
    expect(report.sender.reconnects).toBeGreaterThanOrEqual(Math.floor(minutes * 3) - 1);
    // The receiver followed the simulator through its reconnects at close to the full rate.
    expect(report.receiver.reconnects).toBeGreaterThanOrEqual(Math.floor(minutes * 3) - 1);
    expect(report.receiver.transformsPerSecond).toBeGreaterThan(3 * 1000 * 0.8);
    expect(report.receiver.uiUpdates).toBeGreaterThan(minutes * 60 * 60 * 0.7);
    // Memory: no growth beyond a small bound once warm.
    expect(report.memory.heapGrowthMb).toBeLessThan(30);
  }, (minutes * 60 + 120) * 1000);
});
