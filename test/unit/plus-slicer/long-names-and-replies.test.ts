/**
 * Issue 14, items 2 and 4 at the unit level: long device names on the wire as PLUS and
 * OpenIGTLinkIO write them (PlusLib vtkPlusIgtlMessageCommon.cxx PackTransformMessage;
 * OpenIGTLinkIO igtlioBaseConverter.cxx HeadertoIGTL / IGTLtoHeader), and the query matcher's
 * rules for PLUS's unnamed replies (PlusLib vtkPlusOpenIGTLinkServer.cxx DataReceiverThread,
 * KeepAlive).
 */
import { describe, expect, it } from 'vitest';
import { createMessage, decodeMessage, encodeMessage, EncodeError, fullDeviceName, IDENTITY, isLongDeviceName, metadataOf, type Matrix4 } from '../../../src/index.js';
import { outgoingHeaderVersion } from '../../../src/connection/framing-policy.js';
import { defaultRegistry } from '../../../src/protocol/messages/index.js';
import { queryMatcher } from '../../../operators/query.js';

const m = IDENTITY as unknown as Matrix4;
const NAME = 'NeedleTipToReferenceCoordinates'; // 31 bytes

describe('long device names', () => {
  it('v3 framing: the header gets the first 20 bytes, IGTL_DEVICE_NAME the whole name (as PackTransformMessage)', () => {
    const bytes = encodeMessage(createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME, headerVersion: 2 }));
    expect(Buffer.from(bytes.subarray(14, 34)).toString('latin1')).toBe(NAME.slice(0, 20)); // no NUL: the field is full
    const back = decodeMessage(bytes);
    expect(back.deviceName).toBe(NAME.slice(0, 20));
    expect(back.metadata.get('IGTL_DEVICE_NAME')).toEqual({ value: NAME, encoding: 3 });
    expect(fullDeviceName(back)).toBe(NAME);
    // What was received re-encodes byte for byte: deviceName stays the header's 20 bytes.
    expect(encodeMessage(back)).toEqual(bytes);
  });

  it('keeps an IGTL_DEVICE_NAME already given, and cuts a UTF-8 name at a character boundary', () => {
    const given = createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME, metadata: metadataOf({ IGTL_DEVICE_NAME: 'Other' }) });
    expect(decodeMessage(encodeMessage(given)).metadata.get('IGTL_DEVICE_NAME')?.value).toBe('Other');
    const utf8 = 'Sondenspitze1234567→Ref'; // → (3 bytes) would take bytes 20-22
    const back = decodeMessage(encodeMessage(createMessage('TRANSFORM', { matrix: m }, { deviceName: utf8, headerVersion: 2 })));
    expect(back.deviceName).toBe('Sondenspitze1234567');
    expect(fullDeviceName(back)).toBe(utf8);
  });

  it('legacy framing refuses, saying why', () => {
    expect(() => encodeMessage(createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME }))).toThrow(EncodeError);
    expect(() => encodeMessage(createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME }))).toThrow(/only v3 framing \(headerVersion 2\) can carry a longer name/);
    expect(() => encodeMessage(createMessage('STRING', { encoding: 3, value: 'x' }, { deviceName: NAME, headerVersion: 1 }))).toThrow(/IGTL_DEVICE_NAME/);
  });

  it('a connection sends a long-named message in v3 framing when its cap allows', () => {
    const msg = createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME });
    const rules = { maxHeaderVersion: 2 as const, followPeerHeaderVersion: false, forceHeaderVersion: undefined, legacyEmptyQueries: true };
    expect(outgoingHeaderVersion(msg, 1, rules, defaultRegistry)).toBe(2);
    expect(outgoingHeaderVersion(msg, 1, { ...rules, maxHeaderVersion: 1 }, defaultRegistry)).toBe(1);
    expect(outgoingHeaderVersion(createMessage('TRANSFORM', { matrix: m }, { deviceName: 'Short' }), 1, rules, defaultRegistry)).toBe(1);
    expect([isLongDeviceName('x'.repeat(20)), isLongDeviceName('x'.repeat(21)), isLongDeviceName('é'.repeat(11))]).toEqual([false, true, true]);
  });
});

describe("query matching of PLUS's replies", () => {
  const status = (deviceName: string, headerVersion: 1 | 2) =>
    createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { deviceName, headerVersion });
  const getStatus = createMessage('GET_STATUS', {}, { deviceName: 'Tracker' });

  it('an unnamed STATUS answers a named GET_STATUS; a STATUS of another device does not', () => {
    const match = queryMatcher(getStatus, { peerHeaderVersion: 1 });
    expect([match.accepts(status('', 1)), match.accepts(status('', 2)), match.accepts(status('Other', 1)), match.accepts(status('Tracker', 1))]).toEqual([true, true, false, true]);
  });

  it('once the peer has sent v3 framing, an unnamed v1 STATUS is its keep-alive, not an answer', () => {
    const match = queryMatcher(getStatus, { peerHeaderVersion: 2 });
    expect([match.accepts(status('', 1)), match.accepts(status('', 2))]).toEqual([false, true]);
  });

  it('an unnamed STATUS answers no other query; unnamed data answers only where PLUS sends it so', () => {
    const keepAlive = status('', 1);
    for (const type of ['GET_TRANS', 'GET_IMAGE', 'GET_CAPABIL', 'GET_POLYDATA'] as const) {
      expect(queryMatcher(createMessage(type, {}, { deviceName: 'X' })).accepts(keepAlive)).toBe(false);
    }
    const image = createMessage('IMAGE', { version: 1, components: 1, scalarType: 3, endian: 1, coordinate: 1, size: [1, 1, 1], matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], subOffset: [0, 0, 0], subSize: [1, 1, 1], data: new Uint8Array(1) } as never, { deviceName: '' });
    expect(queryMatcher(createMessage('GET_IMAGE', {}, { deviceName: 'US' })).accepts(image)).toBe(false);
    const point = createMessage('POINT', { points: [] }, { deviceName: '' });
    expect(queryMatcher(createMessage('GET_POINT', {}, { deviceName: 'a.fcsv' })).accepts(point)).toBe(true);
    const poly = (file: string) => ({ ...createMessage('POLYDATA', {} as never, { deviceName: 'PlusServer', metadata: metadataOf({ fileName: file }) }) });
    const getPoly = createMessage('GET_POLYDATA', {}, { deviceName: 'model.vtk' });
    expect([queryMatcher(getPoly).accepts(poly('model.vtk')), queryMatcher(getPoly).accepts(poly('other.vtk'))]).toEqual([true, false]);
  });

  it('a reply matches the full name of a long-named query', () => {
    const long = createMessage('GET_TRANS', {}, { deviceName: NAME });
    const reply = createMessage('TRANSFORM', { matrix: m }, { deviceName: NAME.slice(0, 20), metadata: metadataOf({ IGTL_DEVICE_NAME: NAME }) });
    expect(queryMatcher(long).accepts(reply)).toBe(true);
  });
});
