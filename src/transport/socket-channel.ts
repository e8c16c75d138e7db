// A ByteChannel over a Node stream socket (net.Socket or tls.TLSSocket).
import type { Socket } from 'node:net';
import createDebug from 'debug';
import { Observable, asyncScheduler, type Subscriber } from 'rxjs';
import type { ByteChannel, ChannelEvent } from '../connection/channel.js';
import { afterIoTurn } from '../connection/io-turn.js';
import { ConnectionError, DeadPeerError } from '../protocol/errors.js';
import type { ResizableBuffer, SplitAllocation } from '../protocol/framer.js';
import { PEER_SPEAKS_TLS, isTlsSocket, looksLikeTlsRecord } from './tls-hints.js';
import { handleQueueSize } from './write-queue.js';

const log = createDebug('igtl-rx:connection');

/** The ES2024 ArrayBuffer constructor, with `maxByteLength` (the project's lib is ES2022). */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => ResizableBuffer;

/** True where `new ArrayBuffer(n, { maxByteLength })` gives a resizable buffer (Node 20+). */
const HAS_RESIZABLE_BUFFERS = ((): boolean => {
  try {
    return typeof new ResizableArrayBuffer(0, { maxByteLength: 1 }).resize === 'function';
  } catch {
    return false;
  }
})();

/**
 * Messages larger than this grow in place. A resizable buffer is fresh address space every time,
 * a page fault per 4 KiB, while memory from malloc may be recycled, and the segments' own frees
 * tune glibc: freeing blocks of 128 KiB to 32 MiB raises its mmap and trim thresholds, so freed
 * memory, the socket's 64 KiB read buffers included, stays paged in. Measured (a Node receiver
 * reading IMAGEs over loopback TCP, fresh process; CPU time in place vs in segments): 64 MiB
 * 1.15x, 128 MiB about even, 256 MiB 0.92x with a fifth fewer page faults and a peak RSS of
 * 667 MB instead of 794 (the sender's copy included); below 32 MiB growing in place was slower
 * even without a socket (4 MiB: 2x).
 */
const IN_PLACE_ABOVE = 128 * 1024 * 1024;

/**
 * The decoder's allocation for a message split across chunks (`DecodeOptions.allocate`) in Node:
 * without zero-filling, which would be a pass over the whole message (256 MiB for a large
 * image) before its bytes are copied in. Safe because the framer writes every byte before
 * anything reads it. Its own ArrayBuffer (allocUnsafeSlow, not Node's shared pool), so a decoded
 * payload's `.buffer` is its message's and nothing else's.
 *
 * For a message over 128 MiB it offers a resizable ArrayBuffer (`SplitAllocation.resizable`), so
 * it grows in place instead of in segments copied once more at the end: V8 reserves the
 * message's size as address space and commits pages only as the buffer is resized (fresh pages
 * are zero without a pass over them). Node's APIs (Buffer.from, socket.write, TextDecoder, zlib,
 * ws, structuredClone, postMessage) accept views on such buffers.
 *
 * Exported from `igtl-rx/node` for a MessageDecoder of one's own (a file or a stream the
 * transports do not own): `new MessageDecoder(handler, { allocate: allocateUninitialized })`.
 *
 * @example
 * import { MessageDecoder, allocateUninitialized } from 'igtl-rx/node';
 * const decoder = new MessageDecoder({ message: (m) => console.log(m.type), error: console.error }, { allocate: allocateUninitialized });
 * stream.on('data', (chunk) => decoder.push(chunk));
 */
export const allocateUninitialized: SplitAllocation = Object.assign(
  (size: number): Uint8Array => {
    const b = Buffer.allocUnsafeSlow(size);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
  HAS_RESIZABLE_BUFFERS
    ? { resizable: (size: number, maxSize: number) => (maxSize > IN_PLACE_ABOVE ? new ResizableArrayBuffer(size, { maxByteLength: maxSize }) : undefined) }
    : {},
);

/** The last two byte arrays written that were not Buffers, and the Buffers over them (newest first). */
let lastBytes: Uint8Array | undefined;
let lastBuffer: Buffer | undefined;
let olderBytes: Uint8Array | undefined;
let olderBuffer: Buffer | undefined;

/** Arrays on a larger ArrayBuffer are wrapped for each write, not remembered (see asBuffer). */
const REMEMBERED_BUFFER_MAX = 64 * 1024;

/**
 * The bytes as a Buffer (no copy). A fan-out writes the same array to every session in a row,
 * and Node would wrap it in a new Buffer for each write: the wrappers of the last two arrays
 * are reused (two: sessions of both framings, legacy and v3, take turns). Only arrays on small
 * ArrayBuffers (slabs, joins, socket chunks) are remembered: remembering a large image's would
 * keep its memory alive after the write, and wrapping it once more costs nothing beside its size.
 */
function asBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes === lastBytes) return lastBuffer!;
  if (bytes === olderBytes) return olderBuffer!;
  if (bytes.buffer.byteLength > REMEMBERED_BUFFER_MAX) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  olderBytes = lastBytes;
  olderBuffer = lastBuffer;
  lastBytes = bytes;
  lastBuffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return lastBuffer;
}

/**
 * A connected socket as a ByteChannel. A class, not an object of closures: a server's fan-out
 * writes to every session's channel each tick, and a method on the prototype reaches the socket
 * in one step from the channel (closures went through a function and its context: two more cold
 * objects per client per tick).
 */
class SocketChannel implements ByteChannel {
  readonly kind = 'stream';
  readonly coalesce = true;
  constructor(
    private readonly socket: Socket,
    readonly remote: string,
  ) {}

  write(bytes: Uint8Array): boolean {
    return this.socket.write(asBuffer(bytes));
  }

