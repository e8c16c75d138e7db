// POSITION: position with an optional quaternion (OpenIGTLink Documents/Protocol/position.md). 12, 24 or 28 bytes.
// The form is chosen by the content size alone (C++ SetPackTypeByContentSize), so we keep the
// form received and write it back: 12 = position only, 24 = qx qy qz (W implied), 28 = all.
import type { ContentCodec } from '../codec.js';
import type { JsonObject } from '../json-types.js';
import { EncodeError, InvalidJsonMessageError, MalformedMessageError } from '../errors.js';
import { checkTuple } from './encode-checks.js';
import { asNumbers, asObject, asVec3, nums } from './json-fields.js';
import { readF32s, readVec3, writeF32s, type Vec3, type Vec4 } from './vectors.js';

const POSITION = 0; // float32[3] X, Y, Z
const QUATERNION = 12; // float32[3] OX, OY, OZ, then (28-byte form) float32 W at 24
const POSITION_ONLY_SIZE = 12;
const QUATERNION3_SIZE = 24;
const FULL_SIZE = 28;

/** Content of a POSITION message. */
export interface PositionContent {
  /** x, y, z in mm. */
  readonly position: Vec3;
  /**
   * Orientation: `[qx, qy, qz, w]` (28-byte form), `[qx, qy, qz]` (24-byte form, w implied), or
   * absent (12-byte form, position only). The form received is the form re-encoded.
   */
  readonly quaternion?: readonly number[];
}

function contentSize(content: PositionContent): number {
  const q = content.quaternion;
  if (q === undefined) return POSITION_ONLY_SIZE;
  if (q.length === 3) return QUATERNION3_SIZE;
  if (q.length === 4) return FULL_SIZE;
  throw new EncodeError('POSITION', `quaternion must have 3 numbers (qx, qy, qz) or 4 (qx, qy, qz, w), got ${q.length}`);
}

/** Codec of POSITION. */
export const positionCodec: ContentCodec<'POSITION', PositionContent> = {
  type: 'POSITION',
  decode(_bytes, view, offset, length) {
    // C++ reads any other size as the 28-byte form, out of bounds when shorter (position.md): refuse it.
    if (length !== POSITION_ONLY_SIZE && length !== QUATERNION3_SIZE && length !== FULL_SIZE) {
      throw new MalformedMessageError('POSITION', `content is ${length} bytes, expected 12, 24 or 28`);
    }
    const position = readVec3(view, offset + POSITION);
    if (length === POSITION_ONLY_SIZE) return { position };
    return { position, quaternion: readF32s(view, offset + QUATERNION, (length - QUATERNION) / 4) };
  },
  size(content) {
    checkTuple('POSITION', 'position', content.position, 3);
    return contentSize(content);
  },
  encode(content, _bytes, view, offset) {
    writeF32s(view, offset + POSITION, content.position);
    if (content.quaternion !== undefined) writeF32s(view, offset + QUATERNION, content.quaternion);
  },
  toJSON(content) {
    const json: JsonObject = { position: nums(content.position) };
    if (content.quaternion !== undefined) json.quaternion = nums(content.quaternion);
    return json;
  },
  fromJSON(json, path) {
    const o = asObject(json, path);
    const position = asVec3(o.position, `${path}.position`);
    if (o.quaternion === undefined) return { position };
    const quaternion = asNumbers(o.quaternion, `${path}.quaternion`);
    if (quaternion.length !== 3 && quaternion.length !== 4) {
      throw new InvalidJsonMessageError(`${path}.quaternion`, `expected 3 numbers (qx, qy, qz) or 4 (qx, qy, qz, w), got ${quaternion.length}`);
    }
    return { position, quaternion };
  },
};

const IDENTITY_QUATERNION: Vec4 = Object.freeze([0, 0, 0, 1] as const);

/**
 * The full orientation `[qx, qy, qz, w]` of a POSITION, as the C++ receiver rebuilds it
 * (OpenIGTLink Documents/Protocol/position.md): the 28-byte form as sent; the 24-byte form with
 * `w = sqrt(1 - qx² - qy² - qz²)` computed in float32 like the C++ code, or the identity
 * `(0, 0, 0, 1)` when the radicand is negative; the 12-byte form as the identity.
 */
export function positionQuaternion(content: PositionContent): Vec4 {
  const q = content.quaternion;
  if (q === undefined || q.length < 3) return IDENTITY_QUATERNION;
  if (q.length >= 4) return [q[0]!, q[1]!, q[2]!, q[3]!];
  const f = Math.fround;
  const [x, y, z] = [f(q[0]!), f(q[1]!), f(q[2]!)];
  // C++: `float sq = 1.0 - (ox*ox + oy*oy + oz*oz); float w = sqrt(sq);` with float operands.
  const sq = f(1 - f(f(f(x * x) + f(y * y)) + f(z * z)));
  if (sq < 0) return IDENTITY_QUATERNION;
  return [x, y, z, f(Math.sqrt(sq))];
}
