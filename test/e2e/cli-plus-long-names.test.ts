// `igtl-rx monitor --announce-v3` against the emulated PlusServer (test/support/plus-emulator.ts),
// whose behaviours come from PlusLib's sources: PLUS answers each client in the highest header
// version it has received from it (S4, vtkPlusOpenIGTLinkServer.cxx DataReceiverThread), and a
// transform name over 20 bytes is cut in the header and sent whole in IGTL_DEVICE_NAME metadata,
// which only v3 framing carries (S12, vtkPlusIgtlMessageCommon.cxx PackTransformMessage).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IgtlMessage, Matrix4 } from '../../src/node.js';
import { PlusEmulator } from '../support/plus-emulator.js';
import { jsonLines, runCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

// 28 bytes: the header holds "NeedleTipToReference".
const NAME = 'NeedleTipToReferenceLongName';
const HEADER_NAME = NAME.slice(0, 20);
const IDENTITY: Matrix4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/**
 * The message lines of `monitor --json` while the emulated PLUS sends NAME's TRANSFORM every 20 ms,
 * and what the emulator received from the monitor.
 */
async function monitorPlus(extra: readonly string[]): Promise<{ lines: Record<string, unknown>[]; received: readonly IgtlMessage[] }> {
  const plus = await PlusEmulator.start();
  const timer = setInterval(() => plus.sendTransform(NAME, IDENTITY), 20);
  try {
    const r = await runCli(['monitor', `127.0.0.1:${plus.port}`, '--json', '--type', 'TRANSFORM', '--duration', '1.5', ...extra], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    return { lines: jsonLines(r.stdout).filter((j) => j.kind === 'message'), received: plus.received[0] ?? [] };
  } finally {
    clearInterval(timer);
    await plus.close();
  }
}

describe.concurrent('monitor and PLUS device names over 20 bytes', () => {
  it('without --announce-v3, PLUS answers in legacy framing: the name is the header\'s 20 bytes', async () => {
    const { lines } = await monitorPlus([]);
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      expect(l).toMatchObject({ deviceName: HEADER_NAME, headerVersion: 1 });
      expect(l).not.toHaveProperty('headerDeviceName');
    }
  });

  it('with --announce-v3, PLUS answers in v3 framing: the whole name, the header\'s beside it', async () => {
    const { lines, received } = await monitorPlus(['--announce-v3']);
    expect(lines.length).toBeGreaterThan(20);
    // The monitor announces before it sends anything else: the first message PLUS received from it
    // is a v3 STATUS. (How many TRANSFORMs PLUS sent before that arrived depends on how fast the
    // process started, not on the monitor: under a loaded machine 5 or more, so it is not counted.)
    expect(received[0]).toMatchObject({ type: 'STATUS', headerVersion: 2 });
    // Messages PLUS sent before the announcement arrived are still in legacy framing; from then on v3.
    const first = lines.findIndex((l) => l.headerVersion === 2);
    expect(first).toBeGreaterThanOrEqual(0);
    for (const l of lines.slice(first)) expect(l).toMatchObject({ deviceName: NAME, headerDeviceName: HEADER_NAME, headerVersion: 2 });
  });
});

describe.concurrent('--announce-v3 on record and bridge', () => {
  it('bridge and record --announce-v3 announce v3 to their peer (PLUS records the header version it received)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-announce-'));
    try {
      for (const flag of [true, false]) {
        for (const verb of ['bridge', 'record'] as const) {
          const plus = await PlusEmulator.start();
          try {
            const target = `127.0.0.1:${plus.port}`;
            const args = verb === 'bridge' ? ['bridge', '--igtl', target, '--port', '0'] : ['record', path.join(dir, `${flag}.igtl`), target];
            const r = await runCli([...args, '--quiet', '--duration', '1', ...(flag ? ['--announce-v3'] : [])], { timeoutMs: 20_000 });
            expect(r.code, r.stderr).toBe(0);
            const received = plus.received[0] ?? [];
            expect(received.some((m) => m.type === 'STATUS' && m.headerVersion === 2), `${verb} announce ${flag}`).toBe(flag);
          } finally {
            await plus.close();
          }
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('record refuses --announce-v3 with --listen (it is for a connection to a server)', async () => {
    const r = await runCli(['record', 'never-written.igtl', '--listen', '0', '--announce-v3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^igtl-rx: --announce-v3 is for a connection to a server/);
  });
});
