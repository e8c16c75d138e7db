// What the workbench's header says about its data (examples/web/header.ts, healthOf): from the
// page's own connection to the bridge and the tracker's state as the bridge reports it.
import { describe, expect, it } from 'vitest';
import { healthOf } from '../../../examples/web/header.js';
import type { ConnectionState } from '../../../src/index.js';

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
});
