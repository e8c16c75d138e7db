// `igtl-rx send` and `igtl-rx replay --to` when their peer goes away with messages still to send.
// Both waited for the connection's send queue to empty before saying "sent" / "replayed"; a
// connection that ends without reconnecting keeps its queue (for a next life that never comes),
// so they waited for ever, and Node, with no timer left, exited 0 with nothing printed: a send
// that lost most of its messages looked like a success. Now they say what was lost and exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createImageContent, createMessage, encodeMessage, Timestamp } from '../../src/node.js';
import { faultHooks, rawServer } from '../support/fault-kit.js';
import { runCli, stopAllCli } from './cli-harness.js';

const { defer } = faultHooks();
afterAll(stopAllCli);

function tmpDir(ctx: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-peer-gone-'));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One line on stderr starting with "igtl-rx: ", nothing like a stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^igtl-rx: /);
  expect(lines[0]).toMatch(pattern);
}

describe('igtl-rx send to a peer that closes after the first message', () => {
  it('exits 1 and says how many messages were not sent', { timeout: 30_000 }, async (ctx) => {
    // The peer reads the first message, then closes its end cleanly; the next four messages
    // are due a second apart, long after the close has arrived.
    const { port } = await rawServer((s) => s.once('data', () => s.end()), defer);
    const line = JSON.stringify({ type: 'GET_STATUS', headerVersion: 1, deviceName: '', content: {} });
    const file = path.join(tmpDir(ctx), 'five.json');
    writeFileSync(file, `${Array(5).fill(line).join('\n')}\n`);
    const r = await runCli(['send', `127.0.0.1:${port}`, file, '--interval', '1000']);
    expectOneLineError(r.stderr, /^igtl-rx: send to 127\.0\.0\.1:\d+ failed: .*closed by the peer.* \([1-4] of 5 messages not sent\)$/);
    expect(r.code).toBe(1);
  });
});

describe('igtl-rx replay --to a peer that never reads', () => {
  it('exits 1 once the write stall is detected, saying so and what was not sent', { timeout: 60_000 }, async (ctx) => {
    // 48 MB of images: more than the loopback socket buffers of both ends and the replay's own
    // 4 MB of flow control take, so messages still wait in the queue when the stall is found.
    const image = encodeMessage(createMessage('IMAGE', createImageContent({ data: new Uint8Array(1024 * 1024 * 4).fill(7), size: [1024, 1024, 4] }), { deviceName: 'US', timestamp: Timestamp.ZERO }));
    const file = path.join(tmpDir(ctx), 'images.igtl');
    writeFileSync(file, Buffer.concat(Array(12).fill(image)));
    const { port } = await rawServer((s) => s.pause(), defer);
    const r = await runCli(['replay', file, '--to', `127.0.0.1:${port}`, '--fast', '--quiet'], { timeoutMs: 50_000 });
    expectOneLineError(r.stderr, /^igtl-rx: replay to 127\.0\.0\.1:\d+ failed: .*write stall.* \(\d+ of \d+ messages handed to the connection not sent\)$/);
    expect(r.code).toBe(1);
  });
});
