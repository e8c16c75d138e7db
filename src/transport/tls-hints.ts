// What a TLS failure most likely means, said in words: the raw OpenSSL text ("wrong version
// number", "socket disconnected before secure TLS connection was established") does not say
// that the usual cause is one end speaking TLS and the other plain TCP, the most common set-up
// mistake next to 3D Slicer and PLUS, which speak plain TCP only.
import type { Socket } from 'node:net';

/**
 * True when bytes start as a TLS record does (content type 20-23: change_cipher_spec, alert,
 * handshake, application_data; then the major version 3). An OpenIGTLink stream starts with a
 * header whose first two bytes are its version, 0x0001 or 0x0002, so no OpenIGTLink peer sends
 * this (its version would read 5123 to 5891).
 */
export function looksLikeTlsRecord(chunk: Uint8Array): boolean {
  return chunk.length >= 2 && chunk[0]! >= 0x14 && chunk[0]! <= 0x17 && chunk[1] === 0x03;
}

/** Said when the first bytes on a plain TCP socket are a TLS record. */
export const PEER_SPEAKS_TLS =
  'the peer speaks TLS (its first bytes are a TLS record, not an OpenIGTLink header): use TLS on both ends (connectTls, createServer({ tls })) or on neither';

/** OpenSSL's codes for bytes that are not TLS at all where a TLS record was due. */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/** Node's codes of a certificate the client refused (X509_V_ERR_* names, and the host check). */
function isCertificateRefusal(code: string | undefined): boolean {
  return code !== undefined && (/^(CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|ERR_TLS_CERT_ALTNAME_)/.test(code) || code === 'HOSTNAME_MISMATCH');
}

/**
 * The alerts (OpenSSL's codes for them, as Node reports them) by which a server refuses the
 * client's certificate, and what each says: none was given where one is required (TLS 1.3's
 * `certificate_required`), or the one given is bad, expired, revoked, of a CA the server does
 * not trust, or not let in (RFC 8446, section 6.2).
 */
const CLIENT_CERTIFICATE_ALERTS: ReadonlyMap<string, string> = new Map([
  ['CERTIFICATE_REQUIRED', 'it requires a client certificate and none was given (tls.cert and tls.key)'],
  ['BAD_CERTIFICATE', 'bad certificate'],
  ['UNSUPPORTED_CERTIFICATE', 'unsupported certificate'],
  ['CERTIFICATE_REVOKED', 'revoked'],
  ['CERTIFICATE_EXPIRED', 'expired or not yet valid'],
  ['CERTIFICATE_UNKNOWN', 'not accepted'],
  ['UNKNOWN_CA', 'signed by a CA the server does not trust'],
  ['ACCESS_DENIED', 'valid, but not let in'],
]);

/** What a server's alert says of this client's certificate, or undefined when it is not about it. */
function clientCertificateRefusal(code: string | undefined): string | undefined {
  const alert = code === undefined ? undefined : /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(code)?.[1];
  return alert === undefined ? undefined : CLIENT_CERTIFICATE_ALERTS.get(alert);
}

/**
 * Said when a TLS 1.3 server that was offered a client certificate closes the connection right
 * after the handshake without a byte or an alert: a Node server (igtl-rx's too) verifies the
 * certificate once the handshake is complete and refuses it by closing, without an alert, so
 * the client's side, complete a round trip earlier, sees only the close.
 */
export const CLOSED_AFTER_CLIENT_CERTIFICATE =
  'the server closed the connection right after the TLS handshake, before a byte: it most likely refused this client\'s certificate (a Node server, igtl-rx\'s too, closes without a TLS alert then: check tls.cert and tls.key against the CA the server trusts), or it turned the client away (full: maxClients)';

/** The state of a client TLS socket when its attempt failed. */
export interface TlsAttempt {
  /** The TCP connection was made (the peer is there and accepted it). */
  readonly tcpConnected: boolean;
  /** The TLS handshake completed. */
  readonly secured: boolean;
  /** The attempt ran out of time (`connectTimeoutMs`). */
  readonly timedOut: boolean;
}

/**
 * The text of a failed client TLS attempt: the most likely reason first, Node's own words and
 * code after it (also in the error's `cause`).
 */
export function explainClientTlsFailure(err: Error & { code?: string }, attempt: TlsAttempt): string {
  const raw = err.code ? `${err.message} (${err.code})` : err.message;
  // In TLS 1.3 the server's verdict on our certificate arrives after our side of the handshake
  // has completed (`secured`); in TLS 1.2, during it.
  const refusal = clientCertificateRefusal(err.code);
  if (refusal !== undefined) return `the server refused this client's certificate: ${refusal}: ${raw}`;
  if (attempt.secured || !attempt.tcpConnected) return err.message;
  if (attempt.timedOut) {
    return `${err.message}: TCP connected, but the TLS handshake did not finish: the peer does not answer TLS (a plain OpenIGTLink server such as 3D Slicer or PLUS waits for the client to speak: use connectTcp) or it stalled`;
  }
  if (err.code !== undefined && NOT_TLS_CODES.has(err.code)) {
    return `the peer does not speak TLS (it answered with bytes that are not TLS: a plain OpenIGTLink server? use connectTcp): ${raw}`;
  }
  if (isCertificateRefusal(err.code)) return `the server's certificate was refused: ${raw}`;
  if (err.code === 'ECONNRESET') {
    return `the peer hung up during the TLS handshake: it does not speak TLS (a plain OpenIGTLink server? use connectTcp) or it refused this client (its certificate, its TLS version): ${raw}`;
  }
  return `TLS handshake failed: ${raw}`;
}

/**
 * A failed handshake on a TLS server: what Node says (`raw`) and what it most likely means.
 * `authorizationError` is the socket's: Node refuses a client certificate by destroying the
 * socket without an error, and reports a hang-up (ECONNRESET, "socket hang up"), which read as
 * the client's doing.
 */
export function explainServerTlsFailure(err: Error & { code?: string; reason?: string }, authorizationError?: string): { raw: string; likely: string | undefined } {
  if (authorizationError) return { raw: `client certificate refused (${authorizationError})`, likely: undefined };
  const raw = `${err.reason ?? err.message}${err.code ? ` (${err.code})` : ''}`;
  if (err.code !== undefined && NOT_TLS_CODES.has(err.code)) return { raw, likely: 'the client does not speak TLS (plain OpenIGTLink to a TLS port? it should use connectTls)' };
  if (err.code === 'ECONNRESET') return { raw, likely: 'a client that does not trust this certificate hangs up so' };
  if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return { raw, likely: 'the client did not finish the handshake in time (silent, gone, or plain TCP waiting to be spoken to)' };
  return { raw, likely: undefined };
}

/** Whether a socket is a TLS one (its 'data' is decrypted; a plain one's may be a TLS record). */
export function isTlsSocket(socket: Socket): boolean {
  return (socket as { encrypted?: boolean }).encrypted === true;
}
