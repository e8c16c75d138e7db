// The live page: connects to an `igtl-rx bridge`, plots each tool's position, shows its rate in
// Hz and the STATUS messages. No framework; bundled for the browser with esbuild (build.mjs).
//
// In an app of your own the imports read `from 'igtl-rx'` and `from 'igtl-rx/operators'`; this
// example imports the sources so that it always runs against the code in this repository.
//
// Page parameters (query string): bridge=ws://host:port/ (default: the server of this page),
// token=... (when the bridge asks for one), hz=30 (display rate), type=/device= (passed on to
// the bridge, which then filters for this page).
import { share } from 'rxjs';
import { connectWebSocket, type ConnectionState, type IgtlMessage } from '../../src/index.js';
import { measureRate, ofType, splitElements, throttleTracking } from '../../operators/index.js';
import { PositionPlot } from './plot.js';
import { TRACKING_TYPES, positionOf, toolOf } from './poses.js';

const params = new URLSearchParams(location.search);
const displayHz = Number(params.get('hz') ?? 30) || 30;

/** The bridge URL: `bridge=` or this page's own server, with the token and filters passed on. */
function bridgeUrl(): string {
  const url = new URL(params.get('bridge') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`);
  for (const name of ['token', 'type', 'device']) for (const v of params.getAll(name)) url.searchParams.append(name, v);
  return url.href;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const plot = new PositionPlot($<HTMLCanvasElement>('plot'));
const tools = $<HTMLTableSectionElement>('tools');
const statusList = $<HTMLOListElement>('status');
const stateLabel = $<HTMLSpanElement>('state');
const errorLine = $<HTMLParagraphElement>('error');
$<HTMLSpanElement>('display-hz').textContent = String(displayHz);

// The connection: the same Observable as over TCP. It reconnects by itself (state$ says so).
const conn = connectWebSocket(bridgeUrl(), { reconnect: { initialDelayMs: 250, maxDelayMs: 5000 } });

// Tracking messages, one tool per message (a TDATA with three tools becomes three messages).
const tracking$ = conn.pipe(ofType(...TRACKING_TYPES), splitElements(), share());

// Rate per tool, measured on the full stream (what the peer sends, before any throttling).
tracking$.pipe(measureRate({ intervalMs: 500, key: toolOf })).subscribe(({ rates }) => {
  for (const [tool, r] of rates) {
    const row = rowOf(tool);
    row.dataset.hz = r.hz.toFixed(1);
    cell(row, 'hz').textContent = r.hz.toFixed(1);
  }
});

// Positions, throttled to the display rate: the page never does more work than it can show.
tracking$.pipe(throttleTracking(displayHz, { key: toolOf })).subscribe((msg) => {
  const p = positionOf(msg);
  if (!p) return;
  plot.add(p);
  const row = rowOf(p.tool);
  row.dataset.x = p.x.toFixed(2);
  row.dataset.y = p.y.toFixed(2);
  row.dataset.z = p.z.toFixed(2);
  row.dataset.updates = String(Number(row.dataset.updates ?? 0) + 1);
  cell(row, 'x').textContent = p.x.toFixed(1);
  cell(row, 'y').textContent = p.y.toFixed(1);
  cell(row, 'z').textContent = p.z.toFixed(1);
});

// STATUS messages, newest first (the last 12).
conn.pipe(ofType('STATUS')).subscribe((msg) => showStatus(msg));

conn.state$.subscribe((s) => showState(s));
conn.errors$.subscribe((e) => {
  errorLine.textContent = `${new Date().toLocaleTimeString()}: ${e.message}`;
});

function rowOf(tool: string): HTMLTableRowElement {
  let row = tools.querySelector<HTMLTableRowElement>(`tr[data-tool="${CSS.escape(tool)}"]`);
  if (row) return row;
  row = document.createElement('tr');
  row.dataset.tool = tool;
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = plot.colorOf(tool);
  const name = document.createElement('td');
  name.append(swatch, tool);
  row.append(name);
  for (const c of ['x', 'y', 'z', 'hz']) {
    const td = document.createElement('td');
    td.className = c;
    td.textContent = '–';
    row.append(td);
  }
  tools.append(row);
  return row;
}

function cell(row: HTMLTableRowElement, name: string): HTMLTableCellElement {
  return row.querySelector<HTMLTableCellElement>(`td.${name}`)!;
}

function showStatus(msg: IgtlMessage & { type: 'STATUS' }): void {
  const li = document.createElement('li');
  const { code, errorName, statusMessage } = msg.content;
  li.dataset.code = String(code);
  li.className = code === 1 ? 'ok' : 'bad';
  const time = msg.timestamp.isZero ? new Date() : msg.timestamp.toDate();
  li.textContent = `${time.toLocaleTimeString()}  ${msg.deviceName}: ${code} ${errorName} ${statusMessage}`.trim();
  statusList.prepend(li);
  while (statusList.children.length > 12) statusList.lastElementChild!.remove();
}

function showState(s: ConnectionState): void {
  stateLabel.dataset.state = s.kind;
  stateLabel.textContent =
    s.kind === 'open' ? `connected to ${s.remote}`
    : s.kind === 'reconnecting' ? `reconnecting in ${(s.delayMs / 1000).toFixed(1)} s (attempt ${s.attempt})${s.reason ? `: ${s.reason.message}` : ''}`
    : s.kind === 'connecting' ? 'connecting…'
    : s.kind === 'closed' ? `closed${s.reason ? `: ${s.reason.message}` : ''}`
    : 'idle';
}
