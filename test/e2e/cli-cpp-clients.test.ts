// The OpenIGTLink 1.11 C++ example clients against `igtl-rx simulate` (test/support/cpp-peers.md):
// ReceiveClient decodes what the simulator streams, TrackerClient and ImagerClient send to it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { connectTcp, type IgtlMessage } from '../../src/node.js';
import { CPP_PEER_IMG_DIR, startCppPeer, stopAllCppPeers, type CppPeer } from '../support/cpp-peers.js';
import { runCli, simulateFor, stopAllCli } from './cli-harness.js';

// Each test has its own simulator and C++ client, and mostly waits for them: the tests run side
// by side (describe.concurrent), each stopping its own processes when it ends.
afterAll(async () => {
  await stopAllCppPeers();
  await stopAllCli();
});

/** A C++ example client, stopped when the test ends. */
async function cppPeerFor(ctx: TestContext, name: string, args: readonly string[]): Promise<CppPeer> {
  const peer = await startCppPeer(name, args);
  ctx.onTestFinished(async () => {
    await peer.stop();
  });
  return peer;
}

/** The 4x4 matrices igtl::PrintMatrix wrote (rows between "=============" lines). */
function printedMatrices(stdout: string): number[][] {
  const out: number[][] = [];
  const re = /^=============\n((?:.*\n){4})=============$/gm;
  for (const m of stdout.matchAll(re)) out.push(m[1]!.trim().split('\n').flatMap((row) => row.split(',').map(Number)));
  return out;
}

/** Equal to the 6 significant digits C++ prints. */
function sameMatrix(printed: readonly number[], ours: readonly number[]): boolean {
  return printed.every((v, i) => Math.abs(v - ours[i]!) <= 1e-5 * Math.max(1, Math.abs(ours[i]!)));
}

