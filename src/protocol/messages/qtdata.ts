// QTDATA: quaternion tracking data, a list of 50-byte elements (OpenIGTLink Documents/Protocol/qtrackingdata.md).
import type { ContentCodec } from '../codec.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asInt, asObject, asString, asVec3, asVec4, checkFixedString, checkInt, checkTuple, expectElements, nums, readVec3,
  writeF32s, type Vec3, type Vec4,
} from './common.js';

const ELEMENT_SIZE = 50;
const NAME = 0; // char[20]
const NAME_SIZE = 20;
const TYPE = 20; // uint8
const RESERVED = 21; // uint8, written 0
const POSITION = 22; // float32[3]
const QUATERNION = 34; // float32[4] qx, qy, qz, w

/** One tool of a QTDATA message. */
export interface QuaternionTrackingElement {
  readonly name: string;
  /** See `TrackingType`. */
  readonly type: number;
  /** x, y, z in mm. */
  readonly position: Vec3;
  /** qx, qy, qz, w. */
  readonly quaternion: Vec4;
}

/** Content of a QTDATA message. */
export interface QuaternionTrackingDataContent {
  readonly elements: readonly QuaternionTrackingElement[];
}

/** Codec of QTDATA. */
export const quaternionTrackingDataCodec: ContentCodec<'QTDATA', QuaternionTrackingDataContent> = {
  type: 'QTDATA',
  decode(bytes, view, offset, length) {
    const n = expectElements('QTDATA', length, ELEMENT_SIZE);
    const elements = new Array<QuaternionTrackingElement>(n);
    for (let i = 0; i < n; i++) {
      const o = offset + i * ELEMENT_SIZE;
      const q = o + QUATERNION;
      elements[i] = {
        name: readFixedString(bytes, o + NAME, NAME_SIZE),
        type: bytes[o + TYPE]!,
        position: readVec3(view, o + POSITION),
        quaternion: [view.getFloat32(q), view.getFloat32(q + 4), view.getFloat32(q + 8), view.getFloat32(q + 12)],
      };
    }
    return { elements };
  },
  size(content) {
    content.elements.forEach((e, i) => {
      const at = `elements[${i}]`;
      checkFixedString('QTDATA', `${at}.name`, e.name, NAME_SIZE);
      checkInt('QTDATA', `${at}.type`, e.type, 0, 255);
      checkTuple('QTDATA', `${at}.position`, e.position, 3);
      checkTuple('QTDATA', `${at}.quaternion`, e.quaternion, 4);
    });
    return content.elements.length * ELEMENT_SIZE;
  },
  encode(content, bytes, view, offset) {
    content.elements.forEach((e, i) => {
      const o = offset + i * ELEMENT_SIZE;
      writeFixedString(bytes, o + NAME, NAME_SIZE, e.name, 'QTDATA', 'name');
      bytes[o + TYPE] = e.type;
      bytes[o + RESERVED] = 0;
      writeF32s(view, o + POSITION, e.position);
      writeF32s(view, o + QUATERNION, e.quaternion);
    });
  },
  toJSON(content) {
    return {
      elements: content.elements.map((e) => ({ name: e.name, type: e.type, position: nums(e.position), quaternion: nums(e.quaternion) })),
    };
  },
  fromJSON(json, path) {
    const elements = asArray(asObject(json, path).elements, `${path}.elements`).map((v, i): QuaternionTrackingElement => {
      const at = `${path}.elements[${i}]`;
      const e = asObject(v, at);
      return {
        name: asString(e.name, `${at}.name`),
        type: asInt(e.type, `${at}.type`, 0, 255),
        position: asVec3(e.position, `${at}.position`),
        quaternion: asVec4(e.quaternion, `${at}.quaternion`),
      };
    });
    return { elements };
  },
};
