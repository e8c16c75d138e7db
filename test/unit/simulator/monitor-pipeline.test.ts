// The monitor's pipeline (src/cli/monitor-pipeline.ts) on a virtual clock, fed with simulated
// tracking: no terminal, no sockets.
import { from, lastValueFrom, mergeMap, takeUntil, timer, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { messageJSON, monitorFilter, monitorTable, renderTable, stampReceived, tableJSON, type MonitorFilterOptions, type MonitorTable } from '../../../src/cli/monitor-pipeline.js';
import { countErrors, errorsJSON, errorsText, exitStatus, EXIT_CONNECTION_LOST, EXIT_PEER_CLOSED, stateJSON, stateText } from '../../../src/cli/connection-view.js';
import { CliError } from '../../../src/cli/output.js';
import { createMessage, metadataOf, Timestamp, type IgtlMessage } from '../../../src/index.js';
import { ConnectionError, DeadPeerError, DesyncError, MalformedMessageError, PeerClosedError, type IgtlError } from '../../../src/protocol/errors.js';
import { ticks } from '../../../src/simulator/clock.js';
import { createTrajectory } from '../../../src/simulator/trajectories.js';

const EPOCH = 1_700_000_000_000;
const tools = ['Stylus', 'Probe'].map((name) => createTrajectory(name, 1));

// The simulation starts 5 ms into virtual time, so that no sample falls on a report's instant.
const ORIGIN = 5;

/** 100 Hz TRANSFORMs of two tools, 50 Hz TDATA with both, a STATUS every 500 ms. */
function simulated(scheduler: TestScheduler): Observable<IgtlMessage> {
  return ticks(10, { scheduler, origin: ORIGIN }).pipe(
    mergeMap((t) => {
      const timestamp = Timestamp.fromMillis(EPOCH + t);
      const out: IgtlMessage[] = tools.map((tr) => createMessage('TRANSFORM', { matrix: tr.poseAt(t / 1000).matrix }, { deviceName: tr.name, timestamp }));
      if (t % 20 === 0) out.push(createMessage('TDATA', { elements: tools.map((tr) => ({ name: tr.name, type: 2, matrix: tr.poseAt(t / 1000).matrix })) }, { deviceName: 'Tracker', timestamp }));
      if (t % 500 === 0) out.push(createMessage('STATUS', { code: 1, subcode: 0n, errorName: 'OK', statusMessage: 'fine' }, { deviceName: 'Sim', timestamp }));
      return out;
    }),
  );
}

/** Runs the monitor pipeline for 2.5 virtual seconds; returns the tables (at 1 s, 2 s and the end). */
function monitor(filter: MonitorFilterOptions): MonitorTable[] {
  const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  const tables: MonitorTable[] = [];
  scheduler.run(({ flush }) => {
    simulated(scheduler)
      .pipe(
        monitorFilter({ ...filter, scheduler }),
        // Received 2 ms after the due time: latency 2 ms.
        stampReceived(() => EPOCH + scheduler.now() - ORIGIN + 2),
        takeUntil(timer(2500, scheduler)),
        monitorTable({ intervalMs: 1000, scheduler }),
      )
      .subscribe((t) => tables.push(t));
    flush();
  });
  return tables;
}

const row = (table: MonitorTable, type: string, device: string, element?: string) => table.rows.find((r) => r.type === type && r.deviceName === device && r.element === element)!;

describe('monitor pipeline', () => {
  it('gives rate, bytes/s, count, latency and the latest value per type and device', () => {
    const tables = monitor({});
    expect(tables).toHaveLength(3);
    const t = tables[1]!;
    expect(t.rows.map((r) => `${r.type} ${r.deviceName}`)).toEqual(['STATUS Sim', 'TDATA Tracker', 'TRANSFORM Probe', 'TRANSFORM Stylus']);
    const stylus = row(t, 'TRANSFORM', 'Stylus');
    expect(stylus.hz).toBe(100);
    expect(stylus.bytesPerSecond).toBeCloseTo(stylus.hz * 106, 6);
    expect(stylus.count).toBeGreaterThanOrEqual(200);
    expect(stylus.latencyMs).toBeCloseTo(2, 6);
    expect(stylus.value).toMatch(/^t=\(-?\d+\.\d\d, -?\d+\.\d\d, -?\d+\.\d\d\)$/);
    expect(row(t, 'TDATA', 'Tracker').hz).toBe(50);
    expect(row(t, 'STATUS', 'Sim').hz).toBe(2);
  });

  it('filters with ofType and ofDevice, and throttles with throttleTracking', () => {
    const t = monitor({ types: ['TRANSFORM'], device: 'Sty*', rateHz: 25 })[1]!;
    expect(t.rows).toHaveLength(1);
    const hz = row(t, 'TRANSFORM', 'Stylus').hz;
    expect(hz).toBeGreaterThanOrEqual(24);
    expect(hz).toBeLessThanOrEqual(26);
  });

  it('splits TDATA into one row per tool, or keeps one tool with element', () => {
    const split = monitor({ types: ['TDATA'], split: true })[1]!;
    expect(split.rows.map((r) => r.element)).toEqual(['Probe', 'Stylus']);
    expect(row(split, 'TDATA', 'Tracker', 'Probe').hz).toBe(50);
    const probe = monitor({ element: 'Probe' })[1]!;
    expect(probe.rows.map((r) => `${r.type} ${r.element}`)).toEqual(['TDATA Probe']);
  });

  it('writes message and rate JSON lines, with content only up to the limit', () => {
    const msg = createMessage('TRANSFORM', { matrix: [1, 0, 0, 1.5, 0, 1, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1] }, { deviceName: 'Stylus', timestamp: Timestamp.fromMillis(EPOCH) });
    const received = { message: msg, receivedAt: EPOCH + 1.25, bytes: 106, latencyMs: 1.25 };
    expect(messageJSON(received, 4096)).toEqual({
      kind: 'message', receivedAt: EPOCH + 1.25, type: 'TRANSFORM', deviceName: 'Stylus', headerVersion: 1,
      timestampRaw: Timestamp.fromMillis(EPOCH).toRaw().toString(), timestamp: new Date(EPOCH).toISOString(), latencyMs: 1.25, bytes: 106,
      summary: 't=(1.50, 2, 3)', content: { matrix: [[1, 0, 0, 1.5], [0, 1, 0, 2], [0, 0, 1, 3], [0, 0, 0, 1]] },
    });
    expect(messageJSON(received, 100)).not.toHaveProperty('content');
    const noStamp = messageJSON({ ...received, message: { ...msg, timestamp: Timestamp.ZERO }, latencyMs: undefined }, 0);
    expect(noStamp).toMatchObject({ timestamp: null, latencyMs: null, timestampRaw: '0' });
    const table = monitor({ types: ['STATUS'] })[1]!;
    expect(tableJSON(table, () => 5)).toEqual({
      kind: 'rates', at: 5,
      // The last STATUS (t = 1500) arrived at 1505 by the scheduler; the table is of 2000.
      rows: [{ type: 'STATUS', deviceName: 'Sim', hz: 2, count: 4, bytesPerSecond: 2 * 93, timestampRaw: expect.stringMatching(/^\d+$/), latencyMs: 2, value: '1 OK fine', silentMs: 495, stale: false }],
    });
  });

  it('keys and names rows by the full device name (PLUS: 20 bytes in the header, the whole name in IGTL_DEVICE_NAME)', () => {
    const names = ['ReferenceToTrackerLongNameTransformA', 'ReferenceToTrackerLongNameTransformB'];
    const header = names[0]!.slice(0, 20);
    expect(names[1]!.slice(0, 20)).toBe(header);
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const tables: MonitorTable[] = [];
    scheduler.run(({ flush }) => {
      ticks(10, { scheduler, origin: ORIGIN })
        .pipe(
          mergeMap((t) => names.map((name) => createMessage('TRANSFORM', { matrix: [1, 0, 0, t, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, {
            deviceName: header, timestamp: Timestamp.fromMillis(EPOCH + t), metadata: { IGTL_DEVICE_NAME: name },
          }))),
          monitorFilter({ device: names[1]!, scheduler }),
          stampReceived(() => EPOCH + scheduler.now()),
          takeUntil(timer(1500, scheduler)),
          monitorTable({ intervalMs: 1000, scheduler }),
        )
        .subscribe((t) => tables.push(t));
      flush();
    });
    // ofDevice matches the full name: only B passes.
    expect(tables[0]!.rows.map((r) => r.deviceName)).toEqual([names[1]]);
    // The JSON line names it as the table does, and keeps the header's field beside it.
    const long = createMessage('TRANSFORM', { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, { deviceName: header, metadata: { IGTL_DEVICE_NAME: names[1]! } });
    expect(messageJSON({ message: long, receivedAt: EPOCH, bytes: 200, latencyMs: undefined }, 0)).toMatchObject({ deviceName: names[1], headerDeviceName: header });
    const all: MonitorTable[] = [];
    const s2 = new TestScheduler((a, b) => expect(a).toEqual(b));
    s2.run(({ flush }) => {
      ticks(10, { scheduler: s2, origin: ORIGIN })
        .pipe(
          mergeMap((t) => names.map((name) => createMessage('TRANSFORM', { matrix: [1, 0, 0, t, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, {
            deviceName: header, timestamp: Timestamp.fromMillis(EPOCH + t), metadata: { IGTL_DEVICE_NAME: name },
          }))),
          stampReceived(() => EPOCH + s2.now()),
          takeUntil(timer(1500, s2)),
          monitorTable({ intervalMs: 1000, scheduler: s2 }),
        )
        .subscribe((t) => all.push(t));
      flush();
    });
    const t = all[0]!;
    expect(t.rows.map((r) => r.deviceName)).toEqual(names);
    expect(t.rows.map((r) => r.hz)).toEqual([100, 100]);
    expect(new Set(t.rows.map((r) => r.key)).size).toBe(2);
    expect(tableJSON(t, () => 5).rows).toMatchObject(names.map((deviceName) => ({ deviceName, hz: 100 })));
    const text = renderTable(t, 200);
    for (const name of names) expect(text).toContain(JSON.stringify(name));
  });

  it('marks a row stale when its messages stop while others go on, live again when they return, gone after forgetAfterMs', () => {
    // Stylus at 100 Hz throughout; Probe (a tool out of the camera's view) only before 1 s and
    // from 3.5 s on. Tables every 500 ms (the first at 500), until 4.2 s.
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const tables: MonitorTable[] = [];
    scheduler.run(({ flush }) => {
      ticks(10, { scheduler, origin: ORIGIN })
        .pipe(
          mergeMap((t) => tools.filter((tr) => tr.name === 'Stylus' || t < 1000 || t >= 3500).map((tr) => createMessage('TRANSFORM', { matrix: tr.poseAt(t / 1000).matrix }, { deviceName: tr.name, timestamp: Timestamp.fromMillis(EPOCH + t) }))),
          stampReceived(() => EPOCH + scheduler.now()),
          takeUntil(timer(4200, scheduler)),
          monitorTable({ intervalMs: 500, staleAfterMs: 500, forgetAfterMs: 2000, scheduler }),
        )
        .subscribe((t) => tables.push(t));
      flush();
    });
    const probe = (at: number) => tables.find((t) => t.at === at)!.rows.find((r) => r.deviceName === 'Probe');
    const stylus = (at: number) => tables.find((t) => t.at === at)!.rows.find((r) => r.deviceName === 'Stylus')!;
    // Its last message: t = 990, at 995 by the scheduler.
    expect(probe(1000)).toMatchObject({ stale: false, silentMs: 5, hz: 100 });
    // 505 ms of silence: stale, while the rate's 1 s window still holds the last 50 messages
    // (the rate alone would call it live for another half second).
    expect(probe(1500)).toMatchObject({ stale: true, silentMs: 505, hz: 50, count: 100 });
    expect(probe(2500)).toMatchObject({ stale: true, silentMs: 1505 });
    for (const at of [1000, 1500, 2000, 2500, 3000, 3500, 4000]) expect(stylus(at).stale).toBe(false);
    // Over forgetAfterMs (2005 ms at 3000): the row has left; its return makes a fresh, live row.
    expect(probe(3000)).toBeUndefined();
    expect(probe(4000)).toMatchObject({ stale: false, silentMs: 5, count: 50 });
    const at1500 = tables.find((t) => t.at === 1500)!;
    const line = renderTable(at1500, 200).split('\n').find((l) => l.startsWith('TRANSFORM    "Probe"'))!;
    expect(line).toMatch(/^TRANSFORM {4}"Probe" +stale +5\.3 .* STALE 0\.5 s: t=\(/);
    expect(renderTable(at1500, 200)).toMatch(/"Stylus" +100\.0 /);
    expect(tableJSON(at1500, () => 5).rows).toMatchObject([{ deviceName: 'Probe', silentMs: 505, stale: true }, { deviceName: 'Stylus', silentMs: 5, stale: false }]);
  });

  it('says when the sender marks a pose not valid (PLUS TransformStatus, TDATA <name>Status), before the value', () => {
    // PlusLib vtkPlusIgtlMessageCommon.cxx: PackTransformMessage (TransformValid, TransformStatus,
    // the identity for a lost tool), PackTrackingDataMessage (<name>Status, <name>Index).
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const tables: MonitorTable[] = [];
    const lost = createMessage('TRANSFORM', { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, {
      deviceName: 'StylusToTracker', timestamp: Timestamp.fromMillis(EPOCH), metadata: metadataOf({ TransformValid: '0', TransformStatus: 'OUT_OF_VIEW' }),
    });
    const tracked = createMessage('TRANSFORM', { matrix: [1, 0, 0, 5, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }, {
      deviceName: 'ProbeToTracker', timestamp: Timestamp.fromMillis(EPOCH), metadata: metadataOf({ TransformValid: '1', TransformStatus: 'OK' }),
    });
    const tdata = createMessage('TDATA', { elements: ['StylusToTracker', 'ProbeToTracker'].map((name) => ({ name, type: 2, matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] })) }, {
      deviceName: 'TDATA_2Elem', timestamp: Timestamp.fromMillis(EPOCH),
      metadata: metadataOf({ StylusToTrackerStatus: 'OK', StylusToTrackerIndex: '0', ProbeToTrackerStatus: 'MISSING', ProbeToTrackerIndex: '1' }),
    });
    scheduler.run(({ cold, flush }) => {
      cold('-a-b-c-|', { a: lost, b: tracked, c: tdata })
        .pipe(stampReceived(() => EPOCH + scheduler.now()), monitorTable({ intervalMs: 100, scheduler }))
        .subscribe((t) => tables.push(t));
      flush();
    });
    const t = tables.at(-1)!;
    expect(t.rows.map((r) => [r.deviceName, r.invalidPose])).toEqual([['TDATA_2Elem', 'ProbeToTracker MISSING'], ['ProbeToTracker', undefined], ['StylusToTracker', 'OUT_OF_VIEW']]);
    const text = renderTable(t, 200);
    expect(text).toMatch(/"StylusToTracker" .*  \[OUT_OF_VIEW\] t=\(0, 0, 0\)$/m);
    expect(text).toMatch(/"ProbeToTracker" .*  t=\(5, 0, 0\)$/m);
    expect(text).toMatch(/"TDATA_2Elem" .*  \[ProbeToTracker MISSING\] /m);
    expect((tableJSON(t, () => 5).rows as { invalidPose?: string }[]).map((r) => r.invalidPose)).toEqual(['ProbeToTracker MISSING', undefined, 'OUT_OF_VIEW']);
  });

  it('renders a table that fits the terminal width', () => {
    const text = renderTable(monitor({})[1]!, 110, 'title');
    const lines = text.split('\n');
    expect(lines[0]).toBe('title');
    expect(lines[1]).toBe('TYPE         DEVICE                         Hz      kB/s TIMESTAMP       LATENCY    COUNT  VALUE');
    const stylus = lines.find((l) => l.startsWith('TRANSFORM    "Stylus"'))!;
    expect(stylus).toMatch(/^TRANSFORM {4}"Stylus" +100\.0 +10\.6 \d\d:\d\d:\d\d\.\d{3} +2\.0 ms +\d{3}  t=\(/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(110);
    expect(renderTable({ at: 0, rows: [] })).toMatch(/\(no messages yet\)$/);
  });
});



describe('connection view (monitor and demo)', () => {
  const peerClosed = new PeerClosedError('127.0.0.1:18944');

  it('says what state the connection is in, in words', () => {
    expect(stateText({ kind: 'connecting', attempt: 2 })).toBe('connecting (attempt 2)');
    expect(stateText({ kind: 'open', remote: '127.0.0.1:18944' })).toBe('open 127.0.0.1:18944');
    expect(stateText({ kind: 'stale', remote: '127.0.0.1:18944', silentMs: 3000 }, 1200)).toBe('stale: no data for 4.2 s from 127.0.0.1:18944');
    expect(stateText({ kind: 'reconnecting', attempt: 3, delayMs: 500, reason: peerClosed })).toBe('reconnecting: attempt 3 in 0.5 s (closed by peer)');
    // A peer close reported without a reason (before connections carried PeerClosedError).
    expect(stateText({ kind: 'reconnecting', attempt: 1, delayMs: 250, reason: undefined })).toBe('reconnecting: attempt 1 in 0.3 s (closed by peer)');
    expect(stateText({ kind: 'closed', reason: peerClosed })).toBe('closed by peer');
    expect(stateText({ kind: 'closed', reason: new DeadPeerError('nothing received for 10000 ms', 'idle', 10_000) })).toBe('closed: dead peer (idle): nothing received for 10000 ms');
  });

  it('writes state lines as JSON with the reason as a code', () => {
    expect(stateJSON({ kind: 'stale', remote: 'h:1', silentMs: 3000 }, 5)).toEqual({ kind: 'state', at: 5, state: 'stale', remote: 'h:1', silentMs: 3000 });
    expect(stateJSON({ kind: 'reconnecting', attempt: 1, delayMs: 250, reason: peerClosed }, 5)).toEqual({
      kind: 'state', at: 5, state: 'reconnecting', attempt: 1, delayMs: 250, reason: 'peer-closed', message: 'closed by peer',
    });
    const desync = new DesyncError('BODY_SIZE 9e18', new Uint8Array(58));
    expect(stateJSON({ kind: 'closed', reason: desync }, 5)).toMatchObject({ state: 'closed', reason: 'desync', message: desync.message });
    expect(stateJSON({ kind: 'closed', reason: new DeadPeerError('no heartbeat reply', 'heartbeat', 6000) }, 5)).toMatchObject({ reason: 'dead-peer', rule: 'heartbeat' });
  });

  it('counts errors by code', async () => {
    const errors: IgtlError[] = [new MalformedMessageError('TRANSFORM', 'short body'), new ConnectionError('refused'), new MalformedMessageError('STATUS', 'no NUL')];
    const counts = await lastValueFrom(from(errors).pipe(countErrors(), toArray()));
    expect(counts.map(errorsText)).toEqual(['errors: 0', 'errors: 1 (malformed 1)', 'errors: 2 (malformed 1, connection 1)', 'errors: 3 (malformed 2, connection 1)']);
    expect(errorsJSON(counts[3]!)).toEqual({ malformed: 2, connection: 1 });
  });

  it('chooses the exit status: 0 after --duration, 128 + signal, 3 peer closed, 4 lost', () => {
    expect(exitStatus({ by: 'stop', why: 'duration' }, 'h:1')).toBe(0);
    expect(exitStatus({ by: 'stop', why: 'SIGINT' }, 'h:1')).toBe(130);
    expect(exitStatus({ by: 'stop', why: 'SIGTERM' }, 'h:1')).toBe(143);
    const thrown = (reason: Error | undefined) => {
      try {
        exitStatus({ by: 'close', reason }, 'h:1');
      } catch (err) {
        return err as CliError;
      }
      throw new Error('no exit status thrown');
    };
    expect(thrown(peerClosed)).toMatchObject({ exitCode: EXIT_PEER_CLOSED, message: 'h:1: closed by peer' });
    expect(thrown(undefined).exitCode).toBe(EXIT_PEER_CLOSED);
    expect(thrown(new DeadPeerError('no reply', 'keepalive', 1)).exitCode).toBe(EXIT_CONNECTION_LOST);
    expect(thrown(new ConnectionError('reset')).message).toBe('h:1: connection lost: reset');
    expect([EXIT_PEER_CLOSED, EXIT_CONNECTION_LOST]).toEqual([3, 4]);
  });
});
