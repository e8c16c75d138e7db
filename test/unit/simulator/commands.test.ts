import { describe, expect, it } from 'vitest';
import { createMessage, Timestamp, type CommandMessage } from '../../../src/index.js';
import { commandAttributes, commandReply, runCommand, type CommandContext } from '../../../src/simulator/commands.js';

function context(): CommandContext {
  let t = 0;
  return {
    imageRateHz: 10,
    trackingRateHz: 60,
    maxImageRateHz: 100,
    maxTrackingRateHz: 1000,
    tools: ['Stylus', 'Probe'],
    deviceIds: ['Tracker', 'Ultrasound'],
    poseOf: (tool) => (tool === 'Stylus' ? [1, 0, 0, 10.5, 0, 1, 0, -2, 0, 0, 1, 3.25, 0, 0, 0, 1] : tool === 'Probe' ? [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] : undefined),
    statusOf: (tool) => (tool === 'Probe' ? 'OUT_OF_VIEW' : 'OK'),
    recording: undefined,
    now: () => (t += 1500),
  };
}

const attrs = (o: Record<string, string>) => new Map(Object.entries(o));

describe('commandAttributes', () => {
  it('reads the root element attributes of a command, entities decoded', () => {
    expect(commandAttributes('<Command Name="SetFrameRate" FrameRate="25" Note="a &amp; b"/>')).toEqual(attrs({ Name: 'SetFrameRate', FrameRate: '25', Note: 'a & b' }));
    expect(commandAttributes('<?xml version="1.0"?><Command Name="X"><Parameter Name="Depth"/></Command>')).toEqual(attrs({ Name: 'X' }));
  });

  it('gives nothing for text that is not XML', () => {
    expect(commandAttributes('')).toEqual(new Map());
    expect(commandAttributes('not <xml')).toEqual(new Map());
  });
});

describe('runCommand', () => {
  it('gets and sets the frame rate, refusing values out of range', () => {
    const ctx = context();
    expect(runCommand('GetFrameRate', new Map(), ctx)).toEqual({ status: 'SUCCESS', message: '10', results: { FrameRate: '10' } });
    expect(runCommand('SetFrameRate', attrs({ FrameRate: '25' }), ctx)).toMatchObject({ status: 'SUCCESS', results: { FrameRate: '25' } });
    expect(ctx.imageRateHz).toBe(25);
    for (const bad of ['0', '-3', '101', 'fast', '']) {
      expect(runCommand('SetFrameRate', attrs({ FrameRate: bad }), ctx)).toMatchObject({ status: 'FAIL', error: expect.stringMatching(/FrameRate must be a number in \(0, 100\]/) });
    }
    expect(ctx.imageRateHz).toBe(25);
  });

  it('gets and sets the tracking rate', () => {
    const ctx = context();
    expect(runCommand('SetTrackingRate', attrs({ TrackingRate: '250' }), ctx)).toMatchObject({ status: 'SUCCESS' });
    expect(runCommand('GetTrackingRate', new Map(), ctx)).toMatchObject({ message: '250' });
    expect(runCommand('SetTrackingRate', attrs({ TrackingRate: '2000' }), ctx)).toMatchObject({ status: 'FAIL' });
  });

  it('starts and stops a (simulated) recording, once each', () => {
    const ctx = context();
    expect(runCommand('StopRecording', new Map(), ctx)).toMatchObject({ status: 'FAIL', error: 'Not recording' });
    expect(runCommand('StartRecording', attrs({ OutputFilename: 'scan.mha' }), ctx)).toMatchObject({ status: 'SUCCESS', results: { OutputFilename: 'scan.mha' } });
    expect(runCommand('StartRecording', new Map(), ctx)).toMatchObject({ status: 'FAIL', error: 'Already recording to scan.mha' });
    expect(runCommand('StopRecording', new Map(), ctx)).toMatchObject({ status: 'SUCCESS', message: 'Recording to scan.mha stopped after 1.5 s' });
  });

  it('returns a tool transform by tool name or PLUS name', () => {
    const ctx = context();
    const r = runCommand('GetTransform', attrs({ TransformName: 'StylusToTracker' }), ctx)!;
    expect(r).toMatchObject({ status: 'SUCCESS', results: { TransformName: 'StylusToTracker', TransformValue: '1 0 0 10.5 0 1 0 -2 0 0 1 3.25 0 0 0 1', TransformStatus: 'OK' } });
    expect(runCommand('GetTransform', attrs({ TransformName: 'Stylus' }), ctx)).toMatchObject({ status: 'SUCCESS' });
    // A tool out of view: its status is the context's (the simulator's outOfView).
    expect(runCommand('GetTransform', attrs({ TransformName: 'ProbeToTracker' }), ctx)).toMatchObject({ status: 'SUCCESS', results: { TransformStatus: 'OUT_OF_VIEW' } });
    expect(runCommand('GetTransform', attrs({ TransformName: 'Needle' }), ctx)).toMatchObject({ status: 'FAIL', error: expect.stringMatching(/^No transform named "Needle"; known: StylusToTracker, ProbeToTracker$/) });
  });

  it('lists device ids, leaves Version to the housekeeping, and fails unknown commands', () => {
    const ctx = context();
    expect(runCommand('RequestDeviceIds', new Map(), ctx)).toEqual({ status: 'SUCCESS', message: 'Tracker,Ultrasound' });
    expect(runCommand('Version', new Map(), ctx)).toBeUndefined();
    expect(runCommand('Launch', new Map(), ctx)).toEqual({ status: 'FAIL', message: 'Unknown command: Launch', error: 'Unknown command: Launch' });
  });
});

