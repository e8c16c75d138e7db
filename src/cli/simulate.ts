// `igtl-rx simulate`: a simulated navigation set-up served over OpenIGTLink (src/simulator).
import { firstValueFrom } from 'rxjs';
import { createSimulator, MAX_IMAGE_RATE_HZ, MAX_TRACKING_RATE_HZ, SIMULATED_STREAMS, type OutOfView, type SimulatedStream, type Simulator, type SimulatorEvent } from '../simulator/index.js';
import { fixedStringLength } from '../protocol/text.js';
import { InvalidOptionError } from '../protocol/errors.js';
import { listenFailure, parseEndpoint, parseNumber, stopWhen } from './net-helper.js';
import { CliError, stdoutGone, stdoutIsALog } from './output.js';
import { parseOptions } from './verb-helper.js';

export const usage = `usage: igtl-rx simulate [--port PORT] [--host HOST] [--rate HZ] [--streams LIST] [--tools LIST]
                        [--image-size WxH] [--image-rate HZ] [--status-interval MS] [--seed N]
                        [--out-of-view TOOL:EVERY:FOR]... [--send-lost] [--duration S] [--quiet]

Runs an OpenIGTLink server (default 127.0.0.1:18944) that behaves like a small navigation
set-up: tools moving on smooth, seeded trajectories, a tracked ultrasound-like image stream and
status messages. Every client gets the --streams from the moment it connects, and can ask for
more: STT_TRANS / STT_POSITION / STT_TDATA / STT_QTDATA / STT_IMAGE start a stream, STP_ stops
it (answered with RTS_ status 0); GET_TRANS, GET_POSITION, GET_TDATA, GET_QTDATA, GET_IMAGE,
GET_IMGMETA, GET_STATUS and GET_CAPABIL are answered (empty device name = every one); v3
COMMANDs Version, GetFrameRate, SetFrameRate (FrameRate), GetTrackingRate, SetTrackingRate
(TrackingRate), StartRecording (OutputFilename), StopRecording, GetTransform (TransformName),
RequestDeviceIds; any other command is answered with Status="FAIL". A message a client sends
is kept, so GET_<type> of its name returns it.

  --port PORT           port to listen on (default 18944; 0 picks a free one)
  --host HOST           address to bind (default 127.0.0.1; 0.0.0.0 for other machines)
  --allow ADDR|CIDR     client addresses allowed, e.g. 10.1.2.0/24 (repeatable or a,b; default
                        any): others are cut as they connect
  --rate HZ             tracking rate of TRANSFORM, POSITION, TDATA, QTDATA (default 60, up to ${MAX_TRACKING_RATE_HZ})
  --streams LIST        streams every client gets without asking, comma-separated, from
                        ${SIMULATED_STREAMS.join(', ')} (default TRANSFORM,STATUS; "none" for none)
  --tools LIST          tool names, comma-separated (default Stylus,Probe,Reference; a tool named
                        Reference stays still, the image follows the Probe)
  --image-size WxH      ultrasound image size in pixels (default 256x256)
  --image-rate HZ       image rate (default 10, up to ${MAX_IMAGE_RATE_HZ})
  --status-interval MS  time between STATUS messages (default 1000)
  --seed N              seed of trajectories and images (default 1): same seed, same data
  --out-of-view TOOL:EVERY:FOR
                        TOOL leaves the tracker's view for FOR seconds at the end of every EVERY
                        seconds (repeatable): nothing is sent for it meanwhile but its POSITION
                        (at the origin, marked OUT_OF_VIEW), as PLUS does
  --send-lost           send a tool out of view as PLUS does with SendValidTransformsOnly="FALSE":
                        the identity in TRANSFORM (origin in POSITION), its last pose in TDATA,
                        and each pose's status (OK, OUT_OF_VIEW) in v3 metadata, which a client
                        gets once it has sent v3 (monitor --announce-v3)
  --duration S          stop after S seconds (default: run until Ctrl-C)
  --quiet               print only the "listening" line, not the client activity

Output: "listening on HOST:PORT" once the server is up, then one line per client event
(connected, left, streams started and stopped, queries, commands, and the first message of
each type and device name a client sends). stdout is a log: when its reader goes (| head), the
server goes on (said once on stderr).

Exit status: 0 when stopped (Ctrl-C, SIGTERM, SIGHUP, --duration), 1 when it cannot listen (the
port is in use), 2 on usage errors.`;

