// Shared pieces of the fault tests: a cleanup list run after each test, a check that nothing
// escaped as an unhandled rejection or uncaught exception, and a raw TCP peer of the test's own.
import { createServer as createRawServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, expect } from 'vitest';
import { IDENTITY, Timestamp, createMessage, createServer, encodeMessage, type IgtlMessage, type IgtlServer, type ServerOptions } from '../../src/node.js';

/** A TRANSFORM "T" whose x translation carries `n` (numbered messages). */
export const pose = (n: number) => createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'T', timestamp: Timestamp.ZERO });
/** The bytes of {@link pose}. */
export const bytesOf = (n: number): Uint8Array => encodeMessage(pose(n));
/** The number a {@link pose} carries (NaN for anything else). */
export const xOf = (m: IgtlMessage): number => (m.type === 'TRANSFORM' ? m.content.matrix[3]! : NaN);

/**
 * Registers the hooks in the calling test file and returns `defer(fn)`: fn runs after the
 * current test (last registered first). After each test, nothing may have escaped unhandled.
 */
export function faultHooks(options: { uncaught?: boolean } = {}): { defer: (fn: () => unknown) => void } {
  let cleanup: (() => unknown)[] = [];
  const escaped: unknown[] = [];
  const onEscape = (e: unknown) => escaped.push(e);
  beforeEach(() => {
    process.on('unhandledRejection', onEscape);
    if (options.uncaught) process.on('uncaughtException', onEscape);
  });
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    expect(escaped.splice(0)).toEqual([]);
  });
  return { defer: (fn) => void cleanup.push(fn) };
}

/** A raw TCP server on loopback whose behaviour per connection is `onSocket`; closed by `defer`. */
export async function rawServer(
  onSocket: (s: Socket, index: number) => void,
  defer: (fn: () => unknown) => void,
): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createRawServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s, sockets.length - 1);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  defer(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as { port: number }).port, server, sockets };
}

/** An igtl-rx server listening on loopback (a free port unless given), closed by `defer`. */
export async function listeningServer(defer: (fn: () => unknown) => void, options: ServerOptions = {}): Promise<IgtlServer> {
  const s = createServer({ port: 0, ...options });
  await s.listen();
  defer(() => s.close());
  return s;
}
