import { VirtualAction, VirtualTimeScheduler, filter, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { command, CommandFailedError, ofType, query, QueryFailedError, stream } from '../../../operators/index.js';
import { connectTcp, createImageContent, createMessage, encodeMessage, Timestamp, type IgtlConnection, type IgtlMessage } from '../../../src/node.js';
import { createSimulator, type Simulator, type SimulatorEvent, type SimulatorOptions } from '../../../src/simulator/index.js';

const running: { sims: Simulator[]; conns: IgtlConnection[] } = { sims: [], conns: [] };

afterEach(async () => {
  for (const c of running.conns.splice(0)) c.close();
  for (const s of running.sims.splice(0)) await s.stop();
});

async function start(options: SimulatorOptions = {}): Promise<{ sim: Simulator; conn: IgtlConnection }> {
  const sim = createSimulator({ port: 0, ...options });
  running.sims.push(sim);
  const { port } = await sim.start();
  const conn = connectTcp({ port, reconnect: false, keepOpen: true });
  running.conns.push(conn);
  conn.connect();
  return { sim, conn };
}

/** Collects what `conn` receives until `done` says it has enough (real time, with a timeout). */
function collect(conn: IgtlConnection, done: (got: IgtlMessage[]) => boolean, timeoutMs = 5000): Promise<IgtlMessage[]> {
  return new Promise((resolve, reject) => {
    const got: IgtlMessage[] = [];
    const timer = setTimeout(() => {
      sub.unsubscribe();
      reject(new Error(`timed out with ${got.length} messages`));
    }, timeoutMs);
    const sub = conn.subscribe((m) => {
      got.push(m);
      if (done(got)) {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(got);
      }
    });
  });
}

const f32 = (m: readonly number[]) => m.map((v) => Math.fround(v));

describe('Simulator on a virtual clock', () => {
  /** Runs a simulator at 100 Hz for 100 virtual ms and returns the bytes one client received. */
  async function run100ms(): Promise<{ sim: Simulator; messages: IgtlMessage[] }> {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
    const { sim, conn } = await start({ scheduler, trackingRateHz: 100, epochMs: 1_700_000_000_000, streams: ['TRANSFORM'] });
    const connected = firstValueFrom(sim.events$.pipe(filter((e) => e.kind === 'connected')));
    const received = collect(conn, (got) => got.length === 33);
    await connected;
    // The session's pipeline subscribes in the same turn as 'connected': its first tick waits on
    // the virtual clock. Run virtual time to 100 ms: ticks 0, 10, ..., 100.
    expect(scheduler.actions.length).toBeGreaterThan(0);
    scheduler.maxFrames = 100;
    scheduler.flush();
    return { sim, messages: await received };
  }

  it('sends the same bytes on every run: samples are functions of time, timestamps the due times', async () => {
    const a = await run100ms();
    const b = await run100ms();
    const bytes = (ms: IgtlMessage[]) => Buffer.concat(ms.map((m) => encodeMessage(m)));
    expect(bytes(b.messages).equals(bytes(a.messages))).toBe(true);
    a.messages.forEach((m, i) => {
      const t = Math.floor(i / 3) * 10;
      const tool = ['Stylus', 'Probe', 'Reference'][i % 3]!;
      expect(m.type).toBe('TRANSFORM');
      expect(m.deviceName).toBe(tool);
      expect(m.timestamp.equals(Timestamp.fromMillis(1_700_000_000_000 + t))).toBe(true);
      if (m.type === 'TRANSFORM') expect(m.content.matrix).toEqual(f32(a.sim.poseAt(tool, t)!.matrix));
    });
  });
});

describe('Simulator requests', () => {
  it('answers GET_ by device name, every one for an empty name, RTS_ status 1 for none', async () => {
    const { conn } = await start({ streams: [] });
    const stylus = await firstValueFrom(query(conn, createMessage('GET_TRANS', {}, { deviceName: 'Stylus' })));
    expect(stylus).toMatchObject({ type: 'TRANSFORM', deviceName: 'Stylus' });
    const all = collect(conn, (got) => got.filter((m) => m.type === 'TRANSFORM').length === 3);
    await conn.send(createMessage('GET_TRANS', {}, {}));
    expect((await all).map((m) => m.deviceName).sort()).toEqual(['Probe', 'Reference', 'Stylus']);
    const tdata = await firstValueFrom(query(conn, createMessage('GET_TDATA', {}, { deviceName: 'Tracker' })));
    expect(tdata.type === 'TDATA' && tdata.content.elements.map((e) => e.name)).toEqual(['Stylus', 'Probe', 'Reference']);
    const image = await firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'Ultrasound' })));
    expect(image.type === 'IMAGE' && [image.content.size, image.content.data.length]).toEqual([[256, 256, 1], 65536]);
    const meta = await firstValueFrom(query(conn, createMessage('GET_IMGMETA', {}, {})));
    expect(meta.type === 'IMGMETA' && meta.content.images[0]).toMatchObject({ deviceName: 'Ultrasound', modality: 'US', scalarType: 3 });
    const status = await firstValueFrom(query(conn, createMessage('GET_STATUS', {}, {})));
    expect(status.type === 'STATUS' && status.content).toMatchObject({ code: 1, errorName: 'OK' });
    await expect(firstValueFrom(query(conn, createMessage('GET_POSITION', {}, { deviceName: 'Nope' })))).rejects.toBeInstanceOf(QueryFailedError);
  });

  it('echoes the MSG_ID of a v3 query in its answer', async () => {
    const { conn } = await start({ streams: [] });
    conn.setHeaderVersion(2);
    const reply = await firstValueFrom(query(conn, createMessage('GET_QTDATA', {}, { deviceName: 'Tracker', headerVersion: 2, metadata: { Why: 'test' } })));
    expect(reply.type).toBe('QTDATA');
    expect(reply.headerVersion).toBe(2);
    expect(reply.messageId).toBeGreaterThan(0);
  });

  it('starts a stream on STT_ (RTS_ status 0 first) and stops it on STP_', async () => {
    // Virtual time: the stream ticks only when the test runs the clock, so "no more TDATA after
    // STP_" is checked over a full virtual second, not a wall-clock sleep.
    const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
    const { sim, conn } = await start({ scheduler, streams: [], trackingRateHz: 200, epochMs: 1_700_000_000_000 });
    const events: SimulatorEvent[] = [];
    sim.events$.subscribe((e) => events.push(e));
    const streamEvent = (action: 'started' | 'stopped') => firstValueFrom(sim.events$.pipe(filter((e) => e.kind === 'stream' && e.action === action)));
    const started = streamEvent('started');
    const received = firstValueFrom(stream(conn, 'TDATA', { resolutionMs: 20 }).pipe(take(5), toArray()));
    await started;
    const stopped = streamEvent('stopped');
    // Ticks at 0, 20, 40, 60, 80: the five messages take(5) waits for, then it sends STP_TDATA.
    scheduler.maxFrames = 80;
    scheduler.flush();
    const tdata = await received;
    expect(tdata).toHaveLength(5);
    // resolution 20 ms: one message every 20 ms, due times on multiples of 20.
    expect(tdata.map((m) => m.timestamp.toMillis() - 1_700_000_000_000)).toEqual([0, 20, 40, 60, 80]);
    await stopped;
    expect(events.filter((e) => e.kind === 'stream').map((e) => e.kind === 'stream' && [e.stream, e.action, e.periodMs])).toEqual([
      ['TDATA', 'started', 20],
      ['TDATA', 'stopped', undefined],
    ]);
    // After STP_TDATA no more TDATA: run a virtual second (50 ticks, were the stream still on),
    // then ask for the STATUS. The reply goes out on the same socket after anything those ticks
    // sent, so once it is here, every TDATA they could have sent is here too.
    const after: IgtlMessage[] = [];
    const sub = conn.pipe(ofType('TDATA')).subscribe((m) => after.push(m));
    scheduler.maxFrames = 1080;
    scheduler.schedule(() => {}, 1000); // the clock runs to 1080 even if nothing else is due
    scheduler.flush();
    expect(scheduler.now()).toBe(1080);
    const status = await firstValueFrom(query(conn, createMessage('GET_STATUS', {}, {})));
    sub.unsubscribe();
    expect(status.type).toBe('STATUS');
    expect(after).toEqual([]);
  });

  it('answers an STT_ of a stream it does not have with RTS_ status 1', async () => {
    const { conn } = await start({ streams: [] });
    await expect(firstValueFrom(query(conn, createMessage('STT_SENSOR', {}, {})))).rejects.toMatchObject({ status: 1 });
  });

  it('runs COMMANDs: rates change at once, unknown names fail with an error', async () => {
    const { sim, conn } = await start({ streams: [] });
    const r = await firstValueFrom(command(conn, 'SetFrameRate', { FrameRate: '40' }));
    expect(r).toMatchObject({ status: 'SUCCESS', message: 'Frame rate set to 40' });
    expect(r.metadata.get('FrameRate')?.value).toBe('40');
    expect(sim.imageRateHz).toBe(40);
    await firstValueFrom(command(conn, 'SetTrackingRate', { TrackingRate: '500' }));
    expect(sim.trackingRateHz).toBe(500);
    const version = await firstValueFrom(command(conn, 'Version'));
    expect(version.metadata.get('IGTLHeaderVersion')?.value).toBe('2');
    const err = await firstValueFrom(command(conn, 'Explode')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).result).toMatchObject({ status: 'FAIL', error: 'Unknown command: Explode' });
  });

  it('GetTransform of a tool out of view gives its last pose with TransformStatus OUT_OF_VIEW', async () => {
    // Out of view from 1 ms of simulation time on (the last 99,999 ms of every 100,000).
    const { sim, conn } = await start({ streams: [], outOfView: [{ tool: 'Stylus', everyMs: 100_000, forMs: 99_999 }] });
    const lost = await firstValueFrom(command(conn, 'GetTransform', { TransformName: 'StylusToTracker' }));
    expect(lost.metadata.get('TransformStatus')?.value).toBe('OUT_OF_VIEW');
    const want = sim.poseAt('Stylus', 1)!.matrix.map((v) => String(Math.round(v * 1e6) / 1e6)).join(' ');
    expect(lost.metadata.get('TransformValue')?.value).toBe(want);
    const probe = await firstValueFrom(command(conn, 'GetTransform', { TransformName: 'ProbeToTracker' }));
    expect(probe.metadata.get('TransformStatus')?.value).toBe('OK');
  });

  it('keeps what a client sends and returns it on GET_', async () => {
    const { sim, conn } = await start({ streams: [] });
    const events: SimulatorEvent[] = [];
    sim.events$.subscribe((e) => events.push(e));
    const mine = createMessage('STRING', { encoding: 3, value: 'hello' }, { deviceName: 'Note' });
    await conn.send(mine);
    const back = await firstValueFrom(query(conn, createMessage('GET_STRING', {}, { deviceName: 'Note' })));
    expect(back).toMatchObject({ type: 'STRING', deviceName: 'Note', content: { value: 'hello' } });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'receiving', type: 'STRING', deviceName: 'Note' }));
  });

  it('keeps at most 64 MiB of what clients send (the oldest names go first): 48 images of 8 MiB held 384 MiB after their client left', async () => {
    const { sim, conn } = await start({ streams: [] });
    const image = (i: number) => createMessage('IMAGE', createImageContent({ data: new Uint8Array(8 << 20).fill(i), size: [4096, 2048, 1] }), { deviceName: `Img${i}` });
    for (let i = 0; i < 9; i++) await conn.send(image(i));
    // The 9th image is kept (its answer comes back), and with it as many older ones as fit.
    const last = await firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'Img8' })));
    expect(last.type === 'IMAGE' && last.content.data[0]).toBe(8);
    await expect(firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'Img0' })))).rejects.toBeInstanceOf(QueryFailedError);
    const second = await firstValueFrom(query(conn, createMessage('GET_IMAGE', {}, { deviceName: 'Img2' })));
    expect(second.deviceName).toBe('Img2');
  });

  it("remembers at most 1000 of a client's names for its 'receiving' events: the oldest is forgotten and announced again", async () => {
    const { sim, conn } = await start({ streams: [] });
    const announced: string[] = [];
    sim.events$.subscribe((e) => e.kind === 'receiving' && announced.push(e.deviceName));
    const note = (name: string) => createMessage('STRING', { encoding: 3, value: '' }, { deviceName: name });
    for (let i = 0; i <= 1000; i++) conn.next(note(`n${i}`)); // 1001 names: n0 is forgotten
    await conn.send(note('n0')); // back: announced again
    await conn.send(note('n1000')); // still remembered: not announced again
    // A query after them: every message before it has been handled when the answer comes.
    await firstValueFrom(query(conn, createMessage('GET_STRING', {}, { deviceName: 'n1000' })));
    expect(announced).toHaveLength(1002);
    expect(announced.slice(-2)).toEqual(['n1000', 'n0']);
  });

  it('streams the defaults to every client from the moment it connects', async () => {
    const { conn } = await start({ trackingRateHz: 100, statusIntervalMs: 100, streams: ['TRANSFORM', 'STATUS', 'POSITION'] });
    const got = await collect(conn, (ms) => ms.filter((m) => m.type === 'STATUS').length >= 2);
    const types = new Set(got.map((m) => m.type));
    expect(types).toEqual(new Set(['TRANSFORM', 'POSITION', 'STATUS']));
    const position = got.find((m) => m.type === 'POSITION' && m.deviceName === 'Probe');
    expect(position?.type === 'POSITION' && position.content.quaternion).toHaveLength(4);
  });
});

