// The small pieces of the bridge's security: the CIDR allow-list (shared with the TCP server),
// the Host check, the token subprotocols, the redaction of tokens, and the client-send gate.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { IDENTITY, InvalidOptionError, Timestamp, createMessage } from '../../../src/index.js';
import { addressAllowList } from '../../../src/transport/address-allow-list.js';
import { checkHost, checkTokenSubprotocols, chooseSubprotocol, isLoopbackHost, presentedToken, tokenMatches } from '../../../src/bridge/security.js';
import { redact } from '../../../src/bridge/redact.js';
import { clientSendGate, clientSendRules } from '../../../src/bridge/client-sends.js';

const req = (host: string | undefined) => ({ headers: host === undefined ? {} : { host } }) as IncomingMessage;
const pose = createMessage('TRANSFORM', { matrix: IDENTITY }, { deviceName: 'Tool', timestamp: Timestamp.ZERO });

describe('addressAllowList', () => {
  it('matches addresses and ranges, IPv4-mapped in IPv4 form', () => {
    const allowed = addressAllowList(['10.1.2.0/24', '127.0.0.1', '::1', 'fd00::/8']);
    for (const a of ['10.1.2.7', '::ffff:10.1.2.7', '127.0.0.1', '::ffff:127.0.0.1', '::1', 'fd12::5']) expect(allowed(a), a).toBe(true);
    for (const a of ['10.1.3.1', '127.0.0.2', '::2', 'fe80::1', '?', '']) expect(allowed(a), a).toBe(false);
    expect(addressAllowList(['::ffff:10.0.0.0/104'])('10.9.8.7')).toBe(true);
  });

  it('refuses entries that are not addresses or ranges', () => {
    for (const bad of ['example.org', '10.0.0.0/33', '10.0.0.0/x', '::1/129', '10.0.0.0/']) expect(() => addressAllowList([bad]), bad).toThrow(InvalidOptionError);
  });
});

describe('checkHost', () => {
  it('accepts loopback names and addresses, the bound address, configured names; refuses the rest with 421', () => {
    for (const h of ['localhost:18945', '127.0.0.1:1', '127.9.9.9', '[::1]:18945', 'LOCALHOST.']) expect(checkHost(req(h), undefined, '127.0.0.1'), h).toBeUndefined();
    expect(checkHost(req('evil.example:18945'), undefined, '127.0.0.1')?.status).toBe(421);
    expect(checkHost(req('10.1.2.3:18945'), undefined, '127.0.0.1')?.status).toBe(421);
    expect(checkHost(req('10.1.2.3:18945'), undefined, '10.1.2.3')).toBeUndefined();
    expect(checkHost(req('nav.example.org'), ['nav.example.org:8080'], '127.0.0.1')).toBeUndefined();
    expect(checkHost(req('evil.example'), ['*'], '127.0.0.1')).toBeUndefined();
    expect(checkHost(req(undefined), undefined, '127.0.0.1')?.status).toBe(400);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('::')).toBe(false);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
  });
});

describe('presentedToken', () => {
  const withAuth = (authorization: string) => ({ headers: { authorization } }) as IncomingMessage;
  const none = new URLSearchParams();

  it('reads the Bearer scheme in any case (RFC 9110, 11.1: `bearer T` was no token, a 401)', () => {
    for (const auth of ['Bearer s3cret', 'bearer s3cret', 'BEARER s3cret', 'bEaReR   s3cret ']) {
      expect(presentedToken(withAuth(auth), none), auth).toBe('s3cret');
      expect(tokenMatches('s3cret', presentedToken(withAuth(auth), none)), auth).toBe(true);
    }
  });

  it('falls back to ?token= for another scheme or none, and a Bearer without a value matches nothing', () => {
    expect(presentedToken(withAuth('Basic czNjcmV0'), new URLSearchParams('token=q'))).toBe('q');
    expect(presentedToken({ headers: {} } as IncomingMessage, new URLSearchParams('token=q'))).toBe('q');
    expect(presentedToken(withAuth('Bearerq'), none)).toBeUndefined();
    expect(tokenMatches('s3cret', presentedToken(withAuth('Bearer '), new URLSearchParams('token=')))).toBe(false);
  });
});

