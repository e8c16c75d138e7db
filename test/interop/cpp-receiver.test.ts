/**
 * Every message type the C++ 1.11 library knows, sent by our client to ReceiveServer: its
 * output shows what it decoded (test/support/cpp-peers.md §4). The detail lines appear only
 * when the body passed `Unpack(1)`, i.e. the CRC and the layout were accepted. Types that
 * ReceiveServer does not decode are checked by their `Receiving : TYPE` / `Size : N` lines.
 *
 * One fresh ReceiveServer per test (its POINT/TRAJ printers leave std::cerr in fixed notation,
 * and it serves at most 100 messages per connection).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectTcp,
  createImageContent,
  createMessage,
  defaultRegistry,
  encodeMessage,
  fractionToNanoseconds,
  Timestamp,
  type IgtlConnection,
  type IgtlMessage,
} from '../../src/node.js';
import { housekeepingReply } from '../../src/connection/housekeeping.js';
import { runningCppPeers, startCppServer, stopAllCppPeers, type CppPeer } from '../support/cpp-peers.js';
import { cpp111FractionToNanoseconds, expectPrintedClose, parsePrintedMatrices, rawConnect, waitForState } from '../support/interop-helpers.js';

const conns: IgtlConnection[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  await stopAllCppPeers();
  expect(runningCppPeers()).toHaveLength(0);
});

const T0 = Timestamp.ZERO;

/** A fresh ReceiveServer and an open v1 connection to it. */
async function receiveServer(): Promise<{ peer: CppPeer; conn: IgtlConnection; send: (...msgs: IgtlMessage[]) => Promise<void> }> {
  const { peer, port } = await startCppServer('ReceiveServer', (p) => [String(p)]);
  // No heartbeat: ReceiveServer prints every message it reads, and the tests count them; the
  // GET_STATUS probe would be one more (and it never answers, so it would never be pinged).
  const conn = connectTcp({ port, maxHeaderVersion: 1, reconnect: false, heartbeat: false });
  conns.push(conn);
  conn.connect();
  await waitForState(conn, 'open');
  const send = async (...msgs: IgtlMessage[]): Promise<void> => {
    for (const m of msgs) await expect(conn.send(m)).resolves.toBe('written');
  };
  return { peer, conn, send };
}

/** `text` with every regex special character escaped. */
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Waits for these exact consecutive lines on stderr. */
function stderrLines(peer: CppPeer, lines: readonly string[], timeoutMs = 5000) {
  return peer.waitForOutput(new RegExp(`^${lines.map(esc).join('\\n')}$`, 'm'), timeoutMs, { stream: 'stderr' });
}

/** Sends a STRING marker and waits until ReceiveServer has printed it: everything before it is processed. */
async function sync(peer: CppPeer, send: (...m: IgtlMessage[]) => Promise<void>, marker = 'END-OF-BATCH'): Promise<void> {
  await send(createMessage('STRING', { encoding: 3, value: marker }, { deviceName: 'marker', timestamp: T0 }));
  await stderrLines(peer, [`Encoding: 3; String: ${marker}`]);
}

/** The `Time stamp:` line ReceiveServer prints for a header timestamp (1.11's fraction -> ns conversion). */
function printedTimestamp(ts: Timestamp): string {
  const ns = cpp111FractionToNanoseconds(ts.fraction);
  // Later versions' conversion (ours) agrees within a few tens of ns.
  expect(Math.abs(ns - fractionToNanoseconds(ts.fraction))).toBeLessThan(50);
  return `Time stamp: ${ts.seconds}.${String(ns).padStart(9, '0')}`;
}

