#!/usr/bin/env node
// The igtl-rx command line: one file per verb, loaded only when used.
import { CliError, reportError, stdoutAbandoned, survivesStderrLoss, watchStdout } from './output.js';

type Verb = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number>; usage: string }> };

const verbs: Record<string, Verb> = {
  decode: { summary: 'decode a file of messages (readable or canonical JSON)', load: () => import('./decode.js') },
  encode: { summary: 'encode canonical JSON lines into messages', load: () => import('./encode.js') },
  simulate: { summary: 'run a simulated navigation set-up (tools, ultrasound, status) as a server', load: () => import('./simulate.js') },
  monitor: { summary: 'live view of a connection: rate, latency, bytes/s, latest value per device', load: () => import('./monitor.js') },
  record: { summary: 'record every message of a connection to a file, with receive times', load: () => import('./record.js') },
  convert: { summary: 'convert recordings to PLUS / 3D Slicer sequence files (.mha, .seq.nrrd) and back', load: () => import('./convert.js') },
  replay: { summary: 'replay a recording to a server, to clients, or to stdout, with the original timing', load: () => import('./replay.js') },
  send: { summary: 'send messages given as canonical JSON (file or stdin)', load: () => import('./send.js') },
  query: { summary: 'send a GET_/STT_ query or a COMMAND and print the answer', load: () => import('./query.js') },
  demo: { summary: 'the simulator and a filtered, throttled tracking view in one terminal', load: () => import('./demo.js') },
  bridge: { summary: 'relay an OpenIGTLink TCP peer to WebSocket clients (browser pages), both ways', load: () => import('./bridge.js') },
};

function help(): string {
  const width = Math.max(...Object.keys(verbs).map((v) => v.length));
  return `usage: igtl-rx <verb> [options]     (igtl-rx <verb> --help for details; igtl-rx --version)\n\n${Object.entries(verbs)
    .map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`)
    .join('\n')}\n`;
}

/** The version in the package's package.json (dist/src/cli/main.js -> ../../../package.json). */
async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

async function main(argv: string[]): Promise<number> {
  watchStdout();
  survivesStderrLoss();
  const [verb, ...rest] = argv;
  if (verb === '--version' || verb === '-v' || verb === 'version') {
    process.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    process.stdout.write(help());
    return verb === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (!entry) throw new CliError(`unknown verb "${verb}"\n${help()}`, 2);
  const mod = await entry.load();
  return mod.run(rest);
}

/** Ends with `code`: at once when stdout was given up on (its pending write would keep the process alive). */
function finish(code: number): void {
  process.exitCode = code;
  if (stdoutAbandoned()) process.exit(code);
}

main(process.argv.slice(2)).then(finish, (err: unknown) => finish(reportError(err)));
