// UDP transport (Node): one whole message per datagram, for low-latency tracking.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { Observable } from 'rxjs';
import type { ByteChannel, ChannelEvent, ChannelFactory } from '../connection/channel.js';
import { IgtlConnection, type ConnectionOptions } from '../connection/connection.js';
import { ConnectionError, DatagramsDroppedError } from '../protocol/errors.js';
import { addressAllowList } from './address-allow-list.js';
import { watchReceiveDrops } from './udp-receive-drops.js';
import { RefusedSenders } from './udp-refused-senders.js';

/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_SIZE = 65507;

/**
 * How often the OS's count of datagrams dropped at a full receive buffer is read, ms: a loss in
 * a burst is reported within about this long (see udp-receive-drops.ts).
 */
export const RECEIVE_DROPS_POLL_MS = 1000;

/** Where to send and where to listen. */
export interface UdpOptions {
  /** Peer to send to (default the loopback address of `family`: 127.0.0.1, or ::1). Received datagrams are accepted from any sender unless `allow` says otherwise. */
  readonly host?: string;
  /** Peer port to send to; leave out for a receive-only socket. */
  readonly port?: number;
  /**
   * Local port to bind (default: any free port). Given, the socket receives as well as sends; left
   * out together with a `port`, it is a sender nobody sends to, which is never `stale`.
   */
  readonly localPort?: number;
  /** Local address to bind (default the loopback address of `family`: 127.0.0.1, or ::1). */
  readonly localAddress?: string;
  /** 'udp4' (default) or 'udp6'. */
  readonly family?: 'udp4' | 'udp6';
  /**
   * Senders whose datagrams are read (default: any): addresses and CIDR ranges, as the server's
   * `allow`, e.g. `['10.1.2.7']`. Any host can send to a UDP port, and its messages would be
   * taken for the peer's (a second tracker's TRANSFORM "Tool" among the first's). Datagrams
   * from others are dropped and reported: a DatagramsDroppedError, reason `sender-not-allowed`.
   */
  readonly allow?: readonly string[];
}

/** A channel factory for UDP: the "connection" is a bound socket, open as soon as it is bound. */
export function udpChannel(options: UdpOptions = {}): ChannelFactory {
  // A udp6 socket can neither bind to nor send to an IPv4 address (EINVAL).
  const loopback = options.family === 'udp6' ? '::1' : '127.0.0.1';
  const host = options.host ?? loopback;
  // Checked here (connectUdp throws): a typo fails at once instead of refusing everybody.
  const allows = options.allow === undefined ? undefined : addressAllowList(options.allow);
  return () =>
    new Observable<ChannelEvent>((subscriber) => {
      const socket: Socket = createSocket(options.family ?? 'udp4');
      let paused = false;
      // Received while paused and dropped: reported when reading resumes (see pause below).
      let dropped = 0;
      let droppedBytes = 0;
      const remote = options.port === undefined ? `udp://*:${options.localPort ?? '?'}` : `udp://${host}:${options.port}`;
      // A datagram the OS refuses (no route: ENETUNREACH, a firewall: EACCES, ...) is reported
      // only to a send callback; without one Node drops the error, and the send looked written.
      const sent = (err: Error | null) => {
        if (err) subscriber.next({ type: 'fault', error: new ConnectionError(`${remote}: datagram not sent: ${err.message}`, err) });
      };
      const channel: ByteChannel = {
        kind: 'datagram',
        maxDatagramSize: MAX_DATAGRAM_SIZE,
        remote,
        // A sender bound to a port of the OS's choosing: nobody knows where to send to it.
        expectsData: options.port === undefined || options.localPort !== undefined,
        // Throwing here is the channel contract for "these bytes cannot be written": the
        // connection's outbox turns it into a rejected send (typed), not an uncaught error.
        write(bytes) {
          if (options.port === undefined) throw new ConnectionError(`${remote}: this UDP socket is receive-only (no \`port\` to send to)`);
          socket.send(bytes, options.port, host, sent);
          return true;
        },
        // Datagrams cannot be held back by the sender: a paused reader drops them, and says how
        // many when it resumes (a loss nobody reports is the one this library must not have).
        pause: () => {
          paused = true;
        },
        resume: () => {
          paused = false;
          if (dropped === 0) return;
          const error = new DatagramsDroppedError(remote, dropped, droppedBytes);
          dropped = droppedBytes = 0;
          subscriber.next({ type: 'fault', error });
        },
        close: () => socket.close(),
      };
      const refused = new RefusedSenders(remote, (error) => {
        if (!subscriber.closed) subscriber.next({ type: 'fault', error });
      });
      socket.on('message', (chunk: Buffer, from: RemoteInfo) => {
        if (allows && !allows(from.address)) refused.refused(`${from.address}:${from.port}`, chunk.length);
        else if (!paused) subscriber.next({ type: 'data', chunk });
        else {
          dropped++;
          droppedBytes += chunk.length;
        }
      });
      socket.on('error', (err) => subscriber.error(new ConnectionError(`${remote}: ${err.message}`, err)));
      socket.on('close', () => subscriber.complete());
      // Datagrams the OS dropped before we could read them (its receive buffer full: a burst, a
      // busy event loop) never reach 'message': only the kernel's count says they were lost.
      let receiveDrops: { stop(): void } | undefined;
      socket.bind({ port: options.localPort ?? 0, address: options.localAddress ?? loopback }, () => {
        receiveDrops = watchReceiveDrops(socket.address(), RECEIVE_DROPS_POLL_MS, (datagrams) => {
          if (!subscriber.closed) subscriber.next({ type: 'fault', error: new DatagramsDroppedError(remote, datagrams, undefined, 'receive-buffer-full') });
        });
        subscriber.next({ type: 'open', channel });
      });
      return () => {
        receiveDrops?.stop();
        refused.stop();
        try {
          socket.close();
        } catch {
          // already closed
        }
      };
    });
}

/**
 * A UDP connection: sends each message as one datagram to `host:port` and receives datagrams
 * on `localPort`. A message larger than a datagram fails with a DatagramTooLargeError.
 */
export function connectUdp(options: UdpOptions & ConnectionOptions = {}): IgtlConnection {
  return new IgtlConnection(udpChannel(options), {
    logNamespace: 'igtl-rx:udp',
    maxMessageSize: MAX_DATAGRAM_SIZE,
    reconnect: false,
    ...options,
  });
}