function parseList(option: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new CliError(`${option} needs at least one item`, 2);
  return items;
}

function parseStreams(text: string | undefined): SimulatedStream[] | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return [];
  return parseList('--streams', text).map((s) => {
    const name = s.toUpperCase() === 'TRANS' ? 'TRANSFORM' : s.toUpperCase();
    if (!(SIMULATED_STREAMS as readonly string[]).includes(name)) throw new CliError(`--streams: unknown stream "${s}" (known: ${SIMULATED_STREAMS.join(', ')})`, 2);
    return name as SimulatedStream;
  });
}

/** The simulator, or a usage error (exit 2) for options it refuses (an --out-of-view tool that is not in --tools). */
function simulatorOrUsageError(make: () => Simulator): Simulator {
  try {
    return make();
  } catch (err) {
    // RangeError: the simulator's own options; InvalidOptionError: the server's (--allow).
    if (err instanceof RangeError || err instanceof InvalidOptionError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** `--out-of-view TOOL:EVERY:FOR` (seconds). */
function parseOutOfView(texts: readonly string[]): OutOfView[] {
  return texts.map((text) => {
    const m = /^(.+):([\d.]+):([\d.]+)$/.exec(text.trim());
    const everyMs = Number(m?.[2]) * 1000;
    const forMs = Number(m?.[3]) * 1000;
    if (!m || !(everyMs > 0 && forMs > 0 && forMs < everyMs)) throw new CliError(`--out-of-view must be TOOL:EVERY:FOR in seconds, 0 < FOR < EVERY, got "${text}"`, 2);
    return { tool: m[1]!, everyMs, forMs };
  });
}

function parseSize(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/i.exec(text.trim());
  const w = Number(m?.[1]);
  const h = Number(m?.[2]);
  if (!m || !(w >= 1 && w <= 4096 && h >= 1 && h <= 4096)) throw new CliError(`--image-size must be WIDTHxHEIGHT, each 1..4096, got "${text}"`, 2);
  return [w, h];
}

/** One log line per simulator event. */
export function describeEvent(e: SimulatorEvent): string {
  switch (e.kind) {
    case 'connected':
      return `client ${e.client} connected`;
    case 'left':
      return `client ${e.client} ${e.reason === undefined ? 'left' : `dropped: ${e.reason}`} (received ${e.received} message${e.received === 1 ? '' : 's'})`;
    case 'receiving':
      return `client ${e.client} sends ${e.type} ${JSON.stringify(e.deviceName)}`;
    case 'stream':
      return `client ${e.client} ${e.action} ${e.stream}${e.action === 'started' && e.periodMs !== undefined ? ` (every ${e.periodMs} ms)` : ''}`;
    case 'query':
      return `client ${e.client} ${e.type} ${JSON.stringify(e.deviceName)}: ${e.answered === 0 ? 'nothing to answer' : `${e.answered} answer${e.answered === 1 ? '' : 's'}`}`;
    case 'command':
      return `client ${e.client} COMMAND ${e.name}: ${e.status}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseOptions(argv, usage, {
      port: { type: 'string' },
      host: { type: 'string' },
      rate: { type: 'string' },
      streams: { type: 'string' },
      tools: { type: 'string' },
      'image-size': { type: 'string' },
      'image-rate': { type: 'string' },
      'status-interval': { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'out-of-view': { type: 'string', multiple: true },
      'send-lost': { type: 'boolean', default: false },
      allow: { type: 'string', multiple: true },
  });
  const values = v as Record<string, string | undefined> & { help: boolean; quiet: boolean };
  const outOfView = parseOutOfView((v['out-of-view'] as string[] | undefined) ?? []);
  const sendLost = v['send-lost'] as boolean;
  if (sendLost && outOfView.length === 0) throw new CliError('--send-lost is for the tools of --out-of-view (none given)', 2);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`simulate takes no positional arguments (got "${positionals[0]}")\n${usage}`, 2);
  const port = values.port === undefined ? undefined : parseEndpoint(values.port, '--port').port;
  const tools = values.tools === undefined ? undefined : parseList('--tools', values.tools);
  for (const t of tools ?? []) if (fixedStringLength(t) > 20) throw new CliError(`--tools: "${t}" is longer than a device name (20 bytes)`, 2);
  if (tools && new Set(tools).size !== tools.length) throw new CliError('--tools: names must be unique', 2);
  const trackingRateHz = parseNumber('--rate', values.rate, { above: 0, max: MAX_TRACKING_RATE_HZ });
  const imageRateHz = parseNumber('--image-rate', values['image-rate'], { above: 0, max: MAX_IMAGE_RATE_HZ });
  const statusIntervalMs = parseNumber('--status-interval', values['status-interval'], { above: 0 });
  const seed = parseNumber('--seed', values.seed, { integer: true, min: 0, max: 0xffffffff });
  const duration = parseNumber('--duration', values.duration, { above: 0 });
  const streams = parseStreams(values.streams);
  const imageSize = parseSize(values['image-size']);
  const allow = (v.allow as string[] | undefined)?.flatMap((a) => a.split(',')).map((a) => a.trim());

  const sim = simulatorOrUsageError(() => createSimulator({
    host: values.host ?? '127.0.0.1',
    port: port ?? 18944,
    ...(tools ? { tools } : {}),
    ...(trackingRateHz === undefined ? {} : { trackingRateHz }),
    ...(imageRateHz === undefined ? {} : { imageRateHz }),
    ...(statusIntervalMs === undefined ? {} : { statusIntervalMs }),
    ...(seed === undefined ? {} : { seed }),
    ...(streams ? { streams } : {}),
    ...(imageSize ? { imageSize } : {}),
    ...(allow ? { allow } : {}),
    ...(outOfView.length > 0 ? { outOfView, lostTools: sendLost ? ('send' as const) : ('omit' as const) } : {}),
  }));
  // stdout is the server's log: a reader of it that goes (`simulate | head`) must not take the
  // server, and its clients' sessions, down with it (docs/cli.md, "Conventions").
  stdoutIsALog();
  const log = (line: string) => {
    if (!stdoutGone()) process.stdout.write(`${line}\n`);
  };
  if (!values.quiet) sim.events$.subscribe((e) => log(describeEvent(e)));
  let address;
  try {
    address = await sim.start();
  } catch (err) {
    throw listenFailure(values.host ?? '127.0.0.1', port ?? 18944, err);
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log(`listening on ${host}:${address.port}`);
  if (!values.quiet) {
    const s = streams ?? ['TRANSFORM', 'STATUS'];
    log(
      `tools ${sim.trajectories.map((t) => t.name).join(', ')}; tracking ${sim.trackingRateHz} Hz; ` +
        `image "${sim.imageName}" ${sim.images.width}x${sim.images.height} at ${sim.imageRateHz} Hz; ` +
        `streams to every client: ${s.length > 0 ? s.join(', ') : 'none'}; seed ${seed ?? 1}`,
    );
    for (const o of outOfView) {
      log(`${o.tool} out of view for ${o.forMs / 1000} s of every ${o.everyMs / 1000} s: ${sendLost ? 'sent as PLUS sends a lost tool (identity, status OUT_OF_VIEW in v3 metadata)' : 'not sent meanwhile'}`);
    }
  }
  const why = await firstValueFrom(stopWhen(duration));
  if (!values.quiet) log(`stopping (${why === 'duration' ? `after ${duration} s` : why})`);
  await sim.stop();
  return 0;
}
