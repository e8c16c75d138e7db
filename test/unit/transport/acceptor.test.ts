// The acceptor shared by the TCP/TLS server and the WebSocket bridge: the allow-list, the client
// limit and its eviction policy, the live entries, address normalisation, listen and close.
import { connect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../../src/protocol/errors.js';
import { Acceptor, evictNewestSilent, remoteAddressOf, type AcceptorOptions } from '../../../src/transport/acceptor.js';

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** An acceptor over a server that never listens: admission and bookkeeping only. */
function bookkeeper<E>(options: Partial<AcceptorOptions<E>> = {}): Acceptor<E> {
  return new Acceptor<E>(createNetServer(), { maxClients: 64, closeEntry: () => {}, ...options });
}

describe('address normalisation', () => {
  it('gives IPv4-mapped IPv6 addresses in their IPv4 form, others unchanged', () => {
    expect(remoteAddressOf({ remoteAddress: '::ffff:127.0.0.1', remotePort: 5000 })).toEqual({ address: '127.0.0.1', port: 5000 });
    expect(remoteAddressOf({ remoteAddress: '::FFFF:10.1.2.3', remotePort: 1 })).toEqual({ address: '10.1.2.3', port: 1 });
    expect(remoteAddressOf({ remoteAddress: '::1', remotePort: 2 })).toEqual({ address: '::1', port: 2 });
    expect(remoteAddressOf({ remoteAddress: 'fd00::ffff:1', remotePort: 3 })).toEqual({ address: 'fd00::ffff:1', port: 3 });
    // A socket destroyed before it was read has neither.
    expect(remoteAddressOf({})).toEqual({ address: '?', port: 0 });
  });

  it('normalises what a dual-stack socket reports for an IPv4 client', async () => {
    const seen: string[] = [];
    const server = createNetServer((s) => {
      seen.push(s.remoteAddress ?? '', remoteAddressOf(s).address);
      s.destroy();
    });
    const acceptor = new Acceptor<Socket>(server, { maxClients: 1, closeEntry: (s) => s.destroy() });
    cleanup.push(() => acceptor.close());
    let address;
    try {
      address = await acceptor.listen(0, '::');
    } catch {
      return; // no IPv6 on this machine: the pure test above covers the rule
    }
    const client = connect(address.port, '127.0.0.1');
    client.on('error', () => {});
    await new Promise((r) => client.on('close', r));
    expect(seen).toEqual(['::ffff:127.0.0.1', '127.0.0.1']);
  });
});

describe('allow-list', () => {
  it('allows any address without a list, and only the listed addresses and ranges with one', () => {
    expect(bookkeeper().allows('203.0.113.9')).toBe(true);
    const a = bookkeeper({ allow: ['10.1.2.0/24', '::1', '127.0.0.1'] });
    expect(a.allows('10.1.2.7')).toBe(true);
    expect(a.allows('::ffff:10.1.2.7')).toBe(true);
    expect(a.allows('127.0.0.1')).toBe(true);
    expect(a.allows('::1')).toBe(true);
    expect(a.allows('10.1.3.1')).toBe(false);
    expect(a.allows('127.0.0.2')).toBe(false);
    expect(a.allows('?')).toBe(false);
    expect(a.admit('10.1.3.1')).toEqual({ kind: 'not-allowed' });
    expect(a.admit('10.1.2.7')).toEqual({ kind: 'room' });
  });

  it('refuses a bad entry at construction with InvalidOptionError', () => {
    expect(() => bookkeeper({ allow: ['10.0.0.0/33'] })).toThrow(InvalidOptionError);
    expect(() => bookkeeper({ allow: ['not-an-address'] })).toThrow(/allow.*neither an IP address nor a CIDR range/);
  });
});

describe('capacity and bookkeeping', () => {
  it('refuses a maxClients that is not a whole number >= 0 (NaN refused every client)', () => {
    for (const maxClients of [Number.NaN, -1, 1.5]) {
      expect(() => bookkeeper<string>({ maxClients }), String(maxClients)).toThrow(InvalidOptionError);
    }
    expect(() => bookkeeper<string>({ maxClients: Infinity })).not.toThrow();
  });

  it('counts entries in and out and refuses beyond maxClients without a policy', () => {
    const a = bookkeeper<string>({ maxClients: 2 });
    a.add('x');
    expect(a.room()).toEqual({ kind: 'room' });
    a.add('y');
    expect(a.live.size).toBe(2);
    expect(a.room()).toEqual({ kind: 'full', live: 2, max: 2 });
    expect(a.admit('127.0.0.1')).toEqual({ kind: 'full', live: 2, max: 2 });
    expect(a.remove('x')).toBe(true);
    expect(a.remove('x')).toBe(false);
    expect([...a.live]).toEqual(['y']);
    expect(a.room()).toEqual({ kind: 'room' });
  });

  it('counts places reserved for clients not added yet; a release frees one once, however often it is called', () => {
    const a = bookkeeper<string>({ maxClients: 2 });
    const first = a.reserve();
    const second = a.reserve();
    expect(a.admit('127.0.0.1')).toEqual({ kind: 'full', live: 2, max: 2 }); // nobody added yet
    first();
    a.add('x'); // the first handshake completed
    expect(a.room()).toEqual({ kind: 'full', live: 2, max: 2 });
    second(); // the second failed
    second();
    expect(a.room()).toEqual({ kind: 'room' });
    a.add('y');
    expect(a.room()).toEqual({ kind: 'full', live: 2, max: 2 });
  });

  it('maxClients 0 refuses everybody', () => {
    expect(bookkeeper({ maxClients: 0 }).admit('127.0.0.1')).toEqual({ kind: 'full', live: 0, max: 0 });
  });

  it('evicts the newest silent entry once it has been there the grace period (the lock-out rule)', () => {
    // Time on the monotonic clock (performance.now()): what durations are measured on.
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const heard = new Set<string>();
    const a = bookkeeper<string>({ maxClients: 3, evict: evictNewestSilent(5000, (e) => heard.has(e)) });
    a.add('reader'); // silent for ever, but first: the last candidate
    vi.advanceTimersByTime(1000);
    a.add('talker');
    heard.add('talker');
    vi.advanceTimersByTime(1000);
    a.add('loris');
    // Full, and the newest silent entry has been there 0 ms: refused.
    expect(a.room()).toEqual({ kind: 'full', live: 3, max: 3 });
    vi.advanceTimersByTime(4999);
    expect(a.room().kind).toBe('full');
    vi.advanceTimersByTime(1);
    expect(a.room()).toEqual({ kind: 'evict', entry: 'loris', connectedMs: 5000 });
    // The owner closes the victim and removes it; the next to go is the reader, never the talker.
    a.remove('loris');
    a.add('newcomer');
    heard.add('newcomer');
    expect(a.room()).toEqual({ kind: 'evict', entry: 'reader', connectedMs: 7000 });
  });

  it('never evicts with a negative grace period', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const a = bookkeeper<string>({ maxClients: 1, evict: evictNewestSilent(-1, () => false) });
    a.add('silent');
    vi.advanceTimersByTime(3_600_000);
    expect(a.room()).toEqual({ kind: 'full', live: 1, max: 1 });
  });

  it('a step of the system clock neither evicts a client that just connected nor delays an eviction that is due', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    const a = bookkeeper<string>({ maxClients: 1, evict: evictNewestSilent(5000, () => false) });
    a.add('loris');
    vi.setSystemTime(Date.now() + 3_600_000); // forward an hour: no time has passed
    expect(a.room().kind).toBe('full');
    vi.advanceTimersByTime(4000);
    vi.setSystemTime(Date.now() - 7_200_000); // back two hours
    expect(a.room().kind).toBe('full');
    vi.advanceTimersByTime(1000);
    expect(a.room()).toEqual({ kind: 'evict', entry: 'loris', connectedMs: 5000 });
  });
});

