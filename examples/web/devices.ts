// The device list: one row per (type, device name) seen on the connection, with its rate
// (measureRate on the unsplit stream, so a tool sent as TRANSFORM and inside a TDATA is two rows,
// each counted once), bandwidth, last seen; greyed when stale. A click selects the row for the
// inspector; the checkbox sets the bridge's per-client device filter.
import { measureRate, watchFreshness } from '../../operators/index.js';
import { encodedSize, fullDeviceName, invalidPoses, monotonicNow, wireType, type IgtlMessage } from '../../src/index.js';
import type { Observable, Subscription } from 'rxjs';
import { Freshness } from './freshness.js';

/**
 * The row key of a message: wire type and full device name (`fullDeviceName`: PLUS's
 * `IGTL_DEVICE_NAME` metadata when the header holds only its first 20 bytes).
 */
export function deviceKey(msg: IgtlMessage): string {
  return `${wireType(msg)}\u0000${fullDeviceName(msg)}`;
}

/** One (type, device) seen on the connection. */
export interface DeviceEntry {
  readonly key: string;
  readonly type: string;
  readonly device: string;
  hz: number;
  bytesPerSecond: number;
  /** monotonicNow() of its last message (the clock of the row's stale mark). */
  lastSeen: number;
  /** Greyed: silent for longer than the threshold (markStale). */
  stale: boolean;
  last: IgtlMessage;
  totalBytes: number;
  bytesAtReport: number;
  readonly row: HTMLTableRowElement;
  readonly cells: { hz: HTMLElement; bw: HTMLElement; seen: HTMLElement; info: HTMLElement };
}

/** Totals over every device, each report. */
export interface TrafficSample {
  /** Date.now() of the report. */
  readonly at: number;
  readonly messagesPerSecond: number;
  readonly bytesPerSecond: number;
}

const REPORT_MS = 500;

export function formatBytes(bps: number): string {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} MB/s` : bps >= 1e3 ? `${(bps / 1e3).toFixed(1)} kB/s` : `${bps.toFixed(0)} B/s`;
}

function ago(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min`;
}

