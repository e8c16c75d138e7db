// The query-name rules (src/protocol/query-names.ts), used by the codec's framing policy, the
// operators and the simulator.
import { describe, expect, it } from 'vitest';
import { EMPTY_QUERY_TYPES, STATUS_REPLY_TYPES } from '../../src/protocol/messages/query.js';
import { baseType, queryPrefix, queryType, rtsReplyType } from '../../src/protocol/query-names.js';

describe('query names', () => {
  it('splits a type name into prefix and base type, short names and aliases included', () => {
    expect(queryPrefix('GET_TRANS')).toBe('GET_');
    expect(queryPrefix('TRANSFORM')).toBeUndefined();
    expect(baseType('GET_TRANS')).toBe('TRANSFORM');
    expect(baseType('STT_TRANSFOR')).toBe('TRANSFORM');
    expect(baseType('GET_CAPABIL')).toBe('CAPABILITY');
    expect(baseType('GET_VMETA')).toBe('VIDEOMETA');
    expect(baseType('RTS_IMAGE')).toBe('IMAGE');
    expect(baseType('GET_COLORTABLE')).toBe('COLORT');
    expect(baseType('COLORTABLE')).toBe('COLORT');
    expect(baseType('IMAGE')).toBe('IMAGE');
  });

  it('builds the wire name of a prefix and a base type, the inverse of baseType', () => {
    expect(queryType('STP_', 'TRANSFORM')).toBe('STP_TRANS');
    expect(queryType('GET_', 'CAPABILITY')).toBe('GET_CAPABIL');
    expect(queryType('GET_', 'VIDEOMETA')).toBe('GET_VMETA');
    expect(queryType('STT_', 'TDATA')).toBe('STT_TDATA');
    for (const t of [...EMPTY_QUERY_TYPES, ...STATUS_REPLY_TYPES]) {
      expect(queryType(queryPrefix(t)!, baseType(t))).toBe(t);
    }
  });

  it('names the RTS_ reply with a status byte, when the protocol has one', () => {
    expect(rtsReplyType('STT_TRANS')).toBe('RTS_TRANS');
    expect(rtsReplyType('STP_TRANSFOR')).toBe('RTS_TRANS');
    expect(rtsReplyType('GET_POLYDATA')).toBe('RTS_POLYDATA');
    expect(rtsReplyType('GET_VMETA')).toBeUndefined();
    expect(rtsReplyType('GET_COLORT')).toBeUndefined();
    expect(rtsReplyType('TRANSFORM')).toBeUndefined();
  });
});