describe('ReceiveServer decodes what we send (CRC checked)', () => {
  it('TRANSFORM: matrices in the right layout, header timestamps', async () => {
    const { peer, send } = await receiveServer();
    const ts1 = new Timestamp(1_700_000_000, 0x80000000);
    const ts2 = Timestamp.fromNanoseconds(1_234_567_890_123_456_789n);
    const rigid = [0, -1, 0, 12.5, 1, 0, 0, -7.25, 0, 0, 1, 1000.5, 0, 0, 0, 1];
    const layout = [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12, 0, 0, 0, 1];
    await send(
      createMessage('TRANSFORM', { matrix: rigid }, { deviceName: 'StylusToTracker', timestamp: ts1 }),
      createMessage('TRANSFORM', { matrix: layout }, { deviceName: 'Layout', timestamp: ts2 }),
    );
    await peer.waitForOutput('Receiving TRANSFORM data type.', 5000, { stream: 'stderr', count: 2 });
    await peer.waitForOutput(/^=============$/m, 5000, { stream: 'stdout', count: 4 });
    expect(printedTimestamp(ts1)).toBe('Time stamp: 1700000000.500000000');
    await stderrLines(peer, [printedTimestamp(ts1), 'Receiving TRANSFORM data type.']);
    await stderrLines(peer, [printedTimestamp(ts2), 'Receiving TRANSFORM data type.']);
    expect(printedTimestamp(ts2)).toBe('Time stamp: 1234567890.123456778');
    expect(peer.stdout).toContain('=============\n0, -1, 0, 12.5\n1, 0, 0, -7.25\n0, 0, 1, 1000.5\n0, 0, 0, 1\n=============\n');
    expect(peer.stdout).toContain('=============\n1, 4, 7, 10\n2, 5, 8, 11\n3, 6, 9, 12\n0, 0, 0, 1\n=============\n');
    expect(parsePrintedMatrices(peer.stdout)).toEqual([rigid, layout]);
  });

  it('POSITION: the 28-, 24- and 12-byte forms', async () => {
    const { peer, send } = await receiveServer();
    await send(
      createMessage('POSITION', { position: [1.5, -2.25, 3.125], quaternion: [0.5, -0.5, 0.5, 0.5] }, { deviceName: 'Full', timestamp: T0 }),
      createMessage('POSITION', { position: [10, 20, 30], quaternion: [0.1, 0.2, 0.3] }, { deviceName: 'ThreeQ', timestamp: T0 }),
      createMessage('POSITION', { position: [-1, -2, -3] }, { deviceName: 'PosOnly', timestamp: T0 }),
    );
    await stderrLines(peer, ['Receiving POSITION data type.', 'position   = (1.5, -2.25, 3.125)', 'quaternion = (0.5, -0.5, 0.5, 0.5)', '']);
    // 24 bytes: C++ computes w = sqrt(1 - x² - y² - z²).
    await stderrLines(peer, ['Receiving POSITION data type.', 'position   = (10, 20, 30)', 'quaternion = (0.1, 0.2, 0.3, 0.927362)', '']);
    // 12 bytes: position only, identity orientation.
    await stderrLines(peer, ['Receiving POSITION data type.', 'position   = (-1, -2, -3)', 'quaternion = (0, 0, 0, 1)', '']);
  });

  it('IMAGE: scalar type, dimensions, spacing from the axis columns, sub-volume', async () => {
    const { peer, send } = await receiveServer();
    const full = createImageContent({ data: new Int16Array(4 * 3 * 2).map((_, i) => i * 100 - 1000), size: [4, 3, 2], spacing: [0.5, 0.75, 2.5], origin: [10, 20, 30] });
    const sub = createImageContent({
      data: new Float32Array(4 * 3 * 2).map((_, i) => i / 3),
      size: [8, 6, 4],
      spacing: [0.5, 0.75, 2.5],
      // i along +y, j along -x: the spacing is the length of each (rotated) axis column.
      directions: [[0, 1, 0], [-1, 0, 0], [0, 0, 1]],
      subvolumeOffset: [2, 1, 1],
      subvolumeSize: [4, 3, 2],
    });
    await send(
      createMessage('IMAGE', full, { deviceName: 'igtl-rx-image', timestamp: T0 }),
      createMessage('IMAGE', sub, { deviceName: 'igtl-rx-subvol', timestamp: T0 }),
    );
    await stderrLines(peer, [
      'Receiving IMAGE data type.',
      'Device Name           : igtl-rx-image',
      'Scalar Type           : 4',
      'Dimensions            : (4, 3, 2)',
      'Spacing               : (0.5, 0.75, 2.5)',
      'Sub-Volume dimensions : (4, 3, 2)',
      'Sub-Volume offset     : (0, 0, 0)',
    ]);
    await stderrLines(peer, [
      'Receiving IMAGE data type.',
      'Device Name           : igtl-rx-subvol',
      'Scalar Type           : 10',
      'Dimensions            : (8, 6, 4)',
      'Spacing               : (0.5, 0.75, 2.5)',
      'Sub-Volume dimensions : (4, 3, 2)',
      'Sub-Volume offset     : (2, 1, 1)',
    ]);
  });

  it('STATUS: code, 64-bit signed subcode, error name, text', async () => {
    const { peer, send } = await receiveServer();
    await send(
      createMessage('STATUS', { code: 13, subcode: -42n, errorName: 'IGTLRX_ERR_42', statusMessage: 'Status text from igtl-rx: 42 mm' }, { deviceName: 'Dev', timestamp: T0 }),
      createMessage('STATUS', { code: 1, subcode: 0x123456789abcn, errorName: '', statusMessage: '' }, { deviceName: 'Dev', timestamp: T0 }),
    );
    await stderrLines(peer, ['Receiving STATUS data type.', '========== STATUS ==========', ' Code      : 13', ' SubCode   : -42', ' Error Name: IGTLRX_ERR_42', ' Status    : Status text from igtl-rx: 42 mm', '============================']);
    await stderrLines(peer, ['Receiving STATUS data type.', '========== STATUS ==========', ' Code      : 1', ` SubCode   : ${0x123456789abc}`, ' Error Name: ', ' Status    : ', '============================']);
  });

  it('POINT: every element field', async () => {
    const { peer, send } = await receiveServer();
    await send(
      createMessage('POINT', {
        points: [
          { name: 'Entry-Point', group: 'Fiducial', rgba: [12, 34, 56, 78], position: [1.5, -2.25, 1000.125], radius: 7.5, owner: 'CT_Volume' },
          { name: 'Target', group: 'Landmark', rgba: [255, 128, 0, 64], position: [-10, 0.5, 3.75], radius: 0.25, owner: '' },
        ],
      }, { deviceName: 'Fiducials', timestamp: T0 }),
    );
    await stderrLines(peer, [
      'Receiving POINT data type.',
      '========== Element #0 ==========',
      ' Name      : Entry-Point',
      ' GroupName : Fiducial',
      ' RGBA      : ( 12, 34, 56, 78 )',
      ' Position  : ( 1.500000, -2.250000, 1000.125000 )',
      ' Radius    : 7.500000',
      ' Owner     : CT_Volume',
      '================================',
      '========== Element #1 ==========',
      ' Name      : Target',
      ' GroupName : Landmark',
      ' RGBA      : ( 255, 128, 0, 64 )',
      ' Position  : ( -10.000000, 0.500000, 3.750000 )',
      ' Radius    : 0.250000',
      ' Owner     : ',
      '================================',
    ]);
  });

  it('TRAJ: every element field', async () => {
    const { peer, send } = await receiveServer();
    await send(
      createMessage('TRAJ', {
        trajectories: [
          { name: 'Needle-1', group: 'Plan', type: 3, rgba: [1, 2, 3, 4], entry: [10.5, -20, 30.25], target: [11, -21, 60.75], radius: 1.25, owner: 'MR_Volume' },
          { name: 'Needle-2', group: 'Plan', type: 2, rgba: [200, 100, 50, 255], entry: [0, 0, 0], target: [-5.5, 6.5, -7.5], radius: 2, owner: 'MR_Volume' },
        ],
      }, { deviceName: 'Trajectories', timestamp: T0 }),
    );
    await stderrLines(peer, [
      'Receiving TRAJECTORY data type.',
      '========== Element #0 ==========',
      ' Name      : Needle-1',
      ' GroupName : Plan',
      ' RGBA      : ( 1, 2, 3, 4 )',
      ' Entry Pt  : ( 10.500000, -20.000000, 30.250000 )',
      ' Target Pt : ( 11.000000, -21.000000, 60.750000 )',
      ' Radius    : 1.250000',
      ' Owner     : MR_Volume',
      '================================',
      '',
      '========== Element #1 ==========',
      ' Name      : Needle-2',
      ' GroupName : Plan',
      ' RGBA      : ( 200, 100, 50, 255 )',
      ' Entry Pt  : ( 0.000000, 0.000000, 0.000000 )',
      ' Target Pt : ( -5.500000, 6.500000, -7.500000 )',
      ' Radius    : 2.000000',
      ' Owner     : MR_Volume',
      '================================',
      '',
    ]);
  });

  it('STRING: US-ASCII and UTF-8 text', async () => {
    const { peer, send } = await receiveServer();
    await send(
      createMessage('STRING', { encoding: 3, value: 'plain ASCII, with punctuation: 1+1=2' }, { deviceName: 'Text', timestamp: T0 }),
      createMessage('STRING', { encoding: 106, value: 'héllo wörld — ✓ igtl-rx' }, { deviceName: 'Text', timestamp: T0 }),
    );
    await stderrLines(peer, ['Receiving STRING data type.', 'Encoding: 3; String: plain ASCII, with punctuation: 1+1=2']);
    await stderrLines(peer, ['Receiving STRING data type.', 'Encoding: 106; String: héllo wörld — ✓ igtl-rx']);
  });

  it('BIND: its STRING and TRANSFORM children, names and contents', async () => {
    const { peer, send } = await receiveServer();
    const matrix = [0, 0, 1, -3.5, 0, 1, 0, 4.25, -1, 0, 0, 99, 0, 0, 0, 1];
    await send(
      createMessage('BIND', {
        children: [
          createMessage('STRING', { encoding: 3, value: 'bound string' }, { deviceName: 'BoundText', timestamp: T0 }),
          createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: 'odd-sized child' }, { deviceName: 'BoundStatus', timestamp: T0 }),
          createMessage('TRANSFORM', { matrix }, { deviceName: 'BoundPose', timestamp: T0 }),
        ],
      }, { deviceName: 'BindMessage', timestamp: T0 }),
    );
    await stderrLines(peer, ['Receiving BIND data type.', 'Message type: STRING', 'Message name: BoundText', 'Encoding: 3; String: bound string', 'Message type: TRANSFORM', 'Message name: BoundPose']);
    await peer.waitForOutput('=============\n0, 0, 1, -3.5\n0, 1, 0, 4.25\n-1, 0, 0, 99\n0, 0, 0, 1\n=============', 5000, { stream: 'stdout' });
  });

  it('CAPABILITY: every type name, including the list our server sends for GET_CAPABIL', async () => {
    const { peer, send } = await receiveServer();
    const types = ['TRANSFORM', 'IMAGE', 'STATUS', 'GET_CAPABIL', 'STT_QTDATA', 'RTS_POLYDATA'];
    await send(createMessage('CAPABILITY', { types }, { deviceName: 'Caps', timestamp: T0 }));
    await stderrLines(peer, ['Receiving CAPABILITY data type.', ...types.map((t, i) => `Typename #${i}: ${t}`)]);

    // The housekeeping reply of our server (every type it can decode), as a C++ client sees it.
    const reply = housekeepingReply(createMessage('GET_CAPABIL', {}, { deviceName: 'Caps' }), 2, defaultRegistry.types());
    expect(reply?.type).toBe('CAPABILITY');
    if (reply?.type !== 'CAPABILITY') return;
    const all = reply.content.types;
    expect(all).toEqual(expect.arrayContaining(['TRANSFORM', 'IMAGE', 'STATUS', 'TDATA', 'POLYDATA', 'GET_CAPABIL']));
    const mark = peer.stderr.length;
    await send(reply);
    await peer.waitForOutput(`Typename #${all.length - 1}: ${all.at(-1)}`, 5000, { stream: 'stderr', since: mark });
    const printed = [...peer.stderr.slice(mark).matchAll(/^Typename #(\d+): (.*)$/gm)].map((m) => m[2]);
    expect(printed).toEqual(all);
  });
});

