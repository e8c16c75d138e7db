/**
 * Our client (connectTcp) against the OpenIGTLink 1.11 C++ example servers
 * (test/support/cpp-peers.md). Every expected value comes from the example's source
 * (/usr/share/doc/openigtlink-examples/examples/...); the streaming servers' matrices are
 * recomputed here (interop-helpers.ts) and cross-checked against what the server prints.
 * The 1.11 library only reads header version 1, so every connection uses maxHeaderVersion 1.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filter, type Subscription } from 'rxjs';
import {
  connectTcp,
  createMessage,
  decodeMessage,
  IgtlError,
  PeerClosedError,
  Timestamp,
  UnconfirmedDeliveryError,
  type ConnectionOptions,
  type ConnectionState,
  type IgtlConnection,
  type IgtlMessage,
  type TcpOptions,
} from '../../src/node.js';
import { startCppServer, stopAllCppPeers, runningCppPeers } from '../support/cpp-peers.js';
import {
  examplePose,
  exampleMatrix,
  expectMatrixClose,
  expectNumbersClose,
  expectPrintedClose,
  expectRigid,
  floatAngle,
  isType,
  parsePrintedMatrices,
  Recorder,
  testImage,
  TRACKING_CHANNEL_STEPS,
  trackerMatrix,
  waitForState,
} from '../support/interop-helpers.js';

const conns: IgtlConnection[] = [];
const subs: Subscription[] = [];

afterEach(async () => {
  for (const s of subs.splice(0)) s.unsubscribe();
  for (const c of conns.splice(0)) c.close();
  await stopAllCppPeers();
  expect(runningCppPeers()).toHaveLength(0);
});

/**
 * A v1 client to a C++ server, with everything it delivers recorded. No heartbeat: the example
 * servers do not answer GET_STATUS, so the probe would only be one more message they read (and
 * one more unconfirmed write in every report at their close).
 */
function client(port: number, options: Partial<ConnectionOptions & TcpOptions> = {}) {
  const conn = connectTcp({ port, maxHeaderVersion: 1, reconnect: false, heartbeat: false, ...options });
  conns.push(conn);
  const states: ConnectionState[] = [];
  const errors: IgtlError[] = [];
  subs.push(conn.state$.subscribe((s) => states.push(s)));
  subs.push(conn.errors$.subscribe((e) => errors.push(e)));
  const all = new Recorder<IgtlMessage>();
  subs.push(conn.subscribe(all.observer));
  return { conn, states, errors, all };
}

/** Records only messages of one type (the stream itself is recorded by `client`). */
function only<K extends IgtlMessage['type']>(conn: IgtlConnection, type: K) {
  const rec = new Recorder<Extract<IgtlMessage, { type: K }>>();
  subs.push(conn.pipe(filter((m): m is Extract<IgtlMessage, { type: K }> => m.type === type)).subscribe(rec.observer));
  return rec;
}

function expectV1Header(m: IgtlMessage, type: string, deviceName: string): void {
  expect(m.type).toBe(type);
  expect(m.deviceName).toBe(deviceName);
  expect(m.headerVersion).toBe(1);
  expect(m.messageId).toBe(0);
  expect(m.metadata.size).toBe(0);
}

/**
 * The server closed the connection after we wrote `written` (types, in order): errors$ has the
 * clean close, then those writes as unconfirmed (nothing ever confirms them to a C++ peer).
 */
function expectClosedByPeer(errors: IgtlError[], written: string[]): void {
  expect(errors.map((e) => e.code)).toEqual(['peer-closed', 'delivery-unconfirmed']);
  expect(errors[0]).toBeInstanceOf(PeerClosedError);
  const lost = errors[1] as UnconfirmedDeliveryError;
  expect(lost).toBeInstanceOf(UnconfirmedDeliveryError);
  expect(lost.messages).toBe(written.length);
  expect(lost.confirmation).toBe('none');
  expect(lost.frames.map((f) => decodeMessage(f).type)).toEqual(written);
  expect(lost.bytes).toBe(lost.frames.reduce((n, f) => n + f.length, 0));
}

