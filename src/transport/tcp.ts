// TCP client transport (Node).
import { connect as netConnect } from 'node:net';
import type { ChannelFactory } from '../connection/channel.js';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { CLIENT_HEARTBEAT, checkConnectTimeoutMs, checkKeepAliveMs, DEFAULT_KEEPALIVE_MS } from '../connection/options.js';
import { DEFAULT_PORT } from '../protocol/constants.js';
import { allocateUninitialized, socketChannelFactory, enableKeepAlive } from './socket-channel.js';

/** Where and how to open a TCP connection. */
export interface TcpOptions {
  /** Host name or address (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 18944). */
  readonly port?: number;
  /** Give up one connection attempt after this long, ms (default 5000; above 0, else InvalidOptionError). */
  readonly connectTimeoutMs?: number;
  /** TCP keep-alive probes after this much idle time, ms (default 10 000; 0 = off; at most 32 767 000): finds dead peers. */
  readonly keepAliveMs?: number;
}

/** A channel factory for TCP (each subscription is one connection attempt). */
export function tcpChannel(options: TcpOptions = {}): ChannelFactory {
  checkConnectTimeoutMs(options.connectTimeoutMs);
  checkKeepAliveMs(options.keepAliveMs);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? DEFAULT_PORT;
  const keepAlive = options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS;
  return socketChannelFactory(
    () => {
      const socket = netConnect({ host, port, noDelay: true });
      enableKeepAlive(socket, keepAlive);
      return socket;
    },
    `${host}:${port}`,
    'connect',
    options.connectTimeoutMs ?? 5000,
  );
}

/**
 * Connects to an OpenIGTLink peer over TCP. Lazy: nothing happens until the first subscriber.
 *
 * @example
 * const conn = connectTcp({ host: '127.0.0.1', port: 18944 });
 * conn.pipe(ofType('TRANSFORM')).subscribe((m) => console.log(m.content.matrix));
 */
export function connectTcp(options: TcpOptions & ConnectionOptions = {}): IgtlConnection {
  return new IgtlConnection(tcpChannel(options), { logNamespace: 'igtl-rx:tcp', name: `${options.host ?? '127.0.0.1'}:${options.port ?? DEFAULT_PORT}`, heartbeat: CLIENT_HEARTBEAT, allocate: allocateUninitialized, ...options });
}