describe('listen and close', () => {
  /** An acceptor whose entries are the accepted sockets; `ended` lists what closeEntry ended. */
  function socketAcceptor(options: Partial<AcceptorOptions<Socket>> = {}): { acceptor: Acceptor<Socket>; server: Server; ended: Socket[] } {
    const ended: Socket[] = [];
    let acceptor: Acceptor<Socket> | undefined;
    const server = createNetServer((s) => {
      const verdict = acceptor!.admit(remoteAddressOf(s).address);
      if (verdict.kind !== 'room') {
        s.destroy();
        return;
      }
      acceptor!.add(s);
      s.on('close', () => acceptor!.remove(s));
    });
    acceptor = new Acceptor<Socket>(server, {
      maxClients: 2,
      closeEntry: (s) => {
        ended.push(s);
        s.destroy();
        acceptor!.remove(s);
      },
      ...options,
    });
    return { acceptor, server, ended };
  }

  /** A connected client socket (half-open: it answers a FIN only if told to). */
  async function client(port: number): Promise<Socket> {
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    cleanup.push(() => c.destroy());
    await new Promise((resolve, reject) => c.once('connect', resolve).once('error', reject));
    c.on('error', () => {});
    return c;
  }

  const until = async (what: () => boolean) => {
    while (!what()) await new Promise((r) => setImmediate(r));
  };

  it('resolves listen with the bound address and rejects when the port is taken', async () => {
    const { acceptor } = socketAcceptor();
    cleanup.push(() => acceptor.close());
    const address = await acceptor.listen(0, '127.0.0.1');
    expect(address.address).toBe('127.0.0.1');
    expect(address.port).toBeGreaterThan(0);
    expect(acceptor.address).toEqual(address);
    expect(acceptor.boundAddress()).toBe('127.0.0.1');
    const second = socketAcceptor().acceptor;
    await expect(second.listen(address.port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
  });

  it('close stops accepting, ends every live entry before it returns, and resolves once the server has closed', async () => {
    const { acceptor, server, ended } = socketAcceptor();
    const { port } = await acceptor.listen(0, '127.0.0.1');
    const a = await client(port);
    const b = await client(port);
    await until(() => acceptor.live.size === 2);
    // Half-open clients: the server's side ending shows as 'end'.
    const aGone = new Promise((r) => a.once('end', r));
    const bGone = new Promise((r) => b.once('end', r));
    const closed = acceptor.close();
    expect(acceptor.closing).toBe(true);
    expect(ended).toHaveLength(2);
    expect(acceptor.live.size).toBe(0);
    expect(acceptor.admit('127.0.0.1')).toEqual({ kind: 'closing' });
    expect(acceptor.close()).toBe(closed);
    await closed;
    expect(server.listening).toBe(false);
    await Promise.all([aGone, bGone]);
    await expect(client(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('with a farewell, waits for the entries that close politely and cuts the rest after the grace period', async () => {
    const said: Socket[] = [];
    const { acceptor, ended } = socketAcceptor({
      farewell: {
        graceMs: 50,
        // The polite close: half-close and wait for the peer to close too.
        say: (s) => {
          said.push(s);
          const gone = new Promise<void>((r) => s.once('close', () => r()));
          s.end();
          return gone;
        },
      },
    });
    const { port } = await acceptor.listen(0, '127.0.0.1');
    const polite = await client(port);
    polite.on('end', () => polite.end()); // answers the half-close
    const stalled = await client(port);
    stalled.on('end', () => {}); // never answers
    await until(() => acceptor.live.size === 2);
    await acceptor.close();
    expect(said).toHaveLength(2);
    // The polite one closed by itself (removed on 'close'); only the stalled one was cut.
    expect(ended).toHaveLength(1);
    expect(ended[0]!.remotePort).toBe(stalled.localPort);
    expect(acceptor.live.size).toBe(0);
  });

  it('leaves a server of someone else alone: listen reports its address, close ends the entries only', async () => {
    const server = createNetServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const ended: string[] = [];
    const acceptor = new Acceptor<string>(server, { maxClients: 2, ownsServer: false, closeEntry: (e) => void (ended.push(e), acceptor.remove(e)) });
    expect(await acceptor.listen(1, '192.0.2.1')).toEqual(server.address());
    acceptor.add('x');
    await acceptor.close();
    expect(ended).toEqual(['x']);
    expect(server.listening).toBe(true);
  });
});
