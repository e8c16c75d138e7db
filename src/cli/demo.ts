// `igtl-rx demo`: the simulator and, in the same terminal, a tracking pipeline built from the
// operators. The same pipeline, pointed at 3D Slicer or PLUS with --connect, works unchanged.
import { ignoreElements, map, merge, share, takeUntil, tap, zip, type Observable, type Subscription } from 'rxjs';
import { measureRate, ofDevice, ofElement, ofType, splitElements, stream, throttleTracking, validPoses, watchFreshness, type RateReport } from '../../operators/index.js';
import type { IgtlConnection } from '../connection/connection.js';
import type { ConnectionState } from '../connection/state.js';
import type { Matrix4 } from '../protocol/messages/vectors.js';
import { monotonicNow } from '../protocol/clock.js';
import { poseStatus, POSE_OK } from '../protocol/pose-status.js';
import type { TrackingDataMessage, TransformMessage } from '../protocol/types.js';
import { createSimulator, MAX_TRACKING_RATE_HZ, type Simulator } from '../simulator/index.js';
import { exitStatus, seconds, stateText, type Ending } from './connection-view.js';
import { ANNOUNCE_V3_OPTION, announceV3Help, connectClient, IDLE_TIMEOUT_OPTION, idleTimeoutHelp, listenFailure, openConnection, parseIdleTimeout, parseEndpoint, parseNumber, sendsWritten, stopWhen, type Endpoint } from './net-helper.js';
import { CliError, droppedLine, LineWriter, outputEnding } from './output.js';
import { loadLogUpdate } from './progress-helper.js';
import { parseOptions, watchStdout } from './verb-helper.js';
import { MAX_TIMER_MS } from '../connection/scheduler.js';

/**
 * Default of `--stale`: a tracked tool sends tens of poses a second, so a second without one is
 * a tool out of view (PLUS stops sending it), not jitter.
 */
export const DEMO_STALE_AFTER_MS = 1000;

export const usage = `usage: igtl-rx demo [--connect HOST:PORT] [--tool NAME] [--rate HZ] [--source-rate HZ]
                   [--stale MS] [--port PORT] [--duration S] [--announce-v3] [--idle-timeout MS]

Starts the simulator (unless --connect is given) and shows one tool's live position through this
pipeline of igtl-rx operators:

  stream(conn, 'TDATA')                       ask the server for tracking data (STT_TDATA)
  conn.pipe(ofType('TDATA', 'TRANSFORM'))     tracking messages only
    TDATA:     splitElements(), ofElement(TOOL)   one message per tool, keep TOOL
    TRANSFORM: ofDevice(TOOL)                     or TOOL's own TRANSFORM
  validPoses()                                drop poses the sender marks invalid (PLUS)
  throttleTracking(RATE)                      at most RATE updates per second, newest first
  measureRate()                               the rates in and out
  watchFreshness({ staleAfterMs })            no pose for MS: the last one is shown as old

  --connect HOST:PORT  use a real server (3D Slicer, PLUS, a tracker) instead of the simulator
  --tool NAME          the tool to follow: a name or a glob (default Stylus; PLUS names tools
                       like StylusToTracker)
  --rate HZ            display rate (default 30)
  --stale MS           when no pose of the tool has come for MS (default ${DEMO_STALE_AFTER_MS}: out of the
                       camera's view, say), say so: the position shown is the last one, not
                       where the tool is
  --source-rate HZ     the simulator's tracking rate (default 60, up to ${MAX_TRACKING_RATE_HZ})
  --port PORT          the simulator's port (default 18944, or a free one if that is taken)
  --duration S         stop after S seconds (default: until Ctrl-C)
${announceV3Help(23)}
${idleTimeoutHelp(23, ['(with --connect) as a lost connection: exit 4'])}

In a terminal the view refreshes in place (with a top view of the tool's path and the
connection's state); otherwise one line per update is printed, a "state: ..." line whenever
the connection's state changes (stale, closed by peer), and "TOOL: no pose for 1.0 s" /
"TOOL: live again" when the tool's poses stop and come back while the connection stays open
(with the status the sender gives, when it marks its poses not valid: PLUS, with --announce-v3).

Exit status: 0 after --duration or when the reader of stdout goes (| head); 130 on Ctrl-C (143 on SIGTERM, 129 on SIGHUP), once STP_TDATA is sent; 3 when
the server closed the connection, 4 when it was lost otherwise (--idle-timeout too); 1 when it
cannot connect; 2 on usage errors.`;

