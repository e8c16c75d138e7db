// `igtl-rx decode FILE [--json]`: decodes a file of concatenated messages.
import { createReadStream } from 'node:fs';
import { MAX_BODY_SIZE_LIMIT } from '../protocol/constants.js';
import { MessageDecoder } from '../protocol/framer.js';
import { IgtlError } from '../protocol/errors.js';
import { stringifyJSON, toJSON } from '../protocol/json.js';
import { summarize } from '../protocol/summary.js';
import type { IgtlMessage } from '../protocol/types.js';
import { parseNumber } from './net-helper.js';
import { CliError, LineWriter, parseOptions } from './output.js';

export const usage = `usage: igtl-rx decode FILE [--json] [--no-crc] [--max-body-size BYTES]

Decodes every message in FILE (concatenated OpenIGTLink messages; "-" reads stdin) and prints
one line per message: a readable summary, or with --json the canonical JSON form. A bad message
prints an error line ({"error": "crc-mismatch" | "truncated" | "body-too-large" |
"unsupported-header-version" | "malformed", ...} with --json) and decoding goes on.
Exit status: 0 if every message decoded, 1 if any was bad, 2 on a usage error.`;

/** The error line printed for a bad message in --json mode. */
export function errorToJSON(err: IgtlError): Record<string, unknown> {
  return { error: err.code, message: err.message, ...(err.header ? { header: err.header.toJSON() } : {}) };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
      json: { type: 'boolean', default: false },
      'no-crc': { type: 'boolean', default: false },
      'max-body-size': { type: 'string' },
    });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new CliError(`decode takes one FILE\n${usage}`, 2);
  // A value the decoder would refuse is a usage error here (exit 2), not an InvalidOptionError (1).
  const maxBodySize = parseNumber('--max-body-size', values['max-body-size'] as string | undefined, { min: 0, max: MAX_BODY_SIZE_LIMIT, integer: true });
  const out = new LineWriter();
  let bad = 0;
  const decoder = new MessageDecoder(
    {
      message(msg: IgtlMessage) {
        out.line(values.json ? stringifyJSON(toJSON(msg)) : summarize(msg));
      },
      error(err: IgtlError) {
        bad++;
        out.line(values.json ? JSON.stringify(errorToJSON(err)) : `error: ${err.code}: ${err.message}`);
      },
    },
    // A file: a bad header is reported and skipped by its BODY_SIZE (resync 'skip'), not the end of it.
    { verifyCrc: !values['no-crc'], resync: 'skip', ...(maxBodySize === undefined ? {} : { maxBodySize }) },
  );
  const file = positionals[0]!;
  const input: NodeJS.ReadableStream = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 16 });
  await new Promise<void>((resolve, reject) => {
    input.on('data', (chunk: Uint8Array) => {
      decoder.push(chunk);
      // A reader of stdout that does not keep up holds the file back (its lines do not pile up).
      const writable = out.whenWritable();
      if (writable) {
        input.pause();
        void writable.then(() => input.resume());
      }
    });
    input.on('end', () => resolve());
    input.on('error', (err: Error) => reject(new CliError(`cannot read ${file}: ${(err as Error).message}`)));
  });
  decoder.end();
  await out.flush();
  return bad > 0 ? 1 : 0;
}
