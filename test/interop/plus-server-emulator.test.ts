/**
 * igtl-rx clients against an emulated PlusServer (test/support/plus-emulator.ts, where each
 * behaviour cites the PlusLib source it comes from: S1..S13). Each test is one failure of
 * issue 14 and fails on the code before the fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { connectTcp, createMessage, EncodeError, IDENTITY, type IgtlConnection, type Matrix4 } from '../../src/node.js';
import { CommandFailedError, CommandReplyError, command, ofDevice, query, trackingKey } from '../../operators/index.js';
import { PlusEmulator, type PlusEmulatorOptions } from '../support/plus-emulator.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function plus(options: PlusEmulatorOptions = {}): Promise<PlusEmulator> {
  const p = await PlusEmulator.start(options);
  cleanup.push(() => p.close());
  return p;
}

function client(port: number, options: Parameters<typeof connectTcp>[0] = {}): IgtlConnection {
  const conn = connectTcp({ port, reconnect: false, ...options });
  cleanup.push(() => conn.close());
  conn.connect();
  return conn;
}

const matrix = (x: number): Matrix4 => IDENTITY.map((v, i) => (i === 3 ? x : v)) as unknown as Matrix4;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PlusServer (emulated from PlusLib sources)', () => {
  it('sends a v1, unnamed, OK STATUS keep-alive every 0.25 s when idle (S1-S3)', async () => {
    const p = await plus();
    const conn = client(p.port);
    const keepAlives = await firstValueFrom(conn.pipe(filter((m) => m.type === 'STATUS' && m.deviceName === ''), take(3), toArray()));
    expect(keepAlives.map((m) => [m.headerVersion, m.messageId, m.type === 'STATUS' && m.content.code])).toEqual([[1, 0, 1], [1, 0, 1], [1, 0, 1]]);
  });

  it('an idle PlusServer, sending only its keep-alives (S2, S3), makes the connection stale: keep-alives are not data', async () => {
    const p = await plus();
    const conn = client(p.port, { staleAfterMs: 1000 });
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const pose = firstValueFrom(conn.pipe(filter((m) => m.type === 'TDATA')));
    p.sendTrackingData([{ name: 'Stylus', matrix: matrix(1) }]);
    await pose;
    const keepAlivesBefore = p.keepAlives;
    // No more tracking data; a keep-alive every 0.25 s. Before, any bytes counted: a PlusServer
    // with nothing to send never made its connection stale.
    const stale = await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'stale'), timeout(3000)));
    expect(stale.kind === 'stale' && stale.silentMs).toBeGreaterThanOrEqual(1000);
    expect(p.keepAlives - keepAlivesBefore).toBeGreaterThanOrEqual(3);
    // Tracking data again: open again.
    const open = firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open'), timeout(3000)));
    p.sendTrackingData([{ name: 'Stylus', matrix: matrix(2) }]);
    await open;
  });

  it("a stopped PlusServer goes stale for a client that announced v3: PLUS's unnamed v3 answers to its pings are not data (S4, S5)", async () => {
    const p = await plus();
    // Slicer's announcement on connect (S4: PLUS then answers this client in v3 framing; S5: its
    // GET_STATUS answer is unnamed, in that framing). Pings every 300 ms while the client's writes
    // await confirmation, which PLUS never gives (its answer does not name our ping): after any
    // send, such as this question for the tracker's status.
    const conn = client(p.port, { announceV3: true, staleAfterMs: 1000, heartbeat: { intervalMs: 300, timeoutMs: 5000 } });
    await firstValueFrom(conn.state$.pipe(filter((s) => s.kind === 'open')));
    const pose = firstValueFrom(conn.pipe(filter((m) => m.type === 'TDATA')));
    p.sendTrackingData([{ name: 'Stylus', matrix: matrix(1) }]);
    await pose;
    await conn.send(createMessage('GET_STATUS', {}, { deviceName: 'Tracker' }));
    const states: string[] = [];
    const sub = conn.state$.subscribe((s) => states.push(s.kind));
    cleanup.push(() => sub.unsubscribe());
    // The tracker stopped: only keep-alives and ping answers come. The event that proves the
    // period: PLUS has answered 12 more pings (about 3.6 s, over three times staleAfterMs).
    const pings = (): number => p.received[0]!.filter((m) => m.type === 'GET_STATUS').length;
    const pingsAfterPose = pings();
    await firstValueFrom(conn.pipe(filter((m) => m.type === 'STATUS' && m.headerVersion === 2 && pings() >= pingsAfterPose + 12), timeout(20_000)));
    expect(p.clientVersion()).toBe(2);
    // Old code: each unnamed v3 STATUS counted as data, so the stopped tracker never went stale
    // (states: ['open'] only).
    expect(states).toContain('stale');
    expect(states.slice(states.indexOf('stale'))).toEqual(['stale']);
  });

  it('negotiateVersion() gives v2, and later COMMAND replies carry their metadata (S4, S10, S11)', async () => {
    const p = await plus();
    const conn = client(p.port);
    // Old code: the Version reply comes in v1 (PLUS answers in the highest version it has seen,
    // S4), without IGTLHeaderVersion metadata, so the connection locked to v1.
    expect(await conn.negotiateVersion()).toBe(2);
    expect(conn.headerVersion).toBe(2);
    // PLUS now answers this client in v3 framing: the announce STATUS told it so (S4, S8).
    await wait(50);
    expect(p.clientVersion()).toBe(2);
    const result = await firstValueFrom(command(conn, 'Version'));
    expect(result.reply.headerVersion).toBe(2);
    expect(result.metadata.get('PlusVersion')?.value).toBe('2.9.0.20240101');
    expect(result.metadata.get('IGTLHeaderVersion')?.value).toBe('2');
  });

  it("query(GET_STATUS 'Tracker') takes PLUS's unnamed STATUS (S5)", async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port);
    const reply = await firstValueFrom(query(conn, createMessage('GET_STATUS', {}, { deviceName: 'Tracker' }), { timeoutMs: 1000 }));
    expect(reply).toMatchObject({ type: 'STATUS', deviceName: '', content: { code: 1 } });
  });

  it('after v3 is negotiated, the v1 keep-alive does not answer a GET_STATUS: the v3 answer does (S3, S4, S5)', async () => {
    const p = await plus({ keepAliveMs: 20 });
    const conn = client(p.port);
    expect(await conn.negotiateVersion()).toBe(2);
    // A first v3 message from PLUS (the Version reply, now in v3 framing) shows that it has seen v3 from us.
    await firstValueFrom(command(conn, 'Version'));
    expect(conn.peerHeaderVersion).toBe(2);
    // Keep-alives (v1, unnamed) arrive every 20 ms; the one reply to each query is in v2.
    const replies = await Promise.all([0, 1, 2].map(() => firstValueFrom(query(conn, createMessage('GET_STATUS', {}, { deviceName: 'Tracker' }), { timeoutMs: 1000 }))));
    expect(replies.map((r) => r.headerVersion)).toEqual([2, 2, 2]);
  });

  it('STT_TDATA is acknowledged by an unnamed RTS_TDATA, GET_IMGMETA by IMGMETA "PlusServerImageMetaD" (S7, S9)', async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port);
    const meta = await firstValueFrom(query(conn, createMessage('GET_IMGMETA', {}, { deviceName: 'Image_Reference' }), { timeoutMs: 1000 }));
    expect(meta).toMatchObject({ type: 'IMGMETA', deviceName: 'PlusServerImageMetaD' });
    const ack = await firstValueFrom(query(conn, createMessage('STT_TDATA', { resolution: 0, coordinateName: '' }, { deviceName: 'Tracker' }), { timeoutMs: 1000 }));
    expect(ack).toMatchObject({ type: 'RTS_TDATA', deviceName: '', content: { status: 0 } });
  });

  it("command() reads PLUS's unescaped reply text when a v1 client gets no metadata (S10)", async () => {
    const p = await plus({ commands: { Echo: () => ({ status: true, message: 'said "hi" & <left>' }) } });
    // A client held to header version 1: PLUS answers it in v1, which has no metadata (S4, S10).
    const conn = client(p.port, { maxHeaderVersion: 1 });
    const result = await firstValueFrom(command(conn, 'Echo'));
    expect(result.reply.headerVersion).toBe(1);
    expect(result.metadata.size).toBe(0);
    expect(result.status).toBe('SUCCESS');
    expect(result.message).toBe('said "hi" & <left>');
  });

  it('command() rejects with a CommandReplyError carrying the raw reply when it has no status (S10, custom format, v1)', async () => {
    const p = await plus({ commands: { GetThing: () => ({ status: true, raw: true, message: 'thing=42' }) } });
    const conn = client(p.port, { maxHeaderVersion: 1 });
    const err = await firstValueFrom(command(conn, 'GetThing')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandReplyError);
    expect((err as CommandReplyError).text).toBe('thing=42');
    expect((err as CommandReplyError).reply.type).toBe('RTS_COMMAND');
  });

  it('command() rejects an unknown command with the CommandFailedError PLUS gives, COMMAND_NAME empty (S16)', async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port);
    expect(await conn.negotiateVersion()).toBe(2);
    const err = await firstValueFrom(command(conn, 'NoSuchCommand', undefined, { timeoutMs: 3000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).result.error).toBe('Unknown command type requested.');
    expect((err as CommandFailedError).reply).toMatchObject({ type: 'RTS_COMMAND', content: { commandName: '' } });
  });

  it("a legacy command PLUS cannot create fails with PLUS's answer, a STRING named CMD without the ID (S13, S16)", async () => {
    const p = await plus({ keepAliveMs: 60_000, commands: { Echo: () => ({ status: true, message: 'echo' }) } });
    const conn = client(p.port, { maxHeaderVersion: 1 });
    // Old code: the STRING named CMD carries no ACK_<id>, so it answered nothing and the
    // command timed out (QueryTimeoutError) although PLUS had said FAIL at once.
    const err = await firstValueFrom(command(conn, 'NoSuchCommand', undefined, { legacy: true, timeoutMs: 3000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).result.message).toBe('Error attempting to process command.');
    expect((err as CommandFailedError).reply).toMatchObject({ type: 'STRING', deviceName: 'CMD' });
    // A known one still takes its own ACK_<id> reply.
    expect((await firstValueFrom(command(conn, 'Echo', undefined, { legacy: true, timeoutMs: 3000 }))).message).toBe('echo');
  });

  it('with several legacy commands pending, the ID-less CMD failure is given to none of them (it could be the wrong one) (S13, S16)', async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port, { maxHeaderVersion: 1 });
    const replies = firstValueFrom(conn.pipe(filter((m) => m.type === 'STRING' && m.deviceName === 'CMD'), take(2), toArray(), timeout(5000)));
    const errs = Promise.all(['NoSuchA', 'NoSuchB'].map((name) =>
      firstValueFrom(command(conn, name, undefined, { legacy: true, timeoutMs: 1500 })).catch((e: unknown) => e)));
    // Both answers arrived (and were taken by neither): each command ends by its own timeout.
    expect(await replies).toHaveLength(2);
    expect((await errs).map((e) => (e as Error).constructor.name)).toEqual(['QueryTimeoutError', 'QueryTimeoutError']);
  });

  it('a transform name over 20 bytes is matched whole by ofDevice and trackingKey (S12)', async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port);
    expect(await conn.negotiateVersion()).toBe(2);
    await wait(50);
    const name = 'NeedleTipToReferenceCoordinates';
    const got = firstValueFrom(conn.pipe(ofDevice(name), take(1), timeout(2000)));
    p.sendTransform(name, matrix(7));
    const msg = await got;
    expect(msg.deviceName).toBe(name.slice(0, 20));
    expect(trackingKey(msg)).toBe(`TRANSFORM\u0000${name}`);
  });

  it('sends a long name cut to 20 bytes with IGTL_DEVICE_NAME metadata, as PLUS does; in v1 it says why it cannot', async () => {
    const p = await plus({ keepAliveMs: 60_000 });
    const conn = client(p.port);
    const name = 'StylusTipToReferenceCoordinates';
    await conn.send(createMessage('TRANSFORM', { matrix: matrix(1) }, { deviceName: name }));
    await wait(100);
    const got = p.received[0]!.find((m) => m.type === 'TRANSFORM');
    expect(got).toMatchObject({ headerVersion: 2, deviceName: name.slice(0, 20) });
    expect(got!.metadata.get('IGTL_DEVICE_NAME')?.value).toBe(name);

    const v1 = client(p.port, { maxHeaderVersion: 1 });
    const err = await v1.send(createMessage('TRANSFORM', { matrix: matrix(1) }, { deviceName: name })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncodeError);
    expect(String((err as Error).message)).toMatch(/only v3 framing .*IGTL_DEVICE_NAME/);
  });
});
