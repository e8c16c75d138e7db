// peerState$: the bridge's peer state read from WebSocket text frames. The parsing and the
// merge with the WebSocket's own state on virtual time (marbles), then connectWebSocket over a
// fake WebSocket class (the frames a bridge sends, a broken frame, the link going down).
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  UNKNOWN_PEER_STATE,
  connectWebSocket,
  encodeBridgeFrame,
  parseBridgeFrame,
  peerStateOfConnection,
  trackPeerState,
  DeadPeerError,
  PeerClosedError,
  type ConnectionState,
  type PeerState,
  type SendRefusal,
  type WebSocketConstructor,
} from '../../../src/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const frame = (state: Exclude<PeerState, { kind: 'unknown' }>) => encodeBridgeFrame({ igtlRx: 'peer-state', v: 1, state });

const OPEN: PeerState = { kind: 'open', remote: '127.0.0.1:18944' };
const STALE: PeerState = { kind: 'stale', remote: '127.0.0.1:18944', silentMs: 3000 };
const RECONNECTING: PeerState = { kind: 'reconnecting', attempt: 1, delayMs: 250, reason: { code: 'peer-closed', message: '127.0.0.1:18944: closed by the peer' } };

describe('the text-frame schema', () => {
  it('turns connection states (typed reasons included) into plain data, and reads them back', () => {
    const states: ConnectionState[] = [
      { kind: 'connecting', attempt: 2 },
      { kind: 'open', remote: 'a:1' },
      { kind: 'stale', remote: 'a:1', silentMs: 3000 },
      { kind: 'reconnecting', attempt: 1, delayMs: 250, reason: new PeerClosedError('a:1') },
      { kind: 'reconnecting', attempt: 3, delayMs: 1000, reason: new DeadPeerError('silent', 'idle', 20000) },
      { kind: 'closed', reason: undefined },
    ];
    const wire = states.map(peerStateOfConnection);
    expect(wire[3]).toEqual({ kind: 'reconnecting', attempt: 1, delayMs: 250, reason: { code: 'peer-closed', message: 'a:1: closed by the peer' } });
    expect(wire[4]).toMatchObject({ reason: { code: 'dead-peer', rule: 'idle' } });
    for (const s of wire) expect(parseBridgeFrame(frame(s))).toEqual({ igtlRx: 'peer-state', v: 1, state: s });
  });

  it('ignores what it cannot read: not JSON, other schemas and versions, bad fields', () => {
    for (const text of [
      'hello',
      '[]',
      '{"igtlRx":"peer-state","v":2,"state":{"kind":"open","remote":"x"}}',
      '{"igtlRx":"peer-state","v":1,"state":{"kind":"open"}}',
      '{"igtlRx":"peer-state","v":1,"state":{"kind":"sleeping"}}',
      '{"igtlRx":"peer-state","v":1,"state":{"kind":"reconnecting","attempt":-1,"delayMs":5}}',
      '{"igtlRx":"peer-state","v":1,"state":{"kind":"closed","reason":{"code":1}}}',
      '{"igtlRx":"refused","v":1,"type":"TRANSFORM"}',
      '{"igtlRx":"weather","v":1}',
      '{"v":1}',
    ]) {
      expect(parseBridgeFrame(text), text).toBeUndefined();
    }
  });
});

