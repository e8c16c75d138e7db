// `igtl-rx send` and `igtl-rx replay --to` when their peer goes away with messages still to send.
// Both waited for the connection's send queue to empty before saying "sent" / "replayed"; a
// connection that ends without reconnecting keeps its queue (for a next life that never comes),
// so they waited for ever, and Node, with no timer left, exited 0 with nothing printed: a send
// that lost most of its messages looked like a success. Now they say what was lost and exit 1.
// `replay --serve --once` said "replayed N messages" and exited 0 for a client dropped for not
// reading: now the exit says the one playback was not delivered, and why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createImageContent, createMessage, encodeMessage, Timestamp } from '../../src/node.js';
import { faultHooks, rawServer } from '../support/fault-kit.js';
import { runCli, startCli, stopAllCli } from './cli-harness.js';

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

/**
 * A recording of 48 MB of images: more than the loopback socket buffers of both ends and the
 * replay's own 4 MB of flow control take, so messages still wait in the queue when a peer that
 * never reads is found out by the write-stall rule.
 */
function largeRecording(ctx: TestContext): string {
  const image = encodeMessage(createMessage('IMAGE', createImageContent({ data: new Uint8Array(1024 * 1024 * 4).fill(7), size: [1024, 1024, 4] }), { deviceName: 'US', timestamp: Timestamp.ZERO }));
  const file = path.join(tmpDir(ctx), 'images.igtl');
  writeFileSync(file, Buffer.concat(Array(12).fill(image)));
  return file;
}

describe('igtl-rx replay --to a peer that never reads', () => {
  it('exits 1 once the write stall is detected, saying so and what was not sent', { timeout: 60_000 }, async (ctx) => {
    const file = largeRecording(ctx);
    const { port } = await rawServer((s) => s.pause(), defer);
    const r = await runCli(['replay', file, '--to', `127.0.0.1:${port}`, '--fast', '--quiet'], { timeoutMs: 50_000 });
    expectOneLineError(r.stderr, /^igtl-rx: replay to 127\.0\.0\.1:\d+ failed: .*write stall.* \(\d+ of \d+ messages handed to the connection not sent\)$/);
    expect(r.code).toBe(1);
  });
});

describe('igtl-rx replay --serve --once to a client that never reads', () => {
  it('exits 1 saying the client was dropped for the write stall, not that it was replayed', { timeout: 60_000 }, async (ctx) => {
    const file = largeRecording(ctx);
    const replay = startCli(['replay', file, '--serve', '0', '--once', '--fast', '--quiet']);
    const port = Number((await replay.waitFor(/listening on [\d.]+:(\d+)/, 15_000))[1]);
    // Connects and never reads (this process stays alive, so the socket stays open).
    const client: Socket = connect(port, '127.0.0.1');
    client.on('error', () => {});
    client.pause();
    defer(() => client.destroy());
    const timer = setTimeout(() => replay.child.kill('SIGKILL'), 50_000);
    const { code } = await replay.exited;
    clearTimeout(timer);
    expectOneLineError(replay.stderr, /^igtl-rx: replay --serve --once: client 127\.0\.0\.1:\d+: connection lost after \d+ messages: .*write stall/);
    expect(code).toBe(1);
  });
});
