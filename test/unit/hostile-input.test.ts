// Keys and strings from the wire are data, never code paths: prototypes stay untouched, invalid
// text decodes without throwing, and relaying it is byte-exact.
import { describe, expect, it } from 'vitest';
import { createMessage, decodeMessage, encodeMessage, fromJSON, stringifyJSON, toJSON, Timestamp, type IgtlMessage } from '../../src/index.js';

describe('hostile metadata keys', () => {
  it('keeps __proto__, constructor and friends as plain Map keys', () => {
    const keys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];
    const msg = createMessage('STATUS', { code: 1, subcode: 0n, errorName: '', statusMessage: '' }, { metadata: new Map(keys.map((k) => [k, { value: `v-${k}`, encoding: 3 }])) });
    const decoded = decodeMessage(encodeMessage(msg));
    expect([...decoded.metadata.keys()]).toEqual(keys);
    expect(decoded.metadata.get('__proto__')?.value).toBe('v-__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    const again = fromJSON(JSON.parse(stringifyJSON(toJSON(decoded))));
    expect([...again.metadata.keys()]).toEqual(keys);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'v-__proto__')).toBe(false);
  });

  it('does not let a JSON message with __proto__ fields touch prototypes', () => {
    const text = '{"type":"STATUS","headerVersion":1,"deviceName":"d","timestampRaw":"0","__proto__":{"polluted":1},"content":{"code":1,"subcode":"0","errorName":"","statusMessage":"","__proto__":{"polluted":2}}}';
    const msg = fromJSON(text);
    expect(msg.type).toBe('STATUS');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('invalid or unknown text encodings', () => {
  const cases: [string, number, number[]][] = [
    ['invalid UTF-8', 106, [0x41, 0xc3, 0x28, 0xff, 0x42]],
    ['a UTF-8 BOM', 106, [0xef, 0xbb, 0xbf, 0x41]],
    ['non-ASCII bytes declared US-ASCII', 3, [0x41, 0xe9, 0x42]],
    ['an encoding no platform knows', 9999, [0x00, 0x80, 0xfe, 0x41]],
    ['Latin-1', 4, [0x63, 0x61, 0x66, 0xe9]],
  ];
  for (const [name, encoding, bytes] of cases) {
    it(`decodes ${name} without throwing and relays the exact bytes`, () => {
      const msg = createMessage('STRING', { encoding, value: '', raw: new Uint8Array(bytes) }, { timestamp: Timestamp.ZERO, metadata: new Map([['k', { value: '', encoding, raw: new Uint8Array(bytes) }]]) });
      const wire = encodeMessage(msg);
      const decoded = decodeMessage(wire) as IgtlMessage & { type: 'STRING' };
      expect(typeof decoded.content.value).toBe('string');
      expect(Buffer.from(encodeMessage(decoded)).equals(Buffer.from(wire))).toBe(true);
      const viaJson = fromJSON(JSON.parse(stringifyJSON(toJSON(decoded))));
      expect(Buffer.from(encodeMessage(viaJson)).equals(Buffer.from(wire))).toBe(true);
    });
  }

  it('shows replacement characters for invalid UTF-8', () => {
    const msg = createMessage('STRING', { encoding: 106, value: '', raw: new Uint8Array([0x41, 0xff, 0x42]) }, { timestamp: Timestamp.ZERO });
    const decoded = decodeMessage(encodeMessage(msg)) as IgtlMessage & { type: 'STRING' };
    expect(decoded.content.value).toBe('A\ufffdB');
  });

  it('reads names with invalid UTF-8 without throwing', () => {
    const wire = encodeMessage(createMessage('GET_STATUS', {}, { deviceName: 'abcd', timestamp: Timestamp.ZERO }));
    wire[14] = 0xff;
    wire[15] = 0xc3;
    expect(decodeMessage(wire).deviceName).toBe('\ufffd\ufffdcd');
  });
});
