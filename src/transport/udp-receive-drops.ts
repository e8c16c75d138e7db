// Datagrams the OS dropped because a UDP socket's receive buffer was full (a burst, or a reader
// whose event loop was busy). Node's dgram gives no word of them (no SO_RXQ_OVFL), yet the kernel
// counts them per socket: Linux prints the count in the `drops` column of /proc/net/udp (udp6 for
// IPv6), on the line of the socket's local address and port. Elsewhere there is no such file and
// these drops cannot be seen (docs/connections.md, "UDP").
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { isIPv4 } from 'node:net';

/**
 * Reads the drop count of the socket bound to `bound` every `everyMs`, and calls `lost` with each
 * increase. Stops by itself where there is no count to read (not Linux). The timer does not keep
 * the process alive.
 */
export function watchReceiveDrops(bound: { address: string; port: number }, everyMs: number, lost: (datagrams: number) => void): { stop(): void } {
  const readDrops = receiveDropCounter(bound.address, bound.port);
  let seen = 0; // a new socket has dropped nothing
  let reading = false;
  const check = async () => {
    if (reading) return;
    reading = true;
    const drops = await readDrops();
    reading = false;
    if (drops === undefined) {
      clearInterval(timer);
      return;
    }
    const more = drops - seen;
    seen = drops;
    if (more > 0) lost(more);
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Reads the OS's count of datagrams dropped at one bound socket; undefined when it cannot be read. */
export type ReceiveDropCounter = () => Promise<number | undefined>;

/** A reader of the receive drops of the socket bound to `address`:`port` (Linux; elsewhere it reads undefined). */
export function receiveDropCounter(address: string, port: number): ReceiveDropCounter {
  const ipv4 = isIPv4(address);
  const bytes = ipv4 ? address.split('.').map(Number) : ipv6Bytes(address);
  const key = bytes === undefined ? undefined : `${procHex(bytes)}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const file = ipv4 ? '/proc/net/udp' : '/proc/net/udp6';
  return async () => {
    if (key === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined; // not Linux (or no procfs)
    }
    return dropsOf(text, key);
  };
}

/** The `drops` column of the line whose local address is `key` (`HEX:PORT`), or undefined. */
export function dropsOf(procNetUdp: string, key: string): number | undefined {
  for (const line of procNetUdp.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (fields[1] !== key || fields.length < 13) continue;
    const drops = Number(fields[12]);
    return Number.isFinite(drops) ? drops : undefined;
  }
  return undefined;
}

/**
 * An address as /proc/net/udp prints it: each 32-bit word of it in the host's byte order, in
 * upper-case hex (127.0.0.1 is `0100007F` on a little-endian machine).
 */
function procHex(bytes: readonly number[]): string {
  const little = endianness() === 'LE';
  let hex = '';
  for (let w = 0; w < bytes.length; w += 4) {
    const word = bytes.slice(w, w + 4);
    if (little) word.reverse();
    for (const b of word) hex += b.toString(16).toUpperCase().padStart(2, '0');
  }
  return hex;
}

/** The 16 bytes of an IPv6 address (a zone index ignored), or undefined when it is not one. */
function ipv6Bytes(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  // An IPv4 tail (::ffff:127.0.0.1) is two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const zeros = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const all = [...head, ...new Array<number>(Math.max(0, zeros)).fill(0), ...rest];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}
