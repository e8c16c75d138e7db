// Server fan-out: broadcast encodes once per framing the sessions need, shares the bytes, queues
// them in every session's own queue (no Promise per client), and applies policies per session.
import { connect as netConnect, type Socket } from 'node:net';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { IDENTITY, QueueFullError, Timestamp, connectTcp, createImageContent, createMessage, createServer, encodeMessage, type IgtlConnection, type IgtlError, type IgtlMessage, type IgtlServer } from '../../../src/node.js';
import { listeningServer } from '../../support/fault-kit.js';

vi.mock('../../../src/protocol/encode.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../../src/protocol/encode.js')>();
  return { ...orig, encodeOutgoing: vi.fn(orig.encodeOutgoing) };
});
const encode = await import('../../../src/protocol/encode.js');
const encodeParts = vi.mocked(encode.encodeOutgoing);

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const server = (options: Parameters<typeof createServer>[0] = {}): Promise<IgtlServer> => listeningServer((fn) => void cleanup.push(fn), options);

/** A C++-style client: raw TCP, never sends (so its session answers in v1), records every byte. */
function rawClient(port: number, read = true): { socket: Socket; bytes: () => Uint8Array } {
  const chunks: Buffer[] = [];
  const socket = netConnect({ port, host: '127.0.0.1' });
  if (read) socket.on('data', (c: Buffer) => chunks.push(c));
  else socket.pause();
  socket.on('error', () => undefined);
  cleanup.push(() => socket.destroy());
  return { socket, bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

/** An igtl-rx client that announces v3 framing on connect (its session answers in v2). */
function v2Client(port: number): IgtlConnection {
  const c = connectTcp({ port, reconnect: false, announceV3: true });
  const held = c.connect();
  cleanup.push(() => {
    held.unsubscribe();
    c.close();
  });
  return c;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pose = (n: number, metadata?: Record<string, string>) =>
  createMessage('TRANSFORM', { matrix: IDENTITY.map((v, i) => (i === 3 ? n : v)) }, { deviceName: 'Tool', timestamp: Timestamp.ZERO, headerVersion: 2, ...(metadata ? { metadata } : {}) });

describe('IgtlServer.broadcast', () => {
  it('encodes once per framing and gives a v1 raw client and v2 clients their own correct bytes', async () => {
    const s = await server();
    const port = s.address.port;
    const raw = rawClient(port);
    const a = v2Client(port);
    const b = v2Client(port);
    const gotA = firstValueFrom(a.pipe(filter((m) => m.type === 'TRANSFORM')));
    const gotB = firstValueFrom(b.pipe(filter((m) => m.type === 'TRANSFORM')));
    await until(() => s.sessions.size === 3 && [...s.sessions].filter((x) => x.peerHeaderVersion === 2).length === 2);
    const sends = [...s.sessions].map((x) => vi.spyOn(x, 'send'));
    const msg = pose(7, { Source: 'bench' });
    encodeParts.mockClear();
    const result = s.broadcast(msg, { policy: 'lossless' });
    expect(encodeParts).toHaveBeenCalledTimes(2);
    expect(result).toEqual({ sessions: 3, queued: 3, dropped: 0 });
    for (const spy of sends) expect(spy).not.toHaveBeenCalled();

    // v2 clients: the metadata and one server-level message ID, the same for both.
    const [ma, mb] = await Promise.all([gotA, gotB]);
    for (const m of [ma, mb] as IgtlMessage[]) {
      expect(m.headerVersion).toBe(2);
      expect(m.metadata.get('Source')?.value).toBe('bench');
      expect(m.type === 'TRANSFORM' && m.content.matrix[3]).toBe(7);
    }
    expect(ma.messageId).toBe(1);
    expect(mb.messageId).toBe(1);
    // The raw client: exactly the legacy framing of the message (no metadata, no ID).
    const v1 = encodeMessage(createMessage('TRANSFORM', msg.content, { deviceName: 'Tool', timestamp: Timestamp.ZERO, headerVersion: 1 }));
    await until(() => raw.bytes().length >= v1.length);
    expect(raw.bytes()).toEqual(v1);

    // The next v3 message without an ID gets the next server-level ID.
    const next = firstValueFrom(a.pipe(filter((m) => m.type === 'TRANSFORM')));
    s.broadcast(pose(8));
    expect((await next).messageId).toBe(2);
  });

  it('a send() to one session after a broadcast in the same tick goes out after it; every session gets its own framing, byte for byte', async () => {
    const s = await server();
    const port = s.address.port;
    const raws = [rawClient(port), rawClient(port)];
    const v2 = v2Client(port);
    const got: IgtlMessage[] = [];
    v2.subscribe((m) => m.type === 'TRANSFORM' && got.push(m));
    await until(() => s.sessions.size === 3 && [...s.sessions].some((x) => x.peerHeaderVersion === 2));
    const v1Sessions = [...s.sessions].filter((x) => x.peerHeaderVersion === 1);
    const own = createMessage('STRING', { encoding: 3, value: 'just for you' }, { deviceName: 'Note', timestamp: Timestamp.ZERO });
    const ticks = 3;
    for (let t = 0; t < ticks; t++) {
      s.broadcast(pose(2 * t), { policy: 'lossless' });
      if (t === 1) void v1Sessions[0]!.send(own);
      s.broadcast(pose(2 * t + 1), { policy: 'lossless' });
      await tick();
    }
    const legacy = (n: number) => encodeMessage(createMessage('TRANSFORM', pose(n).content, { deviceName: 'Tool', timestamp: Timestamp.ZERO, headerVersion: 1 }));
    const join = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
    const plain = join(Array.from({ length: 2 * ticks }, (_, n) => legacy(n)));
    const withOwn = join([legacy(0), legacy(1), legacy(2), encodeMessage(own), legacy(3), legacy(4), legacy(5)]);
    const [first, second] = v1Sessions.map((x) => raws.find((r) => r.socket.localPort === x.remotePort)!);
    await until(() => first!.bytes().length >= withOwn.length && second!.bytes().length >= plain.length && got.length === 2 * ticks);
    expect(first!.bytes()).toEqual(withOwn);
    expect(second!.bytes()).toEqual(plain);
    expect(got.map((m) => m.type === 'TRANSFORM' && m.content.matrix[3])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.map((m) => m.messageId)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("applies `latest` per session: a blocked client's queue conflates while the others get every message", async () => {
    const s = await server();
    const port = s.address.port;
    const blocked = rawClient(port, false);
    const clients = [v2Client(port), v2Client(port)];
    const received: number[][] = clients.map(() => []);
    clients.forEach((c, i) => c.subscribe((m) => m.type === 'STRING' && received[i]!.push(Number(m.content.value.slice(0, 8)))));
    await until(() => s.sessions.size === 3 && [...s.sessions].filter((x) => x.peerHeaderVersion === 2).length === 2);
    const slow = [...s.sessions].find((x) => x.peerHeaderVersion === 1)!;
    const big = 'x'.repeat(60_000);
    let sent = 0;
    let queuedTotal = 0;
    // Until the blocked client's kernel buffers are full and its queue has conflated a while.
    while (slow.queueStatus.replaced < 20 && sent < 2000) {
      const r = s.broadcast(createMessage('STRING', { encoding: 3, value: String(sent).padStart(8, '0') + big }, { deviceName: 'Text', timestamp: Timestamp.ZERO }), { policy: 'latest' });
      queuedTotal += r.queued;
      sent++;
      await tick();
    }
    expect(slow.queueStatus.replaced).toBeGreaterThanOrEqual(20);
    expect(slow.queueStatus.messages).toBe(1);
    expect(queuedTotal).toBe(3 * sent);
    await until(() => received.every((r) => r.length === sent), 20_000);
    for (const r of received) expect(r).toEqual(Array.from({ length: sent }, (_, i) => i));
    expect(blocked.bytes().length).toBe(0);
  }, 30_000);

  it("a session that refuses (QueueFullError) reports it on its own errors$ and does not affect the others", async () => {
    const s = await server({ queue: { maxMessages: 2 } });
    const port = s.address.port;
    rawClient(port, false);
    const c = v2Client(port);
    let got = 0;
    c.subscribe((m) => m.type === 'STRING' && got++);
    await until(() => s.sessions.size === 2 && [...s.sessions].some((x) => x.peerHeaderVersion === 2));
    const slow = [...s.sessions].find((x) => x.peerHeaderVersion === 1)!;
    const errors: IgtlError[] = [];
    slow.errors$.subscribe((e) => errors.push(e));
    const big = 'y'.repeat(60_000);
    let sent = 0;
    let dropped = 0;
    while (errors.length < 3 && sent < 2000) {
      dropped += s.broadcast(createMessage('STRING', { encoding: 3, value: big }, { deviceName: 'Text', timestamp: Timestamp.ZERO }), { policy: 'lossless' }).dropped;
      sent++;
      await tick();
    }
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((e) => e instanceof QueueFullError)).toBe(true);
    expect(dropped).toBe(errors.length);
    await until(() => got === sent, 20_000);
  }, 30_000);

  it("refuses a send policy that is not one (InvalidOptionError): a misspelt 'Lossless' dropped a stalled client's messages as 'drop' would", async () => {
    const bad = 'Lossless' as unknown as 'lossless';
    expect(() => createServer({ port: 0, sendPolicy: bad })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'sendPolicy' }));
    expect(() => connectTcp({ port: 1, sendPolicy: bad })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'sendPolicy' }));
    const s = await server();
    rawClient(s.address.port);
    const session = await firstValueFrom(s.sessions$);
    expect(() => s.broadcast(pose(1), { policy: bad })).toThrow(expect.objectContaining({ name: 'InvalidOptionError', option: 'policy' }));
    await expect(session.send(pose(2), { policy: bad })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'policy' });
    // A policy function that answers something else fails that send, on errors$ too.
    const fnServer = await server({ sendPolicy: () => bad });
    rawClient(fnServer.address.port);
    const fnSession = await firstValueFrom(fnServer.sessions$);
    const errors: IgtlError[] = [];
    fnSession.errors$.subscribe((e) => errors.push(e));
    await expect(fnSession.send(pose(3))).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'sendPolicy' });
    expect(errors.map((e) => e.code)).toEqual(['invalid-option']);
  });

  it('a client that shuts its sending side (FIN) ends its session at once, even if it still reads: the server closes too and counts it gone (docs/connections.md)', async () => {
    const s = await server();
    const client = rawClient(s.address.port);
    const session = await firstValueFrom(s.sessions$);
    const ended = new Promise<void>((resolve) => client.socket.once('end', () => resolve()));
    const reason = firstValueFrom(session.state$.pipe(filter((st) => st.kind === 'closed')));
    s.broadcast(pose(1));
    await until(() => client.bytes().length > 0);
    client.socket.end();
    // The server's FIN reaches the client: it is told, not left reading a silent socket.
    await ended;
    expect((await reason).reason).toMatchObject({ code: 'peer-closed' });
    expect(s.sessions.size).toBe(0);
    expect(s.broadcast(pose(2)).sessions).toBe(0);
  });

  it('close() with clients mid-message: a reader gets the whole image then a clean end, queued sends fail, close() resolves once a non-reader has had its 5 s', async () => {
    const s = createServer({ port: 0 });
    await s.listen();
    const reader = rawClient(s.address.port);
    const sessions: IgtlConnection[] = [];
    s.sessions$.subscribe((x) => sessions.push(x));
    await until(() => sessions.length === 1);
    rawClient(s.address.port, false);
    await until(() => sessions.length === 2);
    const image = createMessage('IMAGE', createImageContent({ data: new Uint8Array(16 << 20).fill(7), size: [4096, 4096, 1] }), { deviceName: 'Img', timestamp: Timestamp.ZERO });
    const size = encodeMessage(image).length;
    const toReader = sessions[0]!.send(image);
    const toStalled = sessions[1]!.send(image);
    await toStalled; // handed to the socket: more than the kernel takes from a client that does not read
    const queued = sessions[1]!.send(pose(1));
    const readerEnded = new Promise<void>((resolve) => reader.socket.once('end', () => resolve()));
    const t0 = performance.now();
    await s.close();
    const took = performance.now() - t0;
    await expect(toReader).resolves.toBe('written');
    await expect(queued).rejects.toMatchObject({ code: 'connection' });
    await readerEnded;
    expect(reader.bytes().length).toBe(size);
    // The client that does not read holds close() for its flush grace, no longer.
    expect(took).toBeGreaterThan(4_500);
    expect(took).toBeLessThan(8_000);
  }, 20_000);
});
