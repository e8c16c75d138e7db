// Is this 58-byte header something an OpenIGTLink peer would send?
//
// OpenIGTLink has no sync marker and no header checksum (OpenIGTLink Documents/Protocol/header.md: the
// CRC covers the body only), so a receiver that has lost its place in a byte stream reads
// arbitrary bytes as a header and believes whatever BODY_SIZE they hold. The only defence is to
// refuse headers whose fields no implementation writes. The rules are deliberately loose (a
// header accepted here may still be refused later, e.g. as too large), but every rule is one
// that every sender we know of obeys:
// - VERSION is 1 or 2 (header.md, "Header version number": 1 = legacy framing, 2 = v3 framing);
// - TYPE is printable ASCII padded with NULs (header.md: an ASCII string, unused bytes padded with 0), not empty;
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
 * @internal The fast-path check (memoised per name pair by header.ts's name cache), equivalent to the TYPE and DEVICE_NAME rules of
 * {@link implausibleHeader} (not the version rule, nor the BODY_SIZE-with-oddity rule, which
 * only concerns sizes the fast path refuses anyway): true when both fields are plausible.
 *
 * It runs once per message on the hot path, so it reads the 32 bytes of the two fields as eight
 * big-endian words and tests four bytes at a time (SWAR), straight-line (helper calls that
 * return masks above 2^30 would box them). Per byte b below 0x80: b + 0x7f reaches 0x80 iff
 * b != 0; b + 0x60 reaches 0x80 iff b >= 0x20; b + 0x01 reaches 0x80 iff b == 0x7f. No byte sum
 * exceeds 0xff, so no carry crosses into the next byte.
 */
export function namesPlausible(view: DataView, offset: number): boolean {
  const o = offset + OFFSET_TYPE;
  const t0 = view.getInt32(o);
  const t1 = view.getInt32(o + 4);
  const t2 = view.getInt32(o + 8);
  // TYPE: not empty, no byte >= 0x80.
  if ((t0 >>> 24) === 0 || ((t0 | t1 | t2) & 0x80808080) !== 0) return false;
  const d0 = view.getInt32(o + 12);
  const d1 = view.getInt32(o + 16);
  const d2 = view.getInt32(o + 20);
  const d3 = view.getInt32(o + 24);
  const d4 = view.getInt32(o + 28);
  // NUL bytes (bit 7 of each byte that is 0x00).
  const nt0 = ~(((t0 + 0x7f7f7f7f) | 0) | t0) & 0x80808080;
  const nt1 = ~(((t1 + 0x7f7f7f7f) | 0) | t1) & 0x80808080;
  const nt2 = ~(((t2 + 0x7f7f7f7f) | 0) | t2) & 0x80808080;
  const l0 = d0 & 0x7f7f7f7f;
  const l1 = d1 & 0x7f7f7f7f;
  const l2 = d2 & 0x7f7f7f7f;
  const l3 = d3 & 0x7f7f7f7f;
  const l4 = d4 & 0x7f7f7f7f;
  const nd0 = ~(((l0 + 0x7f7f7f7f) | 0) | d0) & 0x80808080;
  const nd1 = ~(((l1 + 0x7f7f7f7f) | 0) | d1) & 0x80808080;
  const nd2 = ~(((l2 + 0x7f7f7f7f) | 0) | d2) & 0x80808080;
  const nd3 = ~(((l3 + 0x7f7f7f7f) | 0) | d3) & 0x80808080;
  const nd4 = ~(((l4 + 0x7f7f7f7f) | 0) | d4) & 0x80808080;
  // Control bytes: below 0x20 and not NUL, or 0x7f (in DEVICE_NAME, bytes >= 0x80 excepted).
  const controls =
    (~((t0 + 0x60606060) | 0) & ~nt0) | ((t0 + 0x01010101) | 0) |
    (~((t1 + 0x60606060) | 0) & ~nt1) | ((t1 + 0x01010101) | 0) |
    (~((t2 + 0x60606060) | 0) & ~nt2) | ((t2 + 0x01010101) | 0) |
    (((~((l0 + 0x60606060) | 0) & ~nd0) | ((l0 + 0x01010101) | 0)) & ~d0) |
    (((~((l1 + 0x60606060) | 0) & ~nd1) | ((l1 + 0x01010101) | 0)) & ~d1) |
    (((~((l2 + 0x60606060) | 0) & ~nd2) | ((l2 + 0x01010101) | 0)) & ~d2) |
    (((~((l3 + 0x60606060) | 0) & ~nd3) | ((l3 + 0x01010101) | 0)) & ~d3) |
    (((~((l4 + 0x60606060) | 0) & ~nd4) | ((l4 + 0x01010101) | 0)) & ~d4);
  if ((controls & 0x80808080) !== 0) return false;
  // NULs only as padding: within a word, a NUL's next (lower) byte is NUL too...
  const gaps =
    ((nt0 >>> 8) & ~nt0) | ((nt1 >>> 8) & ~nt1) | ((nt2 >>> 8) & ~nt2) |
    ((nd0 >>> 8) & ~nd0) | ((nd1 >>> 8) & ~nd1) | ((nd2 >>> 8) & ~nd2) | ((nd3 >>> 8) & ~nd3) | ((nd4 >>> 8) & ~nd4);
  if (gaps !== 0) return false;
  // ...and after a word with a NUL, the rest of the field is NUL.
  if ((nt0 !== 0 && (t1 | t2) !== 0) || (nt1 !== 0 && t2 !== 0)) return false;
  return !((nd0 !== 0 && (d1 | d2 | d3 | d4) !== 0) || (nd1 !== 0 && (d2 | d3 | d4) !== 0) || (nd2 !== 0 && (d3 | d4) !== 0) || (nd3 !== 0 && d4 !== 0));
}
