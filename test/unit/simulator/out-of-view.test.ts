// Tools out of view in the simulator (src/simulator/out-of-view.ts): left out, or sent as
// PlusServer sends a lost tool with SendValidTransformsOnly="FALSE" (PlusLib
// vtkPlusIgtlMessageCommon.cxx: GetIgtlMatrix gives the identity for a status other than OK;
// PackTransformMessage writes TransformValid and TransformStatus, PackPositionMessage
// TransformStatus, PackTrackingDataMessage <name>Status and <name>Index). Messages are built
// straight from simulation time (messagesAt): no sockets.
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { validPoses } from '../../../operators/index.js';
import { IDENTITY, poseStatus, type IgtlMessage } from '../../../src/index.js';
import { createSimulator, lostSince, type SimulatorOptions } from '../../../src/simulator/index.js';

const STYLUS_OUT = { tool: 'Stylus', everyMs: 1000, forMs: 400 };
const sim = (options: SimulatorOptions) => createSimulator({ port: 0, ...options });
const names = (ms: readonly IgtlMessage[]) => ms.map((m) => m.deviceName);
const elementNames = (m: IgtlMessage) => (m.type === 'TDATA' || m.type === 'QTDATA' ? m.content.elements.map((e) => e.name) : []);

describe('simulator: tools out of view', () => {
  it('a tool is out of view for the last forMs of every everyMs', () => {
    expect([0, 599, 600, 999, 1000, 1599, 1650].map((t) => lostSince(STYLUS_OUT, t))).toEqual([undefined, undefined, 600, 600, undefined, undefined, 1600]);
  });

  it("lostTools 'omit' (PLUS's default): nothing is sent for the lost tool but its POSITION, and no status in TRANSFORM or TDATA", () => {
    const s = sim({ outOfView: [STYLUS_OUT] });
    expect(names(s.messagesAt('TRANSFORM', 100))).toEqual(['Stylus', 'Probe', 'Reference']);
    expect(names(s.messagesAt('TRANSFORM', 700))).toEqual(['Probe', 'Reference']);
    expect(elementNames(s.messagesAt('TDATA', 700)[0]!)).toEqual(['Probe', 'Reference']);
    expect(elementNames(s.messagesAt('QTDATA', 700)[0]!)).toEqual(['Probe', 'Reference']);
    for (const stream of ['TRANSFORM', 'TDATA'] as const) for (const m of s.messagesAt(stream, 700)) expect(m.metadata.size).toBe(0);
    // Back in view.
    expect(names(s.messagesAt('TRANSFORM', 1100))).toEqual(['Stylus', 'Probe', 'Reference']);
  });

  it("lostTools 'omit' still sends the lost tool's POSITION, at the origin and marked, as PLUS's default does", () => {
    // PlusLib vtkPlusIgtlMessageFactory.cxx PackPositionMessage: no SendValidTransformsOnly check
    // (PackTransformMessage and PackTrackingDataMessage have one); vtkPlusIgtlMessageCommon.cxx
    // GetIgtlMatrix gives the identity for a lost tool, PackPositionMessage writes TransformStatus.
    // Old code: ['Probe', 'Reference'], a simulator kinder than PLUS.
    const s = sim({ outOfView: [STYLUS_OUT] });
    const positions = s.messagesAt('POSITION', 700);
    expect(names(positions)).toEqual(['Stylus', 'Probe', 'Reference']);
    expect(positions[0]).toMatchObject({ content: { position: [0, 0, 0], quaternion: [0, 0, 0, 1] } });
    expect(positions.map((m) => poseStatus(m))).toEqual(['OUT_OF_VIEW', 'OK', 'OK']);
  });

  it("lostTools 'send': the identity in TRANSFORM, the origin in POSITION, the last pose in TDATA/QTDATA, every pose's status in v3 metadata", () => {
    const s = sim({ outOfView: [STYLUS_OUT], lostTools: 'send' });
    const [stylus, probe] = s.messagesAt('TRANSFORM', 700);
    expect(stylus).toMatchObject({ deviceName: 'Stylus', headerVersion: 2, content: { matrix: IDENTITY } });
    expect(Object.fromEntries([...stylus!.metadata].map(([k, v]) => [k, v.value]))).toEqual({ TransformValid: '0', TransformStatus: 'OUT_OF_VIEW' });
    expect(Object.fromEntries([...probe!.metadata].map(([k, v]) => [k, v.value]))).toEqual({ TransformValid: '1', TransformStatus: 'OK' });
    expect(probe!.type === 'TRANSFORM' && probe!.content.matrix).toEqual(s.poseAt('Probe', 700)!.matrix);
    const position = s.messagesAt('POSITION', 700)[0]!;
    expect(position).toMatchObject({ deviceName: 'Stylus', content: { position: [0, 0, 0], quaternion: [0, 0, 0, 1] } });
    expect(poseStatus(position)).toBe('OUT_OF_VIEW');
    const tdata = s.messagesAt('TDATA', 700)[0]!;
    // Frozen where it went out of view (at 600 ms).
    expect(tdata.type === 'TDATA' && tdata.content.elements[0]!.matrix).toEqual(s.poseAt('Stylus', 600)!.matrix);
    expect(tdata.metadata.get('StylusStatus')?.value).toBe('OUT_OF_VIEW');
    expect(tdata.metadata.get('StylusIndex')?.value).toBe('0');
    expect(tdata.metadata.get('ProbeStatus')?.value).toBe('OK');
    expect([0, 1, 2].map((i) => poseStatus(tdata, i))).toEqual(['OUT_OF_VIEW', 'OK', 'OK']);
    const qtdata = s.messagesAt('QTDATA', 700)[0]!;
    expect(poseStatus(qtdata, 0)).toBe('OUT_OF_VIEW');
    // In view: OK, and its real pose.
    const later = s.messagesAt('TRANSFORM', 1100)[0]!;
    expect(poseStatus(later)).toBe('OK');
    expect(later.type === 'TRANSFORM' && later.content.matrix).toEqual(s.poseAt('Stylus', 1100)!.matrix);
  });

  it('validPoses drops exactly the lost tool from what it sends', async () => {
    const s = sim({ outOfView: [STYLUS_OUT], lostTools: 'send' });
    const sent = (['TRANSFORM', 'POSITION', 'TDATA', 'QTDATA'] as const).flatMap((stream) => [...s.messagesAt(stream, 700)]);
    const kept = await lastValueFrom(from(sent).pipe(validPoses(), toArray()));
    expect(kept.flatMap((m) => (m.type === 'TDATA' || m.type === 'QTDATA' ? elementNames(m) : [m.deviceName]))).toEqual(['Probe', 'Reference', 'Probe', 'Reference', 'Probe', 'Reference', 'Probe', 'Reference']);
  });

  it('refuses an unknown tool, a window that is not inside its period, and an unknown policy', () => {
    expect(() => sim({ outOfView: [{ tool: 'Needle', everyMs: 1000, forMs: 100 }] })).toThrow(/no tool named "Needle"/);
    expect(() => sim({ outOfView: [{ tool: 'Stylus', everyMs: 1000, forMs: 1000 }] })).toThrow(RangeError);
    expect(() => sim({ outOfView: [{ tool: 'Stylus', everyMs: 0, forMs: 0 }] })).toThrow(RangeError);
    expect(() => sim({ lostTools: 'drop' as 'omit' })).toThrow(RangeError);
  });
});
