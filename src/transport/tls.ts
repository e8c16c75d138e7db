// TLS client transport (Node). Certificates are verified by default.
import { isIP } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions as NodeTlsOptions } from 'node:tls';
import createDebug from 'debug';
import type { ChannelFactory } from '../connection/channel.js';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { OPEN_PROVEN_AFTER_MS } from '../connection/lifecycle.js';
import { CLIENT_HEARTBEAT, checkConnectTimeoutMs, checkKeepAliveMs, DEFAULT_KEEPALIVE_MS } from '../connection/options.js';
import { monotonicNow } from '../protocol/clock.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import type { Socket } from 'node:net';
import { ConnectTimeout, allocateUninitialized, socketChannelFactory, enableKeepAlive } from './socket-channel.js';
import { CLOSED_AFTER_CLIENT_CERTIFICATE, explainClientTlsFailure } from './tls-hints.js';
import { checkTlsMaterial, warnUnverified } from './tls-client-checks.js';
import type { TcpOptions } from './tcp.js';

/** TLS options: Node's (ca, cert, key, servername, ...) plus ours. */
export interface TlsOptions extends TcpOptions {
  /** Node TLS options passed to `tls.connect` (ca, cert, key, servername, minVersion, ...). */
  readonly tls?: NodeTlsOptions;
  /**
   * Accept a certificate that does not verify (self-signed, wrong name). Off by default; for
   * lab set-ups only, never on an OR network.
   */
  readonly allowUnverifiedCertificate?: boolean;
}

export { UNVERIFIED_TLS_WARNING } from './tls-client-checks.js';

const log = createDebug('igtl-rx:tls');

/**
 * A channel factory for TLS. With `allowUnverifiedCertificate` a warning
 * (`IGTLRX_TLS_UNVERIFIED`) is emitted when the factory is made, i.e. once per connection and
 * not on every reconnect.
 */
export function tlsChannel(options: TlsOptions = {}): ChannelFactory {
  checkConnectTimeoutMs(options.connectTimeoutMs);
  checkKeepAliveMs(options.keepAliveMs);
  checkTlsMaterial(options.tls, createSecureContext);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  if (options.allowUnverifiedCertificate) warnUnverified(`tls://${host}:${port}`, log);
  const keepAlive = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  // How far each attempt got: a failure's words depend on it (see tls-hints.ts).
  const tcpConnected = new WeakSet<Socket>();
  const secured = new WeakSet<Socket>();
  /** When each socket's handshake completed (monotonic ms), until its first byte arrives. */
  const securedAt = new WeakMap<Socket, number>();
  const offersCertificate = options.tls?.cert !== undefined || options.tls?.pfx !== undefined;
  return socketChannelFactory(
    () => {
      const socket = tlsConnect({
        host,
        port,
        // SNI names a host; an address is not sent (RFC 6066, section 3): Node sends it anyway
        // and warns (DEP0123) on the first such connection of every process. The certificate is
        // verified against `host` either way.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...options.tls,
        rejectUnauthorized: !options.allowUnverifiedCertificate,
      });
      socket.once('connect', () => tcpConnected.add(socket));
      socket.once('secureConnect', () => {
        secured.add(socket);
        if (offersCertificate) {
          securedAt.set(socket, monotonicNow());
          socket.once('data', () => securedAt.delete(socket));
        }
      });
      socket.setNoDelay(true);
      enableKeepAlive(socket, keepAlive);
      return socket;
    },
    `tls://${host}:${port}`,
    'secureConnect',
    connectTimeoutMs,
    (err, socket) =>
      explainClientTlsFailure(err, { tcpConnected: tcpConnected.has(socket), secured: secured.has(socket), timedOut: err instanceof ConnectTimeout }),
    // A TLS 1.3 server refusing our certificate without an alert (tls-hints.ts): a close without
    // a byte within a round trip or so of the handshake (the window lifecycle.ts gives a
    // connection to prove it worked).
    (socket) => {
      const at = securedAt.get(socket);
      return at !== undefined && monotonicNow() - at < OPEN_PROVEN_AFTER_MS ? CLOSED_AFTER_CLIENT_CERTIFICATE : undefined;
    },
  );
}

/** Connects to an OpenIGTLink peer over TLS (same interface as `connectTcp`). */
export function connectTls(options: TlsOptions & ConnectionOptions = {}): IgtlConnection {
  return new IgtlConnection(tlsChannel(options), { logNamespace: 'igtl-rx:tls', name: `tls://${options.host ?? '127.0.0.1'}:${options.port ?? DEFAULT_PORT}`, heartbeat: CLIENT_HEARTBEAT, allocate: allocateUninitialized, ...options });
}
