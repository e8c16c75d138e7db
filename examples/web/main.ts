// The igtl-rx workbench: a live page for any OpenIGTLink peer, through `igtl-rx bridge` (which
// serves it). A 3D view of the tracked tools and the (tracked) ultrasound image, a 2D image
// panel, every device with its rate and bandwidth, a live inspector, rate and bandwidth over
// time, STATUS, and the state of the bridge and of the tracker behind it.
//
// Built on the library's own operators, so it is also a showcase of the API: ofType, ofDevice,
// splitElements, throttleTracking (poses drawn at the display rate), measureRate (device
// rates), watchFreshness (a tool, an image or a device row that stops is drawn stale),
// pairByTimestamp (each image with the probe pose of its time). In an app of your own the
// imports read `from 'igtl-rx'` and `from 'igtl-rx/operators'`; the workbench imports the sources
// so that it always runs against the code in this repository.
//
// Query parameters: see README.md (bridge, token (better: #token=), type, device, rate, hz, probe, stale,
// deviceStale, window, level, image).
import 'uplot/dist/uPlot.min.css';
import { Subject, distinct, filter, map, share, switchMap } from 'rxjs';
import { connectWebSocket, fullDeviceName, monotonicNow, wireType, type IgtlMessage, type ImageMessage } from '../../src/index.js';
import { ofDevice, ofType, pairByTimestamp, splitElements, throttleTracking, validPoses, watchFreshness } from '../../operators/index.js';
import { DeviceList } from './devices.js';
import { FilterBar } from './filters.js';
import { FrameLoop } from './frame-loop.js';
import { Freshness } from './freshness.js';
import { Header } from './header.js';
import { ImagePanel } from './image-panel.js';
import { Inspector } from './inspector.js';
import { bridgeUrl, pageUrlWith, readParams, tokenAsSubprotocol, tokenOutOfAddressBar, type BridgeFilter } from './params.js';
import { TRACKING_TYPES, poseOf, toolOf, type Mat4 } from './poses.js';
import { SceneView } from './scene.js';
import { StatusList } from './status.js';
import { TrafficChart } from './traffic-chart.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const TOKEN_KEY = 'igtl-rx-bridge-token';
const params = readParams(location.search, location, sessionStorage.getItem(TOKEN_KEY) ?? undefined);
let bridgeFilter: BridgeFilter = { types: params.types, devices: params.devices, rate: params.rate };
// The token leaves the address bar (and so the tab's history, and the Referer of what the page
// loads); this tab remembers it for a reload.
if (params.token !== undefined) {
  sessionStorage.setItem(TOKEN_KEY, params.token);
  history.replaceState(null, '', tokenOutOfAddressBar(location.href));
}

// The connection: the same Observable as over TCP. The URL is a function, read on every attempt,
// so a filter change is a reconnect with the new query. It reconnects by itself (state$). The
// token travels as a subprotocol, not in the URL (bridgeUrl puts it there only when it cannot).
const conn = connectWebSocket(() => bridgeUrl(params, bridgeFilter), {
  reconnect: { initialDelayMs: 250, maxDelayMs: 3000 },
  staleAfterMs: params.staleAfterMs,
  ...(tokenAsSubprotocol(params) ? { token: params.token } : {}),
});

// ---- panels
const loop = new FrameLoop();
const header = new Header($('health'), $('bridge-state'), $('peer-state'), $('error'), new URL(params.bridge).host, params.staleAfterMs);
const devices = new DeviceList($<HTMLTableSectionElement>('devices'), params.deviceStaleMs, params.devices);
const filters = new FilterBar($('type-chips'), $<HTMLSelectElement>('rate-filter'), $('filter-summary'), bridgeFilter);
const inspector = new Inspector($('inspector-title'), $('inspector'));
const statusList = new StatusList($<HTMLOListElement>('status'));
const chart = new TrafficChart($('chart'));
const fixedWl = params.window !== undefined && params.level !== undefined ? { window: params.window, level: params.level } : undefined;
const images = new ImagePanel(
  {
    select: $<HTMLSelectElement>('image-device'),
    canvas: $<HTMLCanvasElement>('image'),
    auto: $<HTMLInputElement>('wl-auto'),
    window: $<HTMLInputElement>('wl-window'),
    level: $<HTMLInputElement>('wl-level'),
    info: $('image-info'),
    pixel: $('pixel'),
  },
  fixedWl,
  params.image,
);
let scene: SceneView | undefined;
try {
  scene = new SceneView($<HTMLCanvasElement>('scene'), $('scene-labels'));
} catch (err) {
  $('scene-error').textContent = `No 3D view: ${(err as Error).message} (WebGL unavailable?)`;
}
$('display-hz').textContent = String(params.displayHz);
$('probe-mode').textContent = params.probe ? `tracked by ${params.probe} (pairByTimestamp)` : 'placed by its IMAGE matrix';

