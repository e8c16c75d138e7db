// One WebSocket frame for many clients. `ws` frames every send() again for every client (a new
// header buffer, two writes); the bridge sends the SAME bytes to the clients of a group (the
// fan-out queues one byte array for all of them, and their outboxes share one joined buffer), so
// the frame is built once and the same buffer is written to each client's socket.
//
// Writing to the socket beside `ws` keeps the order of frames: `ws` writes each frame at once
// (synchronously) as long as nothing makes its sender queue -- permessage-deflate (off in the
// bridge, see bridge.ts) or Blob data (the bridge sends none). The bytes count in `ws`'s
// bufferedAmount (it reads the socket's buffer), so each client's backpressure is unchanged.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { WebSocketLike } from '../transport/websocket.js';

/** Payloads up to this size are framed into one buffer with their header; larger ones are written after it, not copied. */
const COPY_MAX_BYTES = 64 * 1024;

/** The last frame built: its payload (by identity) and its bytes. */
let last: { readonly payload: Uint8Array; readonly frame: readonly Uint8Array[] } | undefined;

/**
 * The frame of a binary message (FIN, opcode 2, unmasked: a server's frame), as the buffers to
 * write. The previous call's frame is reused for the same payload array: the clients of a group
 * are flushed one after another in the same tick.
 */
export function binaryFrame(payload: Uint8Array): readonly Uint8Array[] {
  if (last?.payload === payload) return last.frame;
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const copy = n <= COPY_MAX_BYTES;
  const head = Buffer.allocUnsafe(copy ? headerLength + n : headerLength);
  head[0] = 0x82;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  let frame: readonly Uint8Array[];
  if (copy) {
    head.set(payload, headerLength);
    frame = [head];
  } else frame = [head, payload];
  last = { payload, frame };
  return frame;
}

/**
 * The client's WebSocket as the bridge's channel sees it: binary sends go out as shared frames
 * written to `raw` (the socket `ws` took over at the upgrade); everything else is `ws`'s.
 */
export function sharedFrameSocket(ws: WebSocket, raw: Duplex): WebSocketLike {
  const socket = {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send(data: Uint8Array<ArrayBuffer>) {
      // As `ws` does: nothing once the closing handshake has begun.
      if (ws.readyState !== ws.OPEN) return;
      const frame = binaryFrame(data);
      if (frame.length === 1) raw.write(frame[0]);
      else {
        raw.cork();
        for (const part of frame) raw.write(part);
        raw.uncork();
      }
    },
    close: (code?: number, reason?: string) => ws.close(code, reason),
    addEventListener: ws.addEventListener.bind(ws) as WebSocketLike['addEventListener'],
    removeEventListener: ws.removeEventListener.bind(ws) as WebSocketLike['removeEventListener'],
    pause: () => ws.pause(),
    resume: () => ws.resume(),
    // For the transport's no-op 'error' listener (an EventEmitter's 'error' must have one).
    on: (event: string, listener: (...args: unknown[]) => void) => ws.on(event, listener),
  };
  return socket;
}
