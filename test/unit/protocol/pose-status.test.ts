// poseStatus / isPoseValid read the status PlusServer puts in v3 metadata (src/protocol/pose-status.ts
// names the PlusLib functions): TransformStatus / TransformValid on TRANSFORM and POSITION,
// `<transform name>Status` and `<transform name>Index` per TDATA element.
import { describe, expect, it } from 'vitest';
import { IDENTITY, createMessage, invalidPoses, isPoseValid, metadataOf, poseStatus, type TrackingElement } from '../../../src/index.js';

const tool = (name: string): TrackingElement => ({ name, type: 2, matrix: IDENTITY });
const tdata = (names: string[], metadata: Record<string, string>) =>
  createMessage('TDATA', { elements: names.map(tool) }, { deviceName: `TDATA_${names.length}Elem`, metadata: metadataOf(metadata) });

describe('poseStatus', () => {
  it('reads TransformStatus (any case) on TRANSFORM and POSITION, else TransformValid', () => {
    const transform = (metadata: Record<string, string>) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'StylusToTracker', metadata: metadataOf(metadata) });
    expect(poseStatus(transform({ TransformValid: '1', TransformStatus: 'OK' }))).toBe('OK');
    expect(poseStatus(transform({ TransformValid: '0', TransformStatus: 'OUT_OF_VIEW' }))).toBe('OUT_OF_VIEW');
    expect(poseStatus(transform({ TransformStatus: 'missing' }))).toBe('MISSING');
    // TransformStatus wins over a contradicting TransformValid (PLUS writes both from one status).
    expect(poseStatus(transform({ TransformValid: '1', TransformStatus: 'INVALID' }))).toBe('INVALID');
    expect(poseStatus(transform({ TransformValid: '0' }))).toBe('INVALID');
    expect(poseStatus(transform({ TransformValid: 'true' }))).toBe('OK');
    expect(poseStatus(transform({}))).toBeUndefined();
    expect(poseStatus(transform({ Other: 'x' }))).toBeUndefined();
    const position = createMessage('POSITION', { position: [0, 0, 0], quaternion: [0, 0, 0, 1] }, { deviceName: 'Stylus', metadata: metadataOf({ TransformStatus: 'REQ_TIMEOUT' }) });
    expect(poseStatus(position)).toBe('REQ_TIMEOUT');
    expect(isPoseValid(position)).toBe(false);
    // No metadata (legacy framing): nothing is known, so nothing is refused.
    expect(isPoseValid(createMessage('TRANSFORM', { matrix: IDENTITY }))).toBe(true);
    expect(poseStatus(createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { metadata: metadataOf({ TransformStatus: 'MISSING' }) }))).toBeUndefined();
  });

  it('reads each TDATA element from <name>Status', () => {
    const m = tdata(['StylusToTracker', 'ProbeToTracker'], { StylusToTrackerStatus: 'OK', StylusToTrackerIndex: '0', ProbeToTrackerStatus: 'OUT_OF_VIEW', ProbeToTrackerIndex: '1' });
    expect([poseStatus(m, 0), poseStatus(m, 1), poseStatus(m, 2)]).toEqual(['OK', 'OUT_OF_VIEW', undefined]);
    expect([isPoseValid(m, 0), isPoseValid(m, 1)]).toEqual([true, false]);
    expect(poseStatus(tdata(['Stylus'], { ProbeStatus: 'MISSING' }))).toBeUndefined();
  });

  it('finds the status of a name cut to 20 bytes: the one full name, or by Index, or the worst when a split piece cannot tell', () => {
    const a = 'ReferenceToTrackerLongA';
    const b = 'ReferenceToTrackerLongB';
    const cut = a.slice(0, 20);
    expect(b.slice(0, 20)).toBe(cut);
    // One full name begins with the cut one.
    expect(poseStatus(tdata([cut], { [`${a}Status`]: 'MISSING', [`${a}Index`]: '0' }))).toBe('MISSING');
    // Two: the whole message says which by Index.
    const both = tdata([cut, cut], { [`${a}Status`]: 'OK', [`${a}Index`]: '0', [`${b}Status`]: 'MISSING', [`${b}Index`]: '1' });
    expect([poseStatus(both, 0), poseStatus(both, 1)]).toEqual(['OK', 'MISSING']);
    // A split piece (one element, its position lost): a status other than OK wins.
    expect(poseStatus(tdata([cut], { [`${a}Status`]: 'OK', [`${a}Index`]: '0', [`${b}Status`]: 'MISSING', [`${b}Index`]: '1' }))).toBe('MISSING');
    expect(poseStatus(tdata([cut], { [`${a}Status`]: 'OK', [`${b}Status`]: 'ok' }))).toBe('OK');
    // A name shorter than 20 bytes is never matched by prefix.
    expect(poseStatus(tdata(['Reference'], { ReferenceToTrackerStatus: 'MISSING' }))).toBeUndefined();
  });

  it('invalidPoses says what is not valid, in words: the status, or per tool of a whole TDATA', () => {
    const lost = createMessage('TRANSFORM', { matrix: IDENTITY }, { metadata: metadataOf({ TransformStatus: 'out_of_view' }) });
    expect(invalidPoses(lost)).toBe('OUT_OF_VIEW');
    expect(invalidPoses(createMessage('TRANSFORM', { matrix: IDENTITY }, { metadata: metadataOf({ TransformStatus: 'OK' }) }))).toBeUndefined();
    expect(invalidPoses(createMessage('TRANSFORM', { matrix: IDENTITY }))).toBeUndefined();
    const m = tdata(['A', 'B', 'C'], { AStatus: 'OK', BStatus: 'MISSING', CStatus: 'REQ_TIMEOUT' });
    expect(invalidPoses(m)).toBe('B MISSING, C REQ_TIMEOUT');
    expect(invalidPoses(tdata(['B'], { BStatus: 'MISSING' }))).toBe('MISSING');
  });
});
