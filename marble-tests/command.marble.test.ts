import { TestScheduler } from 'rxjs/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConnectionError, Timestamp, createMessage, metadataOf, type IgtlMessage, type MessageOptions } from '../src/index.js';
import { CommandFailedError, QueryTimeoutError, command, type CommandResult } from '../operators/index.js';
import { correlatorFor } from '../operators/internal/correlator.js';
import { fakePeer } from './support/fake-peer.js';

const at = Timestamp.fromMillis(1_700_000_000_000);

const rts = (commandId: number, text: string, metadata: Record<string, string> = {}, options: MessageOptions = {}) =>
  createMessage('RTS_COMMAND', { commandId, commandName: 'Version', encoding: 3, command: text }, { deviceName: 'command', timestamp: at, metadata, ...options });

const result = (reply: IgtlMessage, fields: Omit<Partial<CommandResult>, 'attributes'> & { attributes?: Record<string, string> }): CommandResult => {
  const { attributes, ...rest } = fields;
  return {
    status: '',
    text: reply.type === 'RTS_COMMAND' ? reply.content.command : reply.type === 'STRING' ? reply.content.value : '',
    metadata: reply.metadata,
    reply,
    ...rest,
    attributes: new Map(Object.entries(attributes ?? {})),
  };
};

describe('command', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const ok = rts(1, '<CommandReply Name="Version" Status="SUCCESS" Message="Success." />', { Status: 'SUCCESS', Message: 'Success.', PlusVersion: '2.9.0' });

  it('sends a v3 COMMAND with the next COMMAND_ID and emits the parsed reply', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('----r--', { r: ok }));
      expectObservable(command(peer, 'Version')).toBe('----(v|)', {
        v: result(ok, { status: 'SUCCESS', message: 'Success.', attributes: { Name: 'Version', Status: 'SUCCESS', Message: 'Success.' } }),
      });
      flush();
      expect(peer.sent).toHaveLength(1);
      expect(peer.sent[0]!.msg).toMatchObject({
        type: 'COMMAND',
        headerVersion: 2,
        deviceName: 'command',
        content: { commandId: 1, commandName: 'Version', encoding: 3, command: '<Command Name="Version"/>' },
      });
    });
  });

  it('builds the XML from attributes, escaping the values, or sends the XML given', () => {
    scheduler.run(({ hot, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      command(peer, 'StartRecording', { OutputFilename: 'a "b" & <c>.mha' }).subscribe({ error: () => undefined });
      command(peer, 'SetUsParameter', '<Command Name="SetUsParameter"><Parameter Name="DepthMm" Value="50"/></Command>').subscribe({ error: () => undefined });
      command(peer, 'Überprüfen').subscribe({ error: () => undefined });
      flush();
      expect(peer.sent.map((s) => (s.msg.type === 'COMMAND' ? [s.msg.content.commandId, s.msg.content.command, s.msg.content.encoding] : []))).toEqual([
        [1, '<Command Name="StartRecording" OutputFilename="a &quot;b&quot; &amp; &lt;c&gt;.mha"/>', 3],
        [2, '<Command Name="SetUsParameter"><Parameter Name="DepthMm" Value="50"/></Command>', 3],
        [3, '<Command Name="Überprüfen"/>', 106],
      ]);
    });
  });

  it('sends the metadata and device name given', () => {
    scheduler.run(({ hot, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      command(peer, 'GetPolydata', undefined, { deviceName: 'PlusClient_2.9', metadata: { fileName: 'a.vtk' } }).subscribe({ error: () => undefined });
      flush();
      expect(peer.sent[0]!.msg).toMatchObject({ deviceName: 'PlusClient_2.9', metadata: metadataOf({ fileName: 'a.vtk' }) });
    });
  });

  it('errors with CommandFailedError, carrying the result, when the reply says FAIL', () => {
    const fail = rts(1, '<CommandReply Name="StartRecording" Status="FAIL" Error="No capture device" Message="" />', { Status: 'FAIL' });
    let error: unknown;
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--f--', { f: fail }));
      const cmd = command(peer, 'StartRecording');
      expectObservable(cmd).toBe('--#', undefined, expect.any(CommandFailedError));
    });
    scheduler.run(({ hot }) => {
      command(fakePeer(scheduler, hot('--f--', { f: fail })), 'StartRecording').subscribe({ error: (e: unknown) => (error = e) });
    });
    expect(error).toBeInstanceOf(CommandFailedError);
    const failed = error as CommandFailedError;
    expect(failed.code).toBe('command-failed');
    expect(failed.result).toMatchObject({ status: 'FAIL', error: 'No capture device', message: '' });
    expect(failed.reply).toBe(fail);
    expect(failed.message).toContain('No capture device');
  });

  it('takes Status, Message and Error from the metadata when the reply text is not XML', () => {
    const custom = rts(1, 'channel ids: TrackedVideoStream', { Status: 'SUCCESS', Message: 'TrackedVideoStream' });
    const failed = rts(2, 'no', { Status: 'FAIL', Error: 'Unknown command' });
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--a--b', { a: custom, b: failed }));
      expectObservable(command(peer, 'RequestChannelIds')).toBe('--(v|)', { v: result(custom, { status: 'SUCCESS', message: 'TrackedVideoStream' }) });
      expectObservable(command(peer, 'Nonsense')).toBe('-----#', undefined, expect.any(CommandFailedError));
    });
  });

  it("prefers the XML Status to the metadata's (3D Slicer's Status metadata is unreliable)", () => {
    const reply = rts(1, '<CommandReply Status="SUCCESS"/>', { Status: 'FAIL' });
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--a', { a: reply }));
      expectObservable(command(peer, 'Echo')).toBe('--(v|)', { v: result(reply, { status: 'SUCCESS', attributes: { Status: 'SUCCESS' } }) });
    });
  });

  it('errors with a CommandReplyError carrying the raw reply when the reply gives no status at all (issue 14)', () => {
    const reply = rts(1, 'not a reply');
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--a', { a: reply }));
      expectObservable(command(peer, 'Echo')).toBe('--#', undefined, expect.objectContaining({ name: 'CommandReplyError', code: 'malformed', reply, text: 'not a reply' }));
    });
  });

  it("reads PLUS's unescaped reply leniently when the XML breaks and there is no metadata (PlusLib vtkPlusOpenIGTLinkServer.cxx CreateIgtlMessageFromCommandResponse)", () => {
    const reply = rts(1, '<CommandReply Name="Echo" Status="FAIL" Error="file "a.mha" <missing>" Message="said "hi" & left"></CommandReply>');
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--a', { a: reply }));
      expectObservable(command(peer, 'Echo')).toBe('--#', undefined, expect.objectContaining({
        name: 'CommandFailedError',
        result: expect.objectContaining({ status: 'FAIL', error: 'file "a.mha" <missing>', message: 'said "hi" & left', attributes: new Map() }),
      }));
    });
  });

  it('prefers the metadata to the lenient reading when the XML breaks', () => {
    const reply = rts(1, '<CommandReply Name="Echo" Status="SUCCESS" Message="a "b" c"></CommandReply>', { Status: 'SUCCESS', Message: 'a "b" c!' });
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--a', { a: reply }));
      expectObservable(command(peer, 'Echo')).toBe('--(v|)', { v: result(reply, { status: 'SUCCESS', message: 'a "b" c!' }) });
    });
  });

  it('correlates by COMMAND_ID: out-of-order replies each reach their command', () => {
    const r1 = rts(1, '<CommandReply Status="SUCCESS" Message="one"/>');
    const r2 = rts(2, '<CommandReply Status="SUCCESS" Message="two"/>');
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--b--a--', { a: r1, b: r2 }));
      expectObservable(command(peer, 'First')).toBe('-----(v|)', { v: expect.objectContaining({ message: 'one', reply: r1 }) });
      expectObservable(command(peer, 'Second')).toBe('--(v|)', { v: expect.objectContaining({ message: 'two', reply: r2 }) });
    });
  });

  it('ignores replies with other COMMAND_IDs, and the device name', () => {
    const other = rts(9, '<CommandReply Status="SUCCESS"/>');
    const mine = rts(1, '<CommandReply Status="SUCCESS"/>', {}, { deviceName: 'SomethingElse' });
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('--o--m--', { o: other, m: mine }));
      expectObservable(command(peer, 'Version')).toBe('-----(v|)', { v: expect.objectContaining({ reply: mine }) });
    });
  });

  it('times out after timeoutMs with a QueryTimeoutError, and ignores the late reply', () => {
    const late = rts(1, '<CommandReply Status="SUCCESS"/>');
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('------------l----', { l: late }));
      expectObservable(command(peer, 'Slow', undefined, { timeoutMs: 10, scheduler })).toBe('----------#', undefined, expect.any(QueryTimeoutError));
      // The next command has id 2: the late reply to id 1 is not for it.
      expectObservable(command(peer, 'Next', undefined, { timeoutMs: 20, scheduler }), '----------^').toBe('------------------------------#', undefined, expect.any(QueryTimeoutError));
    });
  });

  it('times out after 5 s by default, as 3D Slicer does', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('-'));
      expectObservable(command(peer, 'Version', undefined, { scheduler }), '^ 6s !').toBe('5s #', undefined, expect.any(QueryTimeoutError));
    });
  });

  it('removes the pending command and lets go of the peer when unsubscribed before the reply', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions, flush }) => {
      const incoming = hot('------r--', { r: ok });
      const peer = fakePeer(scheduler, incoming);
      expectObservable(command(peer, 'Version'), '^--!').toBe('---');
      expectSubscriptions(incoming.subscriptions).toBe('^--!');
      flush();
      expect(correlatorFor(peer).size).toBe(0);
    });
  });

  it('sends a new command with a new id for every subscription', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const r1 = rts(1, '<CommandReply Status="SUCCESS" Message="1"/>');
      const r2 = rts(2, '<CommandReply Status="SUCCESS" Message="2"/>');
      const peer = fakePeer(scheduler, hot('----a-b', { a: r1, b: r2 }));
      const cmd = command(peer, 'Version');
      expectObservable(cmd).toBe('----(v|)', { v: expect.objectContaining({ message: '1' }) });
      expectObservable(cmd, '-^').toBe('------(v|)', { v: expect.objectContaining({ message: '2' }) });
      flush();
      expect(peer.sent.map((s) => (s.msg.type === 'COMMAND' ? s.msg.content.commandId : 0))).toEqual([1, 2]);
    });
  });

  it('speaks the legacy PLUS form: STRING CMD_<id> answered by STRING ACK_<id>', () => {
    const ack = createMessage('STRING', { encoding: 3, value: '<CommandReply Status="SUCCESS" Message="Recording started"/>' }, { deviceName: 'ACK_1', timestamp: at });
    const otherAck = createMessage('STRING', { encoding: 3, value: '<CommandReply Status="SUCCESS"/>' }, { deviceName: 'ACK_7', timestamp: at });
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('--o--a--', { o: otherAck, a: ack }));
      expectObservable(command(peer, 'StartRecording', { OutputFilename: 'a.mha' }, { legacy: true })).toBe('-----(v|)', {
        v: result(ack, { status: 'SUCCESS', message: 'Recording started', attributes: { Status: 'SUCCESS', Message: 'Recording started' } }),
      });
      flush();
      expect(peer.sent[0]!.msg).toMatchObject({
        type: 'STRING',
        headerVersion: 1,
        deviceName: 'CMD_1',
        content: { value: '<Command Name="StartRecording" OutputFilename="a.mha"/>' },
      });
    });
  });

  it('errors with an EncodeError for an attribute XML cannot hold, sending nothing', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const peer = fakePeer(scheduler, hot('-'));
      expectObservable(command(peer, 'Echo', { Text: 'nul\u0000' })).toBe('#', undefined, expect.objectContaining({ code: 'encode' }));
      flush();
      expect(peer.sent).toEqual([]);
    });
  });

  it('errors with a ConnectionError when the connection ends before the reply', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const peer = fakePeer(scheduler, hot('---|'));
      expectObservable(command(peer, 'Version')).toBe('---#', undefined, expect.any(ConnectionError));
    });
  });
});