  batch(fn: () => void): void {
    const socket = this.socket;
    socket.cork();
    try {
      fn();
    } finally {
      socket.uncork();
    }
  }

  unsent(): number {
    return this.socket.writableLength + handleQueueSize(this.socket);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.end();
  }
}

/** Wraps a connected socket as a ByteChannel. */
export function socketChannel(socket: Socket, remote: string): ByteChannel {
  return new SocketChannel(socket, remote);
}

/** Words for a failure of the socket (default: its own message). */
export type ExplainSocketFailure = (err: Error) => string;

/**
 * Words for a close by the peer that was a refusal rather than an end (a TLS server refusing the
 * client's certificate without an alert), or undefined for an ordinary close.
 */
export type ExplainClose = () => string | undefined;

/**
 * Forwards a socket's events to a subscriber: `data`, `drain`; completes on a clean close and
 * errors (ConnectionError, its text from `explain`) on a failure. Returns the teardown that
 * destroys the socket.
 *
 * A plain socket whose first bytes are a TLS record fails with words that say so (one end
 * speaks TLS, the other not): decoded, they were a DesyncError on "header version 5635".
 */
export function pipeSocketEvents(socket: Socket, remote: string, subscriber: Subscriber<ChannelEvent>, explain?: ExplainSocketFailure, explainClose?: ExplainClose): () => void {
  let failed: Error | undefined;
  let opened = socket.readyState === 'open';
  socket.once('connect', () => {
    opened = true;
  });
  let sniffed = isTlsSocket(socket);
  socket.on('data', (chunk: Buffer) => {
    if (!sniffed) {
      sniffed = true;
      if (looksLikeTlsRecord(chunk)) {
        socket.destroy(new Error(PEER_SPEAKS_TLS));
        return;
      }
    }
    subscriber.next({ type: 'data', chunk });
  });
  socket.on('drain', () => subscriber.next({ type: 'drain' }));
  socket.on('error', (err: Error) => {
    failed = err;
    // A TLS socket reports a fatal error of an established session (a bad record MAC, an alert
    // from the peer) without closing: the session stayed open, its error unsaid, until the read
    // time-out (a server session: 20 s) or the peer hung up. Nothing can be read after it.
    socket.destroy();
  });
  socket.on('close', () => {
    const refused = failed ? undefined : explainClose?.();
    if (refused !== undefined) subscriber.error(new ConnectionError(`${remote}: ${refused}`));
    else if (!failed) subscriber.complete();
    // ETIMEDOUT on an established socket: TCP keep-alive probes (or retransmissions) went
    // unanswered, the peer host is gone.
    else if ((failed as NodeJS.ErrnoException).code === 'ETIMEDOUT' && opened) {
      subscriber.error(new DeadPeerError(`${remote}: the peer stopped answering TCP (${failed.message})`, 'keepalive', 0));
    } else subscriber.error(new ConnectionError(`${remote}: ${explain ? explain(failed) : failed.message}`, failed));
  });
  return () => {
    if (socket.destroyed) return;
    // Ended by close(): let Node flush what it still buffers (a send already reported
    // 'written' must arrive), but never wait forever for a peer that does not read.
    // (A plain timer, not socket.setTimeout: that one is an idle timer, and a peer that keeps
    // sending but never reads would restart it for ever.)
    if (socket.writableEnded) {
      const timer = setTimeout(() => {
        if (socket.writableLength > 0) log('%s: closed with %d bytes the peer did not read within 5 s', remote, socket.writableLength);
        socket.destroy();
      }, 5000);
      timer.unref?.();
      socket.once('close', () => clearTimeout(timer));
    } else socket.destroy();
  };
}

/** The error a socket is destroyed with when `connectTimeoutMs` runs out before it is ready. */
export class ConnectTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`connect timed out after ${timeoutMs} ms`);
  }
}

/**
 * A channel factory for sockets made by `open` (net.connect or tls.connect). `explain` words a
 * failure of the socket it is given (TLS says what a failed handshake most likely means);
 * `explainClose`, a close by the peer that was a refusal.
 */
export function socketChannelFactory(
  open: () => Socket,
  remote: string,
  readyEvent: 'connect' | 'secureConnect',
  connectTimeoutMs: number,
  explain?: (err: Error, socket: Socket) => string,
  explainClose?: (socket: Socket) => string | undefined,
): () => Observable<ChannelEvent> {
  return () =>
    new Observable<ChannelEvent>((subscriber) => {
      const socket = open();
      const teardown = pipeSocketEvents(socket, remote, subscriber, explain && ((err) => explain(err, socket)), explainClose && (() => explainClose(socket)));
      // A peer that never answers the SYN must not leave us "connecting" forever. The verdict
      // waits for one turn of I/O (connection/io-turn.ts): after the application blocked the
      // event loop past the time-out, the connection may be established and not yet seen.
      let ready = false;
      socket.setTimeout(connectTimeoutMs, () => {
        afterIoTurn(asyncScheduler, () => {
          if (!ready) socket.destroy(new ConnectTimeout(connectTimeoutMs));
        });
      });
      socket.once(readyEvent, () => {
        ready = true;
        socket.setTimeout(0);
        subscriber.next({ type: 'open', channel: socketChannel(socket, remote) });
      });
      return teardown;
    });
}

/**
 * Turns on TCP keep-alive probes after `idleMs` of silence (0 = off). Node takes whole seconds
 * and sets 10 probes 1 s apart, so a vanished peer of an idle socket is found after about
 * idle + 10 s; below 1000 ms Node would ask the kernel for 0 s, which it refuses silently
 * (the 2-hour default stays), so the idle time is at least a second.
 */
export function enableKeepAlive(socket: Socket, idleMs: number): void {
  if (idleMs > 0) socket.setKeepAlive(true, Math.max(1000, idleMs));
}