describe('Simulator: a client whose connection fails', () => {
  // Its 'left' line read the same as a client that closed: a client dropped for not reading
  // (write stall) or reset looked like one that had gone on its own.
  it("says why in the 'left' event (reset), and nothing for a clean close", async () => {
    const sim = createSimulator({ port: 0, streams: ['TRANSFORM'] });
    running.sims.push(sim);
    const { port } = await sim.start();
    const left = firstValueFrom(sim.events$.pipe(filter((e): e is Extract<SimulatorEvent, { kind: 'left' }> => e.kind === 'left'), take(2), toArray()));
    const { connect } = await import('node:net');
    // Closes cleanly, then one that resets: each once the simulator has it.
    const clients: string[] = [];
    for (const how of ['end', 'reset'] as const) {
      const connected = firstValueFrom(sim.events$.pipe(filter((e) => e.kind === 'connected')));
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      await connected;
      clients.push(`127.0.0.1:${s.localPort}`);
      if (how === 'end') s.end();
      else s.resetAndDestroy();
      await new Promise((r) => s.once('close', r));
    }
    const events = await left;
    const [clean, reset] = clients.map((c) => events.find((e) => e.client === c));
    expect(clean).toBeDefined();
    expect(reset).toBeDefined();
    expect(clean!.reason).toBeUndefined();
    expect(reset!.reason).toMatch(/ECONNRESET|reset/i);
  });
});
