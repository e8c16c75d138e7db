// Captures the `debug` package's output of some namespaces as formatted lines, for tests that
// check what the library logs (and what it never logs: tokens). `defer` restores the logger and
// the namespaces enabled before.
import createDebug from 'debug';
import { format } from 'node:util';

/** Lines logged from now on under `namespaces` (e.g. 'igtl-rx:*'); restored by `defer`. */
export function captureDebugLines(namespaces: string, defer: (fn: () => unknown) => void): string[] {
  const lines: string[] = [];
  const savedLog = createDebug.log;
  const savedNamespaces = createDebug.disable();
  createDebug.log = (...args: unknown[]) => lines.push(format(...args));
  createDebug.enable(namespaces);
  defer(() => {
    createDebug.log = savedLog;
    createDebug.disable();
    if (savedNamespaces) createDebug.enable(savedNamespaces);
  });
  return lines;
}
