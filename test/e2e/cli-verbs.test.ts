// The network verbs from the command line: --help everywhere, query, send, demo, and errors
// that are one clear line with a non-zero exit, never a stack trace.
// One test after the other: starting the CLI processes is what takes the time here (the CPU,
// not waiting), except for the two demo runs, which wait out their --duration side by side.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/cpp-peers.js';
import { runCli, startSimulate, stopAllCli, type CliProcess } from './cli-harness.js';

const VERBS = ['simulate', 'monitor', 'record', 'replay', 'send', 'query', 'demo'];

let dir: string;
let sim: CliProcess;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'igtl-rx-cli-'));
  ({ sim, port } = await startSimulate(['--rate', '50']));
}, 30_000);

afterAll(async () => {
  // The shared simulator, and what a failed test left running.
  await stopAllCli();
  rmSync(dir, { recursive: true, force: true });
});

/** One line on stderr starting with "igtl-rx: ", nothing like a stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^igtl-rx: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('--help', () => {
  it('igtl-rx VERB --help prints the usage of every verb and exits 0', async () => {
    const runs = await Promise.all(VERBS.map((verb) => runCli([verb, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, VERBS[i]).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: igtl-rx ${VERBS[i]}`));
      expect(r.stderr).toBe('');
    });
  });

  it('lists every verb in the main help', async () => {
    const r = await runCli(['--help']);
    for (const verb of VERBS) expect(r.stdout).toMatch(new RegExp(`^  ${verb} +\\S`, 'm'));
  });

  it('igtl-rx --version prints the package version and exits 0', async () => {
    const r = await runCli(['--version']);
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string };
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--stale longer than a timer can wait is a usage error (it would run out after 1 ms)', async () => {
    const runs = await Promise.all([runCli(['demo', '--stale', '1e12']), runCli(['monitor', '127.0.0.1:1', '--stale', '3e9'])]);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, /--stale must be a number > 0 and <= 2147483647/);
    }
  });

  it('so are monitor --interval, query --timeout, send --interval and --replies (send --replies 3e9 stopped listening at once)', async () => {
    const cases = [['monitor', '127.0.0.1:1', '--interval', '3e9'], ['query', '127.0.0.1:1', 'GET_STATUS', '--timeout', '1e10'], ['send', '127.0.0.1:1', '--interval', '3e9'], ['send', '127.0.0.1:1', '--replies', '3e9']];
    const runs = await Promise.all(cases.map((args) => runCli(args, { input: '' })));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expectOneLineError(r.stderr, new RegExp(`${cases[i]![cases[i]!.length - 2]} must be a number [>=]+ 0 and <= 2147483647`));
    });
  });

  it('an unknown option is a usage error (exit 2) with the usage line', async () => {
    const r = await runCli(['monitor', '127.0.0.1:1', '--bogus']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /Unknown option '--bogus'/);
    expect(r.stderr).toMatch(/usage: igtl-rx monitor HOST:PORT/);
  });

  it('a value that starts with "-" (--port -1) is one line naming the option, not three lines of Node advice', async () => {
    for (const args of [['simulate', '--port', '-1'], ['monitor', '1', '--idle-timeout', '-5'], ['record', 'x.igtl', '--duration', '-1']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLineError(r.stderr, new RegExp(`^igtl-rx: ${args.at(-2)}: a value that starts with "-" is written ${args.at(-2)}=VALUE$`));
      expect(r.stderr).not.toMatch(/Did you forget/);
    }
  });

  it('an unknown option or a missing value is a usage error (exit 2) for every verb, bridge too (it exited 1)', async () => {
    const verbs = [...VERBS, 'bridge', 'convert', 'decode', 'encode'];
    const runs = await Promise.all([...verbs.map((verb) => runCli([verb, '--bogus'])), runCli(['bridge', '--port'])]);
    runs.forEach((r, i) => {
      const what = verbs[i] ?? 'bridge --port';
      expect(r.code, what).toBe(2);
      expectOneLineError(r.stderr, i < verbs.length ? /Unknown option '--bogus'/ : /'--port <value>' argument missing/);
      expect(r.stderr, what).toMatch(new RegExp(`usage: igtl-rx ${verbs[i] ?? 'bridge'}`));
    });
  });
});

describe('errors are one line and a non-zero exit', () => {
  let closed: number;
  beforeAll(async () => {
    closed = await freePort();
  });

  it('connection refused: monitor, query, record, demo --connect, send, replay --to', async () => {
    const empty = path.join(dir, 'empty.igtl');
    writeFileSync(empty, Buffer.alloc(0));
    const target = `127.0.0.1:${closed}`;
    const cases = [
      ['monitor', target],
      ['query', target, 'GET_STATUS'],
      ['record', path.join(dir, 'x.igtl'), target],
      ['demo', '--connect', target],
      ['send', target],
      ['replay', empty, '--to', target],
    ];
    const runs = await Promise.all(cases.map((args) => runCli(args, args[0] === 'send' ? { input: '{"type":"GET_STATUS","headerVersion":1,"content":{}}' } : {})));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(1);
      expectOneLineError(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${closed}: connect ECONNREFUSED`));
    });
  });

  it('connection refused with --keep-going / --reconnect: exit 1 too (they waited in silence past --duration)', async () => {
    const target = `127.0.0.1:${closed}`;
    const cases = [
      ['monitor', target, '--keep-going', '--duration', '60'],
      ['record', path.join(dir, 'y.igtl'), target, '--reconnect', '--duration', '60'],
    ];
    const runs = await Promise.all(cases.map((args) => runCli(args, { timeoutMs: 15_000 })));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(1);
      expectOneLineError(r.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${closed}: connect ECONNREFUSED`));
    });
  });

  it('--duration longer than one timer can wait runs on (it stopped at once: a timer over 2^31 - 1 ms fires after 1 ms)', async () => {
    const { sim: long, port: longPort } = await startSimulate(['--duration', '3000000']);
    // An answer, after the old verb had long stopped (1 ms after it listened), proves it serves.
    const r = await runCli(['query', `127.0.0.1:${longPort}`, 'GET_STATUS']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^STATUS/);
    await long.stop();
    expect(long.stdout).toMatch(/stopping \(SIGINT\)/);
    expect(long.stdout).not.toMatch(/stopping \(after/);
  });

  it('bridge --static: a directory that is not there is a usage error, not a page answered with 404', async () => {
    // It said "workbench: open http://... in a browser" and served nothing.
    for (const dirArg of [path.join(dir, 'no-such-dir'), path.join(dir, 'empty.igtl')]) {
      writeFileSync(path.join(dir, 'empty.igtl'), Buffer.alloc(0));
      const r = await runCli(['bridge', '--port', '0', '--static', dirArg, '--duration', '1']);
      expect(r.code, dirArg).toBe(2);
      expectOneLineError(r.stderr, /--static .*: not a directory/);
    }
  });

  it('replay: a missing file', async () => {
    const r = await runCli(['replay', path.join(dir, 'missing.igtl')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /cannot read .*missing\.igtl: ENOENT/);
  });

  it('send: empty input (stdin at EOF) is one line, not "1 bad message"', async () => {
    for (const input of ['', '\n  \n']) {
      const r = await runCli(['send', '127.0.0.1:1'], { input });
      expect(r.stderr).toBe('igtl-rx: stdin: no messages in the input: nothing sent\n');
      expect(r.code).toBe(1);
    }
  });

  it('send: bad JSON names the line, and nothing is sent', async () => {
    const r = await runCli(['send', `127.0.0.1:${port}`], { input: '{"type":"GET_STATUS","headerVersion":1,"content":{}}\n{"type": nope}\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^igtl-rx: stdin: line 2: .*not JSON/m);
    expect(r.stderr).toMatch(/^igtl-rx: nothing sent: 1 bad message$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('simulate: a port in use', async () => {
    const r = await runCli(['simulate', '--port', String(port)]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });

  it('bad option values are usage errors', async () => {
    const cases = [['simulate', '--rate', '5000'], ['monitor', 'host:99999'], ['query', '127.0.0.1:1', 'TRANSFORM'], ['replay', 'f', '--speed', '-1']];
    const runs = await Promise.all(cases.map((args) => runCli(args)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^igtl-rx: /);
    });
  });

  it('a size no decoder can take is a usage error naming the flag (decode exited 1; bridge named maxBodySize)', async () => {
    const cases = [['decode', '-', '--max-body-size', '1.5'], ['decode', '-', '--max-body-size', '5000000000'], ['bridge', '--max-message-size', '5000000000']];
    const runs = await Promise.all(cases.map((args) => runCli(args, { input: '' })));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]!.join(' ')).toBe(2);
      expectOneLineError(r.stderr, new RegExp(`${cases[i]![cases[i]!.length - 2]} must be a whole number >= \\d+ and <= 4294967237`));
    });
  });
});

describe('igtl-rx query', () => {
  it('prints the answer to GET_STATUS, GET_TRANS, GET_IMGMETA and GET_CAPABIL', async () => {
    const at = `127.0.0.1:${port}`;
    const [status, trans, meta, cap] = await Promise.all([
      runCli(['query', at, 'GET_STATUS']),
      runCli(['query', at, 'GET_TRANS', 'Probe']),
      runCli(['query', at, 'GET_IMGMETA', '--json']),
      runCli(['query', at, 'GET_CAPABIL']),
    ]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^STATUS\s+"Simulator"\s+v1 .* 1 OK Tracking Stylus, Probe, Reference at 50 Hz/);
    expect(trans.stdout).toMatch(/^TRANSFORM\s+"Probe"\s+v1 .* t=\(-?\d+\.\d\d, -?\d+\.\d\d, -?\d+\.\d\d\)$/m);
    expect(JSON.parse(meta.stdout)).toMatchObject({ type: 'IMGMETA', content: { images: [{ deviceName: 'Ultrasound', modality: 'US', size: [256, 256, 1] }] } });
    expect(cap.stdout).toMatch(/^CAPABILITY .* TRANSFORM POSITION TDATA QTDATA IMAGE IMGMETA STATUS/);
  });

  it('an RTS_ error status (nothing of that name) exits 1', async () => {
    const r = await runCli(['query', `127.0.0.1:${port}`, 'GET_IMAGE', 'Nope']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /GET_IMAGE "Nope" failed: RTS_IMAGE status 1/);
  });

  it('STT_TDATA --count prints streamed messages', async () => {
    const r = await runCli(['query', `127.0.0.1:${port}`, 'STT_TDATA', '--count', '3', '--resolution', '50']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^TDATA\s+"Tracker"\s+v1 .* Stylus\(.*\) Probe\(.*\) Reference\(.*\)$/);
  });

  it('--command runs a COMMAND and prints status, message and results', async () => {
    const set = await runCli(['query', `127.0.0.1:${port}`, '--command', 'SetFrameRate', '--attr', 'FrameRate=25']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^SUCCESS: Frame rate set to 25\n {2}FrameRate="25"\n$/);
    const [get, version] = await Promise.all([
      runCli(['query', `127.0.0.1:${port}`, '--command', 'GetFrameRate', '--json']),
      runCli(['query', `127.0.0.1:${port}`, '--command', 'Version']),
    ]);
    const reply = JSON.parse(get.stdout) as { type: string; headerVersion: number; content: { commandName: string; command: string }; metadata: { key: string; value: string }[] };
    expect(reply).toMatchObject({ type: 'RTS_COMMAND', headerVersion: 2, content: { commandName: 'GetFrameRate' } });
    expect(reply.content.command).toBe('<CommandReply Name="GetFrameRate" Status="SUCCESS" Message="25" FrameRate="25" />');
    expect(reply.metadata).toEqual([
      { key: 'Status', encoding: 3, value: 'SUCCESS' },
      { key: 'Message', encoding: 3, value: '25' },
      { key: 'FrameRate', encoding: 3, value: '25' },
    ]);
    expect(version.stdout).toMatch(/^SUCCESS: igtl-rx simulate\n {2}IGTLProtocolVersion="3"\n {2}IGTLHeaderVersion="2"\n$/);
  });

  it('an unknown COMMAND fails with the error', async () => {
    const r = await runCli(['query', `127.0.0.1:${port}`, '--command', 'SelfDestruct']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /COMMAND SelfDestruct \(id 1\) failed: Unknown command: SelfDestruct/);
  });
});

describe('igtl-rx send', () => {
  it('sends canonical JSON from stdin and prints the replies', async () => {
    const input = [
      '{"type":"STRING","headerVersion":1,"deviceName":"Note","content":{"encoding":3,"value":"hello"}}',
      '{"type":"GET_STRING","headerVersion":1,"deviceName":"Note","content":{}}',
    ].join('\n');
    const r = await runCli(['send', `127.0.0.1:${port}`, '--replies', '500', '--json'], { input });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sent 2 messages to 127\.0\.0\.1:\d+$/m);
    // The simulator keeps what clients send; GET_STRING "Note" returns it.
    const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; deviceName: string; content: { value?: string } });
    expect(replies.find((m) => m.type === 'STRING')).toMatchObject({ deviceName: 'Note', content: { value: 'hello' } });
    await sim.waitFor(/client 127\.0\.0\.1:\d+ sends STRING "Note"/);
  });

  it('reads a JSON array from a file', async () => {
    const file = path.join(dir, 'msgs.json');
    writeFileSync(file, JSON.stringify([{ type: 'STATUS', headerVersion: 1, deviceName: 'Probe', content: { code: 1, subcode: '0', errorName: 'OK', statusMessage: 'in view' } }]));
    const r = await runCli(['send', `127.0.0.1:${port}`, file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^sent 1 message to /m);
  });
});

describe.concurrent('igtl-rx demo', () => {
  it('shows one tool through the operator pipeline at the asked rate', { retry: 1 }, async () => {
    const r = await runCli(['demo', '--port', '0', '--duration', '2.5', '--rate', '10', '--tool', 'Probe']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^igtl-rx demo: following "Probe" from simulator on 127\.0\.0\.1:\d+ \(60 Hz, seed 1\), shown at up to 10 Hz/);
    const poses = lines.filter((l) => l.startsWith('Probe '));
    for (const l of poses) expect(l).toMatch(/^Probe x=-?\d+\.\d\d y=-?\d+\.\d\d z=-?\d+\.\d\d mm \(TDATA "Tracker" \/ Probe\)$/);
    // 10 Hz over ~2.5 s, minus start-up.
    expect(poses.length).toBeGreaterThanOrEqual(15);
    expect(poses.length).toBeLessThanOrEqual(27);
    const rates = lines.filter((l) => l.startsWith('rate in ')).map((l) => /rate in ([\d.]+) Hz, out ([\d.]+) Hz/.exec(l)!.slice(1).map(Number));
    const [rin, rout] = rates[rates.length - 1]!;
    expect(rin).toBeGreaterThan(54);
    expect(rout).toBeGreaterThanOrEqual(9);
    expect(rout).toBeLessThanOrEqual(11);
  });

  it('follows a server given with --connect, unchanged', async () => {
    // Only this demo starts and stops TDATA on the shared simulator from here on (the query
    // tests did before): the same client starts it, then stops it before it leaves.
    const mark = sim.stdout.length;
    const r = await runCli(['demo', '--connect', `127.0.0.1:${port}`, '--duration', '1.5', '--rate', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^igtl-rx demo: following "Stylus" from 127\.0\.0\.1:\d+/);
    // The simulator streams TRANSFORMs to every client and TDATA on STT_TDATA: both reach the view.
    expect(r.stdout).toMatch(/^Stylus x=.* \((TDATA "Tracker" \/ Stylus|TRANSFORM "Stylus")\)$/m);
    await sim.waitFor(/^client (127\.0\.0\.1:\d+) started TDATA[^]*^client \1 stopped TDATA/m, 10_000, 'stdout', mark);
  });
});