describe('commandReply', () => {
  const request = (headerVersion: 1 | 2): CommandMessage =>
    createMessage('COMMAND', { commandId: 17, commandName: 'GetFrameRate', encoding: 3, command: '<Command Name="GetFrameRate"/>' }, { deviceName: 'PlusClient_2.9', headerVersion, messageId: headerVersion === 2 ? 5 : 0 });

  it('answers in PLUS form: same COMMAND_ID, name and device, XML attributes and metadata', () => {
    const reply = commandReply(request(2), 'GetFrameRate', { status: 'SUCCESS', message: '10', results: { FrameRate: '10' } }, Timestamp.fromMillis(1000));
    expect(reply.type).toBe('RTS_COMMAND');
    expect(reply.deviceName).toBe('PlusClient_2.9');
    expect(reply.headerVersion).toBe(2);
    expect(reply.messageId).toBe(5);
    expect(reply.content).toEqual({ commandId: 17, commandName: 'GetFrameRate', encoding: 3, command: '<CommandReply Name="GetFrameRate" Status="SUCCESS" Message="10" FrameRate="10" />' });
    expect([...reply.metadata].map(([k, v]) => [k, v.value])).toEqual([['Status', 'SUCCESS'], ['Message', '10'], ['FrameRate', '10']]);
  });

  it('puts the error in Error and escapes attribute values', () => {
    const reply = commandReply(request(1), 'X', { status: 'FAIL', message: 'bad "x" <y>', error: 'bad "x" <y>' });
    expect(reply.messageId).toBe(0);
    expect(reply.content.command).toBe('<CommandReply Name="X" Status="FAIL" Error="bad &quot;x&quot; &lt;y&gt;" Message="bad &quot;x&quot; &lt;y&gt;" />');
    expect(reply.metadata.get('Error')?.value).toBe('bad "x" <y>');
    expect(commandAttributes(reply.content.command).get('Error')).toBe('bad "x" <y>');
  });

  it('writes UTF-8 (encoding 106) when the text is not ASCII', () => {
    expect(commandReply(request(2), 'X', { status: 'SUCCESS', message: 'Aufnahme läuft' }).content.encoding).toBe(106);
  });
});