describe('token subprotocols', () => {
  const offering = (protocols: string) => ({ headers: { 'sec-websocket-protocol': protocols } }) as unknown as IncomingMessage;
  const none = new URLSearchParams();

  it('reads the token of a token.<token> entry, after Bearer and before ?token=', () => {
    expect(presentedToken(offering('igtl-rx, token.s3cret'), new URLSearchParams('token=q'))).toBe('s3cret');
    expect(presentedToken(offering('igtl-rx,token.s3cret'), none)).toBe('s3cret');
    expect(presentedToken(offering('igtl-rx'), new URLSearchParams('token=q'))).toBe('q');
  });

  it('answers igtl-rx when offered, else the first entry without a token, never a token entry', () => {
    expect(chooseSubprotocol(new Set(['token.s3cret', 'igtl-rx']))).toBe('igtl-rx');
    expect(chooseSubprotocol(new Set(['token.s3cret', 'chat']))).toBe('chat');
    expect(chooseSubprotocol(new Set(['token.s3cret']))).toBe(false);
  });

  it('refuses a token entry without igtl-rx, and two token entries (400); anything else passes', () => {
    expect(checkTokenSubprotocols(offering('token.s3cret'))?.status).toBe(400);
    expect(checkTokenSubprotocols(offering('igtl-rx, token.a, token.b'))?.status).toBe(400);
    expect(checkTokenSubprotocols(offering('igtl-rx, token.s3cret'))).toBeUndefined();
    expect(checkTokenSubprotocols(offering('chat'))).toBeUndefined();
    expect(checkTokenSubprotocols({ headers: {} } as IncomingMessage)).toBeUndefined();
  });
});

describe('redact', () => {
  it('removes token= values, Bearer credentials and the configured secret', () => {
    expect(redact('no WebSocket endpoint at /x?type=A&token=abc&rate=3')).toBe('no WebSocket endpoint at /x?type=A&token=<redacted>&rate=3');
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer <redacted>');
    expect(redact('failed: s3cret inside', ['s3cret'])).toBe('failed: <redacted> inside');
    expect(redact('Sec-WebSocket-Protocol: igtl-rx, token.abc123')).toBe('Sec-WebSocket-Protocol: igtl-rx, token.<redacted>');
  });
});

describe('clientSendGate', () => {
  it('read-only by default; types and rate when sends are allowed', () => {
    expect(clientSendGate(clientSendRules({}))(pose)?.kind).toBe('read-only');
    expect(clientSendGate(clientSendRules({ clientSends: true, readOnly: true }))(pose)?.kind).toBe('read-only');
    expect(clientSendGate(clientSendRules({ clientSends: true }))(pose)).toBeUndefined();
    expect(clientSendGate(clientSendRules({ clientSends: true, clientSendTypes: ['COMMAND'] }))(pose)?.kind).toBe('type');
    let t = 0;
    const gate = clientSendGate(clientSendRules({ clientSends: true, clientSendRate: 2 }), () => t);
    expect([gate(pose), gate(pose), gate(pose)?.kind]).toEqual([undefined, undefined, 'rate']);
    t = 500;
    expect(gate(pose)).toBeUndefined();
    expect(() => clientSendRules({ clientSendRate: 0 })).toThrow(InvalidOptionError);
  });

  it('a rate under 1 message/s lets one message through per 1/rate s (a bucket of 0.5 refused every one)', () => {
    let t = 0;
    const gate = clientSendGate(clientSendRules({ clientSends: true, clientSendRate: 0.5 }), () => t);
    expect([gate(pose), gate(pose)?.kind]).toEqual([undefined, 'rate']);
    t = 1000;
    expect(gate(pose)?.kind).toBe('rate');
    t = 2000;
    expect([gate(pose), gate(pose)?.kind]).toEqual([undefined, 'rate']);
  });

  it('a step of the system clock back does not stop a client sending (the rate was timed on Date.now)', () => {
    const wall = vi.spyOn(Date, 'now');
    try {
      wall.mockReturnValue(1_800_000_000_000);
      const gate = clientSendGate(clientSendRules({ clientSends: true, clientSendRate: 10 }));
      expect(gate(pose)).toBeUndefined();
      wall.mockReturnValue(1_800_000_000_000 - 3_600_000); // NTP steps the clock back an hour
      expect(gate(pose)).toBeUndefined();
    } finally {
      wall.mockRestore();
    }
  });
});
