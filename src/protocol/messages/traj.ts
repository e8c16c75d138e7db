// TRAJ: a list of 150-byte trajectories (spec messages.md §7).
import type { ContentCodec } from '../codec.js';
import type { Vec3, Vec4 } from './common.js';
import { stubCodec } from './_stub.js';

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
export const trajectoryCodec: ContentCodec<'TRAJ', TrajectoryContent> = stubCodec('TRAJ');
