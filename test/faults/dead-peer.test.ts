/**
 * Dead peers with the DEFAULT options, for real: igtl-rx server and client processes in a private
 * network namespace (test/support/netns.ts), an established connection blackholed mid-stream (no
 * RST, no FIN: packets vanish) or a peer stopped with SIGSTOP. Each side must say so within 30 s.
 * The rules that fire (docs/connections.md, "Liveness"): the client's heartbeat (a peer that
 * answered the probe and then stays silent past 5 + 10 s), TCP keep-alive on an idle socket
 * (10 s + 10 probes of 1 s), and on sessions the heartbeat towards igtl-rx clients.
 * Fails loudly (never skips) when `unshare -rn` or `ip` is unavailable.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ADDR, assertNetnsAvailable, closeAllNetns, startNetns, type NetnsEvent } from '../support/netns.js';

const PEER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'netns-igtl.mjs');
const WS_PEER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'netns-ws.mjs');
const PORT = '18944';

beforeAll(() => assertNetnsAvailable());
afterEach(() => closeAllNetns());

const closedBy = (who: string) => (e: NetnsEvent) => e.ev === who && e['kind'] !== 'open' && e['kind'] !== 'stale' && e['kind'] !== 'connecting' && e['code'] !== undefined;

async function pair(serverHz: number, clientHz: number) {
  const ns = await startNetns();
  const server = await ns.spawn('server', PEER, ['server', SERVER_ADDR, PORT, String(serverHz)]);
  await server.waitFor('listening', 10_000);
  const client = await ns.spawn('client', PEER, ['client', SERVER_ADDR, PORT, String(clientHz)]);
  await client.waitFor((e) => e.ev === 'state' && e['kind'] === 'open', 10_000);
  await server.waitFor('session', 5_000);
  // Traffic flows before the fault.
  if (clientHz > 0) await server.waitFor('got', 10_000);
  if (serverHz > 0) await client.waitFor('got', 10_000);
  return { ns, server, client };
}

describe('dead peers (default options, network namespace)', () => {
  it('a client sending at 100 Hz to a blackholed server, and that server, both see it within 30 s', async () => {
    const { ns, server, client } = await pair(0, 100);
    const t0 = await ns.blackhole();
    const [c, s] = await Promise.all([
      client.waitFor(closedBy('state'), 30_000, { since: t0 }),
      server.waitFor(closedBy('session-state'), 30_000, { since: t0 }),
    ]);
    expect(c['code']).toBe('dead-peer');
    expect(c['t'] as number - t0).toBeLessThan(30_000);
    expect(s['code']).toBe('dead-peer');
    expect(s['t'] as number - t0).toBeLessThan(30_000);
    // The client reported the poses it had written that the server never confirmed.
    await client.waitFor((e) => e.ev === 'error' && e['code'] === 'delivery-unconfirmed', 5_000, { since: t0 });
  }, 45_000);

  it('a client receiving a 100 Hz stream from a blackholed server, and that server, both see it within 30 s', async () => {
    const { ns, server, client } = await pair(100, 0);
    const t0 = await ns.blackhole();
    const [c, s] = await Promise.all([
      client.waitFor(closedBy('state'), 30_000, { since: t0 }),
      server.waitFor(closedBy('session-state'), 30_000, { since: t0 }),
    ]);
    expect(c['code']).toBe('dead-peer');
    expect(s['code']).toBe('dead-peer');
    expect(Math.max(c['t'] as number, s['t'] as number) - t0).toBeLessThan(30_000);
    // Before it closed, the client said its data was stale (3 s of silence).
    const stale = client.events().find((e) => e.ev === 'state' && e['kind'] === 'stale' && e.t >= t0);
    expect(stale).toBeDefined();
  }, 45_000);

  it('a server stopped with SIGSTOP (its kernel still acknowledges) is found by the client within 30 s', async () => {
    const { server, client } = await pair(0, 100);
    const t0 = Date.now();
    await server.signal('SIGSTOP');
    const c = await client.waitFor(closedBy('state'), 30_000, { since: t0 });
    expect(c['code']).toBe('dead-peer');
    expect(c['rule']).toBe('heartbeat');
    await server.signal('SIGCONT');
  }, 45_000);

  it('a server stopped before it accepted the client looks like a receive-only server: stale, not closed; idleTimeoutMs reconnects', async () => {
    const ns = await startNetns();
    const server = await ns.spawn('server', PEER, ['server', SERVER_ADDR, PORT, '100']);
    await server.waitFor('listening', 10_000);
    await server.signal('SIGSTOP');
    // Its kernel completes the connection and acknowledges the probe: nothing ever answers, as
    // with a C++ or pyigtl server that sends nothing (docs/connections.md, "Liveness").
    const plain = await ns.spawn('plain', PEER, ['client', SERVER_ADDR, PORT, '0']);
    const idle = await ns.spawn('idle', PEER, ['client', SERVER_ADDR, PORT, '0', '4000']);
    await plain.waitFor((e) => e.ev === 'state' && e['kind'] === 'stale', 10_000);
    // With idleTimeoutMs the client gives up on the silent connection and tries again.
    await idle.waitFor((e) => e.ev === 'state' && e['kind'] === 'reconnecting', 15_000);
    expect(idle.events().some((e) => e.ev === 'state' && e['kind'] === 'stale')).toBe(true);
    expect(idle.events().find((e) => e.ev === 'error' && e['rule'] === 'idle')).toBeDefined();
    // By then (past 4 s of silence) the default client has only said `stale`: it is still waiting
    // on the same connection, which is what the docs promise for a peer that never answered.
    expect(plain.events().filter((e) => e.ev === 'state').map((e) => e['kind'])).toEqual(['idle', 'connecting', 'open', 'stale']);
    // Running again, the server serves both: the waiting connection and the new attempt.
    await server.signal('SIGCONT');
    await Promise.all([plain.waitFor('got', 10_000), idle.waitFor('got', 10_000)]);
  }, 45_000);

  it('a WebSocket client (ws, Node) receiving from a plain relay that is blackholed (no heartbeat to answer) says stale within seconds and closes (TCP keep-alive) within 30 s', async () => {
    const ns = await startNetns();
    const relay = await ns.spawn('relay', WS_PEER, ['relay', SERVER_ADDR, PORT, '100']);
    await relay.waitFor('listening', 10_000);
    const client = await ns.spawn('client', WS_PEER, ['client', SERVER_ADDR, PORT]);
    await client.waitFor('got', 10_000);
    const t0 = await ns.blackhole();
    const stale = await client.waitFor((e) => e.ev === 'state' && e['kind'] === 'stale', 10_000, { since: t0 });
    expect(stale.t - t0).toBeLessThan(5_000);
    // It stayed `stale` for good: nothing but the socket can tell this relay is gone.
    const end = await client.waitFor(closedBy('state'), 30_000, { since: t0 });
    expect(end['code']).toBe('dead-peer');
    expect(end['rule']).toBe('keepalive');
  }, 45_000);
});
