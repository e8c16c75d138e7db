/**
 * Smoke test of the C++ peer infrastructure (scripts/setup-cpp-peers.sh + test/support/cpp-peers.ts).
 * Deliberately independent of our codec: headers are built and parsed by hand here
 * (layout: OpenIGTLink Documents/Protocol/header.md).
 */
import net from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import { cppPeerPath, freePort, runningCppPeers, startCppPeer, stopAllCppPeers } from '../support/cpp-peers.js';

const HEADER_SIZE = 58;

interface RawHeader {
  version: number;
  type: string;
  deviceName: string;
  timestamp: bigint;
  bodySize: bigint;
  crc: bigint;
}

function cString(buf: Buffer, start: number, end: number): string {
  const field = buf.subarray(start, end);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('latin1');
}

function parseHeader(buf: Buffer): RawHeader {
  return {
    version: buf.readUInt16BE(0),
    type: cString(buf, 2, 14),
    deviceName: cString(buf, 14, 34),
    timestamp: buf.readBigUInt64BE(34),
    bodySize: buf.readBigUInt64BE(42),
    crc: buf.readBigUInt64BE(50),
  };
}

/** Header of a v1 message with an empty body (BODY_SIZE 0, CRC of zero bytes = 0). */
function emptyMessageHeader(type: string, deviceName: string): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE); // zero-filled: NUL padding, timestamp 0, size 0, crc 0
  buf.writeUInt16BE(1, 0);
  buf.write(type, 2, 12, 'latin1');
  buf.write(deviceName, 14, 20, 'latin1');
  return buf;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

function readAtLeast(socket: net.Socket, n: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= n) {
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`connection closed after ${total} of ${n} bytes`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms with ${total} of ${n} bytes`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await stopAllCppPeers();
  expect(runningCppPeers()).toHaveLength(0);
});

describe('C++ peers (OpenIGTLink 1.11 examples)', () => {
  it('are built', () => {
    for (const name of ['TrackerServer', 'ReceiveServer', 'ReceiveClient']) {
      expect(cppPeerPath(name)).toMatch(/\.cache\/cpp-peers\/bin\//);
    }
    expect(() => cppPeerPath('NoSuchProgram')).toThrow(/not built/);
  });

  it('TrackerServer streams TRANSFORM messages with a version-1 header', async () => {
    const port = await freePort();
    const peer = await startCppPeer('TrackerServer', [String(port), '50'], { waitForPort: port });
    const socket = await connect(port);
    sockets.push(socket);

    const bytes = await readAtLeast(socket, HEADER_SIZE, 5000);
    expect(bytes.length).toBeGreaterThanOrEqual(HEADER_SIZE);
    const header = parseHeader(bytes);
    expect(header.version).toBe(1);
    expect(header.type).toBe('TRANSFORM');
    expect(header.deviceName).toBe('Tracker');
    expect(header.bodySize).toBe(48n); // 12 x float32
    // TrackerServer prints every matrix it sends with igtl::PrintMatrix (stdout).
    await peer.waitForOutput('=============', 5000, { stream: 'stdout' });

    const exit = await peer.stop();
    expect(exit.signal).toBe('SIGTERM');
    expect(peer.running).toBe(false);
  });

  it('ReceiveServer accepts a connection and reads a message from it', async () => {
    const port = await freePort();
    const peer = await startCppPeer('ReceiveServer', [String(port)], { waitForPort: port });
    const socket = await connect(port);
    sockets.push(socket);

    // An unknown type with an empty body: ReceiveServer prints its type and size and skips it.
    socket.write(emptyMessageHeader('SMOKE_TEST', 'igtl-rx'));
    await peer.waitForOutput('Receiving : SMOKE_TEST\nSize : 0\n', 5000, { stream: 'stderr' });
    expect(peer.stderr).toMatch(/^Time stamp: 0\.000000000$/m);
    expect(peer.running).toBe(true);
  });
});
