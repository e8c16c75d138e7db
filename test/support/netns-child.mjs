// Helpers for scripts run inside the test network namespace by test/support/netns.ts.
// Plain JavaScript (child processes get no TypeScript loader); Node built-ins only.
//
// A child script talks to the test through two line streams:
//   - stdout: one JSON object per line, an event: emit('listening', { port: 5000 })
//     prints {"ev":"listening","port":5000,"t":<Date.now()>}. Anything on stdout that is not a JSON
//     object reaches the test as {"ev":"stdout","line":...}.
//   - stdin: one command per line, sent by the test with proc.send('...'): onCommand(handler).
// Everything on stderr is kept by the harness and shown in timeout/exit error messages.
import readline from 'node:readline';

/** Print one event line for the test. `t` (Date.now()) is added unless given. */
export function emit(ev, data = {}) {
  process.stdout.write(JSON.stringify({ ev, t: Date.now(), ...data }) + '\n');
}

/**
 * Calls handler(words, line) for every line the test sends with proc.send(line); words is the line
 * split on whitespace. A handler that throws (or rejects) emits {"ev":"command-error"}.
 * When stdin closes (the test or the harness went away) the process exits.
 */
export function onCommand(handler) {
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) return;
    Promise.resolve()
      .then(() => handler(words, line))
      .catch((err) => emit('command-error', { line, message: String(err?.stack ?? err) }));
  });
  rl.on('close', () => process.exit(0));
}

/** Adds a hard deadline so a forgotten child can never outlive its test by long. */
export function exitAfter(ms) {
  setTimeout(() => {
    emit('deadline', { ms });
    process.exit(3);
  }, ms).unref();
}
