// A GET_<T> for data the peer does not have is answered with a <T> of empty content
// (OpenIGTLink Documents/Protocol/query.md: "If data is not available, a returned message must be
// null body (data size = 0)"). The decoder reports it as an EmptyContentError (IMAGE, TRANSFORM,
// STATUS, ... have no empty form); `query` must take it for the answer "not available" at once,
// not wait for its timeout (or for ever, with timeoutMs: Infinity).
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  EmptyContentError, IDENTITY, IgtlConnection, MalformedMessageError, createMessage, metadataOf, decodeMessage, encodeMessage, type IgtlError, type IgtlMessage,
} from '../../../src/index.js';
import { DataNotAvailableError, QueryTimeoutError, query } from '../../../operators/index.js';
import { fakeFactory, settle } from '../connection/fake-channel.js';

/** The frame of `request` (a GET_<T>, empty content) with its TYPE field set to `type`: a <T> of empty content, v1 or v3 framing as the request. */
function emptyAnswerTo(request: IgtlMessage, type: string): Uint8Array {
  const frame = encodeMessage(request).slice();
  frame.fill(0, 2, 14);
  frame.set(new TextEncoder().encode(type), 2);
  return frame;
}

function connection(): { conn: IgtlConnection; open: () => Promise<{ written: Uint8Array[]; data: (b: Uint8Array) => void }>; errors: IgtlError[]; scheduler: VirtualTimeScheduler } {
  const scheduler = new VirtualTimeScheduler();
  const { factory, attempts } = fakeFactory();
  const conn = new IgtlConnection(factory, { scheduler, heartbeat: false, reconnect: false });
  const errors: IgtlError[] = [];
  conn.errors$.subscribe((e) => errors.push(e));
  const open = async () => {
    await settle();
    attempts[0]!.open();
    await settle();
    return attempts[0]!;
  };
  return { conn, open, errors, scheduler };
}

describe('decoding a message of empty content', () => {
  it('is an EmptyContentError (a MalformedMessageError) carrying the message, v1 and v3', () => {
    for (const headerVersion of [1, 2] as const) {
      const get = createMessage('GET_IMAGE', {}, { deviceName: 'US', headerVersion, messageId: headerVersion === 2 ? 41 : 0, ...(headerVersion === 2 ? { metadata: metadataOf({ why: 'test' }) } : {}) });
      let caught: unknown;
      try {
        decodeMessage(emptyAnswerTo(get, 'IMAGE'));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(EmptyContentError);
      expect(caught).toBeInstanceOf(MalformedMessageError);
      const err = caught as EmptyContentError;
      expect(err.code).toBe('malformed');
      expect(err.answer).toMatchObject({ type: 'UNKNOWN', typeName: 'IMAGE', deviceName: 'US', headerVersion, messageId: headerVersion === 2 ? 41 : 0 });
      expect(err.answer.content.raw.length).toBe(0);
      expect(err.answer.metadata.get('why')?.value).toBe(headerVersion === 2 ? 'test' : undefined);
    }
  });

  it('leaves alone a type whose empty form is valid, and a content cut short that is not empty', () => {
    // TDATA with no element is a valid (empty) list.
    const tdata = decodeMessage(emptyAnswerTo(createMessage('GET_TDATA', {}, { deviceName: 'Tracker' }), 'TDATA'));
    expect(tdata.type === 'TDATA' && tdata.content.elements.length).toBe(0);
    // A TRANSFORM of 47 bytes is malformed, not empty.
    const whole = encodeMessage(createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Tool' })).slice();
    const cut = whole.slice(0, whole.length - 1);
    new DataView(cut.buffer).setUint32(46, 47);
    let caught: unknown;
    try {
      decodeMessage(cut, { verifyCrc: false });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(MalformedMessageError);
    expect(caught).not.toBeInstanceOf(EmptyContentError);
  });
});

describe('query answered with an empty <T>', () => {
  for (const headerVersion of [1, 2] as const) {
    it(`fails at once with DataNotAvailableError (${headerVersion === 1 ? 'legacy' : 'v3'} framing), the empty message still on errors$`, async () => {
      const { conn, open, errors, scheduler } = connection();
      let result: unknown;
      const get = createMessage('GET_IMAGE', {}, { deviceName: 'US', headerVersion });
      query(conn, get, { scheduler, timeoutMs: 5000 }).subscribe({ next: (m) => (result = m), error: (e: unknown) => (result = e) });
      const peer = await open();
      const sent = decodeMessage(peer.written[0]!);
      expect(sent.type).toBe('GET_IMAGE');
      // The peer answers as query.md says, echoing the message ID in v3 framing.
      peer.data(emptyAnswerTo(sent, 'IMAGE'));
      // No virtual time has passed: this is the answer, not the timeout.
      expect(result).toBeInstanceOf(DataNotAvailableError);
      expect((result as DataNotAvailableError).code).toBe('not-available');
      expect(errors.some((e) => e instanceof EmptyContentError)).toBe(true);
      scheduler.flush();
      expect(result).not.toBeInstanceOf(QueryTimeoutError);
      conn.close();
    });
  }

  it('answers only the query of that device; another waits for its own answer', async () => {
    const { conn, open, scheduler } = connection();
    const results: Record<string, unknown> = {};
    for (const device of ['US', 'CT']) {
      query(conn, createMessage('GET_IMAGE', {}, { deviceName: device }), { scheduler, timeoutMs: 5000 }).subscribe({
        next: (m) => (results[device] = m),
        error: (e: unknown) => (results[device] = e),
      });
    }
    const peer = await open();
    peer.data(emptyAnswerTo(createMessage('GET_IMAGE', {}, { deviceName: 'CT' }), 'IMAGE'));
    expect(results.CT).toBeInstanceOf(DataNotAvailableError);
    expect(results.US).toBeUndefined();
    scheduler.flush();
    expect(results.US).toBeInstanceOf(QueryTimeoutError);
    conn.close();
  });

  it('with timeoutMs: Infinity, still ends (it waited for ever)', async () => {
    const { conn, open, scheduler } = connection();
    let result: unknown;
    query(conn, createMessage('GET_STATUS', {}, { deviceName: 'Robot' }), { scheduler, timeoutMs: Infinity }).subscribe({ error: (e: unknown) => (result = e) });
    const peer = await open();
    peer.data(emptyAnswerTo(decodeMessage(peer.written[0]!), 'STATUS'));
    expect(result).toBeInstanceOf(DataNotAvailableError);
    conn.close();
  });

  it('an empty RTS_ is no answer: an STT_ is not taken for started by it', async () => {
    const { conn, open, errors, scheduler } = connection();
    let result: unknown;
    query(conn, createMessage('STT_TDATA', { resolution: 50, coordinateName: '' }, { deviceName: 'Tracker' }), { scheduler, timeoutMs: 5000 }).subscribe({
      next: (m) => (result = m),
      error: (e: unknown) => (result = e),
    });
    const peer = await open();
    // RTS_TDATA holds one status byte; with none it cannot say started.
    expect(decodeMessage(peer.written[0]!).type).toBe('STT_TDATA');
    peer.data(emptyAnswerTo(createMessage('GET_TDATA', {}, { deviceName: 'Tracker' }), 'RTS_TDATA'));
    expect(errors.some((e) => e instanceof EmptyContentError)).toBe(true);
    expect(result).toBeUndefined();
    scheduler.flush();
    expect(result).toBeInstanceOf(QueryTimeoutError);
    conn.close();
  });
});
