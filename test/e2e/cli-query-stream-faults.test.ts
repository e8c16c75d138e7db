// `igtl-rx query HOST:PORT STT_<type> --count N` when the stream does not come. The stream
// operator tolerates a missing RTS_ (the C++ servers send none), so a server that neither
// answered nor streamed left the query waiting for ever, with nothing said; a server that closed
// after one message gave that message and exit 0, as if N had come.
import { afterAll, describe, expect, it } from 'vitest';
import { createMessage, encodeMessage, IDENTITY, Timestamp } from '../../src/node.js';
import { faultHooks, rawServer } from '../support/fault-kit.js';
import { runCli, stopAllCli } from './cli-harness.js';

const { defer } = faultHooks();
afterAll(stopAllCli);

const tdata = encodeMessage(createMessage('TDATA', { elements: [{ name: 'Stylus', type: 2, matrix: IDENTITY }] }, { deviceName: 'Tracker', timestamp: Timestamp.ZERO }));

describe('igtl-rx query STT_TDATA --count 3', () => {
  it('to a server that reads but never answers: exits 1 after --timeout, saying nothing was streamed', { timeout: 30_000 }, async () => {
    const { port } = await rawServer((s) => s.resume(), defer);
    const started = performance.now();
    const r = await runCli(['query', `127.0.0.1:${port}`, 'STT_TDATA', '--count', '3', '--timeout', '1000'], { timeoutMs: 20_000 });
    expect(r.stderr).toMatch(/^igtl-rx: STT_TDATA: nothing streamed for 1000 ms after 0 of 3 streamed messages\n$/);
    expect(r.code).toBe(1);
    // --timeout and start-up, far from the 20 s after which the harness kills it.
    expect(performance.now() - started).toBeLessThan(12_000);
  });

  it('to a server that streams one message and closes: prints it, then exits 1 saying the stream ended short', { timeout: 30_000 }, async () => {
    const { port } = await rawServer((s) => s.once('data', () => s.end(tdata)), defer);
    const r = await runCli(['query', `127.0.0.1:${port}`, 'STT_TDATA', '--count', '3', '--timeout', '5000'], { timeoutMs: 20_000 });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^TDATA\s+"Tracker"/);
    expect(r.stderr).toMatch(/^igtl-rx: STT_TDATA: .* after 1 of 3 streamed messages\n$/);
    expect(r.code).toBe(1);
  });
});
