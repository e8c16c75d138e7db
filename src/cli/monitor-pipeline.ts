// The monitor's pipeline, apart from the terminal: filters (the operators), receive stamps, and a
// table of rate, bytes/s, latency and latest value per (type, device), refreshed periodically.
// `igtl-rx monitor` renders it; tests drive it with a TestScheduler.
import { connect, filter, ignoreElements, map, merge, tap, type MonoTypeOperatorFunction, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { monotonicScheduler } from '../connection/scheduler.js';
import { wallClockMs } from '../protocol/clock.js';
import { measureRate, ofDevice, ofElement, ofType, splitElements, throttleTracking, trackingKey } from '../../operators/index.js';
import { DEFAULT_STALE_AFTER_MS } from '../connection/options.js';
import { encodedSize, fullDeviceName } from '../protocol/encode.js';
import type { JsonObject } from '../protocol/json-types.js';
import { toJSON } from '../protocol/json.js';
import { defaultRegistry } from '../protocol/messages/index.js';
import { invalidPoses } from '../protocol/pose-status.js';
import { summarizeContent } from '../protocol/summary.js';
import type { Timestamp } from '../protocol/timestamp.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';
import { seconds } from './connection-view.js';

/** What the monitor shows (the command-line filters). */
export interface MonitorFilterOptions {
  /** Wire type names to keep (default: all). */
  readonly types?: readonly string[];
  /** Device name pattern to keep: exact name, glob (`Stylus*`, `{Stylus,Probe}`) or RegExp. */
  readonly device?: string | RegExp;
  /** One row per tool of TDATA/QTDATA/POINT messages (`splitElements`). */
  readonly split?: boolean;
  /** Element (tool) name pattern to keep; implies `split`. */
  readonly element?: string | RegExp;
  /** At most this many messages per second per row (`throttleTracking`). */
  readonly rateHz?: number;
  /** Scheduler of the throttle (tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * The filters of the monitor, each one an operator: `ofType`, `ofDevice`, `splitElements` +
 * `ofElement`, `throttleTracking`, in that order.
 */
export function monitorFilter(options: MonitorFilterOptions): MonoTypeOperatorFunction<IgtlMessage> {
  const steps: MonoTypeOperatorFunction<IgtlMessage>[] = [];
  const types = options.types ?? [];
  if (types.length > 0) {
    // ofType narrows on the decoded `type`; a type igtl-rx has no codec for arrives as UNKNOWN
    // and is matched on its wire name instead.
    const known = types.filter((t) => defaultRegistry.get(t) !== undefined) as IgtlMessage['type'][];
    if (known.length === types.length) steps.push(ofType<IgtlMessage, IgtlMessage['type']>(...(known as [IgtlMessage['type'], ...IgtlMessage['type'][]])));
    else {
      const wanted = new Set(types);
      steps.push(filter((m) => wanted.has(wireType(m))));
    }
  }
  if (options.device !== undefined) steps.push(ofDevice(options.device));
  if (options.split || options.element !== undefined) steps.push(splitElements());
  if (options.element !== undefined) steps.push(ofElement<IgtlMessage>(options.element));
  if (options.rateHz !== undefined) steps.push(throttleTracking(options.rateHz, options.scheduler ? { scheduler: options.scheduler } : {}));
  return (source) => steps.reduce<Observable<IgtlMessage>>((s, op) => s.pipe(op), source);
}

/** A message as the monitor saw it. */
export interface Received {
  readonly message: IgtlMessage;
  /** Wall-clock ms (since 1970) when it left the filters. */
  readonly receivedAt: number;
  /** Size on the wire. */
  readonly bytes: number;
  /** `receivedAt` minus the message's timestamp, ms; undefined when the timestamp is not set. */
  readonly latencyMs: number | undefined;
}


/** Stamps each message with its receive time, size and latency (receive time − timestamp). */
export function stampReceived(clock: () => number = wallClockMs): OperatorFunction<IgtlMessage, Received> {
  return map((message) => {
    const receivedAt = clock();
    let bytes = 0;
    try {
      bytes = encodedSize(message);
    } catch {
      // A message that cannot be re-encoded has no size to show; it is still counted.
    }
    return { message, receivedAt, bytes, latencyMs: message.timestamp.isZero ? undefined : receivedAt - message.timestamp.toMillis() };
  });
}

/** One row of the monitor: one type and device name (and tool, when split). */
export interface MonitorRow {
  /** `trackingKey` of the row's messages. */
  readonly key: string;
  readonly type: string;
  /** The full device name (`fullDeviceName`: PLUS's `IGTL_DEVICE_NAME` metadata over the 20-byte header field). */
  readonly deviceName: string;
  /** The tool of a split TDATA/QTDATA (or point of a POINT) row. */
  readonly element: string | undefined;
  /** Messages per second over the window. */
  readonly hz: number;
  /** Bytes per second over the window (rate × mean message size). */
  readonly bytesPerSecond: number;
  /** Messages since the monitor started. */
  readonly count: number;
  /** Timestamp of the latest message (may be "not set"). */
  readonly lastTimestamp: Timestamp;
  /** Latency of the latest message, ms (undefined when its timestamp is not set). */
  readonly latencyMs: number | undefined;
  /** The latest value in short form (`summarizeContent`). */
  readonly value: string;
  /**
   * When the sender marks the latest pose(s) not valid (PLUS's tool status, v3 metadata): the
   * status (`OUT_OF_VIEW`), or per tool of a TDATA (`ProbeToTracker MISSING`); the value is then
   * not where the tool is (PLUS sends the identity for a lost tool).
   */
  readonly invalidPose: string | undefined;
  /** When the latest message arrived (wall-clock ms). */
  readonly lastReceivedAt: number;
  /** Time since the row's latest message at this refresh, ms (by the table's scheduler). */
  readonly silentMs: number;
  /**
   * Nothing for `staleAfterMs`: the value shown is old (a tool out of the camera's view, a
   * device that stopped) while the connection, and other rows, may still be live.
   */
  readonly stale: boolean;
}

/** One refresh of the monitor. */
export interface MonitorTable {
  /** Scheduler time of the refresh. */
  readonly at: number;
  /** Rows, sorted by type, device name and element. */
  readonly rows: readonly MonitorRow[];
}

/** Options of {@link monitorTable}. */
export interface MonitorTableOptions {
  /** Time between refreshes, ms (default 1000). */
  readonly intervalMs?: number;
  /** Window of the rates, ms (default 1000). */
  readonly windowMs?: number;
  /** A row is marked stale after this long without a message, ms (default {@link MONITOR_STALE_AFTER_MS}). */
  readonly staleAfterMs?: number;
  /** A row leaves the table after this long without a message, ms (default {@link MONITOR_FORGET_AFTER_MS}). */
  readonly forgetAfterMs?: number;
  /** Scheduler of the refreshes and rate windows (tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Default of `staleAfterMs`: the connection's own (docs/connections.md), so that a row that stops
 * while others go on is marked as soon as a whole silent connection would be.
 */
export const MONITOR_STALE_AFTER_MS = DEFAULT_STALE_AFTER_MS;
/** Default of `forgetAfterMs`: a stale row stays in sight a while (a tool that left the view), then leaves. */
export const MONITOR_FORGET_AFTER_MS = 60_000;

interface RowState {
  message: IgtlMessage;
  /** Scheduler time of the latest message. */
  lastSeen: number;
  count: number;
  meanBytes: number;
  received: Received;
}

function elementOf(msg: IgtlMessage): string | undefined {
  if (msg.type === 'TDATA' || msg.type === 'QTDATA') return msg.content.elements.length === 1 ? msg.content.elements[0]!.name : undefined;
  if (msg.type === 'POINT') return msg.content.points.length === 1 ? msg.content.points[0]!.name : undefined;
  return undefined;
}

/**
 * Turns received messages into a table, emitted every `intervalMs`: rates from `measureRate`,
 * plus count, bytes/s, last timestamp, latency and latest value per row. A row whose messages
 * stop shows 0 Hz, is marked stale (with how long it has been silent) after `staleAfterMs`, and
 * leaves the table after `forgetAfterMs`.
 */
export function monitorTable(options: MonitorTableOptions = {}): OperatorFunction<Received, MonitorTable> {
  const scheduler = options.scheduler ?? monotonicScheduler;
  const staleAfterMs = options.staleAfterMs ?? MONITOR_STALE_AFTER_MS;
  const forgetAfterMs = Math.max(options.forgetAfterMs ?? MONITOR_FORGET_AFTER_MS, staleAfterMs);
  return (source) =>
    source.pipe(
      connect((shared) => {
        const rows = new Map<string, RowState>();
        const update = shared.pipe(
          tap((r) => {
            const key = trackingKey(r.message);
            const row = rows.get(key);
            const now = scheduler.now();
            if (row) {
              row.message = r.message;
              row.lastSeen = now;
              row.count++;
              // A running mean that follows changes within a few dozen messages.
              row.meanBytes += (r.bytes - row.meanBytes) / Math.min(row.count, 32);
              row.received = r;
            } else rows.set(key, { message: r.message, lastSeen: now, count: 1, meanBytes: r.bytes, received: r });
          }),
          ignoreElements(),
        );
        const tables = shared.pipe(
          map((r) => r.message),
          measureRate({ intervalMs: options.intervalMs ?? 1000, windowMs: options.windowMs ?? 1000, forgetAfterMs, scheduler }),
          map((report): MonitorTable => {
            const out: MonitorRow[] = [];
            for (const [key, rate] of report.rates) {
              const row = rows.get(key);
              if (!row) continue;
              const m = row.message;
              const silentMs = Math.max(0, report.at - row.lastSeen);
              out.push({
                key,
                type: wireType(m),
                // The whole name (PLUS's IGTL_DEVICE_NAME metadata when the header holds 20 bytes of it).
                deviceName: fullDeviceName(m),
                element: elementOf(m),
                hz: rate.hz,
                bytesPerSecond: rate.hz * row.meanBytes,
                count: row.count,
                lastTimestamp: m.timestamp,
                latencyMs: row.received.latencyMs,
                value: summarizeContent(m),
                invalidPose: invalidPoses(m),
                lastReceivedAt: row.received.receivedAt,
                silentMs,
                stale: silentMs >= staleAfterMs,
              });
            }
            for (const key of rows.keys()) if (!report.rates.has(key)) rows.delete(key);
            out.sort((a, b) => a.type.localeCompare(b.type) || a.deviceName.localeCompare(b.deviceName) || (a.element ?? '').localeCompare(b.element ?? ''));
            return { at: report.at, rows: out };
          }),
        );
        return merge(update, tables);
      }),
    );
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The JSON line of one received message (`igtl-rx monitor --json`, docs/cli.md): `kind:
 * "message"`, receive time, type, full device name (and the header's when it differs), header
 * version, raw and ISO timestamp, latency, size, a short summary, and the canonical JSON
 * `content` when the message is at most `contentLimit` bytes.
 */
export function messageJSON(r: Received, contentLimit: number): JsonObject {
  const m = r.message;
  const deviceName = fullDeviceName(m);
  const out: JsonObject = {
    kind: 'message',
    receivedAt: round(r.receivedAt, 3),
    type: wireType(m),
    // The whole name, as the table rows and the --device filter have it (PLUS's IGTL_DEVICE_NAME
    // metadata over the 20-byte header field); the header's own field only when it differs.
    deviceName,
    ...(deviceName === m.deviceName ? {} : { headerDeviceName: m.deviceName }),
    headerVersion: m.headerVersion,
    timestampRaw: m.timestamp.toRaw().toString(),
    timestamp: m.timestamp.isZero ? null : m.timestamp.toDate().toISOString(),
    latencyMs: r.latencyMs === undefined ? null : round(r.latencyMs, 3),
    bytes: r.bytes,
    summary: summarizeContent(m),
  };
  if (r.bytes <= contentLimit) {
    try {
      const json = toJSON(m);
      if (json.metadata !== undefined) out.metadata = json.metadata;
      if (json.content !== undefined) out.content = json.content;
    } catch {
      // No canonical form (a type without codec that cannot be written): the summary says enough.
    }
  }
  return out;
}

/** The JSON line of one table refresh (`kind: "rates"`, docs/cli.md). */
export function tableJSON(table: MonitorTable, clock: () => number = wallClockMs): JsonObject {
  return {
    kind: 'rates',
    at: round(clock(), 3),
    rows: table.rows.map((row) => {
      const r: JsonObject = {
        type: row.type,
        deviceName: row.deviceName,
        hz: round(row.hz, 2),
        count: row.count,
        bytesPerSecond: Math.round(row.bytesPerSecond),
        timestampRaw: row.lastTimestamp.toRaw().toString(),
        latencyMs: row.latencyMs === undefined ? null : round(row.latencyMs, 3),
        value: row.value,
        silentMs: Math.round(row.silentMs),
        stale: row.stale,
      };
      if (row.invalidPose !== undefined) r.invalidPose = row.invalidPose;
      if (row.element !== undefined) r.element = row.element;
      return r;
    }),
  };
}

function pad(text: string, width: number, right = false): string {
  const t = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return right ? t.padStart(width) : t.padEnd(width);
}

function clockTime(ts: Timestamp): string {
  if (ts.isZero) return '-';
  return ts.toDate().toISOString().slice(11, 23);
}

/**
 * The table as text for a terminal `columns` wide: TYPE, DEVICE, Hz, kB/s, last timestamp
 * (UTC time of day), latency, count and the latest value (cut to fit). A stale row says so in
 * the Hz column and before its value (`STALE 4.2 s: t=(...)`): its value is not current. A
 * pose its sender marks not valid shows the status before it (`[OUT_OF_VIEW] t=(0, 0, 0)`).
 */
export function renderTable(table: MonitorTable, columns = 120, title = ''): string {
  const deviceOf = (r: MonitorRow) => JSON.stringify(r.element === undefined ? r.deviceName : `${r.deviceName}/${r.element}`);
  // DEVICE is 24 wide, wider (up to 48) when a full name needs it: two long names that share
  // their first 20 bytes (PLUS) must stay told apart.
  const deviceWidth = Math.min(48, Math.max(24, ...table.rows.map((r) => deviceOf(r).length)));
  const head = `${pad('TYPE', 12)} ${pad('DEVICE', deviceWidth)} ${pad('Hz', 8, true)} ${pad('kB/s', 9, true)} ${pad('TIMESTAMP', 12)} ${pad('LATENCY', 10, true)} ${pad('COUNT', 8, true)}  VALUE`;
  const fixed = head.length - 'VALUE'.length;
  const valueWidth = Math.max(10, columns - fixed - 1);
  const lines = table.rows.map((r) => {
    const latency = r.latencyMs === undefined ? '-' : `${r.latencyMs.toFixed(1)} ms`;
    const hz = r.stale ? 'stale' : r.hz.toFixed(1);
    const shown = r.invalidPose === undefined ? r.value : `[${r.invalidPose}] ${r.value}`;
    const value = r.stale ? `STALE ${seconds(r.silentMs)}: ${shown}` : shown;
    return `${pad(r.type, 12)} ${pad(deviceOf(r), deviceWidth)} ${pad(hz, 8, true)} ${pad((r.bytesPerSecond / 1000).toFixed(1), 9, true)} ${pad(clockTime(r.lastTimestamp), 12)} ${pad(latency, 10, true)} ${pad(String(r.count), 8, true)}  ${pad(value, valueWidth)}`.trimEnd();
  });
  const body = lines.length > 0 ? lines.join('\n') : '(no messages yet)';
  return `${title ? `${title}\n` : ''}${head}\n${body}`;
}