/** The tool's pose as the pipeline delivers it, whatever message it came in. */
interface ToolPose {
  readonly matrix: Matrix4;
  readonly source: string;
}

/**
 * The demo's pipeline, apart from the display: the tool's poses, throttled, and the rates in
 * and out. Subscribing asks the server for TDATA (STT_TDATA); unsubscribing stops it (STP_TDATA).
 */
export function trackTool(
  conn: IgtlConnection,
  tool: string,
  rateHz: number,
  intervalMs = 1000,
  staleAfterMs = DEMO_STALE_AFTER_MS,
): { poses: Observable<ToolPose>; rates: Observable<{ in: number; out: number }>; freshness: Observable<ToolFreshness> } {
  const tracking = conn.pipe(ofType('TDATA', 'TRANSFORM'), share());
  /** The status of the tool's newest pose as its sender gave it (PLUS: OUT_OF_VIEW, MISSING...). */
  let lastStatus: string | undefined;
  // A pose the sender marks invalid is not a pose (PLUS sends the identity for a lost tool): it
  // is dropped, so the tool goes stale as if it had stopped, and the status says why.
  const tool$ = merge(
    tracking.pipe(ofType('TDATA'), splitElements(), ofElement(tool)),
    tracking.pipe(ofType('TRANSFORM'), ofDevice(tool)),
  ).pipe(
    tap((m) => (lastStatus = poseStatus(m))),
    validPoses(),
    share(),
  );
  const shown = tool$.pipe(throttleTracking(rateHz), share());
  const total = (r: RateReport) => [...r.rates.values()].reduce((s, x) => s + x.hz, 0);
  // `stream` sends STT_TDATA while the poses are watched, STP_TDATA after; its messages come
  // through `tracking` too, so here it only starts and stops the stream.
  const poses = merge(stream(conn, 'TDATA').pipe(ignoreElements()), shown.pipe(map(poseOf)));
  const rates = zip(tool$.pipe(measureRate({ intervalMs })), shown.pipe(measureRate({ intervalMs }))).pipe(
    map(([a, b]) => ({ in: total(a), out: total(b) })),
  );
  // Before the throttle: a pose that arrived is fresh even when the display skipped it. One key
  // for the tool, whichever message (TDATA element or TRANSFORM) carried it.
  const freshness = tool$.pipe(
    watchFreshness<TrackingDataMessage | TransformMessage>({ staleAfterMs, key: () => tool }),
    map((c): ToolFreshness => ({ stale: c.stale, at: c.at, lastSeen: c.lastSeen, ...(c.stale && lastStatus !== undefined && lastStatus !== POSE_OK ? { status: lastStatus } : {}) })),
  );
  return { poses, rates, freshness };
}

/** The tool going stale (no pose for `staleAfterMs`) or live again. */
interface ToolFreshness {
  readonly stale: boolean;
  /** When it changed (ms since 1970). */
  readonly at: number;
  /** When its last pose arrived (ms since 1970). */
  readonly lastSeen: number;
  /** When stale: the status the sender gives the poses it still sends, when not OK (PLUS: `OUT_OF_VIEW`...). */
  readonly status?: string;
}

function poseOf(m: TrackingDataMessage | TransformMessage): ToolPose {
  if (m.type === 'TRANSFORM') return { matrix: m.content.matrix, source: `TRANSFORM "${m.deviceName}"` };
  const e = m.content.elements[0]!;
  return { matrix: e.matrix, source: `TDATA "${m.deviceName}" / ${e.name}` };
}

const f = (v: number) => v.toFixed(2).padStart(8);

/** A top view (x right, y up) of the recent path, auto-scaled: `.` trail, `@` now. */
function topView(path: readonly (readonly [number, number])[], width = 48, height = 12): string[] {
  if (path.length === 0) return [];
  const xs = path.map((p) => p[0]);
  const ys = path.map((p) => p[1]);
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0, 10);
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  [x0, x1, y0, y1] = [cx - span / 2, cx + span / 2, cy - span / 2, cy + span / 2];
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  path.forEach(([x, y], i) => {
    const c = Math.min(width - 1, Math.max(0, Math.round(((x - x0) / (x1 - x0)) * (width - 1))));
    const r = Math.min(height - 1, Math.max(0, Math.round(((y1 - y) / (y1 - y0)) * (height - 1))));
    grid[r]![c] = i === path.length - 1 ? '@' : '.';
  });
  return [`+${'-'.repeat(width)}+  top view, ${span.toFixed(0)} mm across`, ...grid.map((row) => `|${row.join('')}|`), `+${'-'.repeat(width)}+`];
}

