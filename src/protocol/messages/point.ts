// POINT: a list of 136-byte points (OpenIGTLink Documents/Protocol/point.md).
import type { ContentCodec } from '../codec.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asNumber, asObject, asRgba, asString, asVec3, checkFixedString, checkRgba, checkTuple, expectElements, num, nums,
  readVec3, writeVec3, type Vec3, type Vec4,
} from './common.js';

const ELEMENT_SIZE = 136;
const NAME = 0; // char[64]
const NAME_SIZE = 64;
const GROUP = 64; // char[32]
const GROUP_SIZE = 32;
const RGBA = 96; // uint8[4]
const POSITION = 100; // float32[3]
const RADIUS = 112; // float32
const OWNER = 116; // char[20]
const OWNER_SIZE = 20;

/** One point of a POINT message. */
export interface PointElement {
  /** At most 64 bytes (63 for C++ receivers). */
  readonly name: string;
  /** "Labeled Point", "Landmark", "Fiducial", ...; at most 32 bytes. */
  readonly group: string;
  /** Colour, 0-255 each. */
  readonly rgba: Vec4;
  /** x, y, z in mm. */
  readonly position: Vec3;
  /** Radius in mm (the spec calls it DIAMETER; the library and Slicer treat it as a radius). */
  readonly radius: number;
  /** Device name of the owner image; at most 20 bytes. */
  readonly owner: string;
}

/** Content of a POINT message. */
export interface PointContent {
  readonly points: readonly PointElement[];
}

/** Codec of POINT. */
export const pointCodec: ContentCodec<'POINT', PointContent> = {
  type: 'POINT',
  decode(bytes, view, offset, length) {
    const n = expectElements('POINT', length, ELEMENT_SIZE);
    const points = new Array<PointElement>(n);
    for (let i = 0; i < n; i++) {
      const o = offset + i * ELEMENT_SIZE;
      points[i] = {
        name: readFixedString(bytes, o + NAME, NAME_SIZE),
        group: readFixedString(bytes, o + GROUP, GROUP_SIZE),
        rgba: [bytes[o + RGBA]!, bytes[o + RGBA + 1]!, bytes[o + RGBA + 2]!, bytes[o + RGBA + 3]!],
        position: readVec3(view, o + POSITION),
        radius: view.getFloat32(o + RADIUS),
        owner: readFixedString(bytes, o + OWNER, OWNER_SIZE),
      };
    }
    return { points };
  },
  size(content) {
    content.points.forEach((p, i) => {
      const at = `points[${i}]`;
      checkFixedString('POINT', `${at}.name`, p.name, NAME_SIZE);
      checkFixedString('POINT', `${at}.group`, p.group, GROUP_SIZE);
      checkFixedString('POINT', `${at}.owner`, p.owner, OWNER_SIZE);
      checkRgba('POINT', `${at}.rgba`, p.rgba);
      checkTuple('POINT', `${at}.position`, p.position, 3);
    });
    return content.points.length * ELEMENT_SIZE;
  },
  encode(content, bytes, view, offset) {
    content.points.forEach((p, i) => {
      const o = offset + i * ELEMENT_SIZE;
      writeFixedString(bytes, o + NAME, NAME_SIZE, p.name, 'POINT', 'name');
      writeFixedString(bytes, o + GROUP, GROUP_SIZE, p.group, 'POINT', 'group');
      bytes.set(p.rgba, o + RGBA);
      writeVec3(view, o + POSITION, p.position);
      view.setFloat32(o + RADIUS, p.radius);
      writeFixedString(bytes, o + OWNER, OWNER_SIZE, p.owner, 'POINT', 'owner');
    });
  },
  toJSON(content) {
    return {
      points: content.points.map((p) => ({
        name: p.name,
        group: p.group,
        rgba: [p.rgba[0], p.rgba[1], p.rgba[2], p.rgba[3]],
        position: nums(p.position),
        radius: num(p.radius),
        owner: p.owner,
      })),
    };
  },
  fromJSON(json, path) {
    const points = asArray(asObject(json, path).points, `${path}.points`).map((v, i): PointElement => {
      const at = `${path}.points[${i}]`;
      const p = asObject(v, at);
      return {
        name: asString(p.name, `${at}.name`),
        group: asString(p.group, `${at}.group`),
        rgba: asRgba(p.rgba, `${at}.rgba`),
        position: asVec3(p.position, `${at}.position`),
        radius: asNumber(p.radius, `${at}.radius`),
        owner: asString(p.owner, `${at}.owner`),
      };
    });
    return { points };
  },
};
