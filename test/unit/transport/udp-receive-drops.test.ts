import { describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { dropsOf, receiveDropCounter } from '../../../src/transport/udp-receive-drops.js';

const bound = (family: 'udp4' | 'udp6', address: string) =>
  new Promise<Socket>((resolve) => {
    const s = createSocket(family);
    s.bind(0, address, () => resolve(s));
  });

describe('receiveDropCounter (the OS count of datagrams dropped at a full receive buffer)', () => {
  it('reads the drops column of the line of the local address and port', () => {
    const text = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      ' 6578: 0100007F:ACA6 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 723464 2 00000000baaaf4ce 0',
      ' 6579: 0100007F:ACA7 00000000:0000 07 00000000:00031000 00:00000000 00000000     0        0 723465 2 00000000baaaf4cf 4744',
    ].join('\n');
    expect(dropsOf(text, '0100007F:ACA7')).toBe(4744);
    expect(dropsOf(text, '0100007F:ACA6')).toBe(0);
    expect(dropsOf(text, '0100007F:0001')).toBeUndefined();
  });

  // The socket's own line is found (0 drops), not missed (undefined: the loss would go unseen).
  it.runIf(process.platform === 'linux').each([
    ['udp4', '127.0.0.1'],
    ['udp6', '::1'],
  ] as const)('finds the line of a %s socket bound to %s', async (family, address) => {
    const socket = await bound(family, address);
    try {
      expect(await receiveDropCounter(socket.address().address, socket.address().port)()).toBe(0);
    } finally {
      socket.close();
    }
  });
});
