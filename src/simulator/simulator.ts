// A small simulated navigation set-up, served over OpenIGTLink: tracked tools (TRANSFORM,
// POSITION, TDATA, QTDATA), a tracked ultrasound image stream (IMAGE), STATUS, answers to GET_,
// STT_/STP_ and COMMAND. Built on the library's own server and operators: every client session
// is a pipeline of its requests into replies and streams, sent with `sendTo`.
import type { AddressInfo } from 'node:net';
import {
  BehaviorSubject, EMPTY, Subject, catchError, defer, endWith, filter, from, groupBy, ignoreElements, map, merge,
  mergeMap, of, share, switchMap, takeUntil, type Observable, type SchedulerLike, type Subscription,
} from 'rxjs';
import { monotonicScheduler } from '../connection/scheduler.js';
import { wallClockMs } from '../protocol/clock.js';
import { ofType, sendTo } from '../../operators/index.js';
import { createImageContent } from '../protocol/messages/image.js';
import { StatusCode } from '../protocol/messages/status.js';
import { createMessage, IDENTITY } from '../protocol/message.js';
import { metadataOf, type Metadata } from '../protocol/metadata.js';
import { baseType, queryPrefix, rtsReplyType } from '../protocol/query-names.js';
import { Timestamp } from '../protocol/timestamp.js';
import { wireType, type CommandMessage, type HeaderVersion, type IgtlMessage } from '../protocol/types.js';
import { createServer, type IgtlServer, type IgtlSession, type ServerOptions } from '../transport/server.js';
import { ticks } from './clock.js';
import { commandAttributes, commandReply, runCommand, SIMULATOR_COMMANDS, type CommandContext } from './commands.js';
import { createImageSource, type ImageSource } from './image-source.js';
import { MAX_RECEIVED_NAMES, ReceivedStore } from './received-store.js';
import { checkOutOfView, lostSince, OUT_OF_VIEW_STATUS, type LostToolPolicy, type OutOfView } from './out-of-view.js';
import { createTrajectory, DEFAULT_TOOLS, type Pose, type ToolSpec, type Trajectory } from './trajectories.js';

/** The streams the simulator can send. */
export type SimulatedStream = 'TRANSFORM' | 'POSITION' | 'TDATA' | 'QTDATA' | 'IMAGE' | 'STATUS';

/** Every {@link SimulatedStream}. */
export const SIMULATED_STREAMS: readonly SimulatedStream[] = ['TRANSFORM', 'POSITION', 'TDATA', 'QTDATA', 'IMAGE', 'STATUS'];

/** Highest tracking rate, Hz. */
export const MAX_TRACKING_RATE_HZ = 1000;
/** Highest image rate, Hz. */
export const MAX_IMAGE_RATE_HZ = 100;

/** Options of {@link createSimulator}. Server options (host, port, TLS, maxClients, ...) pass through. */
export interface SimulatorOptions extends Omit<ServerOptions, 'housekeeping'> {
  /** Seed of trajectories and images (default 1): the same seed gives the same data. */
  readonly seed?: number;
  /** The tools (default Stylus, Probe, Reference; a tool named Reference is static). */
  readonly tools?: readonly (ToolSpec | string)[];
  /** Rate of TRANSFORM, POSITION, TDATA and QTDATA streams, Hz (default 60, at most 1000). */
  readonly trackingRateHz?: number;
  /** Rate of the IMAGE stream, Hz (default 10, at most 100). */
  readonly imageRateHz?: number;
  /** Image width and height in pixels (default 256 x 256). */
  readonly imageSize?: readonly [number, number];
  /** Pixel spacing of the image, mm (default 0.2). */
  readonly imageSpacingMm?: number;
  /** Interval of the STATUS stream, ms (default 1000). */
  readonly statusIntervalMs?: number;
  /**
   * Streams every client gets from the moment it connects, without asking (default TRANSFORM and
   * STATUS). A client stops one with STP_<type> and restarts it with STT_<type>.
   */
  readonly streams?: readonly SimulatedStream[];
  /** Device name of TDATA and QTDATA (default `Tracker`). */
  readonly trackerName?: string;
  /**
   * Tools that leave the tracker's view now and then: out of view for the last `forMs` of every
   * `everyMs` of simulation time (default none). See `lostTools` for what is sent meanwhile.
   */
  readonly outOfView?: readonly OutOfView[];
  /**
   * A tool out of view: `'omit'` (default) sends nothing for it, as PlusServer does by default,
   * but in POSITION (PLUS sends every POSITION, a lost tool's at the origin with `TransformStatus`
   * OUT_OF_VIEW, whatever SendValidTransformsOnly says);
   * `'send'` sends it as PlusServer does with SendValidTransformsOnly="FALSE": TRANSFORM with
   * the identity, POSITION at the origin, TDATA/QTDATA with its last pose, and every pose's
   * status in v3 metadata (`TransformStatus` OUT_OF_VIEW or OK, `<name>Status` in TDATA/QTDATA).
   */
  readonly lostTools?: LostToolPolicy;
  /** Device name of the IMAGE stream (default `Ultrasound`). */
  readonly imageName?: string;
  /** Device name of STATUS (default `Simulator`). */
  readonly statusName?: string;
  /**
   * Wall-clock time (ms since 1970) of simulation time 0, used for message timestamps (default:
   * the scheduler's time at `start()`, which for the default scheduler is the wall clock). Tests
   * on a virtual-time scheduler, whose clock starts at 0, pass a fixed value.
   */
  readonly epochMs?: number;
  /** Scheduler of every stream (default `monotonicScheduler`; tests pass a virtual-time one). */
  readonly scheduler?: SchedulerLike;
}