describe('TrackerServer (TRANSFORM stream, 100 per connection)', () => {
  it('streams TRANSFORMs with the matrices the server computes, and survives its drop after 100 messages as one continuous stream', async () => {
    const { peer, port } = await startCppServer('TrackerServer', (p) => [String(p), '100']);
    const { conn, states, errors } = client(port, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const transforms = only(conn, 'TRANSFORM');

    const total = 150;
    await transforms.count(total, 20_000);
    expect(transforms.completed).toBe(false);
    expect(transforms.error).toBeUndefined();

    // One stream: the connection was lost once (clean close by the peer) and re-opened.
    const kinds = states.map((s) => s.kind);
    expect(kinds).toEqual(['idle', 'connecting', 'open', 'reconnecting', 'connecting', 'open']);
    const reconnecting = states.find((s) => s.kind === 'reconnecting');
    // The peer's clean close is named as such, in the state and on errors$, and is all that is reported.
    expect(reconnecting).toMatchObject({ kind: 'reconnecting', reason: expect.any(PeerClosedError) });
    expect(errors.map((e) => e.code)).toEqual(['peer-closed']);
    expect(errors[0]).toBe((reconnecting as { reason: Error }).reason);

    // phi and theta are statics of the server process: the sequence continues across the
    // reconnection, so message k (over both connections) is the k-th matrix. A lost or
    // duplicated message would shift every later one.
    // (stdout is a separate pipe: wait until the server's printout has caught up.)
    await peer.waitForOutput(/^=============$/m, 5000, { stream: 'stdout', count: 2 * total });
    const printed = parsePrintedMatrices(peer.stdout);
    expect(printed.length).toBeGreaterThanOrEqual(total);
    transforms.values.slice(0, total).forEach((m, k) => {
      expectV1Header(m, 'TRANSFORM', 'Tracker');
      expect(m.timestamp.isZero, `message ${k} timestamp`).toBe(true); // the example never sets one
      expectMatrixClose(m.content.matrix, trackerMatrix(k), 1e-4, `message ${k}`);
      expectPrintedClose(m.content.matrix, printed[k]!, `message ${k} vs the server's PrintMatrix`);
      expectRigid(m.content.matrix);
      // Translation (50 cos phi, 50 sin phi, 50 cos phi).
      const phi = floatAngle(0.2, k);
      expectNumbersClose([m.content.matrix[3]!, m.content.matrix[7]!, m.content.matrix[11]!], [50 * Math.cos(phi), 50 * Math.sin(phi), 50 * Math.cos(phi)], 1e-3, `message ${k} translation`);
    });
  });
});

describe('TrackerServer2 (POSITION stream)', () => {
  it('streams 28-byte POSITIONs: position and quaternion as the server computes them', async () => {
    const { port } = await startCppServer('TrackerServer2', (p) => [String(p), '100']);
    const { conn, errors } = client(port);
    const positions = only(conn, 'POSITION');
    await positions.count(8, 10_000);
    positions.values.slice(0, 8).forEach((m, k) => {
      expectV1Header(m, 'POSITION', 'Tracker');
      const { position, quaternion } = examplePose(floatAngle(0.2, k), floatAngle(0.1, k));
      expectNumbersClose(m.content.position, position, 1e-4, `message ${k} position`);
      expect(m.content.quaternion).toHaveLength(4);
      expectNumbersClose(m.content.quaternion!, quaternion, 1e-6, `message ${k} quaternion`);
    });
    expect(errors).toEqual([]);
  });
});

describe('ImagerServer (IMAGE stream)', () => {
  it('receives 256x256x1 uint8 IMAGEs with spacing (1, 1, 5) whose pixels are the image files, as views', async () => {
    const { peer, port } = await startCppServer('ImagerServer', (p) => [String(p), '50', 'img']);
    const { conn, errors } = client(port);
    const images = only(conn, 'IMAGE');
    await images.count(6, 10_000);
    const files = [1, 2, 3, 4, 5].map(testImage);
    images.values.slice(0, 6).forEach((m, k) => {
      expectV1Header(m, 'IMAGE', 'ImagerClient');
      const c = m.content;
      expect(c.size).toEqual([256, 256, 1]);
      expect(c.scalarType).toBe(3); // TYPE_UINT8
      expect(c.numComponents).toBe(1);
      expect(c.endian).toBe(1); // the C++ default, ENDIAN_BIG
      expect(c.coordinate).toBe(1); // RAS
      expect(c.subvolumeOffset).toEqual([0, 0, 0]);
      expect(c.subvolumeSize).toEqual([256, 256, 1]);
      // GetRandomTestMatrix: axes (1,0,0), (0,-1,0), (0,0,1), origin 0; Pack() scales the
      // axis columns by the spacing (1, 1, 5).
      expectMatrixClose(c.matrix, [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 5, 0, 0, 0, 0, 1], 1e-6, `image ${k} matrix`);
      const spacing = [0, 1, 2].map((a) => Math.hypot(c.matrix[a]!, c.matrix[4 + a]!, c.matrix[8 + a]!));
      expectNumbersClose(spacing, [1, 1, 5], 1e-6, 'spacing');
      // Message i carries igtlTestImage<(i % 5) + 1>.raw.
      expect(c.data.byteLength).toBe(65536);
      expect(Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).equals(files[k % 5]!), `image ${k} pixels = igtlTestImage${(k % 5) + 1}.raw`).toBe(true);
      // A view on the received frame, not a copy: the 72-byte image header and the 58-byte
      // message header are right in front of it in the same buffer.
      expect(c.data.byteOffset).toBeGreaterThanOrEqual(130);
      const imageHeader = new DataView(c.data.buffer, c.data.byteOffset - 72, 72);
      expect(imageHeader.getUint16(0)).toBe(1); // image header version
      expect(imageHeader.getUint16(6)).toBe(256); // RI
      expect(Buffer.from(c.data.buffer, c.data.byteOffset - 130 + 2, 5).toString('latin1')).toBe('IMAGE');
    });
    await peer.waitForOutput(/^Reading img\/igtlTestImage\d\.raw\.\.\.done\.$/m, 5000, { stream: 'stderr', count: 6 });
    for (let n = 1; n <= 5; n++) expect(peer.stderr).toContain(`Reading img/igtlTestImage${n}.raw...done.`);
    // The five files differ, so a cycle bug could not pass unnoticed.
    expect(new Set(files.map((f) => Buffer.from(f).toString('base64'))).size).toBe(5);
    expect(errors).toEqual([]);
  });
});

