// Which page a reply of the peer goes to (src/bridge/reply-routes.ts), on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { createMessage } from '../../../src/index.js';
import { MAX_REQUESTS, REQUEST_TTL_MS, ReplyRoutes } from '../../../src/bridge/reply-routes.js';

function routes() {
  let t = 0;
  return { r: new ReplyRoutes<string>(() => t), advance: (ms: number) => void (t += ms) };
}
const command = (commandId: number) => createMessage('COMMAND', { commandId, commandName: 'Start', encoding: 3, command: '<Command/>' });
const rtsCommand = (commandId: number) => createMessage('RTS_COMMAND', { commandId, commandName: 'Start', encoding: 3, command: '<Command Status="SUCCESS"/>' });
const stp = (device: string) => createMessage('STP_TDATA', {}, { deviceName: device });
const rts = (device: string) => createMessage('RTS_TDATA', { status: 0 }, { deviceName: device });

describe('ReplyRoutes', () => {
  it('routes an RTS_COMMAND by its COMMAND_ID, once; an unknown ID goes to everyone', () => {
    const { r } = routes();
    r.asked('A', command(7));
    r.asked('B', command(8));
    expect([...r.recipients(rtsCommand(8))!]).toEqual(['B']);
    expect(r.recipients(rtsCommand(8))).toBeUndefined();
    expect([...r.recipients(rtsCommand(7))!]).toEqual(['A']);
    expect(r.size).toBe(0);
  });

  it('routes a message that echoes a request\'s ID only if it is of the request\'s type and device', () => {
    const { r } = routes();
    r.asked('A', createMessage('GET_STRING', {}, { deviceName: 'Note', messageId: 41 }));
    expect(r.recipients(createMessage('TRANSFORM', { matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0] }, { deviceName: 'Note', messageId: 41 }))).toBeUndefined();
    expect(r.recipients(createMessage('STRING', { encoding: 3, value: 'x' }, { deviceName: 'Other', messageId: 41 }))).toBeUndefined();
    expect([...r.recipients(createMessage('STRING', { encoding: 3, value: 'x' }, { deviceName: 'Note', messageId: 41 }))!]).toEqual(['A']);
  });

  it('routes an RTS_ without an ID to the oldest waiting request of its type and device; data always goes to everyone', () => {
    const { r } = routes();
    r.asked('B', stp('Tracker'));
    r.asked('A', stp('Tracker'));
    r.asked('C', createMessage('GET_TDATA', {}, { deviceName: 'Tracker' })); // v1 GET_: answered by data, not remembered
    expect(r.size).toBe(2);
    expect(r.recipients(rts('Other'))).toBeUndefined();
    expect([...r.recipients(rts('Tracker'))!]).toEqual(['B']);
    expect([...r.recipients(rts('Tracker'))!]).toEqual(['A']);
    expect(r.recipients(rts('Tracker'))).toBeUndefined();
  });

  it('forgets requests after REQUEST_TTL_MS, beyond MAX_REQUESTS, and of a client that left', () => {
    const { r, advance } = routes();
    r.asked('A', stp('T'));
    advance(REQUEST_TTL_MS + 1);
    expect(r.recipients(rts('T'))).toBeUndefined();
    for (let i = 0; i < MAX_REQUESTS + 10; i++) r.asked(`P${i}`, command(i));
    expect(r.size).toBe(MAX_REQUESTS);
    expect(r.recipients(rtsCommand(0))).toBeUndefined();
    r.forget('P20');
    expect(r.recipients(rtsCommand(20))).toBeUndefined();
    expect([...r.recipients(rtsCommand(21))!]).toEqual(['P21']);
  });
});
