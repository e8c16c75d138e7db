/**
 * A bridge client whose machine vanished (no RST, no FIN: packets lost), for real, in a private
 * network namespace (test/support/netns.ts): a plain WebSocket client that takes no part in the
 * OpenIGTLink heartbeat, in front of a silent tracker, so the bridge writes nothing to it and no
 * write can stall. The bridge's WebSocket pings find it gone (silent 10 s: a ping; nothing back
 * in 10 s more: cut; src/bridge/client-pings.ts). TCP keep-alive (10 s idle + 10 probes of 1 s)
 * alone failed 2 runs in 3: when the client's ACK of the bridge's last notice was lost with it,
 * keep-alive never probed and the kernel retransmitted instead. Fails loudly (never skips) when `unshare -rn` or `ip` is
 * unavailable.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ADDR, assertNetnsAvailable, closeAllNetns, startNetns } from '../support/netns.js';

const PEER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'netns-bridge.mjs');
const PORT = '18945';
// Not CLIENT_ADDR (127.0.0.1): the bridge's own link to its tracker (127.0.0.4) answers to
// 127.0.0.1, and must stay up while the client's packets vanish.
const WS_CLIENT_ADDR = '127.0.0.3';

beforeAll(() => assertNetnsAvailable());
afterEach(() => closeAllNetns());

describe('a bridge client that vanished (network namespace)', () => {
  it('a silent plain WebSocket client whose packets vanish is let go within 30 s (it held its place for ever)', async () => {
    const ns = await startNetns();
    const bridge = await ns.spawn('bridge', PEER, ['bridge', SERVER_ADDR, PORT]);
    await bridge.waitFor('listening', 10_000);
    const client = await ns.spawn('client', PEER, ['wsclient', SERVER_ADDR, PORT, WS_CLIENT_ADDR]);
    await client.waitFor('open', 10_000);
    await bridge.waitFor((e) => e.ev === 'client-state' && e['kind'] === 'open', 5_000);
    // The tracker is silent: the bridge says so (stale) once, then has nothing more to write.
    await client.waitFor((e) => e.ev === 'notice' && e['kind'] === 'stale', 10_000);
    const t0 = await ns.blackhole([WS_CLIENT_ADDR, SERVER_ADDR]);
    const gone = await bridge.waitFor((e) => e.ev === 'client-state' && e['kind'] === 'closed', 30_000, { since: t0 });
    expect(gone['t'] as number - t0).toBeLessThan(30_000);
  }, 50_000);
});
