// Option combinations a verb cannot honour, and servers that cannot listen. Measured before:
// `record --listen --reconnect`, `record --listen --stream TDATA`, `record --no-compress` (no
// --format), `replay --once` / `--close` without --serve, `replay --to ... --json`, `query
// GET_STATUS --resolution 50` and `send --json` without --replies all ran, the option silently
// ignored (exit 0 or the run's own status); `record --listen` and `replay --serve` on a port in
// use said `cannot listen on 127.0.0.1:P: listen EADDRINUSE: address already in use
// 127.0.0.1:P`, where `simulate` said `the port is in use`. Now the combinations are usage
// errors (exit 2, before anything is opened) and every server verb says the same line.
import net, { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { createMessage, encodeMessage, IDENTITY } from '../../src/node.js';
import { runCli, stopAllCli } from './cli-harness.js';

afterAll(stopAllCli);

function tmpDir(ctx: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-options-'));
  ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A recording of one TRANSFORM (no index: timed by its header). */
function recording(dir: string): string {
  const file = path.join(dir, 'one.igtl');
  writeFileSync(file, encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Stylus' })));
  return file;
}

describe('options that do not go together are usage errors', () => {
  it('each names the option, exits 2 and opens nothing', { timeout: 60_000 }, async (ctx) => {
    const dir = tmpDir(ctx);
    const rec = recording(dir);
    const cases: [string[], RegExp][] = [
      [['record', path.join(dir, 'a.igtl'), '--listen', '0', '--reconnect', '--duration', '0.2'], /--reconnect is for a connection to a server, not with --listen/],
      [['record', path.join(dir, 'b.igtl'), '--listen', '0', '--stream', 'TDATA', '--duration', '0.2'], /--stream is for a connection to a server, not with --listen/],
      [['record', path.join(dir, 'c.igtl'), '1', '--no-compress', '--duration', '0.2'], /--no-compress goes with --format mha or nrrd/],
      [['replay', rec, '--once', '--fast'], /--once goes with --serve/],
      [['replay', rec, '--close', '--fast'], /--close goes with --serve/],
      [['replay', rec, '--to', '127.0.0.1:1', '--json'], /--json is for printing/],
      [['query', '1', 'GET_STATUS', '--resolution', '50'], /--resolution goes with STT_TDATA or STT_QTDATA/],
      [['send', '1', '--json'], /--json is how --replies prints/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { input: '{}' });
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.split('\n')[0], args.join(' ')).toMatch(/^igtl-rx: /);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });
});

describe('a port in use', () => {
  it('record --listen, replay --serve and simulate say the same line, exit 1', { timeout: 30_000 }, async (ctx) => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => {
      busy.close();
    });
    const port = (busy.address() as AddressInfo).port;
    const dir = tmpDir(ctx);
    for (const args of [['record', path.join(dir, 'r.igtl'), '--listen', String(port)], ['replay', recording(dir), '--serve', String(port)], ['simulate', '--port', String(port)]]) {
      const r = await runCli(args);
      expect(r.stderr, args.join(' ')).toBe(`igtl-rx: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
      expect(r.code, args.join(' ')).toBe(1);
    }
  });
});
