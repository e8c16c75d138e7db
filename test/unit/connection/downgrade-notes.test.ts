// A v1 peer does not get a message's metadata: the connection logs that once per (type, device),
// and remembers a bounded number of pairs, whatever names the messages it sends carry.
import { format } from 'node:util';
import createDebug from 'debug';
import { afterEach, describe, expect, it } from 'vitest';
import { IDENTITY, IgtlConnection, Timestamp, createMessage } from '../../../src/index.js';
import { fakeFactory, settle } from './fake-channel.js';

const NAMESPACE = 'igtl-rx:test-downgrade';
const savedLog = createDebug.log;
afterEach(() => {
  createDebug.log = savedLog;
  createDebug.disable();
});

function captureLog(): string[] {
  const lines: string[] = [];
  createDebug.log = (...args: unknown[]) => lines.push(format(...args));
  createDebug.enable(NAMESPACE);
  return lines;
}

const pose = (device: string) => createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: device, timestamp: Timestamp.ZERO, headerVersion: 2, metadata: { Unit: 'mm' } });

describe('metadata a v1 peer does not get', () => {
  it('is logged once per (type, device), for at most 256 pairs, then once for the rest', async () => {
    const lines = captureLog();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { logNamespace: NAMESPACE, maxHeaderVersion: 1, heartbeat: false, staleAfterMs: 0 });
    conn.connect();
    attempts[0]!.open();
    for (let round = 0; round < 2; round++) for (let i = 0; i < 2000; i++) conn.next(pose(`T${i}`));
    await settle();
    // Every message went out, in legacy framing.
    expect(attempts[0]!.written.reduce((n, b) => n + b.length, 0)).toBe(4000 * (58 + 48));
    const perPair = lines.filter((l) => /the metadata of TRANSFORM "T\d+" is not sent/.test(l));
    // Was one line (and 167 bytes kept for ever) per name: 2,000.
    expect(perPair).toHaveLength(256);
    expect(new Set(perPair).size).toBe(256);
    expect(lines.filter((l) => /metadata of more than 256 \(type, device\) pairs not sent/.test(l))).toHaveLength(1);
    conn.close();
  });
});