/** What happens in the simulator, for logs. */
export type SimulatorEvent =
  | { readonly kind: 'connected'; readonly client: string }
  /** The client's connection ended: `reason` when it failed (reset, dropped for not reading), none for a clean close. */
  | { readonly kind: 'left'; readonly client: string; readonly received: number; readonly reason?: string }
  /**
   * The first message of a (type, device name) that a client sends (data the simulator stores).
   * Each client's names are remembered up to 1000: past that the oldest is forgotten, and
   * announced again if it comes back.
   */
  | { readonly kind: 'receiving'; readonly client: string; readonly type: string; readonly deviceName: string }
  | { readonly kind: 'stream'; readonly client: string; readonly stream: SimulatedStream; readonly action: 'started' | 'stopped'; readonly periodMs: number | undefined }
  | { readonly kind: 'query'; readonly client: string; readonly type: string; readonly deviceName: string; readonly answered: number }
  | { readonly kind: 'command'; readonly client: string; readonly name: string; readonly status: string };

/** A stream start or stop requested by a client (or the defaults at connect). */
interface StreamControl {
  readonly stream: SimulatedStream;
  readonly start: boolean;
  /** Period asked for with STT_TDATA/STT_QTDATA resolution; undefined = the simulator's rate. */
  readonly periodMs: number | undefined;
}

// The streams STT_/STP_ control and GET_ reads, by base type (query names: protocol/query-names.ts).
const QUERYABLE_STREAMS: ReadonlySet<string> = new Set<SimulatedStream>(['TRANSFORM', 'POSITION', 'TDATA', 'QTDATA', 'IMAGE']);

/** The stream a GET_/STT_/STP_ type name is about (`STT_TRANS` -> TRANSFORM), if the simulator has it. */
function streamOf(typeName: string): SimulatedStream | undefined {
  const base = baseType(typeName);
  return QUERYABLE_STREAMS.has(base) ? (base as SimulatedStream) : undefined;
}

function checkRate(what: string, hz: number, max: number): number {
  if (!(Number.isFinite(hz) && hz > 0 && hz <= max)) throw new RangeError(`${what} must be in (0, ${max}] Hz, got ${hz}`);
  return hz;
}

