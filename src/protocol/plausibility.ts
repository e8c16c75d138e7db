// Is this 58-byte header something an OpenIGTLink peer would send?
//
// OpenIGTLink has no sync marker and no header checksum (spec Documents/Protocol/header.md: the
// CRC covers the body only), so a receiver that has lost its place in a byte stream reads
// arbitrary bytes as a header and believes whatever BODY_SIZE they hold. The only defence is to
// refuse headers whose fields no implementation writes. The rules are deliberately loose (a
// header accepted here may still be refused later, e.g. as too large), but every rule is one
// that every sender we know of obeys:
// - VERSION is 1 or 2 (header.md §2: 1 = legacy framing, 2 = v3 framing);
// - TYPE is printable ASCII padded with NULs (header.md §2 "ASCII, null-padded"), not empty;
// - DEVICE_NAME holds no control byte and is NUL-padded (senders copy the name with strncpy or a
//   fixed-size pack into a zeroed field). Bytes >= 0x80 are allowed: UTF-8 and Latin-1 names exist.
// A BODY_SIZE of 4 GiB or more (upper 32 bits set) is something a buggy or hostile but still
// framed peer may send (the size rule refuses it), so alone it is not implausible; together with
// a lesser oddity (a non-ASCII device name, a TYPE outside the spec's A-Z 0-9 _ alphabet) it is.
import { DEVICE_NAME_SIZE, OFFSET_BODY_SIZE, OFFSET_DEVICE_NAME, OFFSET_TYPE, OFFSET_VERSION, TYPE_NAME_SIZE } from './constants.js';

/**
 * Why the 58-byte header at `offset` of `bytes` cannot come from an OpenIGTLink peer (the
 * stream is lost), or `undefined` when it is plausible. `view` is a DataView over the same bytes
 * with the same indexing; the caller guarantees 58 bytes are there. Pure and allocation-free
 * unless it returns a reason.
 */
