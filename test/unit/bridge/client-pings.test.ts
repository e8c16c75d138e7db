// watchClientPings (src/bridge/client-pings.ts) on a stand-in socket, in virtual time: the ping
// after idleMs of silence, the verdict after as long again, and no verdict for a client the
// bridge already let go (closing), which the browser audit saw logged as "disconnecting" seconds
// after the client had left.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { watchClientPings } from '../../../src/bridge/client-pings.js';

const IDLE_MS = 1000;

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  isPaused = false;
  pings = 0;
  ping(): void {
    this.pings++;
  }
}

describe('watchClientPings', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings after idleMs of silence and gives up after as long again', () => {
    const ws = new FakeSocket();
    const gone: number[] = [];
    watchClientPings(ws as unknown as WebSocket, IDLE_MS, (ms) => gone.push(ms));
    vi.advanceTimersByTime(IDLE_MS);
    expect(ws.pings).toBe(1);
    vi.advanceTimersByTime(IDLE_MS - 250);
    expect(gone).toEqual([]);
    vi.advanceTimersByTime(250);
    expect(gone).toEqual([2 * IDLE_MS]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a pong makes the client heard from', () => {
    const ws = new FakeSocket();
    const gone: number[] = [];
    watchClientPings(ws as unknown as WebSocket, IDLE_MS, (ms) => gone.push(ms));
    vi.advanceTimersByTime(IDLE_MS);
    ws.emit('pong');
    vi.advanceTimersByTime(IDLE_MS * 1.5);
    expect(gone).toEqual([]);
    expect(ws.pings).toBe(2);
  });

  it('a socket that is closing gets no ping and no verdict, and the watch ends', () => {
    const ws = new FakeSocket();
    const gone: number[] = [];
    watchClientPings(ws as unknown as WebSocket, IDLE_MS, (ms) => gone.push(ms));
    vi.advanceTimersByTime(IDLE_MS);
    expect(ws.pings).toBe(1);
    // The bridge let it go: the closing handshake is under way, 'close' not yet emitted.
    ws.readyState = 2;
    vi.advanceTimersByTime(10 * IDLE_MS);
    expect(gone).toEqual([]);
    expect(ws.pings).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
