// A ByteChannel over a Node stream socket (net.Socket or tls.TLSSocket).
import type { Socket } from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import type { ByteChannel, ChannelEvent } from '../connection/channel.js';
import { ConnectionError, DeadPeerError } from '../protocol/errors.js';

/** Wraps a connected socket as a ByteChannel. */
export function socketChannel(socket: Socket, remote: string): ByteChannel {
  return {
    kind: 'stream',
    remote,
    write: (bytes) => socket.write(bytes),
    batch(fn) {
      socket.cork();
      try {
        fn();
      } finally {
        socket.uncork();
      }
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => {
      socket.end();
    },
  };
}

/**
 * Forwards a socket's events to a subscriber: `data`, `drain`; completes on a clean close and
 * errors (ConnectionError) on a failure. Returns the teardown that destroys the socket.
 */
export function pipeSocketEvents(socket: Socket, remote: string, subscriber: Subscriber<ChannelEvent>): () => void {
  let failed: Error | undefined;
  let opened = socket.readyState === 'open';
  socket.once('connect', () => {
    opened = true;
  });
  socket.on('data', (chunk: Buffer) => subscriber.next({ type: 'data', chunk }));
  socket.on('drain', () => subscriber.next({ type: 'drain' }));
  socket.on('error', (err: Error) => {
    failed = err;
  });
  socket.on('close', () => {
    if (!failed) subscriber.complete();
    // ETIMEDOUT on an established socket: TCP keep-alive probes (or retransmissions) went
    // unanswered, the peer host is gone.
    else if ((failed as NodeJS.ErrnoException).code === 'ETIMEDOUT' && opened) {
      subscriber.error(new DeadPeerError(`${remote}: the peer stopped answering TCP (${failed.message})`, 'keepalive', 0));
    } else subscriber.error(new ConnectionError(`${remote}: ${failed.message}`, failed));
  });
  return () => {
    if (socket.destroyed) return;
    // Ended by close(): let Node flush what it still buffers (a send already reported
    // 'written' must arrive), but never wait forever for a peer that does not read.
    if (socket.writableEnded) socket.setTimeout(5000, () => socket.destroy());
    else socket.destroy();
  };
}

/** A channel factory for sockets made by `open` (net.connect or tls.connect). */
export function socketChannelFactory(open: () => Socket, remote: string, readyEvent: 'connect' | 'secureConnect', connectTimeoutMs: number): () => Observable<ChannelEvent> {
  return () =>
    new Observable<ChannelEvent>((subscriber) => {
      const socket = open();
      const teardown = pipeSocketEvents(socket, remote, subscriber);
      // A peer that never answers the SYN must not leave us "connecting" forever.
      socket.setTimeout(connectTimeoutMs, () => socket.destroy(new Error(`connect timed out after ${connectTimeoutMs} ms`)));
      socket.once(readyEvent, () => {
        socket.setTimeout(0);
        subscriber.next({ type: 'open', channel: socketChannel(socket, remote) });
      });
      return teardown;
    });
}
