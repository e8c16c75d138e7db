// A user-defined message type: declared by augmenting IgtlContentMap, registered with
// registerCodec, then decoded, narrowed and encoded like a standard one.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  MalformedMessageError,
  Timestamp,
  createMessage,
  decodeMessage,
  encodeMessage,
  fromJSON,
  registerCodec,
  toJSON,
  type ContentCodec,
  type IgtlMessage,
} from '../../src/index.js';

interface ForceContent {
  readonly newtons: readonly [number, number, number];
}

declare module '../../src/protocol/types.js' {
  interface IgtlContentMap {
    FORCE: ForceContent;
  }
}

const forceCodec: ContentCodec<'FORCE', ForceContent> = {
  type: 'FORCE',
  decode(_bytes, view, offset, length) {
    if (length !== 24) throw new MalformedMessageError('FORCE', `content is ${length} bytes, expected 24`);
    return { newtons: [view.getFloat64(offset), view.getFloat64(offset + 8), view.getFloat64(offset + 16)] };
  },
  size: () => 24,
  encode(c, _bytes, view, offset) {
    c.newtons.forEach((v, i) => view.setFloat64(offset + i * 8, v));
  },
  toJSON: (c) => ({ newtons: [...c.newtons] }),
  fromJSON: (j) => ({ newtons: (j.newtons as number[]).slice(0, 3) as unknown as [number, number, number] }),
};

describe('custom message types', () => {
  it('decode, narrow and round-trip once registered', () => {
    registerCodec(forceCodec);
    const msg = createMessage('FORCE', { newtons: [1.5, -2, 3] }, { deviceName: 'Sensor', timestamp: Timestamp.ZERO });
    const decoded: IgtlMessage = decodeMessage(encodeMessage(msg));
    if (decoded.type === 'FORCE') {
      expectTypeOf(decoded.content).toEqualTypeOf<ForceContent>();
      expect(decoded.content.newtons).toEqual([1.5, -2, 3]);
    } else {
      expect.unreachable('FORCE should decode with its codec');
    }
    expect(toJSON(decoded)).toMatchObject({ type: 'FORCE', content: { newtons: [1.5, -2, 3] } });
    expect(encodeMessage(fromJSON(toJSON(decoded)))).toEqual(encodeMessage(msg));
  });

  it('malformed custom content is a typed error with the header', () => {
    registerCodec(forceCodec);
    const bytes = encodeMessage(createMessage('FORCE', { newtons: [1, 2, 3] }, { timestamp: Timestamp.ZERO }));
    // Truncate the body by rewriting BODY_SIZE and dropping 8 bytes (CRC check off).
    const short = bytes.slice(0, bytes.length - 8);
    new DataView(short.buffer).setUint32(46, 16);
    const err = (() => {
      try {
        decodeMessage(short, { verifyCrc: false });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(MalformedMessageError);
    expect((err as MalformedMessageError).header?.type).toBe('FORCE');
  });
});