/** The device table. */
export class DeviceList {
  readonly entries = new Map<string, DeviceEntry>();
  selected: string | undefined;
  private readonly trafficListeners: ((s: TrafficSample) => void)[] = [];
  private readonly selectListeners: ((key: string) => void)[] = [];
  private readonly toggleListeners: (() => void)[] = [];
  /** Devices the user unticked (the bridge is asked for the others). */
  readonly excluded = new Set<string>();

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly staleAfterMs: number,
    initiallyIncluded: readonly string[],
  ) {
    this.initial = new Set(initiallyIncluded);
    this.freshness = new Freshness(staleAfterMs);
  }
  private readonly initial: Set<string>;
  /** Each row's freshness, checked on every frame (freshness.ts). */
  private readonly freshness: Freshness;

  /** Follows a connection: counts every message, reports rates every 500 ms. */
  attach(messages$: Observable<IgtlMessage>): Subscription {
    const sub = messages$.subscribe((msg) => {
      const e = this.entry(msg);
      e.last = msg;
      e.lastSeen = monotonicNow();
      this.freshness.arrived(e.key, e.lastSeen);
      e.totalBytes += encodedSize(msg);
    });
    // Greyed rows: the library's watchFreshness, keyed as the rows are.
    sub.add(
      messages$.pipe(watchFreshness({ staleAfterMs: this.staleAfterMs, key: deviceKey })).subscribe((c) => this.freshness.change(c)),
    );
    // The rates: the library's measureRate over a 2 s window, keyed by (type, device).
    sub.add(
      messages$.pipe(measureRate({ key: deviceKey, windowMs: 2000, intervalMs: REPORT_MS, forgetAfterMs: 3_600_000 })).subscribe(({ rates }) => {
        let mps = 0;
        let bps = 0;
        for (const [key, r] of rates) {
          const e = this.entries.get(key);
          if (!e) continue;
          e.hz = r.hz;
          mps += r.hz;
        }
        for (const e of this.entries.values()) {
          const fresh = ((e.totalBytes - e.bytesAtReport) * 1000) / REPORT_MS;
          e.bytesAtReport = e.totalBytes;
          // A little smoothing: bursts of frames from the bridge make single intervals jumpy.
          e.bytesPerSecond = e.bytesPerSecond === 0 ? fresh : 0.5 * e.bytesPerSecond + 0.5 * fresh;
          bps += e.bytesPerSecond;
        }
        for (const l of this.trafficListeners) l({ at: Date.now(), messagesPerSecond: mps, bytesPerSecond: bps });
      }),
    );
    return sub;
  }

  onTraffic(listener: (s: TrafficSample) => void): void {
    this.trafficListeners.push(listener);
  }

  onSelect(listener: (key: string) => void): void {
    this.selectListeners.push(listener);
  }

  onToggle(listener: () => void): void {
    this.toggleListeners.push(listener);
  }

  /** Greys the rows that are stale at `now` (monotonicNow()), and only those (called on every frame). */
  markStale(now: number): void {
    for (const e of this.entries.values()) {
      const stale = this.freshness.staleAge(e.key, now) !== undefined;
      if (stale === e.stale) continue;
      e.stale = stale;
      e.row.classList.toggle('stale', stale);
      e.row.dataset.stale = String(stale);
    }
  }

  /** Refreshes the cells (called by the frame loop a few times per second). */
  render(now = monotonicNow()): void {
    for (const e of this.entries.values()) {
      const silent = now - e.lastSeen;
      e.row.dataset.hz = e.hz.toFixed(2);
      e.row.dataset.bps = e.bytesPerSecond.toFixed(0);
      e.cells.hz.textContent = e.hz.toFixed(1);
      e.cells.bw.textContent = formatBytes(e.bytesPerSecond);
      e.cells.seen.textContent = ago(silent);
      // A pose its sender marks not valid (PLUS: a lost tool, sent as the identity) says so: the
      // row is about traffic, and traffic still flows for a lost tool.
      const invalid = invalidPoses(e.last);
      e.row.dataset.invalid = invalid ?? '';
      e.cells.info.textContent = invalid === undefined ? info(e.last) : `not valid: ${invalid}`;
    }
  }

  /** Device names the user kept ticked (all ticked: empty, i.e. no filter). */
  includedDevices(): string[] {
    if (this.excluded.size === 0) return [];
    const names = new Set<string>();
    for (const e of this.entries.values()) if (!this.excluded.has(e.device)) names.add(e.device);
    return [...names];
  }

  private entry(msg: IgtlMessage): DeviceEntry {
    const key = deviceKey(msg);
    let e = this.entries.get(key);
    if (e) return e;
    const name = fullDeviceName(msg);
    const row = document.createElement('tr');
    row.dataset.key = key;
    row.dataset.type = wireType(msg);
    row.dataset.device = name;
    row.dataset.stale = 'false';
    const td = (cls: string, text = '') => {
      const c = document.createElement('td');
      c.className = cls;
      c.textContent = text;
      row.append(c);
      return c;
    };
    const pick = td('pick');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.title = 'receive this device (bridge device filter)';
    box.checked = this.initial.size === 0 || this.initial.has(name);
    if (!box.checked) this.excluded.add(name);
    box.addEventListener('click', (ev) => ev.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) this.excluded.delete(name);
      else this.excluded.add(name);
      for (const other of this.body.querySelectorAll<HTMLInputElement>(`tr[data-device="${CSS.escape(name)}"] input`)) other.checked = box.checked;
      for (const l of this.toggleListeners) l();
    });
    pick.append(box);
    td('type', wireType(msg));
    td('device', name || '(no name)');
    e = {
      key,
      type: wireType(msg),
      device: name,
      hz: 0,
      bytesPerSecond: 0,
      lastSeen: monotonicNow(),
      stale: false,
      last: msg,
      totalBytes: 0,
      bytesAtReport: 0,
      row,
      cells: { hz: td('hz num'), bw: td('bw num'), seen: td('seen num'), info: td('info') },
    };
    row.addEventListener('click', () => {
      this.selected = key;
      for (const r of this.body.querySelectorAll('tr.selected')) r.classList.remove('selected');
      row.classList.add('selected');
      for (const l of this.selectListeners) l(key);
    });
    // Keep rows sorted by type, then device.
    const rows = [...this.body.rows];
    const before = rows.find((r) => (r.dataset.key ?? '') > key);
    this.body.insertBefore(row, before ?? null);
    this.entries.set(key, e);
    return e;
  }
}

/** A few words about a message for its row. */
function info(msg: IgtlMessage): string {
  switch (msg.type) {
    case 'TDATA':
    case 'QTDATA':
      return msg.content.elements.map((e) => e.name).join(', ');
    case 'IMAGE':
      return `${msg.content.size.join('×')} ×${msg.content.numComponents}`;
    case 'STATUS':
      return `${msg.content.code} ${msg.content.errorName}`;
    default:
      return '';
  }
}