/** The k-th TDATA/QTDATA element e of the tracking data servers: angles of channel e after k messages. */
function channelAngles(e: number, k: number): { phi: number; theta: number } {
  const step = TRACKING_CHANNEL_STEPS[e]!;
  return { phi: floatAngle(step.phi, k), theta: floatAngle(step.theta, k) };
}

describe('TrackingDataServer (STT_TDATA / STP_TDATA)', () => {
  it('streams TDATA after STT_TDATA and closes the connection on STP_TDATA', async () => {
    const { peer, port } = await startCppServer('TrackingDataServer', (p) => [String(p)]);
    const { conn, states, errors, all } = client(port);
    const tdata = only(conn, 'TDATA');
    await waitForState(conn, 'open');
    await peer.waitForOutput('A client is connected.', 5000, { stream: 'stderr' });

    const start = Date.now();
    await expect(conn.send(createMessage('STT_TDATA', { resolution: 50, coordinateName: '' }, { timestamp: Timestamp.ZERO }))).resolves.toBe('written');
    await peer.waitForOutput('Received a STT_TDATA message.', 5000, { stream: 'stderr' });
    await peer.waitForOutput('Interval = 50 (ms)', 5000, { stream: 'stderr' });
    await tdata.count(5, 10_000);
    // Five messages 50 ms apart take at least four intervals.
    expect(Date.now() - start).toBeGreaterThanOrEqual(4 * 50 - 20);

    tdata.values.slice(0, 5).forEach((m, k) => {
      expectV1Header(m, 'TDATA', 'Tracker');
      const els = m.content.elements;
      expect(els.map((e) => e.name)).toEqual(['Channel 0', 'Channel 1', 'Channel 2']);
      expect(els.map((e) => e.type)).toEqual([1, 2, 4]); // TRACKER, 6D, 5D
      els.forEach((e, i) => {
        const { phi, theta } = channelAngles(i, k);
        expectMatrixClose(e.matrix, exampleMatrix(phi, theta), 1e-4, `message ${k} element ${i}`);
        expectRigid(e.matrix);
      });
    });

    await expect(conn.send(createMessage('STP_TDATA', {}, { timestamp: Timestamp.ZERO }))).resolves.toBe('written');
    await peer.waitForOutput('Received a STP_TDATA message.', 5000, { stream: 'stderr' });
    await peer.waitForOutput('Disconnecting the client.', 5000, { stream: 'stderr' });
    // reconnect: false, so the server's close ends the stream cleanly.
    await all.end(5000);
    expect(all.completed).toBe(true);
    expect(all.error).toBeUndefined();
    // The state says the peer closed it; errors$ says so too, and that the two queries we wrote
    // were never confirmed as read (the C++ server has no way to say it read them).
    expect(states.at(-1)).toEqual({ kind: 'closed', reason: expect.any(PeerClosedError) });
    expect(peer.stderr).not.toContain('RTS_TDATA');
    expect(all.values.every((m) => m.type === 'TDATA')).toBe(true);
    expectClosedByPeer(errors, ['STT_TDATA', 'STP_TDATA']);
    expect(errors[0]).toBe((states.at(-1) as { reason: Error }).reason);
  });
});

