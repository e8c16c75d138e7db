// An igtl-rx server (default options) that records the number carried by every TRANSFORM it
// receives (matrix[3]) in a file, one line each, written synchronously so that a SIGKILL loses
// nothing it had read: the receiving end of test/faults/lossless-restarts.test.ts, which kills it
// (a forced restart: whatever sat unread in its socket buffers is lost).
//   node count-server.mjs <port> <file>      stdout: {"ev":"listening","port"}
import { openSync, writeSync } from 'node:fs';

const dist = new URL('../../dist/src/node.js', import.meta.url);
const { createServer } = await import(dist.href);
const out = openSync(process.argv[3], 'a');
const server = createServer({ port: Number(process.argv[2] ?? 0) });
server.messages$.subscribe(({ message }) => {
  if (message.type === 'TRANSFORM') writeSync(out, `${message.content.matrix[3]}\n`);
});
const { port } = await server.listen();
process.stdout.write(JSON.stringify({ ev: 'listening', port }) + '\n');
setTimeout(() => process.exit(0), 120_000).unref();
