// Follow one tool of a tracking stream at a display-friendly rate: the pipeline docs/operators.md
// starts with. The tool may arrive inside TDATA (one element of several, as PLUS and the C++
// TrackingDataServer send it) or as a TRANSFORM of its own; both are merged and throttled together.
//
//   node <built>/examples/filter-throttle.js [host] [port] [tool] [hz] [durationMs]
import { pathToFileURL } from 'node:url';
import { lastValueFrom, merge, tap, timer, takeUntil, reduce } from 'rxjs';
import { connectTcp } from '../src/node.js';
import { ofDevice, ofElement, ofType, splitElements, throttleTracking } from '../operators/index.js';

/** Options of {@link run}. */
export interface FilterThrottleOptions {
  readonly host: string;
  readonly port: number;
  /** Tool to follow: a TDATA element name or a TRANSFORM device name (exact, glob or RegExp). */
  readonly tool: string;
  /** Most updates per second (default 30). */
  readonly hz?: number;
  /** How long to follow it, ms. */
  readonly durationMs: number;
  /** Where the update lines go (default console.log). */
  readonly print?: (line: string) => void;
}

/** What {@link run} saw. */
export interface FilterThrottleResult {
  /** Updates received (after throttling). */
  readonly received: number;
  /** Updates per second over the run. */
  readonly rateHz: number;
  /** Names of the tools that appeared (just the one asked for). */
  readonly names: readonly string[];
}

/**
 * Connects over TCP, follows one tool for `durationMs` at most `hz` updates per second, prints
 * one line per update (time, type, name, position in mm) and returns the counts.
 */
export async function run(options: FilterThrottleOptions): Promise<FilterThrottleResult> {
  const hz = options.hz ?? 30;
  const print = options.print ?? ((line: string) => console.log(line));
  const conn = connectTcp({ host: options.host, port: options.port, reconnect: false });
  const start = performance.now();

  const tool$ = merge(
    conn.pipe(ofType('TDATA'), splitElements(), ofElement(options.tool)),
    conn.pipe(ofType('TRANSFORM'), ofDevice(options.tool)),
  ).pipe(
    // One key for the tool, whichever message carries it: `hz` updates in all.
    throttleTracking(hz, { key: () => 'tool' }),
    takeUntil(timer(options.durationMs)),
  );

  const names = new Set<string>();
  const received = await lastValueFrom(
    tool$.pipe(
      tap((msg) => {
        const [name, m] = msg.type === 'TDATA' ? [msg.content.elements[0]!.name, msg.content.elements[0]!.matrix] : [msg.deviceName, msg.content.matrix];
        names.add(name);
        const t = ((performance.now() - start) / 1000).toFixed(3);
        print(`${t}s ${msg.type.padEnd(9)} ${name}  x=${m[3]!.toFixed(1)} y=${m[7]!.toFixed(1)} z=${m[11]!.toFixed(1)} mm`);
      }),
      reduce((n) => n + 1, 0),
    ),
  );
  return { received, rateHz: (received * 1000) / options.durationMs, names: [...names] };
}

// Run as a script: arguments host, port, tool, hz, durationMs.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [host = '127.0.0.1', port = '18944', tool = 'Channel 1', hz = '30', durationMs = '10000'] = process.argv.slice(2);
  run({ host, port: Number(port), tool, hz: Number(hz), durationMs: Number(durationMs) }).then(
    (r) => console.log(`${r.received} updates, ${r.rateHz.toFixed(1)} Hz, tools: ${r.names.join(', ') || '(none)'}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