/**
 * An OpenIGTLink server that behaves like a small navigation set-up: several tools moving on
 * smooth, seeded trajectories, a tracked ultrasound image stream and status messages.
 *
 * - Every client gets the `streams` (default TRANSFORM per tool at 60 Hz, and STATUS every second)
 *   from the moment it connects; `STT_<type>` starts a stream (TRANSFORM as `STT_TRANS`, POSITION,
 *   TDATA, QTDATA, IMAGE), `STP_<type>` stops it; both are answered with `RTS_<type>` status 0.
 *   STT_TDATA/STT_QTDATA with a resolution > 0 set that client's period.
 * - `GET_<type>` is answered with the message of that device name (empty name = every one):
 *   TRANSFORM and POSITION per tool, TDATA/QTDATA (`Tracker`), IMAGE (`Ultrasound`), IMGMETA,
 *   STATUS; also any message a client sent earlier (the simulator keeps the newest of each type
 *   and name). Nothing to answer: `RTS_<type>` status 1.
 * - COMMANDs: `Version` (server housekeeping), `GetFrameRate`/`SetFrameRate` (image rate),
 *   `GetTrackingRate`/`SetTrackingRate`, `StartRecording`/`StopRecording` (simulated),
 *   `GetTransform` (`TransformName`), `RequestDeviceIds`; any other name fails with
 *   `Status="FAIL"` and an `Error`. `GET_CAPABIL` lists what the simulator handles.
 * - Streams go `latest` for a client that falls behind: it gets the newest sample of each
 *   device instead of a growing backlog, and never slows the others.
 * - All samples are pure functions of simulation time (poses from {@link createTrajectory},
 *   frames from {@link createImageSource}), ticks are aligned to multiples of the period from the
 *   start, and timestamps are the ticks' due times: the same seed gives the same data, and every
 *   client sees the same sample for the same time.
 *
 * @example
 * const sim = createSimulator({ port: 0, trackingRateHz: 100 });
 * const { port } = await sim.start();
 * // ... connectTcp({ port }) ...
 * await sim.stop();
 */
export class Simulator {
  /** The underlying server (sessions, broadcast). */
  readonly server: IgtlServer;
  /** The tools' trajectories, in the order given. */
  readonly trajectories: readonly Trajectory[];
  /** The image source. */
  readonly images: ImageSource;
  /** Log-worthy events: clients connecting and leaving, streams, queries, commands. */
  readonly events$: Observable<SimulatorEvent>;

