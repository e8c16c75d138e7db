// Watermarks of a pull consumer that no buffer can honour: refused at once with a typed error,
// instead of a consumer that waits for ever with reading paused, or a buffer without bound.
import { describe, expect, it } from 'vitest';
import { IDENTITY, IgtlConnection, InvalidOptionError, createMessage, encodeMessage, type IgtlMessage } from '../../../src/index.js';
import { fakeFactory } from './fake-channel.js';

const poseBytes = (x: number): Uint8Array => encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? x : v)) }, { deviceName: 'Tool' }));

describe('IgtlConnection pull consumption with watermarks no buffer can honour', () => {
  it.each([
    [{ highWaterMark: 2, lowWaterMark: -1 }, 'lowWaterMark'],
    [{ lowWaterMark: Number.NaN }, 'lowWaterMark'],
    [{ highWaterMark: Number.NaN }, 'highWaterMark'],
    [{ highWaterMark: 0 }, 'highWaterMark'],
  ])('refuses %o with an InvalidOptionError naming %s, before subscribing', (options, option) => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    // Was, for lowWaterMark -1 or NaN: reading paused at highWaterMark and never resumed, the
    // consumer waiting for ever once it had drained the buffer; for NaN, no pause at all.
    expect(() => conn.messages(options)).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option }));
    expect(() => conn.messages(options)).toThrow(InvalidOptionError);
    expect(attempts).toHaveLength(0);
  });

  it('accepts highWaterMark Infinity, which never pauses (asked for by name)', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = conn.messages({ highWaterMark: Infinity })[Symbol.asyncIterator]();
    const first = it.next();
    attempts[0]!.open();
    attempts[0]!.data(new Uint8Array([0, 1, 2, 3, 4].flatMap((x) => [...poseBytes(x)])));
    expect(((await first).value as IgtlMessage).type).toBe('TRANSFORM');
    expect(attempts[0]!.paused).toBe(false);
    await it.return!();
  });

  it('takes the same options from the connection', () => {
    const { factory } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false, pull: { lowWaterMark: -1 } });
    expect(() => conn.messages()).toThrow(InvalidOptionError);
  });

  it('still resumes with a lowWaterMark of 0, once the consumer has read everything', async () => {
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { reconnect: false });
    const it = conn.messages({ highWaterMark: 2, lowWaterMark: 0 })[Symbol.asyncIterator]();
    const first = it.next();
    attempts[0]!.open();
    attempts[0]!.data(new Uint8Array([0, 1, 2, 3, 4].flatMap((x) => [...poseBytes(x)])));
    const got: IgtlMessage[] = [(await first).value as IgtlMessage];
    expect(attempts[0]!.paused).toBe(true);
    for (let i = 1; i < 5; i++) got.push((await it.next()).value as IgtlMessage);
    expect(got.map((m) => (m.type === 'TRANSFORM' ? m.content.matrix[3] : NaN))).toEqual([0, 1, 2, 3, 4]);
    expect(attempts[0]!.paused).toBe(false);
    await it.return!();
  });
});
