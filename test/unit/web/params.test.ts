// The workbench's query string (examples/web/params.ts): how it judges freshness, and where its token goes.
import { describe, expect, it } from 'vitest';
import { bridgeUrl, readParams, tokenAsSubprotocol, tokenOutOfAddressBar } from '../../../examples/web/params.js';

const loc = { protocol: 'http:', host: '127.0.0.1:18945' };

describe('readParams byTimestamp', () => {
  it('judges poses and images by their timestamps unless byTimestamp=0 (a slowed replay falls behind real time)', () => {
    expect(readParams('', loc).byTimestamp).toBe(true);
    expect(readParams('?byTimestamp=1', loc).byTimestamp).toBe(true);
    expect(readParams('?byTimestamp=0&deviceStale=500', loc)).toMatchObject({ byTimestamp: false, deviceStaleMs: 500 });
  });
});

describe('the workbench token', () => {
  const params = (search: string, hash = '', remembered?: string) => readParams(search, { ...loc, hash }, remembered);
  const filter = { types: ['TRANSFORM'], devices: [], rate: undefined };

  it('reads it from the fragment first, then the query, then what the tab remembered', () => {
    expect(params('?token=fromquery', '#token=fromfragment').token).toBe('fromfragment');
    expect(params('?token=fromquery').token).toBe('fromquery');
    expect(params('', '', 'remembered').token).toBe('remembered');
    expect(params('').token).toBeUndefined();
  });

  it('sends a hex token as a subprotocol and keeps it out of the WebSocket URL; one with "/" or "=" goes in the URL', () => {
    const hex = params('', '#token=0123456789abcdef0123456789abcdef');
    expect(tokenAsSubprotocol(hex)).toBe(true);
    expect(bridgeUrl(hex, filter)).toBe('ws://127.0.0.1:18945/?type=TRANSFORM');
    const b64 = params('?token=c2VjcmV0%2FdG9rZW4%3D');
    expect(tokenAsSubprotocol(b64)).toBe(false);
    expect(new URL(bridgeUrl(b64, filter)).searchParams.get('token')).toBe('c2VjcmV0/dG9rZW4=');
  });

  it('takes the token out of the address bar, query and fragment, keeping the rest', () => {
    expect(tokenOutOfAddressBar('http://h:1/?token=t&hz=30#token=u&x=1')).toBe('http://h:1/?hz=30#x=1');
    expect(tokenOutOfAddressBar('http://h:1/#token=u')).toBe('http://h:1/');
    expect(tokenOutOfAddressBar('http://h:1/?type=TRANSFORM')).toBe('http://h:1/?type=TRANSFORM');
  });
});