describe('QuaternionTrackingDataServer (STT_QTDATA / STP_QTDATA)', () => {
  it('streams QTDATA after STT_QTDATA, positions and quaternions as computed, and closes on STP_QTDATA', async () => {
    const { peer, port } = await startCppServer('QuaternionTrackingDataServer', (p) => [String(p)]);
    const { conn, errors, all } = client(port);
    const qtdata = only(conn, 'QTDATA');
    await waitForState(conn, 'open');
    await conn.send(createMessage('STT_QTDATA', { resolution: 20, coordinateName: 'Patient' }, { deviceName: 'igtl-rx' }));
    await peer.waitForOutput('Received a STT_QTDATA message.', 5000, { stream: 'stderr' });
    await peer.waitForOutput('Interval = 20 (ms)', 5000, { stream: 'stderr' });
    await qtdata.count(6, 10_000);
    qtdata.values.slice(0, 6).forEach((m, k) => {
      expectV1Header(m, 'QTDATA', 'Tracker');
      const els = m.content.elements;
      expect(els.map((e) => e.name)).toEqual(['Channel 0', 'Channel 1', 'Channel 2']);
      expect(els.map((e) => e.type)).toEqual([1, 2, 4]);
      els.forEach((e, i) => {
        const { phi, theta } = channelAngles(i, k);
        const { position, quaternion } = examplePose(phi, theta);
        expectNumbersClose(e.position, position, 1e-4, `message ${k} element ${i} position`);
        // Sent as computed, not normalised: (0, 0.667 cos theta, 0.577, 0.667 sin theta).
        expectNumbersClose(e.quaternion, quaternion, 1e-6, `message ${k} element ${i} quaternion`);
      });
    });
    await conn.send(createMessage('STP_QTDATA', {}));
    await peer.waitForOutput('Received a STP_QTDATA message.', 5000, { stream: 'stderr' });
    await all.end(5000);
    expect(all.completed).toBe(true);
    expectClosedByPeer(errors, ['STT_QTDATA', 'STP_QTDATA']);
  });
});

