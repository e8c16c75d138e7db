// Runs examples/filter-throttle.ts against a live igtl-rx server streaming TDATA (3 tools at
// 200 Hz) plus TRANSFORMs of two devices, and checks the followed tool arrives at about 30 Hz.
import { interval, take, type Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { IDENTITY, TrackingType, createMessage } from '../src/index.js';
import { createServer, type IgtlServer, type IgtlSession } from '../src/node.js';
import { run } from './filter-throttle.js';

const TOOLS = ['Stylus', 'Probe', 'Reference'];

function moving(i: number, offset: number): number[] {
  return IDENTITY.map((v, k) => (k === 3 ? i * 0.1 + offset : k === 7 ? offset : v));
}

/** TDATA of device Tracker with the three tools at step `i`. */
function tdata(i: number) {
  const elements = TOOLS.map((name, k) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: moving(i, k * 100) }));
  return createMessage('TDATA', { elements }, { deviceName: 'Tracker' });
}

describe('examples/filter-throttle', () => {
  let server: IgtlServer | undefined;
  const streams: Subscription[] = [];
  afterEach(async () => {
    streams.forEach((s) => s.unsubscribe());
    streams.length = 0;
    await server?.close();
    server = undefined;
  });

  /** Starts a server that calls `tick` with each session every 5 ms, 300 times (~1.5 s at 200 Hz); returns its port. */
  async function serve(tick: (session: IgtlSession, i: number) => void): Promise<number> {
    server = createServer({ port: 0 });
    const { port } = await server.listen();
    server.sessions$.subscribe((session) => {
      streams.push(interval(5).pipe(take(300)).subscribe((i) => tick(session, i)));
    });
    return port;
  }

  /** Runs the example against `port`, following Stylus at 30 Hz for 1 s; returns its result and the lines it printed. */
  async function followStylus(port: number) {
    const lines: string[] = [];
    const result = await run({ host: '127.0.0.1', port, tool: 'Stylus', hz: 30, durationMs: 1000, print: (line) => lines.push(line) });
    return { result, lines };
  }

  it('follows one tool of a 200 Hz TDATA stream at about 30 Hz', async () => {
    // ~1.5 s of TDATA at 200 Hz, and TRANSFORMs of another device at 50 Hz.
    const port = await serve((session, i) => {
      void session.send(tdata(i), { policy: 'latest' }).catch(() => undefined);
      if (i % 4 === 0) void session.send(createMessage('TRANSFORM', { matrix: moving(i, 500) }, { deviceName: 'Probe' })).catch(() => undefined);
    });

    const { result, lines } = await followStylus(port);

    expect(result.names).toEqual(['Stylus']);
    expect(result.rateHz).toBeGreaterThanOrEqual(20);
    expect(result.rateHz).toBeLessThanOrEqual(33);
    expect(lines).toHaveLength(result.received);
    expect(lines.every((l) => / TDATA +Stylus /.test(l))).toBe(true);
  });

  it('follows a tool sent as TRANSFORM too, throttled together with its TDATA element', async () => {
    const port = await serve((session, i) => {
      void session.send(tdata(i)).catch(() => undefined);
      void session.send(createMessage('TRANSFORM', { matrix: moving(i, 0) }, { deviceName: i % 2 ? 'Stylus' : 'Probe' })).catch(() => undefined);
    });

    const { result, lines } = await followStylus(port);

    expect(result.names).toEqual(['Stylus']);
    expect(result.rateHz).toBeGreaterThanOrEqual(20);
    expect(result.rateHz).toBeLessThanOrEqual(33);
    expect(lines.some((l) => / TRANSFORM +Stylus /.test(l))).toBe(true);
  });
});