describe('trackPeerState (marble)', () => {
  it('unknown while the WebSocket is not open; the bridge\'s word while it is; garbage and repeats ignored', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ hot, expectObservable }) => {
      const link: Record<string, ConnectionState> = {
        i: { kind: 'idle' },
        c: { kind: 'connecting', attempt: 1 },
        o: { kind: 'open', remote: 'ws://bridge/' },
        s: { kind: 'stale', remote: 'ws://bridge/', silentMs: 3000 },
        r: { kind: 'reconnecting', attempt: 1, delayMs: 100, reason: undefined },
      };
      const texts: Record<string, string> = { O: frame(OPEN as never), S: frame(STALE as never), R: frame(RECONNECTING as never), x: 'not json', y: '{"igtlRx":"peer-state","v":9}' };
      // The link: idle, connecting, open; stale at 14 (the WebSocket is silent: the peer state
      // stays what the bridge said); reconnecting at 26, connecting, open at 30.
      const states = hot<ConnectionState>('i-c-o---------s-----------r-c-o--', link);
      const frames = hot<string>('------O-x-O-S---R-y-------------O', texts);
      const expected = '                u-----O-----S---R---------u-----O';
      const values: Record<string, PeerState> = { u: UNKNOWN_PEER_STATE, O: OPEN, S: STALE, R: RECONNECTING };
      expectObservable(trackPeerState(frames, states)).toBe(expected, values);
    });
  });
});

/** A WebSocket class the test drives: the last instance made is `FakeWebSocket.last`. */
class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last: FakeWebSocket | undefined;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  readyState = 0;
  bufferedAmount = 0;
  binaryType = 'arraybuffer';
  readonly url: string;
  private readonly listeners = new Map<string, Set<(ev: unknown) => void>>();

  constructor(url: string) {
    this.url = url;
    FakeWebSocket.last = this;
  }
  send(): void {}
  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', { code, reason: '', wasClean: true });
  }
  addEventListener(type: string, l: (ev: unknown) => void): void {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(l);
  }
  removeEventListener(type: string, l: (ev: unknown) => void): void {
    this.listeners.get(type)?.delete(l);
  }
  fire(type: string, ev: unknown): void {
    for (const l of [...(this.listeners.get(type) ?? [])]) l(ev);
  }
  /** The server side: open, then frames. */
  open(): void {
    this.readyState = 1;
    this.fire('open', { type: 'open' });
  }
  text(data: string): void {
    this.fire('message', { data });
  }
  drop(): void {
    this.readyState = 3;
    this.fire('close', { code: 1006, reason: '', wasClean: false });
  }
}

async function until(what: string, cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('connectWebSocket: peerState$ and refused$ over a fake WebSocket', () => {
  it('reports what the bridge says, replays the latest to a late subscriber, ignores broken frames, and says unknown when the WebSocket drops', async () => {
    FakeWebSocket.last = undefined;
    const conn = connectWebSocket('ws://bridge.test/?token=x', { WebSocket: FakeWebSocket as unknown as WebSocketConstructor, reconnect: { initialDelayMs: 10_000 } });
    const seen: PeerState[] = [];
    const refused: SendRefusal[] = [];
    conn.peerState$.subscribe((s) => seen.push(s));
    conn.refused$.subscribe((r) => refused.push(r));
    const hold = conn.connect();
    await until('the socket', () => FakeWebSocket.last !== undefined);
    const ws = FakeWebSocket.last!;
    ws.open();
    await until('open', () => conn.state.kind === 'open');
    expect(conn.peerState).toEqual(UNKNOWN_PEER_STATE);
    ws.text(frame(OPEN as never));
    ws.text('{"igtlRx":"peer-state","v":1,"state":{"kind":"open"}}'); // broken: ignored
    ws.text(frame(STALE as never));
    ws.text(encodeBridgeFrame({ igtlRx: 'refused', v: 1, type: 'TRANSFORM', deviceName: 'Tool', reason: 'the bridge is read-only' }));
    expect(conn.peerState).toEqual(STALE);
    const late: PeerState[] = [];
    conn.peerState$.subscribe((s) => late.push(s));
    expect(late).toEqual([STALE]);
    expect(refused).toEqual([{ igtlRx: 'refused', v: 1, type: 'TRANSFORM', deviceName: 'Tool', reason: 'the bridge is read-only' }]);
    ws.drop();
    await until('the drop', () => conn.state.kind === 'reconnecting');
    expect(seen).toEqual([UNKNOWN_PEER_STATE, OPEN, STALE, UNKNOWN_PEER_STATE]);
    hold.unsubscribe();
    conn.close();
  });
});
