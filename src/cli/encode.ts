// `igtl-rx encode FILE.jsonl`: canonical JSON lines in, packed messages out (stdout).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { encodeMessage } from '../protocol/encode.js';
import { IgtlError } from '../protocol/errors.js';
import { fromJSON } from '../protocol/json.js';
import { CliError, parseOptions } from './output.js';

export const usage = `usage: igtl-rx encode FILE.jsonl [-o OUT]

Reads one canonical-JSON message per line (as printed by \`igtl-rx decode --json\`; "-" reads
stdin) and writes the packed messages to OUT or stdout. \`decode --json\` then \`encode\`
reproduces the original bytes exactly. A line that is not a valid message is reported on stderr
with its line number and the rest go on; the exit status is then 1.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, { output: { type: 'string', short: 'o' } });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`encode takes one FILE\n${usage}`, 2);
  const file = positionals[0]!;
  const input: NodeJS.ReadableStream = file === '-' ? process.stdin : createReadStream(file);
  const { createWriteStream } = await import('node:fs');
  const outputPath = typeof values.output === 'string' ? values.output : undefined;
  const out: NodeJS.WritableStream = outputPath ? createWriteStream(outputPath) : process.stdout;
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let bad = 0;
  const inputFailed = new Promise<never>((_, reject) => {
    input.on('error', (err: Error) => reject(new CliError(`cannot read ${file}: ${(err as Error).message}`)));
  });
  // OUT that cannot be written (a missing directory, a full disk): one line, not Node's
  // "Unhandled 'error' event" with a stack trace, and no wait for a 'drain' that never comes.
  // (Errors of stdout are watchStdout's.)
  const outputFailed = new Promise<never>((_, reject) => {
    if (outputPath) out.on('error', (err: Error) => reject(new CliError(`cannot write ${outputPath}: ${err.message}`)));
  });
  outputFailed.catch(() => undefined);
  const work = (async () => {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      try {
        const bytes = encodeMessage(fromJSON(line));
        if (!out.write(bytes)) await Promise.race([new Promise((r) => out.once('drain', r)), outputFailed]);
      } catch (err) {
        if (!(err instanceof IgtlError)) throw err;
        bad++;
        process.stderr.write(`igtl-rx: line ${lineNo}: ${err.message}\n`);
      }
    }
  })();
  await Promise.race([work, inputFailed, outputFailed]);
  if (outputPath) await Promise.race([new Promise<void>((r) => (out as NodeJS.WritableStream & { end(cb: () => void): void }).end(r)), outputFailed]);
  return bad > 0 ? 1 : 0;
}
