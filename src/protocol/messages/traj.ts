// TRAJ: a list of 150-byte trajectories (OpenIGTLink Documents/Protocol/trajectory.md).
//
//   Offset  Type        Field
//   0       char[64]    NAME_1
//   64      char[32]    GROUP_ID_1
//   96      int8        TYPE_1      1 entry only, 2 target only, 3 both (the docs say uint8:
//                                   the same byte for 1..3; the C++ library reads a signed char)
//   97      uint8       -           reserved, written 0
//   98      uint8[4]    RGBA_1
//   102     float32[3]  ENTRY_1
//   114     float32[3]  TARGET_1
//   126     float32     RADIUS_1
//   130     char[20]    OWNER_1
//   150 ... trajectory 2 ...
import type { ContentCodec } from '../codec.js';
import { f32, f32x3, fixedString, i8, rgba } from './record-fields.js';
import { pad, record, recordListCodec } from './record-list.js';
import type { Vec3, Vec4 } from './vectors.js';

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

const trajectory = record<TrajectoryElement>([
  { name: 'name', kind: fixedString(64) },
  { name: 'group', kind: fixedString(32) },
  { name: 'type', kind: i8 },
  pad(1),
  { name: 'rgba', kind: rgba },
  { name: 'entry', kind: f32x3 },
  { name: 'target', kind: f32x3 },
  { name: 'radius', kind: f32 },
  { name: 'owner', kind: fixedString(20) },
]);

/** Codec of TRAJ. */
export const trajectoryCodec: ContentCodec<'TRAJ', TrajectoryContent> = recordListCodec('TRAJ', 'trajectories', trajectory);