describe('ReceiveServer reads the types it does not decode with the right body size', () => {
  it('TDATA, QTDATA, SENSOR, NDARRAY, COLORT, IMGMETA, LBMETA, POLYDATA, COMMAND, queries, unknown types', async () => {
    const { peer, send } = await receiveServer();
    const m4 = [1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3, 0, 0, 0, 1];
    const ts = new Timestamp(42, 0x40000000);
    // [message, body size from the spec (OpenIGTLink Documents/Protocol/*.md), computed by hand]
    const cases: [IgtlMessage, number][] = [
      [createMessage('TDATA', { elements: [{ name: 'Tool1', type: 2, matrix: m4 }, { name: 'Tool2', type: 1, matrix: m4 }] }, { deviceName: 'T' }), 2 * 70],
      [createMessage('QTDATA', { elements: [0, 1, 2].map((i) => ({ name: `Q${i}`, type: 2, position: [i, 2, 3] as const, quaternion: [0, 0, 0, 1] as const })) }, { deviceName: 'Q' }), 3 * 50],
      [createMessage('SENSOR', { status: 0, unit: 0n, data: [1.5, 2.5, 3.5] }, { deviceName: 'S' }), 10 + 3 * 8],
      [createMessage('NDARRAY', { scalarType: 10, size: [2, 3], data: new Uint8Array(24) }, { deviceName: 'N' }), 2 + 2 * 2 + 6 * 4],
      [createMessage('COLORT', { indexType: 3, mapType: 19, table: new Uint8Array(256 * 3) }, { deviceName: 'C' }), 2 + 256 * 3],
      [createMessage('IMGMETA', { images: [{ name: 'img', deviceName: 'IMG0', modality: 'CT', patientName: 'P', patientId: 'ID', timestamp: ts, size: [1, 2, 3], scalarType: 3 }] }, { deviceName: 'IM' }), 260],
      [createMessage('LBMETA', { labels: [1, 2].map((l) => ({ name: `L${l}`, deviceName: `LB${l}`, label: l, rgba: [1, 2, 3, 4] as const, size: [1, 1, 1] as const, owner: 'IMG0' })) }, { deviceName: 'LB' }), 2 * 116],
      [
        createMessage('POLYDATA', {
          points: new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]),
          vertices: [],
          lines: [],
          polygons: [[0, 1, 2]],
          triangleStrips: [],
          attributes: [{ type: 0, ncomponents: 1, n: 3, name: 'ab', data: new Float32Array([1, 2, 3]) }],
        }, { deviceName: 'P' }),
        // header 40 + points 36 + polygon cell (1 + 3) x 4 + attribute header 6 + "ab\0" padded to 4 + data 12
        40 + 36 + 16 + 6 + 4 + 12,
      ],
      [createMessage('COMMAND', { commandId: 7, commandName: 'Get', encoding: 3, command: 'abc' }, { deviceName: 'CMD' }), 138 + 3],
      ...(['GET_TRANS', 'GET_IMAGE', 'GET_STATUS', 'GET_CAPABIL', 'GET_POINT', 'GET_TRAJ', 'GET_IMGMETA', 'GET_LBMETA', 'GET_COLORT', 'GET_POLYDATA', 'GET_TDATA', 'GET_QTDATA', 'STP_TDATA', 'STP_QTDATA', 'STP_BIND'] as const)
        .map((t): [IgtlMessage, number] => [createMessage(t, {}, { deviceName: 'Q' }), 0]),
      [createMessage('STT_TDATA', { resolution: 100, coordinateName: 'Patient' }, { deviceName: 'Q' }), 36],
      [createMessage('STT_QTDATA', { resolution: 0, coordinateName: '' }, { deviceName: 'Q' }), 36],
      [createMessage('RTS_TDATA', { status: 0 }, { deviceName: 'Q' }), 1],
      [createMessage('RTS_QTDATA', { status: 1 }, { deviceName: 'Q' }), 1],
      [{ type: 'UNKNOWN', typeName: 'MY_TYPE', headerVersion: 1, deviceName: 'X', timestamp: ts, messageId: 0, metadata: new Map(), content: { raw: new Uint8Array([1, 2, 3, 4, 5]) } }, 5],
    ];
    expect(cases.length).toBeLessThan(99); // ReceiveServer serves 100 messages per connection
    await send(...cases.map(([m]) => m));
    await sync(peer, send);
    const seen = [...peer.stderr.matchAll(/^Receiving : (.*)\nSize : (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(seen).toEqual(cases.map(([m, size]) => [m.type === 'UNKNOWN' ? m.typeName : m.type, size]));
    // One "Time stamp" line per message; the custom type carried timestamp 42.25 s.
    expect(peer.countOutput(/^Time stamp: /m, { stream: 'stderr' })).toBe(cases.length + 1);
    expect(peer.stderr).toContain('Time stamp: 42.250000000\nReceiving : MY_TYPE\nSize : 5\n');
  });
});

describe('ReceiveServer checks our CRCs', () => {
  it('a message whose CRC (or body) does not match is not decoded; good ones around it are', async () => {
    const { peer, port } = await startCppServer('ReceiveServer', (p) => [String(p)]);
    const socket = await rawConnect(port);
    sockets.push(socket);
    const good = [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12, 0, 0, 0, 1];
    const other = [101, 104, 107, 110, 102, 105, 108, 111, 103, 106, 109, 112, 0, 0, 0, 1];
    const goodTransform = encodeMessage(createMessage('TRANSFORM', { matrix: good }, { deviceName: 'Good', timestamp: T0 }));
    const badCrc = encodeMessage(createMessage('TRANSFORM', { matrix: other }, { deviceName: 'BadCrc', timestamp: T0 }));
    badCrc[57] ^= 0x01; // last byte of the CRC field
    const statusMsg = (text: string) => encodeMessage(createMessage('STATUS', { code: 2, subcode: 7n, errorName: 'E', statusMessage: text }, { deviceName: 'S', timestamp: T0 }));
    const badBody = statusMsg('corrupted body text');
    badBody[58 + 30] ^= 0x20; // a letter of the text changes case; the CRC stays the old one
    const goodStatus = statusMsg('intact body text');
    const marker = encodeMessage(createMessage('STRING', { encoding: 3, value: 'AFTER-BAD-CRC' }, { deviceName: 'marker', timestamp: T0 }));
    // The matrices go to stdout, a pipe of its own, read apart from stderr: a good TRANSFORM marks
    // the end of stdout (what ReceiveServer printed before its matrix is on stdout before it), the
    // STRING after it the end of stderr (its "Receiving TRANSFORM" line included).
    const last = [21, 24, 27, 30, 22, 25, 28, 31, 23, 26, 29, 32, 0, 0, 0, 1];
    const stdoutMarker = encodeMessage(createMessage('TRANSFORM', { matrix: last }, { deviceName: 'Last', timestamp: T0 }));
    socket.write(Buffer.concat([goodTransform, badCrc, badBody, goodStatus, stdoutMarker, marker]));

    await stderrLines(peer, ['Receiving STRING data type.', 'Encoding: 3; String: AFTER-BAD-CRC']);
    // The whole printed matrix, closing line included: stdout is a pipe, and the first row may
    // arrive in one read and the rest in the next (parsePrintedMatrices needs the whole block).
    await peer.waitForOutput('=============\n21, 24, 27, 30\n22, 25, 28, 31\n23, 26, 29, 32\n0, 0, 0, 1\n=============', 5000, { stream: 'stdout' });
    // Both TRANSFORMs were read (and the marker), only the good one was decoded.
    expect(peer.countOutput('Receiving TRANSFORM data type.', { stream: 'stderr' })).toBe(3);
    expect(parsePrintedMatrices(peer.stdout)).toEqual([good, last]);
    // Both STATUSes were read, only the intact one printed its details.
    expect(peer.countOutput('Receiving STATUS data type.', { stream: 'stderr' })).toBe(2);
    expect(peer.countOutput('========== STATUS ==========', { stream: 'stderr' })).toBe(1);
    expect(peer.stderr).toContain(' Status    : intact body text');
    expect(peer.stderr).not.toMatch(/corrupted body text|CORRUPTED|cOrrupted/i);
    expectPrintedClose(parsePrintedMatrices(peer.stdout)[0]!, good);
  });
});