  private readonly scheduler: SchedulerLike;
  private readonly trackingRate$: BehaviorSubject<number>;
  private readonly imageRate$: BehaviorSubject<number>;
  private readonly eventSubject = new Subject<SimulatorEvent>();
  /** What clients sent, for GET_ (bounded: received-store.ts). */
  private readonly received = new ReceivedStore();
  private readonly cache = new Map<SimulatedStream, { t: number; messages: readonly IgtlMessage[] }>();
  private readonly sessionsSub: Subscription;
  private readonly defaults: readonly SimulatedStream[];
  private readonly spacing: number;
  /** `outOfView` by tool name. */
  private readonly outOfView: ReadonlyMap<string, OutOfView>;
  private readonly lostTools: LostToolPolicy;
  private origin = 0;
  private epochMs = 0;
  private recording: CommandContext['recording'];
  private started = false;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.scheduler = options.scheduler ?? monotonicScheduler;
    const seed = options.seed ?? 1;
    const tools = options.tools ?? DEFAULT_TOOLS;
    if (tools.length === 0) throw new RangeError('the simulator needs at least one tool');
    this.trajectories = tools.map((t) => createTrajectory(t, seed));
    const names = new Set(this.trajectories.map((t) => t.name));
    if (names.size !== this.trajectories.length) throw new RangeError('tool names must be unique');
    this.trackingRate$ = new BehaviorSubject(checkRate('trackingRateHz', options.trackingRateHz ?? 60, MAX_TRACKING_RATE_HZ));
    this.imageRate$ = new BehaviorSubject(checkRate('imageRateHz', options.imageRateHz ?? 10, MAX_IMAGE_RATE_HZ));
    const [width, height] = options.imageSize ?? [256, 256];
    this.images = createImageSource({ width, height, seed });
    this.spacing = options.imageSpacingMm ?? 0.2;
    const statusInterval = options.statusIntervalMs ?? 1000;
    if (!(statusInterval > 0)) throw new RangeError(`statusIntervalMs must be > 0, got ${statusInterval}`);
    this.defaults = options.streams ?? ['TRANSFORM', 'STATUS'];
    for (const s of this.defaults) if (!SIMULATED_STREAMS.includes(s)) throw new RangeError(`unknown stream ${JSON.stringify(s)}`);
    for (const spec of options.outOfView ?? []) checkOutOfView(spec, [...names]);
    this.outOfView = new Map((options.outOfView ?? []).map((spec) => [spec.tool, spec]));
    this.lostTools = options.lostTools ?? 'omit';
    if (this.lostTools !== 'omit' && this.lostTools !== 'send') throw new RangeError(`lostTools must be 'omit' or 'send', got ${JSON.stringify(this.lostTools)}`);
    this.events$ = this.eventSubject.asObservable();
    const {
      seed: _s, tools: _t, trackingRateHz: _r, imageRateHz: _i, imageSize: _z, imageSpacingMm: _p, statusIntervalMs: _st, streams: _d, trackerName: _tn,
      imageName: _in, statusName: _sn, epochMs: _e, outOfView: _o, lostTools: _l, ...serverOptions
    } = options;
    this.server = createServer({
      ...serverOptions,
      // GET_STATUS is answered here (with the simulator's status); GET_CAPABIL and the Version
      // COMMAND by the server's housekeeping.
      housekeeping: { status: false, serverName: 'igtl-rx simulate', capabilities: this.capabilities() },
    });
    this.sessionsSub = this.server.sessions$.subscribe((session) => this.serve(session));
  }

  /** Tracking rate in Hz (changes apply to running streams at once). */
  get trackingRateHz(): number {
    return this.trackingRate$.value;
  }

  set trackingRateHz(hz: number) {
    this.trackingRate$.next(checkRate('trackingRateHz', hz, MAX_TRACKING_RATE_HZ));
  }

  /** Image rate in Hz (changes apply to running streams at once). */
  get imageRateHz(): number {
    return this.imageRate$.value;
  }

  set imageRateHz(hz: number) {
    this.imageRate$.next(checkRate('imageRateHz', hz, MAX_IMAGE_RATE_HZ));
  }

  /** Device names: TDATA/QTDATA, IMAGE, STATUS. */
  get trackerName(): string {
    return this.options.trackerName ?? 'Tracker';
  }

  get imageName(): string {
    return this.options.imageName ?? 'Ultrasound';
  }

  get statusName(): string {
    return this.options.statusName ?? 'Simulator';
  }

  /** The bound address (after `start`). */
  get address(): AddressInfo {
    return this.server.address;
  }

  /** Starts listening; simulation time 0 is now. Resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    if (this.started) return this.address;
    this.started = true;
    this.origin = this.scheduler.now();
    this.epochMs = this.options.epochMs ?? (this.scheduler === monotonicScheduler ? wallClockMs() : this.origin);
    return this.server.listen();
  }

  /** Closes every session and stops listening. */
  async stop(): Promise<void> {
    this.sessionsSub.unsubscribe();
    await this.server.close();
    this.eventSubject.complete();
  }

  /** Simulation time now, ms since `start()`. */
  now(): number {
    return this.scheduler.now() - this.origin;
  }

  /** The timestamp of simulation time `t` (ms). */
  timestampAt(t: number): Timestamp {
    return Timestamp.fromMillis(Math.max(0, this.epochMs + t));
  }

  /** The pose of a tool at simulation time `t` (ms), or undefined for an unknown tool. */
  poseAt(tool: string, t: number): Pose | undefined {
    return this.trajectories.find((tr) => tr.name === tool)?.poseAt(t / 1000);
  }

  /**
   * The messages of one stream at simulation time `t` (ms): one TRANSFORM or POSITION per tool,
   * one TDATA/QTDATA with every tool, one IMAGE, one STATUS. Pure apart from a one-entry cache
   * per stream, so that all clients ticking at the same time share the work.
   */
  messagesAt(stream: SimulatedStream, t: number): readonly IgtlMessage[] {
    const hit = this.cache.get(stream);
    if (hit && hit.t === t) return hit.messages;
    const messages = this.build(stream, t);
    this.cache.set(stream, { t, messages });
    return messages;
  }

  // ---------------------------------------------------------------------------------------------

  /** When `tool` went out of view, if it is out of view at simulation time `t` (ms). */
  private lostAt(tool: string, t: number): number | undefined {
    const spec = this.outOfView.get(tool);
    return spec && lostSince(spec, t);
  }

  /** The tools as sent at `t`: the lost ones left out (`omit`) or marked with when they were lost. */
  private toolsAt(t: number): { readonly tr: Trajectory; readonly lost: number | undefined }[] {
    const out: { tr: Trajectory; lost: number | undefined }[] = [];
    for (const tr of this.trajectories) {
      const lost = this.lostAt(tr.name, t);
      if (lost === undefined || this.lostTools === 'send') out.push({ tr, lost });
    }
    return out;
  }

  /** Whether poses carry PLUS's status metadata: only when lost tools are sent marked. */
  private get marksStatus(): boolean {
    return this.lostTools === 'send' && this.outOfView.size > 0;
  }

  /**
   * TRANSFORM/POSITION status metadata, as PackTransformMessage/PackPositionMessage write it.
   * POSITION carries it whenever tools can be lost (`always`): PLUS sends a lost tool's POSITION
   * whatever SendValidTransformsOnly says (see build()).
   */
  private poseStatus(lost: number | undefined, withValid: boolean, always = false): { metadata?: Metadata } {
    if (!this.marksStatus && !(always && this.outOfView.size > 0)) return {};
    const status = lost === undefined ? 'OK' : OUT_OF_VIEW_STATUS;
    return { metadata: metadataOf(withValid ? { TransformValid: lost === undefined ? '1' : '0', TransformStatus: status } : { TransformStatus: status }) };
  }

  /** TDATA/QTDATA status metadata, as PackTrackingDataMessage writes it: `<name>Status`, `<name>Index`. */
  private elementStatus(tools: readonly { readonly tr: Trajectory; readonly lost: number | undefined }[]): { metadata?: Metadata } {
    if (!this.marksStatus) return {};
    const entries: [string, string][] = [];
    tools.forEach(({ tr, lost }, i) => entries.push([`${tr.name}Status`, lost === undefined ? 'OK' : OUT_OF_VIEW_STATUS], [`${tr.name}Index`, String(i)]));
    return { metadata: metadataOf(entries) };
  }

  private build(stream: SimulatedStream, t: number): readonly IgtlMessage[] {
    const timestamp = this.timestampAt(t);
    const seconds = t / 1000;
    // A lost tool's pose: the identity in TRANSFORM/POSITION, its last pose in TDATA/QTDATA (PLUS).
    const lastPose = (tr: Trajectory, lost: number | undefined) => tr.poseAt((lost ?? t) / 1000);
    switch (stream) {
      case 'TRANSFORM':
        return this.toolsAt(t).map(({ tr, lost }) =>
          createMessage('TRANSFORM', { matrix: lost === undefined ? tr.poseAt(seconds).matrix : IDENTITY }, { deviceName: tr.name, timestamp, ...this.poseStatus(lost, true) }));
      case 'POSITION':
        // Every tool, lost or not, whatever the policy: PlusLib's PackPositionMessage
        // (vtkPlusIgtlMessageFactory.cxx), unlike PackTransformMessage and PackTrackingDataMessage,
        // has no SendValidTransformsOnly check, so even PLUS's default sends a lost tool's POSITION,
        // at the origin (GetIgtlMatrix's identity) and marked only by TransformStatus.
        return this.trajectories.map((tr) => {
          const lost = this.lostAt(tr.name, t);
          const p = tr.poseAt(seconds);
          const content = lost === undefined ? { position: p.position, quaternion: p.quaternion } : { position: [0, 0, 0] as const, quaternion: [0, 0, 0, 1] as const };
          return createMessage('POSITION', content, { deviceName: tr.name, timestamp, ...this.poseStatus(lost, false, true) });
        });
      case 'TDATA': {
        const tools = this.toolsAt(t);
        return [
          createMessage('TDATA', { elements: tools.map(({ tr, lost }) => ({ name: tr.name, type: tr.trackingType, matrix: lastPose(tr, lost).matrix })) }, { deviceName: this.trackerName, timestamp, ...this.elementStatus(tools) }),
        ];
      }
      case 'QTDATA': {
        const tools = this.toolsAt(t);
        return [
          createMessage(
            'QTDATA',
            {
              elements: tools.map(({ tr, lost }) => {
                const p = lastPose(tr, lost);
                return { name: tr.name, type: tr.trackingType, position: p.position, quaternion: p.quaternion };
              }),
            },
            { deviceName: this.trackerName, timestamp, ...this.elementStatus(tools) },
          ),
        ];
      }
      case 'IMAGE':
        return [this.imageAt(t, timestamp)];
      case 'STATUS':
        return [createMessage('STATUS', { code: StatusCode.OK, subcode: 0n, errorName: 'OK', statusMessage: this.statusText() }, { deviceName: this.statusName, timestamp })];
    }
  }

  /** The image at `t`, placed in the tracker frame under the Probe (when there is one). */
  private imageAt(t: number, timestamp: Timestamp): IgtlMessage {
    const { width, height } = this.images;
    const probe = this.trajectories.find((tr) => tr.name === 'Probe') ?? this.trajectories.find((tr) => !tr.static);
    const m = probe ? probe.poseAt(t / 1000).matrix : [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    // The image hangs below the probe face: i along the probe's x axis, j (depth) along its y axis,
    // the top row centred on the probe's origin.
    const x: [number, number, number] = [m[0]!, m[4]!, m[8]!];
    const y: [number, number, number] = [m[1]!, m[5]!, m[9]!];
    const z: [number, number, number] = [m[2]!, m[6]!, m[10]!];
    const half = ((width - 1) / 2) * this.spacing;
    const corner: [number, number, number] = [m[3]! - x[0] * half, m[7]! - x[1] * half, m[11]! - x[2] * half];
    const content = createImageContent({
      data: this.images.frameAt(t / 1000),
      size: [width, height, 1],
      spacing: [this.spacing, this.spacing, 1],
      directions: [x, y, z],
      corner,
    });
    return createMessage('IMAGE', content, { deviceName: this.imageName, timestamp });
  }

  private statusText(): string {
    const tools = this.trajectories.map((t) => t.name).join(', ');
    const rec = this.recording ? `; recording to ${this.recording.file}` : '';
    return `Tracking ${tools} at ${this.trackingRateHz} Hz; ${this.imageName} ${this.images.width}x${this.images.height} at ${this.imageRateHz} Hz${rec}`;
  }

  /** Types listed in the CAPABILITY reply: what the simulator sends and answers. */
  private capabilities(): string[] {
    return [
      'TRANSFORM', 'POSITION', 'TDATA', 'QTDATA', 'IMAGE', 'IMGMETA', 'STATUS', 'CAPABILITY', 'COMMAND', 'RTS_COMMAND',
      'GET_TRANS', 'GET_POSITION', 'GET_TDATA', 'GET_QTDATA', 'GET_IMAGE', 'GET_IMGMETA', 'GET_STATUS', 'GET_CAPABIL',
      'STT_TRANS', 'STT_POSITION', 'STT_TDATA', 'STT_QTDATA', 'STT_IMAGE',
      'STP_TRANS', 'STP_POSITION', 'STP_TDATA', 'STP_QTDATA', 'STP_IMAGE',
    ];
  }

  /** One stream's messages at its rate, for as long as it is subscribed. */
  private source(stream: SimulatedStream, periodMs: number | undefined): Observable<IgtlMessage> {
    const period$: Observable<number> =
      periodMs !== undefined
        ? of(periodMs)
        : stream === 'IMAGE'
          ? this.imageRate$.pipe(map((hz) => 1000 / hz))
          : stream === 'STATUS'
            ? of(this.options.statusIntervalMs ?? 1000)
            : this.trackingRate$.pipe(map((hz) => 1000 / hz));
    return period$.pipe(
      switchMap((p) => ticks(p, { origin: this.origin, scheduler: this.scheduler })),
      mergeMap((t) => this.messagesAt(stream, t)),
    );
  }

  /** Serves one client: its requests become replies, its STT_/STP_ start and stop its streams. */
  private serve(session: IgtlSession): void {
    const client = `${session.remoteAddress}:${session.remotePort}`;
    this.eventSubject.next({ kind: 'connected', client });
    let count = 0;
    const incoming = session.pipe(share());
    // Why it ended, when it failed: a client dropped for not reading did not just leave.
    let reason: string | undefined;
    const end$ = incoming.pipe(
      ignoreElements(),
      catchError((err: Error) => ((reason = err.message), EMPTY)),
      endWith(true),
    );

    const controls$ = merge(
      from(this.defaults).pipe(map((stream): StreamControl => ({ stream, start: true, periodMs: undefined }))),
      incoming.pipe(mergeMap((msg) => this.control(msg))),
    ).pipe(share());

    const replies$ = merge(
      incoming.pipe(ofType('COMMAND'), mergeMap((cmd) => this.answerCommand(cmd, client))),
      incoming.pipe(mergeMap((msg) => this.answerQuery(msg, client))),
      incoming.pipe(mergeMap((msg) => this.acknowledge(msg))),
    );

    const streams$ = controls$.pipe(
      groupBy((c) => c.stream),
      mergeMap((group) =>
        group.pipe(
          switchMap((c) => {
            this.eventSubject.next({ kind: 'stream', client, stream: c.stream, action: c.start ? 'started' : 'stopped', periodMs: c.periodMs });
            return c.start ? this.source(c.stream, c.periodMs) : EMPTY;
          }),
        ),
      ),
    );

    // Data a client publishes is kept, so GET_ of its name returns it (a loopback check for
    // senders); the first message of each type and name from this client is an event. The names
    // remembered for that are bounded as the store is: unbounded, a client sending new names
    // grew them for as long as it stayed (measured: 200 000 names, +25 MB of heap).
    const seen = new Set<string>();
    const store$ = incoming.pipe(
      filter((msg) => queryPrefix(wireType(msg)) === undefined && msg.type !== 'COMMAND' && !(msg.type === 'STATUS' && msg.deviceName === '')),
      map((msg) => {
        const key = `${wireType(msg)}\u0000${msg.deviceName}`;
        if (!seen.has(key)) {
          if (seen.size >= MAX_RECEIVED_NAMES) seen.delete(seen.values().next().value!);
          seen.add(key);
          this.eventSubject.next({ kind: 'receiving', client, type: wireType(msg), deviceName: msg.deviceName });
        }
        this.received.set(key, msg);
      }),
    );

    merge(
      replies$.pipe(sendTo(session, { policy: 'lossless' })),
      // `latest`: a client that cannot keep up gets the newest pose of each tool, never a backlog.
      streams$.pipe(sendTo(session, { policy: 'latest' })),
      store$,
    )
      .pipe(takeUntil(end$))
      .subscribe({ complete: () => this.eventSubject.next({ kind: 'left', client, received: count, ...(reason === undefined ? {} : { reason }) }) });
    incoming.subscribe({ next: () => count++, error: () => {} });
  }

  /** STT_/STP_ of a stream the simulator has, as a control. */
  private control(msg: IgtlMessage): StreamControl[] {
    const type = wireType(msg);
    const prefix = queryPrefix(type);
    if (prefix !== 'STT_' && prefix !== 'STP_') return [];
    const stream = streamOf(type);
    if (!stream) return [];
    const start = prefix === 'STT_';
    let periodMs: number | undefined;
    if (start && (msg.type === 'STT_TDATA' || msg.type === 'STT_QTDATA') && msg.content.resolution > 0) {
      periodMs = Math.max(1000 / MAX_TRACKING_RATE_HZ, msg.content.resolution);
    }
    return [{ stream, start, periodMs }];
  }

  /** The RTS_ answering an STT_/STP_: status 0 for a stream the simulator has, else 1. */
  private acknowledge(msg: IgtlMessage): IgtlMessage[] {
    const type = wireType(msg);
    const prefix = queryPrefix(type);
    if (prefix !== 'STT_' && prefix !== 'STP_') return [];
    const rts = rtsReplyType(type);
    if (!rts) return [];
    const supported = streamOf(type) !== undefined;
    // RTS_POLYDATA counts 1 as success (OpenIGTLink Documents/Protocol/query.md): its failure is 0.
    const status = supported ? 0 : rts === 'RTS_POLYDATA' ? 0 : 1;
    return [createMessage(rts, { status }, this.replyHeader(msg))];
  }

  /**
   * Header fields of a reply: the request's device name and framing and, in v3 framing, its
   * MSG_ID (echoed: harmless to C++ peers, useful to others).
   */
  private replyHeader(request: IgtlMessage): { deviceName: string; timestamp: Timestamp; headerVersion: HeaderVersion; messageId: number } {
    return { deviceName: request.deviceName, timestamp: this.timestampAt(this.now()), headerVersion: request.headerVersion, messageId: request.headerVersion === 2 ? request.messageId : 0 };
  }

  /** The answer to a GET_ (empty device name = every item of the type). */
  private answerQuery(msg: IgtlMessage, client: string): IgtlMessage[] {
    const type = wireType(msg);
    if (queryPrefix(type) !== 'GET_' || type === 'GET_CAPABIL') return [];
    const base = baseType(type);
    const name = msg.deviceName;
    const now = this.now();
    const answers: IgtlMessage[] = [];
    const stream = streamOf(type) ?? (base === 'STATUS' ? 'STATUS' : undefined);
    if (stream) answers.push(...this.messagesAt(stream, now).filter((m) => name === '' || m.deviceName === name));
    if (base === 'IMGMETA' && (name === '' || name === this.imageName)) answers.push(this.imageMeta());
    for (const stored of this.received.values()) {
      if (baseType(wireType(stored)) === base && (name === '' || stored.deviceName === name)) answers.push(stored);
    }
    const header = this.replyHeader(msg);
    const replies = answers.map((a): IgtlMessage => (header.headerVersion === 2 ? { ...a, headerVersion: 2, messageId: header.messageId } : a));
    this.eventSubject.next({ kind: 'query', client, type, deviceName: name, answered: replies.length });
    if (replies.length > 0) return replies;
    const rts = rtsReplyType(type);
    return rts ? [createMessage(rts, { status: rts === 'RTS_POLYDATA' ? 0 : 1 }, header)] : [];
  }

  private imageMeta(): IgtlMessage {
    const { width, height } = this.images;
    return createMessage(
      'IMGMETA',
      {
        images: [
          {
            name: 'Simulated ultrasound',
            deviceName: this.imageName,
            modality: 'US',
            patientName: 'Phantom',
            patientId: 'SIM-0001',
            timestamp: this.timestampAt(0),
            size: [width, height, 1],
            scalarType: 3,
          },
        ],
      },
      { deviceName: this.imageName, timestamp: this.timestampAt(this.now()) },
    );
  }

  /** The RTS_COMMAND answering a COMMAND (none for `Version`: the housekeeping answers it). */
  private answerCommand(cmd: CommandMessage, client: string): Observable<IgtlMessage> {
    return defer(() => {
      const attributes = commandAttributes(cmd.content.command);
      const name = cmd.content.commandName || attributes.get('Name') || '';
      const outcome = runCommand(name, attributes, this.commandContext());
      if (!outcome) return EMPTY;
      this.eventSubject.next({ kind: 'command', client, name, status: outcome.status });
      return of(commandReply(cmd, name, outcome, this.timestampAt(this.now())));
    });
  }

  private commandContext(): CommandContext {
    // A live view of the simulator: setters validate and apply at once.
    const sim = this;
    return {
      get imageRateHz() {
        return sim.imageRateHz;
      },
      set imageRateHz(hz: number) {
        sim.imageRateHz = hz;
      },
      get trackingRateHz() {
        return sim.trackingRateHz;
      },
      set trackingRateHz(hz: number) {
        sim.trackingRateHz = hz;
      },
      maxImageRateHz: MAX_IMAGE_RATE_HZ,
      maxTrackingRateHz: MAX_TRACKING_RATE_HZ,
      tools: this.trajectories.map((t) => t.name),
      deviceIds: [this.trackerName, this.imageName],
      // A tool out of view: its last pose, and its status says so (as GetTransform of PLUS gives
      // the repository's matrix and status).
      poseOf: (tool) => {
        const t = this.now();
        return this.poseAt(tool, this.lostAt(tool, t) ?? t)?.matrix;
      },
      statusOf: (tool) => (this.lostAt(tool, this.now()) === undefined ? 'OK' : OUT_OF_VIEW_STATUS),
      get recording() {
        return sim.recording;
      },
      set recording(r) {
        sim.recording = r;
      },
      now: () => this.now(),
    };
  }
}


/**
 * Creates a {@link Simulator}; call `start()` to listen (default 127.0.0.1:18944).
 *
 * @example
 * const sim = createSimulator({ port: 0, seed: 7, streams: ['TDATA', 'IMAGE'] });
 * const { port } = await sim.start();
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  return new Simulator(options);
}

export { SIMULATOR_COMMANDS };
