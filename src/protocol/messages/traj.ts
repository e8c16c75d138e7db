// TRAJ: a list of 150-byte trajectories (OpenIGTLink Documents/Protocol/trajectory.md).
import type { ContentCodec } from '../codec.js';
import { readFixedString, writeFixedString } from '../text.js';
import {
  asArray, asInt, asNumber, asObject, asRgba, asString, asVec3, checkFixedString, checkInt, checkRgba, checkTuple, expectElements,
  num, nums, readVec3, writeVec3, type Vec3, type Vec4,
} from './common.js';

const ELEMENT_SIZE = 150;
const NAME = 0; // char[64]
const NAME_SIZE = 64;
const GROUP = 64; // char[32]
const GROUP_SIZE = 32;
const TYPE = 96; // int8 (the docs say uint8; same byte for 1..3)
const RESERVED = 97; // uint8, written 0
const RGBA = 98; // uint8[4]
const ENTRY = 102; // float32[3]
const TARGET = 114; // float32[3]
const RADIUS = 126; // float32
const OWNER = 130; // char[20]
const OWNER_SIZE = 20;

/** One trajectory of a TRAJ message. */
export interface TrajectoryElement {
  readonly name: string;
  readonly group: string;
  /** 1 = entry only, 2 = target only, 3 = entry and target. */
  readonly type: number;
  readonly rgba: Vec4;
  readonly entry: Vec3;
  readonly target: Vec3;
  readonly radius: number;
  readonly owner: string;
}

/** Content of a TRAJ message. */
export interface TrajectoryContent {
  readonly trajectories: readonly TrajectoryElement[];
}

/** Codec of TRAJ. */
export const trajectoryCodec: ContentCodec<'TRAJ', TrajectoryContent> = {
  type: 'TRAJ',
  decode(bytes, view, offset, length) {
    const n = expectElements('TRAJ', length, ELEMENT_SIZE);
    const trajectories = new Array<TrajectoryElement>(n);
    for (let i = 0; i < n; i++) {
      const o = offset + i * ELEMENT_SIZE;
      trajectories[i] = {
        name: readFixedString(bytes, o + NAME, NAME_SIZE),
        group: readFixedString(bytes, o + GROUP, GROUP_SIZE),
        type: view.getInt8(o + TYPE),
        rgba: [bytes[o + RGBA]!, bytes[o + RGBA + 1]!, bytes[o + RGBA + 2]!, bytes[o + RGBA + 3]!],
        entry: readVec3(view, o + ENTRY),
        target: readVec3(view, o + TARGET),
        radius: view.getFloat32(o + RADIUS),
        owner: readFixedString(bytes, o + OWNER, OWNER_SIZE),
      };
    }
    return { trajectories };
  },
  size(content) {
    content.trajectories.forEach((t, i) => {
      const at = `trajectories[${i}]`;
      checkFixedString('TRAJ', `${at}.name`, t.name, NAME_SIZE);
      checkFixedString('TRAJ', `${at}.group`, t.group, GROUP_SIZE);
      checkFixedString('TRAJ', `${at}.owner`, t.owner, OWNER_SIZE);
      checkInt('TRAJ', `${at}.type`, t.type, -128, 127);
      checkRgba('TRAJ', `${at}.rgba`, t.rgba);
      checkTuple('TRAJ', `${at}.entry`, t.entry, 3);
      checkTuple('TRAJ', `${at}.target`, t.target, 3);
    });
    return content.trajectories.length * ELEMENT_SIZE;
  },
  encode(content, bytes, view, offset) {
    content.trajectories.forEach((t, i) => {
      const o = offset + i * ELEMENT_SIZE;
      writeFixedString(bytes, o + NAME, NAME_SIZE, t.name, 'TRAJ', 'name');
      writeFixedString(bytes, o + GROUP, GROUP_SIZE, t.group, 'TRAJ', 'group');
      view.setInt8(o + TYPE, t.type);
      bytes[o + RESERVED] = 0;
      bytes.set(t.rgba, o + RGBA);
      writeVec3(view, o + ENTRY, t.entry);
      writeVec3(view, o + TARGET, t.target);
      view.setFloat32(o + RADIUS, t.radius);
      writeFixedString(bytes, o + OWNER, OWNER_SIZE, t.owner, 'TRAJ', 'owner');
    });
  },
  toJSON(content) {
    return {
      trajectories: content.trajectories.map((t) => ({
        name: t.name,
        group: t.group,
        type: t.type,
        rgba: [t.rgba[0], t.rgba[1], t.rgba[2], t.rgba[3]],
        entry: nums(t.entry),
        target: nums(t.target),
        radius: num(t.radius),
        owner: t.owner,
      })),
    };
  },
  fromJSON(json, path) {
    const trajectories = asArray(asObject(json, path).trajectories, `${path}.trajectories`).map((v, i): TrajectoryElement => {
      const at = `${path}.trajectories[${i}]`;
      const t = asObject(v, at);
      return {
        name: asString(t.name, `${at}.name`),
        group: asString(t.group, `${at}.group`),
        type: asInt(t.type, `${at}.type`, -128, 127),
        rgba: asRgba(t.rgba, `${at}.rgba`),
        entry: asVec3(t.entry, `${at}.entry`),
        target: asVec3(t.target, `${at}.target`),
        radius: asNumber(t.radius, `${at}.radius`),
        owner: asString(t.owner, `${at}.owner`),
      };
    });
    return { trajectories };
  },
};