export function implausibleHeader(bytes: Uint8Array, view: DataView, offset: number): string | undefined {
  const version = view.getUint16(offset + OFFSET_VERSION);
  if (version !== 1 && version !== 2) return `header version ${version} (only 1 and 2 exist)`;

  const t = offset + OFFSET_TYPE;
  let i = 0;
  let oddType = false;
  for (; i < TYPE_NAME_SIZE; i++) {
    const b = bytes[t + i]!;
    if (b === 0) break;
    if (b < 0x20 || b > 0x7e) return `TYPE byte ${i} is 0x${hex(b)} (not printable ASCII)`;
    if (!((b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x5f)) oddType = true;
  }
  if (i === 0) return 'TYPE is empty';
  for (; i < TYPE_NAME_SIZE; i++) if (bytes[t + i] !== 0) return `TYPE has byte 0x${hex(bytes[t + i]!)} after its NUL padding`;

  const d = offset + OFFSET_DEVICE_NAME;
  let oddName = false;
  for (i = 0; i < DEVICE_NAME_SIZE; i++) {
    const b = bytes[d + i]!;
    if (b === 0) break;
    if (b < 0x20 || b === 0x7f) return `DEVICE_NAME byte ${i} is control byte 0x${hex(b)}`;
    if (b >= 0x80) oddName = true;
  }
  for (; i < DEVICE_NAME_SIZE; i++) if (bytes[d + i] !== 0) return `DEVICE_NAME has byte 0x${hex(bytes[d + i]!)} after its NUL terminator`;

  if (view.getUint32(offset + OFFSET_BODY_SIZE) !== 0 && (oddType || oddName)) {
    return `BODY_SIZE 0x${view.getUint32(offset + OFFSET_BODY_SIZE).toString(16)}${view.getUint32(offset + OFFSET_BODY_SIZE + 4).toString(16).padStart(8, '0')} (4 GiB or more) with a ${oddType ? 'non-standard TYPE' : 'non-ASCII DEVICE_NAME'}`;
  }
  return undefined;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/**
 * @internal The framer's fast-path check, equivalent to the TYPE and DEVICE_NAME rules of
 * {@link implausibleHeader} (not the version rule, nor the BODY_SIZE-with-oddity rule, which
 * only concerns sizes the fast path refuses anyway): true when both fields are plausible.
 *
 * It runs once per message on the hot path, so it reads the 32 bytes of the two fields as eight
 * big-endian words and tests four bytes at a time (SWAR) instead of looping over 32 bytes.
 */
export function namesPlausible(view: DataView, offset: number): boolean {
  const t0 = view.getInt32(offset + OFFSET_TYPE);
  const t1 = view.getInt32(offset + OFFSET_TYPE + 4);
  const t2 = view.getInt32(offset + OFFSET_TYPE + 8);
  // TYPE: not empty; no byte >= 0x80, no control byte (0x01-0x1f, 0x7f); NULs only as a suffix.
  if ((t0 & 0xff000000) === 0) return false;
  if ((t0 | t1 | t2) & 0x80808080) return false;
  if (controlBytes(t0) | controlBytes(t1) | controlBytes(t2)) return false;
  const d0 = view.getInt32(offset + OFFSET_DEVICE_NAME);
  const d1 = view.getInt32(offset + OFFSET_DEVICE_NAME + 4);
  const d2 = view.getInt32(offset + OFFSET_DEVICE_NAME + 8);
  const d3 = view.getInt32(offset + OFFSET_DEVICE_NAME + 12);
  const d4 = view.getInt32(offset + OFFSET_DEVICE_NAME + 16);
  // DEVICE_NAME: bytes >= 0x80 allowed (UTF-8, Latin-1), control bytes not; NULs only as a suffix.
  if (controlBytes(d0 & 0x7f7f7f7f) & ~(d0 & 0x80808080)) return false;
  if (controlBytes(d1 & 0x7f7f7f7f) & ~(d1 & 0x80808080)) return false;
  if (controlBytes(d2 & 0x7f7f7f7f) & ~(d2 & 0x80808080)) return false;
  if (controlBytes(d3 & 0x7f7f7f7f) & ~(d3 & 0x80808080)) return false;
  if (controlBytes(d4 & 0x7f7f7f7f) & ~(d4 & 0x80808080)) return false;
  return nulSuffix(t0, t1) && nulSuffix(t1, t2) && nulSuffix(t2, 0) &&
    nulSuffix(d0, d1) && nulSuffix(d1, d2) && nulSuffix(d2, d3) && nulSuffix(d3, d4) && nulSuffix(d4, 0);
}

/**
 * Bit 7 of each byte of `w` (bytes below 0x80 only) that is a control byte: 0x01-0x1f or 0x7f.
 * Per byte b: b + 0x60 reaches 0x80 iff b >= 0x20; b + 0x01 reaches 0x80 iff b = 0x7f; b + 0x7f
 * reaches 0x80 iff b != 0. No sum exceeds 0xff, so no carry crosses into the next byte.
 */
function controlBytes(w: number): number {
  const below20 = ~(w + 0x60606060) & 0x80808080;
  const is7f = (w + 0x01010101) & 0x80808080;
  return ((below20 & zeroBytes(w)) ^ below20) | is7f;
}

/** Bit 7 of each byte of `w` that is 0x00 (`w` may have bytes >= 0x80). */
function zeroBytes(w: number): number {
  const low = w & 0x7f7f7f7f;
  return ~((low + 0x7f7f7f7f) | w) & 0x80808080;
}

/**
 * True when the NULs of word `w` are a suffix of it (big-endian: its low bytes) and, if it has
 * any, the next word `next` of the field is all NUL (pass 0 for the field's last word).
 */
function nulSuffix(w: number, next: number): boolean {
  const z = zeroBytes(w);
  if (z === 0) return true;
  return (z | (z >>> 8) | (z >>> 16) | (z >>> 24)) === z && next === 0;
}