describe('one-shot and slow senders', () => {
  it('StatusServer: STATUS OK, subcode 128, "OK!", the test text', async () => {
    const { port } = await startCppServer('StatusServer', (p) => [String(p)]);
    const { conn, errors } = client(port);
    const status = only(conn, 'STATUS');
    await status.count(1, 5000);
    const m = status.values[0]!;
    expectV1Header(m, 'STATUS', 'Device');
    expect(m.timestamp.isZero).toBe(true);
    expect(m.content).toEqual({ code: 1, subcode: 128n, errorName: 'OK!', statusMessage: 'This is a test to send status message.' });
    expect(errors).toEqual([]);
  });

  it('StringServer: STRINGs cycling through the five test strings, encoding 3', async () => {
    const { peer, port } = await startCppServer('StringServer', (p) => [String(p), '100']);
    const { conn, errors } = client(port);
    const strings = only(conn, 'STRING');
    await strings.count(7, 10_000);
    const expected = ['OpenIGTLink', 'Network', 'Communication', 'Protocol', 'Image Guided Therapy'];
    await peer.waitForOutput(/^Sending string: /m, 5000, { stream: 'stdout', count: 7 });
    const printed = [...peer.stdout.matchAll(/^Sending string: (.*)$/gm)].map((x) => x[1]);
    strings.values.slice(0, 7).forEach((m, k) => {
      expectV1Header(m, 'STRING', 'StringMessage');
      expect(m.content.encoding).toBe(3);
      expect(m.content.value).toBe(expected[k % 5]);
      expect(m.content.value).toBe(printed[k]);
      expect(m.content.raw).toBeUndefined();
    });
    expect(errors).toEqual([]);
  });

  it('PointServer: one POINT with the three points, then the server closes', async () => {
    const { port } = await startCppServer('PointServer', (p) => [String(p)]);
    const { all, errors, states } = client(port);
    await all.end(10_000);
    expect(all.completed).toBe(true);
    expect(states.at(-1)).toEqual({ kind: 'closed', reason: expect.any(PeerClosedError) });
    expect(all.values).toHaveLength(1);
    const m = all.values[0]!;
    expectV1Header(m, 'POINT', 'PointSender');
    if (!isType('POINT')(m)) throw new Error('not a POINT');
    expect(m.content.points).toEqual([
      { name: 'POINT_0', group: 'GROUP_0', rgba: [255, 0, 0, 255], position: [10, 20, 30], radius: 15, owner: 'IMAGE_0' },
      { name: 'POINT_1', group: 'GROUP_0', rgba: [0, 255, 0, 255], position: [40, 50, 60], radius: 45, owner: 'IMAGE_0' },
      { name: 'POINT_2', group: 'GROUP_0', rgba: [0, 0, 255, 255], position: [70, 80, 90], radius: 75, owner: 'IMAGE_0' },
    ]);
    // We wrote nothing: the close is all there is to report.
    expect(errors.map((e) => e.code)).toEqual(['peer-closed']);
  });

  it('TrajectoryServer: one TRAJ with the three trajectories, then the server closes', async () => {
    const { port } = await startCppServer('TrajectoryServer', (p) => [String(p)]);
    const { all, errors, states } = client(port);
    await all.end(10_000);
    expect(all.completed).toBe(true);
    expect(states.at(-1)).toEqual({ kind: 'closed', reason: expect.any(PeerClosedError) });
    expect(all.values).toHaveLength(1);
    const m = all.values[0]!;
    expectV1Header(m, 'TRAJ', 'TrajectorySender');
    if (!isType('TRAJ')(m)) throw new Error('not a TRAJ');
    // The example never calls SetType: the element keeps the library's default, 2 (TYPE_TARGET_ONLY).
    expect(m.content.trajectories).toEqual([
      { name: 'TRAJECTORY_0', group: 'GROUP_0', type: 2, rgba: [255, 0, 0, 255], entry: [10, 20, 30], target: [20, 20, 40], radius: 15, owner: 'IMAGE_0' },
      { name: 'TRAJECTORY_1', group: 'GROUP_0', type: 2, rgba: [0, 255, 0, 255], entry: [40, 50, 60], target: [20, 30, 10], radius: 45, owner: 'IMAGE_0' },
      { name: 'TRAJECTORY_2', group: 'GROUP_0', type: 2, rgba: [0, 0, 255, 255], entry: [70, 80, 90], target: [10, 40, 20], radius: 75, owner: 'IMAGE_0' },
    ]);
    // We wrote nothing: the close is all there is to report.
    expect(errors.map((e) => e.code)).toEqual(['peer-closed']);
  });

  it('CapabilityServer: CAPABILITY TRANSFORM, GET_IMAGE, GET_LBMETA', async () => {
    const { port } = await startCppServer('CapabilityServer', (p) => [String(p)]);
    const { conn, errors } = client(port);
    const caps = only(conn, 'CAPABILITY');
    await caps.count(1, 5000);
    expectV1Header(caps.values[0]!, 'CAPABILITY', 'Device');
    expect(caps.values[0]!.content.types).toEqual(['TRANSFORM', 'GET_IMAGE', 'GET_LBMETA']);
    expect(errors).toEqual([]);
  });

  it('BindServer: despite its name, a TRANSFORM stream like TrackerServer', async () => {
    const { peer, port } = await startCppServer('BindServer', (p) => [String(p), '100']);
    const { conn, all, errors } = client(port);
    const transforms = only(conn, 'TRANSFORM');
    await transforms.count(5, 10_000);
    await peer.waitForOutput(/^=============$/m, 5000, { stream: 'stdout', count: 10 });
    const printed = parsePrintedMatrices(peer.stdout);
    transforms.values.slice(0, 5).forEach((m, k) => {
      expectV1Header(m, 'TRANSFORM', 'Tracker');
      expectMatrixClose(m.content.matrix, trackerMatrix(k), 1e-4, `message ${k}`);
      expectPrintedClose(m.content.matrix, printed[k]!, `message ${k} vs PrintMatrix`);
    });
    expect(all.values.some((m) => m.type === 'BIND')).toBe(false);
    expect(errors).toEqual([]);
  });
});

