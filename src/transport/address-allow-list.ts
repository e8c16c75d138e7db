// Which client addresses may connect: the `allow` option of the TCP/TLS server and of the
// WebSocket bridge, one parser and one matcher for both (Node's net.BlockList), applied by their
// shared acceptor (acceptor.ts).
//
// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4
// client) are matched in their IPv4 form, in the list and in the address checked: an entry
// `10.1.2.0/24` must admit a client the kernel reports as `::ffff:10.1.2.7`.
import { BlockList, isIP } from 'node:net';
import { InvalidOptionError } from '../protocol/errors.js';

/** Tells whether a client address is allowed. */
export type AddressMatcher = (address: string) => boolean;

/** `::ffff:a.b.c.d` as `a.b.c.d`; other addresses unchanged. */
export function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * Builds the matcher of an allow-list: plain addresses (`10.1.2.3`, `::1`) and CIDR ranges
 * (`10.1.2.0/24`, `fd00::/8`). Throws InvalidOptionError (naming `option`) for an entry that is
 * neither, so a typo fails at start-up instead of locking everybody out (or in).
 */
export function addressAllowList(entries: readonly string[], option = 'allow'): AddressMatcher {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = unmapIPv4(slash < 0 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    if (family === 0) throw new InvalidOptionError(option, `"${raw}" is neither an IP address nor a CIDR range (e.g. 10.1.2.0/24)`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash < 0) {
      list.addAddress(address, type);
      continue;
    }
    const text = entry.slice(slash + 1);
    let prefix = Number(text);
    // A mapped range (::ffff:10.0.0.0/104) is the IPv4 range of its last 32 bits.
    if (family === 4 && address !== entry.slice(0, slash)) prefix -= 96;
    const max = family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(text) || !(prefix >= 0 && prefix <= max)) throw new InvalidOptionError(option, `"${raw}": the prefix length must be 0 to ${max}`);
    list.addSubnet(address, prefix, type);
  }
  return (address) => {
    const a = unmapIPv4(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}