// ---- streams
header.attach(conn);
conn.subscribe(() => header.received());
devices.attach(conn);
devices.onTraffic((s) => chart.add(s));

// Every type seen gets a filter toggle.
conn.pipe(map(wireType), distinct()).subscribe((t) => filters.addType(t));

// Tracking: one message per tool (a TDATA of three tools becomes three), throttled per tool to
// the display rate: the page never does more work than it can show.
// Shared: the throttled poses, their freshness and the probe pairing split each message once.
// validPoses: a pose its sender marks not valid (PLUS sends a lost tool as the identity, or
// frozen, with a status in v3 metadata) is not drawn; the tool then goes stale like a silent one.
const tracking$ = conn.pipe(ofType(...TRACKING_TYPES), validPoses(), splitElements(), share());
const updates = new Map<string, number>();
// Each tool's freshness, checked on every frame (freshness.ts): watchFreshness's verdicts and the
// age of the pose drawn.
const tools = new Freshness(params.deviceStaleMs);
// Poses drawn: throttled per tool to the display rate.
const drawn$ = tracking$.pipe(throttleTracking(params.displayHz), share());
drawn$.subscribe((msg) => {
  const pose = poseOf(msg);
  if (!pose) return;
  updates.set(pose.tool, (updates.get(pose.tool) ?? 0) + 1);
  tools.arrived(pose.tool);
  scene?.setPose(pose);
});
// A tool whose poses stop while others go on is drawn stale: watchFreshness says when, per tool,
// and each frame checks the age of the pose it draws too (`tools`, in the loop below). It watches
// the poses drawn, not all of them (a tool that stops is marked at most one display frame later):
// after the page's main thread was blocked (a long task, a GC, a laptop waking) the poses buffered
// meanwhile arrive in a burst, the throttle draws the oldest at once and the newest a window
// later, and a mark taken from the newest would call the oldest live. byTimestamp: the burst's
// poses are as old as their timestamps say, not as new as their arrival. A change is drawn on
// the next frame, as every pose is: the burst is over within a few frames.
drawn$.pipe(watchFreshness({ staleAfterMs: params.deviceStaleMs, key: toolOf, byTimestamp: params.byTimestamp })).subscribe((c) => tools.change(c));

// Images: with `probe=`, each IMAGE is paired with the probe pose nearest in time; its place in
// the world is then probe pose x IMAGE matrix ("tracked ultrasound").
const image$ = conn.pipe(ofType('IMAGE'));
// Each image device's freshness, checked on every frame, as the tools'.
const imageDevices = new Freshness(params.deviceStaleMs);
image$.subscribe((m) => imageDevices.arrived(fullDeviceName(m)));
if (params.probe) {
  const probe = params.probe;
  const probe$ = tracking$.pipe(filter((m) => toolOf(m) === probe));
  let lastProbe: Mat4 | undefined;
  probe$.subscribe((m) => (lastProbe = poseOf(m)?.matrix));
  image$.pipe(pairByTimestamp(probe$, { toleranceMs: 50, maxWaitMs: 150 })).subscribe((r) => {
    const pose = r.kind === 'paired' ? poseOf(r.partner)?.matrix : lastProbe;
    if (pose && scene) scene.placements.set(r.source, SceneView.tracked(pose, r.source.content.matrix));
    images.add(r.source);
  });
} else {
  image$.subscribe((m: ImageMessage) => images.add(m));
}
if (scene) {
  const view = scene;
  images.onFrame((f) => view.setImage(f));
}
// The same for images: a probe that stops sending is shown with an image marked stale.
image$.pipe(watchFreshness({ staleAfterMs: params.deviceStaleMs, key: fullDeviceName, byTimestamp: params.byTimestamp })).subscribe((c) => imageDevices.change(c));