describe('query servers (GET_*)', () => {
  it('PolyDataServer answers each GET_POLYDATA with the cube, named after the query', async () => {
    const { peer, port } = await startCppServer('PolyDataServer', (p) => [String(p)]);
    const { conn, errors } = client(port);
    const polys = only(conn, 'POLYDATA');
    await waitForState(conn, 'open');
    await conn.send(createMessage('GET_POLYDATA', {}, { deviceName: 'MeshQuery' }));
    await polys.count(1, 5000);
    await conn.send(createMessage('GET_POLYDATA', {}, { deviceName: 'Second' }));
    await polys.count(2, 5000);
    expect(polys.values.map((m) => m.deviceName)).toEqual(['MeshQuery', 'Second']);
    await peer.waitForOutput('Size of pack: 358', 5000, { stream: 'stderr', count: 2 }); // 58 + 300
    expect(peer.countOutput('Received a GET_POLYDATA message.')).toBe(2);
    for (const m of polys.values) {
      expect(m.headerVersion).toBe(1);
      const c = m.content;
      expect(Array.from(c.points)).toEqual([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1]);
      expect(c.polygons).toEqual([[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]);
      expect(c.vertices).toEqual([]);
      expect(c.lines).toEqual([]);
      expect(c.triangleStrips).toEqual([]);
      expect(c.attributes).toHaveLength(1);
      const a = c.attributes[0]!;
      expect({ type: a.type, ncomponents: a.ncomponents, n: a.n, name: a.name }).toEqual({ type: 0, ncomponents: 1, n: 8, name: 'attr' });
      expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
    expect(errors).toEqual([]);
  });

  it('ImageMetaServer answers GET_IMGMETA with three image descriptions, named after the query', async () => {
    const { peer, port } = await startCppServer('ImageMetaServer', (p) => [String(p)]);
    const { conn, errors } = client(port);
    const metas = only(conn, 'IMGMETA');
    await waitForState(conn, 'open');
    await conn.send(createMessage('GET_IMGMETA', {}, { deviceName: 'igtl-rx-query' }));
    await metas.count(1, 5000);
    await peer.waitForOutput('Received a GET_IMGMETA message.', 5000, { stream: 'stderr' });
    await peer.waitForOutput('Size of pack: 838', 5000, { stream: 'stderr' });
    const m = metas.values[0]!;
    expectV1Header(m, 'IMGMETA', 'igtl-rx-query');
    const images = m.content.images;
    expect(images.map(({ timestamp: _t, ...rest }) => rest)).toEqual([
      { name: 'IMAGE_DESCRIPTION_0', deviceName: 'IMAGE_0', modality: 'CT', patientName: 'PATIENT_0', patientId: 'PATIENT_ID_0', size: [512, 512, 64], scalarType: 5 },
      { name: 'IMAGE_DESCRIPTION_1', deviceName: 'IMAGE_1', modality: 'MRI', patientName: 'PATIENT_1', patientId: 'PATIENT_ID_1', size: [256, 128, 32], scalarType: 5 },
      { name: 'IMAGE_DESCRIPTION_2', deviceName: 'IMAGE_2', modality: 'PET', patientName: 'PATIENT_2', patientId: 'PATIENT_ID_2', size: [256, 256, 32], scalarType: 5 },
    ]);
    // TimeStamp::SetTime(1.2345) etc.
    expect(images.map((e) => e.timestamp.seconds)).toEqual([1, 2, 3]);
    expectNumbersClose(images.map((e) => e.timestamp.toSeconds()), [1.2345, 2.3456, 3.4567], 1e-6, 'timestamps');
    expect(errors).toEqual([]);
  });

  it('LabelMetaServer answers GET_LBMETA with three labels, always named MetaServer', async () => {
    const { peer, port } = await startCppServer('LabelMetaServer', (p) => [String(p)]);
    const { conn, errors } = client(port);
    const metas = only(conn, 'LBMETA');
    await waitForState(conn, 'open');
    await conn.send(createMessage('GET_LBMETA', {}, { deviceName: 'ignored-name' }));
    await metas.count(1, 5000);
    await peer.waitForOutput('Received a GET_LBMETA message.', 5000, { stream: 'stderr' });
    await peer.waitForOutput('Size of pack: 406', 5000, { stream: 'stderr' });
    const m = metas.values[0]!;
    expectV1Header(m, 'LBMETA', 'MetaServer');
    expect(m.content.labels).toEqual([
      { name: 'LABEL_DESCRIPTION_0', deviceName: 'LABEL_0', label: 1, rgba: [255, 0, 0, 255], size: [512, 512, 64], owner: 'IMAGE_0' },
      { name: 'LABEL_DESCRIPTION_1', deviceName: 'LABEL_1', label: 2, rgba: [0, 255, 0, 255], size: [256, 128, 32], owner: 'IMAGE_1' },
      { name: 'LABEL_DESCRIPTION_2', deviceName: 'LABEL_2', label: 3, rgba: [0, 0, 255, 255], size: [256, 256, 32], owner: 'IMAGE_2' },
    ]);
    expect(errors).toEqual([]);
  });
});
