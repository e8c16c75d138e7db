// keepStreams (the monitor's --stream): one STT_ per type on each channel, nothing else.
import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { IgtlConnection, decodeMessage, wireType } from '../../../src/index.js';
import { keepStreams } from '../../../src/cli/net-helper.js';
import { fakeFactory, reconnectOnce, settle } from '../connection/fake-channel.js';

describe('keepStreams', () => {
  it('asks each new channel once for each stream after a reconnect, without stopping it first', async () => {
    const scheduler = new VirtualTimeScheduler();
    const { factory, attempts } = fakeFactory();
    const conn = new IgtlConnection(factory, { scheduler, heartbeat: false, reconnect: { initialDelayMs: 10, jitter: 0 } });
    conn.errors$.subscribe(() => undefined);
    const errors: string[] = [];
    const streams = keepStreams(conn, ['TDATA', 'IMAGE'], (type, err) => errors.push(`${type}: ${err.message}`));
    attempts[0]!.open();
    await settle();
    await reconnectOnce(attempts, scheduler);
    const types = (i: number) => attempts[i]!.written.map((b) => wireType(decodeMessage(b)));
    expect(types(0)).toEqual(['STT_TDATA', 'STT_IMAGE']);
    expect(types(1)).toEqual(['STT_TDATA', 'STT_IMAGE']);
    expect(errors).toEqual([]);
    streams.stop();
    await settle();
    expect(types(1)).toEqual(['STT_TDATA', 'STT_IMAGE', 'STP_TDATA', 'STP_IMAGE']);
  });
});
