import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import { fullDeviceName, type IgtlMessage } from '../src/index.js';
import { nameMatcher, type NamePattern } from './internal/names.js';

/** A test of a device name, given the message too. */
export type DevicePredicate<T extends IgtlMessage> = (deviceName: string, msg: T) => boolean;

export function ofDevice<T extends IgtlMessage>(pattern: NamePattern): MonoTypeOperatorFunction<T>;
export function ofDevice<T extends IgtlMessage>(predicate: DevicePredicate<T>): MonoTypeOperatorFunction<T>;
/**
 * Keeps the messages whose device name matches: exact text, a glob, a RegExp or a predicate.
 * The name matched is the full one (`fullDeviceName`): a name over 20 bytes that PLUS or
 * OpenIGTLinkIO cut in the header and sent whole in `IGTL_DEVICE_NAME` metadata is matched whole.
 *
 * ```
 * source:                  --s--p--r--S--|   s: "Stylus", p: "Probe", r: "Reference", S: "Stylus2"
 * ofDevice('Stylus'):      --s-----------|
 * ofDevice('Stylus*'):     --s--------S--|
 * ofDevice(/^(Probe|Ref)/): -----p--r-----|
 * ```
 *
 * - a string without glob syntax matches that exact name (case-sensitive, as device names are);
 * - a string with glob syntax (`*`, `?`, `[..]`, `{a,b}`, a leading `!` to negate) is matched
 *   with picomatch, POSIX style: `*` does not cross a `/`, so use `**` for names that contain
 *   one; a name equal to the pattern text always matches;
 * - a RegExp is tested against the name (its `g`/`y` flags are ignored);
 * - a predicate gets the name and the message.
 *
 * The message type is kept as it is, so it composes with {@link ofType} in either order.
 *
 * @example
 * conn.pipe(ofType('TRANSFORM'), ofDevice('*ToReference')).subscribe((m) => show(m.deviceName, m.content.matrix));
 *
 * @param pattern  device name, glob, RegExp, or `(deviceName, msg) => boolean`
 */
export function ofDevice<T extends IgtlMessage>(pattern: NamePattern | DevicePredicate<T>): MonoTypeOperatorFunction<T> {
  if (typeof pattern === 'function') return filter((msg: T) => pattern(fullDeviceName(msg), msg));
  const matches = nameMatcher(pattern);
  return filter((msg: T) => matches(fullDeviceName(msg)));
}