// STATUS, newest first.
conn.pipe(ofType('STATUS')).subscribe((m) => statusList.add(m));

// The inspector follows the selected device: ofDevice picks its messages from the connection.
const selection$ = new Subject<string>();
devices.onSelect((key) => selection$.next(key));
selection$
  .pipe(
    switchMap((key) => {
      const [type, device] = key.split('\u0000') as [string, string];
      inspector.show(devices.entries.get(key)?.last);
      return conn.pipe(ofDevice((name: string) => name === device), filter((m: IgtlMessage) => wireType(m) === type));
    }),
  )
  .subscribe((m) => inspector.show(m));

// Filter toggles: new query parameters, then a reconnect (the URL function reads them).
function applyFilters(): void {
  const { types, rate } = filters.typesAndRate();
  bridgeFilter = { types, devices: devices.includedDevices(), rate };
  history.replaceState(null, '', pageUrlWith(location.href, bridgeFilter));
  filters.describe(bridgeFilter);
  conn.reconnect();
}
filters.describe(bridgeFilter);
filters.onChange(applyFilters);
devices.onToggle(applyFilters);

// ---- drawing: one animation-frame loop
let lastTable = 0;
loop.add((now) => {
  images.render();
  // What is stale, then the drawing: the first frame after the page was held (a long task, a
  // background tab) comes before any timer or WebSocket event has run, and must not draw an old
  // pose live (freshness.ts). On watchFreshness's clock (monotonicScheduler), which a step of the
  // system clock does not move.
  const at = monotonicNow();
  header.check(at);
  for (const tool of updates.keys()) scene?.setStale(tool, tools.staleAge(tool, at));
  // With probe=, the images are placed by the probe's pose: a stale probe, a stale placement.
  if (params.probe) scene?.setPlacementStale(tools.staleAge(params.probe, at) !== undefined);
  for (const device of imageDevices.keys()) scene?.setImageStale(device, imageDevices.staleAge(device, at) !== undefined);
  images.markStale((device) => imageDevices.staleAge(device, at));
  devices.markStale(at);
  scene?.render();
  if (now - lastTable >= 250) {
    lastTable = now;
    devices.render(at);
  }
  inspector.render(now);
  chart.render();
});
const perf = $('perf');
loop.onStats((s) => {
  perf.textContent = `${s.fps.toFixed(0)} fps · ${s.drawMsPerFrame.toFixed(1)} ms/frame`;
});

// ---- hooks for tests and for the curious (read-only views of the page's state)
const hooks = {
  get health() {
    return header.current;
  },
  get triads() {
    return scene?.triads() ?? {};
  },
  /** Tools drawn stale (no pose for longer than `deviceStale=`). */
  get staleTools() {
    return scene?.staleTools() ?? [];
  },
  get updates() {
    return Object.fromEntries(updates);
  },
  get frames() {
    return loop.current;
  },
  get renders() {
    return scene?.renders ?? 0;
  },
  get planes() {
    return scene?.planePlacements() ?? {};
  },
  get image() {
    const f = images.current();
    return f && {
      device: f.device, width: f.slice.width, height: f.slice.height, window: f.slice.wl.window, level: f.slice.wl.level, version: f.version,
      // The shown image's header timestamp (ms since the epoch) and how old it is now (the page's clock).
      timestampMs: f.message.timestamp.toMillis(), ageMs: Date.now() - f.message.timestamp.toMillis(),
      // Drawn stale: its device has sent no image for longer than `deviceStale=`.
      stale: images.stale,
    };
  },
  get filter() {
    return bridgeFilter;
  },
};
(window as unknown as { __workbench: typeof hooks }).__workbench = hooks;
