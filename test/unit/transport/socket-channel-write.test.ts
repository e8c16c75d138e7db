// socketChannel's write: the same array written to many sockets in a row (a fan-out) reuses one
// Buffer wrapper, but an array on a large ArrayBuffer (an image) is not remembered after its
// write, so the channel never keeps a large payload alive.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { socketChannel } from '../../../src/transport/socket-channel.js';

/** A socket that records the Buffers it is given. */
function recordingSocket(): { socket: Socket; written: Buffer[] } {
  const written: Buffer[] = [];
  const socket = { write: (b: Buffer) => (written.push(b), true) } as unknown as Socket;
  return { socket, written };
}

describe('socketChannel write', () => {
  it('reuses the wrapper of a small array written to several sockets, with the same bytes', () => {
    const bytes = new Uint8Array(new ArrayBuffer(16 * 1024), 100, 300).fill(7);
    const a = recordingSocket();
    const b = recordingSocket();
    socketChannel(a.socket, 'a').write(bytes);
    socketChannel(b.socket, 'b').write(bytes);
    expect(b.written[0]).toBe(a.written[0]);
    expect(a.written[0]!.buffer).toBe(bytes.buffer);
    expect([a.written[0]!.byteOffset, a.written[0]!.length]).toEqual([100, 300]);
  });

  it('wraps an array on a large buffer afresh for each write (nothing remembered that would pin it)', () => {
    const image = new Uint8Array(new ArrayBuffer(1024 * 1024)).fill(9);
    const a = recordingSocket();
    const b = recordingSocket();
    socketChannel(a.socket, 'a').write(image);
    socketChannel(b.socket, 'b').write(image);
    expect(b.written[0]).not.toBe(a.written[0]);
    expect(b.written[0]!.buffer).toBe(image.buffer);
    expect(Buffer.compare(a.written[0]!, b.written[0]!)).toBe(0);
  });
});
