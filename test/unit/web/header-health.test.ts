// What the workbench's header says about its data (examples/web/header.ts, healthOf): from the
// page's own connection to the bridge and the tracker's state as the bridge reports it.
import { BehaviorSubject, Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Header, PEER_NOTICE_GRACE_MS, healthOf } from '../../../examples/web/header.js';
import type { ConnectionState, IgtlConnection, IgtlError, PeerState } from '../../../src/index.js';

const open: ConnectionState = { kind: 'open', remote: 'ws://bridge/' };
const stale: ConnectionState = { kind: 'stale', remote: 'ws://bridge/', silentMs: 3000 };

describe('healthOf', () => {
  it('live while both are', () => {
    expect(healthOf(open, { kind: 'open' })).toBe('live');
  });

  it('the tracker silent: the bridge says so (stale), whatever the page hears', () => {
    expect(healthOf(open, { kind: 'stale' })).toBe('stale');
    expect(healthOf(stale, { kind: 'stale' })).toBe('stale');
  });

  it('nothing from the bridge while it last said its tracker is live: the bridge or the network, not the tracker', () => {
    expect(healthOf(stale, { kind: 'open' })).toBe('bridge-silent');
  });

  it('connecting: to the bridge at first, the bridge down once the page had it and lost it', () => {
    const connecting: ConnectionState = { kind: 'connecting', attempt: 1 };
    expect(healthOf(connecting, undefined)).toBe('connecting');
    expect(healthOf(connecting, undefined, true)).toBe('bridge-down');
  });

  it('the tracker down, the bridge down, and a bridge that does not report its tracker', () => {
    expect(healthOf(open, { kind: 'reconnecting' })).toBe('tracker-down');
    expect(healthOf({ kind: 'reconnecting', attempt: 1, delayMs: 100, reason: undefined }, { kind: 'open' })).toBe('bridge-down');
    expect(healthOf(stale, undefined)).toBe('no-data');
    expect(healthOf(open, undefined)).toBe('live');
  });

  it("waiting for the bridge's first word on its tracker, the page is not live", () => {
    expect(healthOf(open, undefined, true, true)).toBe('awaiting-tracker');
    expect(healthOf(open, { kind: 'open' }, true, true)).toBe('live');
  });
});

describe('Header after the WebSocket opens', () => {
  /** A stand-in for the header's elements: the header sets only these fields. */
  const element = () => ({ dataset: {} as Record<string, string>, textContent: '', title: '', hidden: false }) as unknown as HTMLElement;
  const bridge = () => {
    const state$ = new BehaviorSubject<ConnectionState>({ kind: 'connecting', attempt: 1 });
    const peerState$ = new BehaviorSubject<PeerState>({ kind: 'unknown' });
    const conn = { state$, peerState$, errors$: new Subject<IgtlError>() } as unknown as IgtlConnection;
    const header = new Header(element(), element(), element(), element(), 'ws://bridge/');
    header.attach(conn);
    return { header, state$, peerState$ };
  };
  afterEach(() => vi.useRealTimers());

  it("does not say live before the bridge's first word on its tracker (the tracker may be down)", () => {
    const { header, state$, peerState$ } = bridge();
    state$.next(open);
    // Was 'live' until the notice came (one frame or so with an igtl-rx bridge).
    expect(header.current).toBe('awaiting-tracker');
    peerState$.next({ kind: 'reconnecting', attempt: 3, delayMs: 1000 });
    expect(header.current).toBe('tracker-down');
  });

  it('takes a server that says nothing of its tracker for one that does not report it, after the grace period', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
    const { header, state$ } = bridge();
    state$.next(open);
    expect(header.current).toBe('awaiting-tracker');
    vi.advanceTimersByTime(PEER_NOTICE_GRACE_MS + 20);
    expect(header.current).toBe('live');
  });
});
