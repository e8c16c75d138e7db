// A client's device patterns run on the bridge against every message: none may cost seconds.
// Its rate keeps each device's samples in order.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { IDENTITY, Timestamp, TrackingType, createMessage, type IgtlMessage } from '../../../src/index.js';
import { ClientFilterError, applyClientFilter, parseClientFilter } from '../../../src/bridge/client-filter.js';
import { nameMatcher } from '../../../operators/internal/names.js';

const parse = (device: string) => parseClientFilter(new URLSearchParams({ device }));

describe('parseClientFilter device patterns', () => {
  it('takes the globs a device filter needs', () => {
    for (const p of ['Stylus', 'Stylus*', '*To*', 'Tool[12]', 'Probe?', '!Reference', '*a*b*'])
      expect(parse(p).devices).toEqual([p]);
  });

  it('takes any number of exact names (a page listing the devices it keeps), and at most 32 patterns with wildcards', () => {
    const names = Array.from({ length: 100 }, (_, i) => `Tool${i}`);
    expect(parseClientFilter(new URLSearchParams({ device: names.join(',') })).devices).toEqual(names);
    expect(() => parseClientFilter(new URLSearchParams({ device: names.slice(0, 33).map((n) => `${n}*`).join(',') }))).toThrow(ClientFilterError);
  });

  it('refuses extglob groups and patterns with more than three *, which backtrack for seconds', () => {
    for (const p of ['@(*(*)|*(*))'.repeat(8) + 'Z', '*(a)', '+(Stylus)', 'x?(y)', '!(Ref)', '*a'.repeat(4) + '*b'])
      expect(() => parse(p), p).toThrow(ClientFilterError);
  });

  it('what it takes matches a 255-character name quickly, whatever the pattern', () => {
    // The worst accepted shape: three * between letters the name repeats.
    const pattern = parse('*a*a*a' + 'b').devices[0]!;
    const matches = nameMatcher(pattern);
    const t0 = performance.now();
    expect(matches('a'.repeat(255))).toBe(false);
    // Generous (a loaded CI machine): refused shapes take seconds to minutes.
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('applyClientFilter rate', () => {
  const tdata = (n: number, ...names: string[]) =>
    createMessage('TDATA', { elements: names.map((name) => ({ name, type: TrackingType.INSTRUMENT_6D, matrix: IDENTITY })) }, { deviceName: 'Tracker', timestamp: Timestamp.fromMillis(1000 + n) });

  it("sends a device's samples in the order they came when a tool leaves its TDATA (PlusServer leaves a lost tool out)", () => {
    const v = { X: tdata(0, 'Stylus', 'Probe'), Y: tdata(1, 'Stylus', 'Probe'), S: tdata(2, 'Stylus'), T: tdata(3, 'Stylus') };
    const out: number[] = [];
    new TestScheduler(() => undefined).run(({ cold }) => {
      applyClientFilter(cold<IgtlMessage>('XYST------|', v), { types: [], devices: [], rate: 200 }, () => true).subscribe((m) => out.push(Math.round(m.timestamp.toMillis() - 1000)));
    });
    // Was 0, 2, 1, 3: Y (Stylus and Probe at 1), waiting in the device's window, went out after S.
    expect(out).toEqual([0, 2, 3]);
  });
});