async function startSimulator(port: number | undefined, sourceRate: number): Promise<{ sim: Simulator; endpoint: Endpoint }> {
  const make = (p: number) => createSimulator({ port: p, trackingRateHz: sourceRate, streams: ['STATUS'] });
  let sim = make(port ?? 18944);
  try {
    await sim.start();
  } catch (err) {
    if (port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenFailure('127.0.0.1', port ?? 18944, err);
    // 18944 is taken (a real server, or another simulator): any free port will do for the demo.
    sim = make(0);
    await sim.start();
  }
  return { sim, endpoint: { host: '127.0.0.1', port: sim.address.port } };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, usage, {
    connect: { type: 'string' },
    tool: { type: 'string' },
    rate: { type: 'string' },
    'source-rate': { type: 'string' },
    port: { type: 'string' },
    duration: { type: 'string' },
    stale: { type: 'string' },
    ...ANNOUNCE_V3_OPTION,
    ...IDLE_TIMEOUT_OPTION,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`demo takes no positional arguments\n${usage}`, 2);
  const tool = (values.tool as string | undefined) ?? 'Stylus';
  const rateHz = parseNumber('--rate', values.rate as string | undefined, { above: 0, max: 1000 }) ?? 30;
  const sourceRate = parseNumber('--source-rate', values['source-rate'] as string | undefined, { above: 0, max: MAX_TRACKING_RATE_HZ }) ?? 60;
  const port = values.port === undefined ? undefined : parseEndpoint(values.port as string, '--port').port;
  const duration = parseNumber('--duration', values.duration as string | undefined, { above: 0 });
  const staleAfterMs = parseNumber('--stale', values.stale as string | undefined, { above: 0, max: MAX_TIMER_MS }) ?? DEMO_STALE_AFTER_MS;
  if (values.connect !== undefined && (values.port !== undefined || values['source-rate'] !== undefined)) {
    throw new CliError('--port and --source-rate are for the simulator; with --connect there is none', 2);
  }
  // The simulator never falls silent; a real server may (accepted, then hung): only there.
  if (values['idle-timeout'] !== undefined && values.connect === undefined) throw new CliError('--idle-timeout is for a server of --connect, not the simulator', 2);
  const idleTimeoutMs = parseIdleTimeout(values['idle-timeout'] as string | undefined);

  // In a terminal the view is redrawn in place (log-update, an optional package); else lines.
  const logUpdate = process.stdout.isTTY === true ? await loadLogUpdate() : undefined;
  const tty = logUpdate !== undefined;
  let sim: Simulator | undefined;
  let endpoint: Endpoint;
  if (values.connect !== undefined) endpoint = parseEndpoint(values.connect as string, '--connect');
  else ({ sim, endpoint } = await startSimulator(port, sourceRate));
  const out = new LineWriter(process.stdout, { droppedLine: droppedLine(false) });
  watchStdout();
  const where = sim ? `simulator on ${endpoint.host}:${endpoint.port} (${sourceRate} Hz, seed 1)` : `${endpoint.host}:${endpoint.port}`;
  out.line(`igtl-rx demo: following "${tool}" from ${where}, shown at up to ${rateHz} Hz (Ctrl-C to stop)`);
  await out.flush();

  const conn = connectClient(endpoint, { announceV3: values['announce-v3'] as boolean, idleTimeoutMs });
  try {
    await openConnection(conn, endpoint);
  } catch (err) {
    await sim?.stop();
    throw err;
  }
  const stop$ = stopWhen(duration, { stdout: true }).pipe(share());
  let ending: Ending | undefined;
  const subs: Subscription[] = [stop$.subscribe((why) => (ending ??= { by: 'stop', why }))];
  const { poses, rates, freshness } = trackTool(conn, tool, rateHz, tty ? 500 : 1000, staleAfterMs);
  let rate = { in: 0, out: 0 };
  let last: ToolPose | undefined;
  /** When the tool's last pose arrived, while it is stale (no pose for staleAfterMs). */
  let staleSince: number | undefined;
  /** Why, when its sender says (PLUS's tool status). */
  let staleStatus: string | undefined;
  let state: ConnectionState = conn.state;
  let stateAt = monotonicNow();
  const path: [number, number][] = [];
  const render = () => {
    const head = `igtl-rx demo: "${tool}" from ${where}`;
    const pipeline = `stream(TDATA) | ofType | splitElements | ofElement("${tool}") | throttleTracking(${rateHz}) | measureRate`;
    const connection = `connection: ${stateText(state, monotonicNow() - stateAt)}`;
    if (!last) return [head, pipeline, connection, '', `waiting for "${tool}"...`].join('\n');
    const m = last.matrix;
    // A stale pose stays on screen (where the tool was last seen) but says it is old.
    const age = staleSince === undefined ? '' : `   NOT LIVE: no pose for ${seconds(monotonicNow() - staleSince)}${staleStatus ? ` (${staleStatus})` : ''}`;
    return [
      head,
      pipeline,
      connection,
      '',
      `  ${tool}  x ${f(m[3]!)}   y ${f(m[7]!)}   z ${f(m[11]!)}  mm      from ${last.source}${age}`,
      `  rate  in ${rate.in.toFixed(1).padStart(6)} Hz  ->  out ${rate.out.toFixed(1).padStart(6)} Hz`,
      '',
      ...topView(path),
    ].join('\n');
  };
  subs.push(
    conn.state$.subscribe((s) => {
      state = s;
      stateAt = monotonicNow();
      if (s.kind === 'closed') ending ??= { by: 'close', reason: s.reason };
      // In a terminal the next refresh (50 ms) shows it; otherwise one line per change.
      if (!tty && s.kind !== 'idle') out.line(`state: ${stateText(s)}`);
    }),
  );
  const refresh = logUpdate ? setInterval(() => logUpdate(render()), 50) : undefined;
  // Without a terminal the lines go to a pipe or a log: live, not at exit.
  const stopFlushing = out.flushEvery();
  await new Promise<void>((resolve) => {
    subs.push(
      rates.pipe(takeUntil(stop$)).subscribe({
        next: (r) => {
          rate = r;
          if (!tty) out.line(`rate in ${r.in.toFixed(1)} Hz, out ${r.out.toFixed(1)} Hz`);
        },
        // The connection ending is shown (and exited on) through its state.
        error: () => undefined,
      }),
      freshness.pipe(takeUntil(stop$)).subscribe({
        next: (c) => {
          const was = staleSince !== undefined;
          staleSince = c.stale ? c.lastSeen : undefined;
          staleStatus = c.status;
          if (tty) return;
          const why = c.status ? `the sender says ${c.status}; ` : '';
          if (c.stale) out.line(`${tool}: no pose for ${seconds(c.at - c.lastSeen)} (${why}the last one is shown as it was)`);
          else if (was) out.line(`${tool}: live again`);
        },
        error: () => undefined,
      }),
      poses.pipe(takeUntil(stop$)).subscribe({
        next: (p) => {
          last = p;
          path.push([p.matrix[3]!, p.matrix[7]!]);
          if (path.length > 120) path.shift();
          if (!tty) out.line(`${tool} x=${p.matrix[3]!.toFixed(2)} y=${p.matrix[7]!.toFixed(2)} z=${p.matrix[11]!.toFixed(2)} mm (${p.source})`);
        },
        error: () => resolve(),
        complete: () => resolve(),
      }),
    );
  });
  // Ending, whatever ended it (the connection closing too): its status holds from here.
  outputEnding();
  // Unsubscribing the poses sent STP_TDATA: let it be written (at most 1 s), then close.
  for (const sub of subs) sub.unsubscribe();
  stopFlushing();
  await sendsWritten(conn, 1000);
  if (refresh) clearInterval(refresh);
  if (logUpdate) {
    logUpdate(render());
    logUpdate.done();
  }
  conn.close();
  await sim?.stop();
  await out.end();
  return exitStatus(ending ?? { by: 'close', reason: undefined }, `${endpoint.host}:${endpoint.port}`);
}
