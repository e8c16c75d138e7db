// The workbench's query string (examples/web/params.ts): how it judges freshness.
import { describe, expect, it } from 'vitest';
import { readParams } from '../../../examples/web/params.js';

const loc = { protocol: 'http:', host: '127.0.0.1:18945' };

describe('readParams byTimestamp', () => {
  it('judges poses and images by their timestamps unless byTimestamp=0 (a slowed replay falls behind real time)', () => {
    expect(readParams('', loc).byTimestamp).toBe(true);
    expect(readParams('?byTimestamp=1', loc).byTimestamp).toBe(true);
    expect(readParams('?byTimestamp=0&deviceStale=500', loc)).toMatchObject({ byTimestamp: false, deviceStaleMs: 500 });
  });
});