describe.concurrent('the C++ example clients with igtl-rx simulate', () => {
  it('ReceiveClient decodes TRANSFORM, TDATA, QTDATA, IMAGE and STATUS, with the values our client sees', async (ctx) => {
    const { port } = await simulateFor(ctx, [
      '--rate', '20', '--streams', 'TRANSFORM,TDATA,QTDATA,STATUS,IMAGE', '--image-size', '64x48', '--image-rate', '5', '--status-interval', '300', '--quiet',
    ]);
    // Our own client alongside, to know which values were sent.
    const ours: IgtlMessage[] = [];
    const conn = connectTcp({ port, reconnect: false });
    let stop = () => {};
    /** Resolved by the first message of ours stamped at or after `caughtUpAt` (ms since the epoch). */
    let caughtUpAt = Infinity;
    let caughtUp = () => {};
    const first = new Promise<void>((resolve) => {
      const sub = conn.subscribe((m) => {
        ours.push(m);
        resolve();
        if (m.timestamp.toMillis() >= caughtUpAt) caughtUp();
      });
      stop = () => sub.unsubscribe();
    });
    // Connected (and receiving) before ReceiveClient: every sample it gets, we get too.
    await first;
    const peer = await cppPeerFor(ctx, 'ReceiveClient', ['127.0.0.1', String(port)]);
    await peer.waitForOutput('Receiving TRANSFORM data type.', 10_000, { stream: 'stderr', count: 15 });
    await peer.waitForOutput('Receiving IMAGE data type.', 10_000, { stream: 'stderr' });
    await peer.waitForOutput('Receiving STATUS data type.', 10_000, { stream: 'stderr' });
    await peer.waitForOutput('Receiving QTDATA data type.', 10_000, { stream: 'stderr' });
    await peer.stop();
    // The simulator writes each sample to both clients; the last one ReceiveClient printed may
    // still be on its way to ours. A sample stamped after the stop proves ours has the earlier ones.
    await new Promise<void>((resolve) => {
      caughtUp = resolve;
      caughtUpAt = Date.now();
    });
    stop();
    conn.close();

    const err = peer.stderr;
    // Header timestamps are set (the due time of each sample).
    expect(err).toMatch(/^Time stamp: [1-9]\d{9}\.\d{9}$/m);
    expect(err).not.toMatch(/^Time stamp: 0\.000000000$/m);
    expect(err).toMatch(/Receiving TDATA data type\.\n========== Element #0 ==========\n Name       : Stylus\n Type       : 2\n Matrix : \n/);
    expect(err).toMatch(/ Name       : Reference\n Type       : 1\n/);
    expect(err).toMatch(/Receiving QTDATA data type\.\n========== Element #0 ==========\n Name       : Stylus\n/);
    expect(err).toMatch(/Device Name           : Ultrasound\nScalar Type           : 3\nDimensions            : \(64, 48, 1\)\nSpacing               : \(0\.2, 0\.2, 1\)\n/);
    expect(err).toMatch(/========== STATUS ==========\n Code      : 1\n SubCode   : 0\n Error Name: OK\n Status    : Tracking Stylus, Probe, Reference at 20 Hz; Ultrasound 64x48 at 5 Hz\n/);
    // Every matrix it printed (TRANSFORMs and TDATA elements) is one that was sent.
    const sent = ours.flatMap((m) => (m.type === 'TRANSFORM' ? [m.content.matrix] : m.type === 'TDATA' ? m.content.elements.map((e) => e.matrix) : []));
    const printed = printedMatrices(peer.stdout);
    expect(printed.length).toBeGreaterThanOrEqual(15);
    for (const p of printed) expect(sent.some((s) => sameMatrix(p, s)), `printed matrix ${p.join(', ')} was never sent`).toBe(true);
  });

  it('TrackerClient sends TRANSFORMs that the simulator receives and returns on GET_TRANS', async (ctx) => {
    const { sim, port } = await simulateFor(ctx, ['--streams', 'none']);
    const peer = await cppPeerFor(ctx, 'TrackerClient', ['127.0.0.1', String(port), '20']);
    await sim.waitFor(/client 127\.0\.0\.1:\d+ sends TRANSFORM "Tracker"/);
    await peer.waitForOutput(/^=============$/m, 5000, { stream: 'stdout', count: 6 });
    const q = await runCli(['query', `127.0.0.1:${port}`, 'GET_TRANS', 'Tracker', '--json']);
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    const reply = JSON.parse(q.stdout) as { type: string; deviceName: string; timestampRaw: string; content: { matrix: number[][] } };
    expect(reply).toMatchObject({ type: 'TRANSFORM', deviceName: 'Tracker' });
    // TrackerClient is one of the two C++ examples that set timestamps.
    expect(BigInt(reply.timestampRaw)).toBeGreaterThan(0n);
    const matrix = reply.content.matrix.flat();
    expect(printedMatrices(peer.stdout).some((p) => sameMatrix(p, matrix))).toBe(true);
  });

  it('ImagerClient sends 100 images that the simulator receives, the last one returned by GET_IMAGE', async (ctx) => {
    const { sim, port } = await simulateFor(ctx, ['--streams', 'none']);
    // At 250 frames/s (its <fps> argument: a 4 ms sleep between images), not 2 s of waiting.
    const peer = await cppPeerFor(ctx, 'ImagerClient', ['127.0.0.1', String(port), '250', 'img']);
    const exit = await peer.exited;
    expect(exit.code).toBe(0);
    await sim.waitFor(/client 127\.0\.0\.1:\d+ sends IMAGE "ImagerClient"/);
    await sim.waitFor(/client 127\.0\.0\.1:\d+ left \(received 100 messages\)/);
    const q = await runCli(['query', `127.0.0.1:${port}`, 'GET_IMAGE', 'ImagerClient', '--json']);
    expect(q.code).toBe(0);
    const reply = JSON.parse(q.stdout) as { type: string; content: { size: number[]; scalarType: number; dataBase64: string } };
    expect(reply.type).toBe('IMAGE');
    expect(reply.content).toMatchObject({ size: [256, 256, 1], scalarType: 3 });
    const pixels = Buffer.from(reply.content.dataBase64, 'base64');
    const files = [1, 2, 3, 4, 5].map((n) => readFileSync(path.join(CPP_PEER_IMG_DIR, `igtlTestImage${n}.raw`)));
    expect(files.some((f) => f.equals(pixels))).toBe(true);
  });
});
