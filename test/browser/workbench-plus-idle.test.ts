// The workbench in Chromium, through a bridge, when PlusServer stops tracking but stays up: an
// idle PlusServer sends a keep-alive (an unnamed STATUS) every 0.25 s (test/support/plus-emulator.ts
// S2-S3, from vtkPlusOpenIGTLinkServer). Before, any bytes kept a connection open, so the
// bridge's link to PLUS never went stale and the page's header said `live` while no pose came.
// Now keep-alives are not data: the header says stale within the bridge's staleAfterMs (3 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY, type Matrix4 } from '../../src/node.js';
import { PlusEmulator } from '../support/plus-emulator.js';
import { openWorkbench, screenshot, type Workbench } from './helpers.js';

let plus: PlusEmulator;
let wb: Workbench;
let tracking: ReturnType<typeof setInterval> | undefined;

beforeAll(async () => {
  wb = await openWorkbench('workbench-plus-idle', async () => {
    plus = await PlusEmulator.start({});
    // PLUS tracking a stylus at 50 Hz (TDATA, as PlusServer sends it).
    let x = 0;
    tracking = setInterval(() => plus.sendTrackingData([{ name: 'Stylus', matrix: IDENTITY.map((v, i) => (i === 3 ? (x += 0.1) : v)) as unknown as Matrix4 }]), 20);
    return { upstream: { port: plus.port }, live: { timeoutMs: 15_000, screenshot: 'workbench-plus-idle-failed.png' } };
  });
}, 60_000);

afterAll(async () => {
  clearInterval(tracking);
  await wb?.close();
  await plus?.close();
});

describe('workbench: PlusServer idle (keep-alives only)', () => {
  it('the header says stale within 3 s of the last pose, while the keep-alives go on', { timeout: 30_000 }, async () => {
    const { page } = wb.browser;
    clearInterval(tracking);
    const stoppedAt = Date.now();
    const keepAlivesBefore = plus.keepAlives;
    await page.waitForSelector('#health[data-health="stale"]', { timeout: 6000 });
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    expect(await page.textContent('#health')).toMatch(/no data from the tracker/);
    expect(await page.getAttribute('#peer-state', 'data-peer')).toBe('stale');
    // PLUS kept talking all along: about four keep-alives a second.
    expect(plus.keepAlives - keepAlivesBefore).toBeGreaterThanOrEqual(8);
    await screenshot(page, 'workbench-plus-idle.png');
  });
});
