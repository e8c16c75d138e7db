// A frame as PlusServer streams it: one TRANSFORM per transform and one IMAGE per valid image.
//
// TRANSFORM (PlusLib vtkPlusIgtlMessageCommon.cxx PackTransformMessage): device name = the
// transform name (`ProbeToTracker` for the field `ProbeToTrackerTransform`), timestamp = the
// frame's, metadata `TransformStatus` (OK, INVALID, ... as igsioCommon::ConvertToolStatusToString
// writes it) and `TransformValid` (status == OK, a bool written as the integer 1 or 0). The matrix
// of a transform whose status is not OK is the identity (vtkPlusIgtlMessageCommon::GetIgtlMatrix
// sets the identity and returns before copying an invalid transform).
//
// IMAGE (PlusLib vtkPlusIgtlMessageFactory.cxx PackImageMessage): device name `<Name>_<To>` of the
// image stream (`Image_Reference`), or the frame field `FriendlyDeviceName` when there is one;
// every frame field as US-ASCII metadata; the matrix is <Name>To<To> from the frame's transforms
// applied to the IJK grid (igtlioImageConverter VTKTransformToIGTLImage: columns scaled by the
// spacing, origin moved to the centre of the grid). A frame whose image status is not OK sends no
// IMAGE (vtkPlusIgtlMessageCommon::PackImageMessage refuses an invalid image).
import { createMessage, IDENTITY } from '../../protocol/message.js';
import { metadataOf } from '../../protocol/metadata.js';
import { Timestamp } from '../../protocol/timestamp.js';
import type { IgtlMessage } from '../../protocol/types.js';
import type { FrameTransform } from './fields.js';
import type { SequenceLayout } from './layout.js';

/** Image stream settings, as in a PlusServer `<Image Name=... EmbeddedTransformToFrame=... />` element. */
export interface ImageStream {
  /** Coordinate frame of the image (default `Image`). */
  readonly name?: string;
  /** Frame the image is placed in (default `Reference`). */
  readonly embeddedTransformToFrame?: string;
}

/** Multiplies row-major 4x4 matrices. */
export function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += a[r * 4 + k]! * b[k * 4 + c]!;
    out[r * 4 + c] = s;
  }
  return out;
}

/** Inverse of a rigid-or-affine 4x4 with bottom row 0 0 0 1. */
export function invert(m: readonly number[]): number[] {
  const [a, b, c, tx, d, e, f, ty, g, h, i, tz] = m as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (det === 0) return [...IDENTITY];
  const r = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ] as [number, number, number, number, number, number, number, number, number];
  return [
    r[0], r[1], r[2], -(r[0] * tx + r[1] * ty + r[2] * tz),
    r[3], r[4], r[5], -(r[3] * tx + r[4] * ty + r[5] * tz),
    r[6], r[7], r[8], -(r[6] * tx + r[7] * ty + r[8] * tz),
    0, 0, 0, 1,
  ];
}

/** Splits `ProbeToTracker` into its coordinate frames (the first `To` followed by an upper-case letter, as igsioTransformName does). */
export function splitTransformName(name: string): [string, string] | undefined {
  const m = /^(.+?)To([A-Z].*)$/.exec(name);
  return m ? [m[1]!, m[2]!] : undefined;
}

/**
 * `from`To`to` from the frame's transforms, chaining and inverting them as PLUS's transform
 * repository does (vtkIGSIOTransformRepository FindPath); undefined when there is no path.
 */
export function findTransform(transforms: readonly FrameTransform[], from: string, to: string): number[] | undefined {
  if (from === to) return [...IDENTITY];
  // Edges: A->B with the matrix mapping A coordinates to B, both directions.
  const edges = new Map<string, { to: string; m: readonly number[] }[]>();
  const add = (a: string, b: string, m: readonly number[]) => {
    const list = edges.get(a) ?? [];
    list.push({ to: b, m });
    edges.set(a, list);
  };
  for (const t of transforms) {
    const names = splitTransformName(t.name);
    if (!names) continue;
    add(names[0], names[1], t.matrix);
    add(names[1], names[0], invert(t.matrix));
  }
  const seen = new Set([from]);
  let frontier: { at: string; m: number[] }[] = [{ at: from, m: [...IDENTITY] }];
  while (frontier.length > 0) {
    const next: { at: string; m: number[] }[] = [];
    for (const { at, m } of frontier) {
      for (const e of edges.get(at) ?? []) {
        if (seen.has(e.to)) continue;
        const total = multiply(e.m, m);
        if (e.to === to) return total;
        seen.add(e.to);
        next.push({ at: e.to, m: total });
      }
    }
    frontier = next;
  }
  return undefined;
}

/** TRANSFORM of one frame transform, as PlusServer packs it. */
export function transformMessage(t: FrameTransform, timestamp: Timestamp): IgtlMessage {
  const ok = t.status === 'OK';
  return createMessage('TRANSFORM', { matrix: ok ? t.matrix : IDENTITY }, {
    deviceName: t.name,
    timestamp,
    // std::map order on the wire: TransformStatus before TransformValid.
    metadata: metadataOf({ TransformStatus: t.status, TransformValid: ok ? '1' : '0' }),
    headerVersion: 2,
  });
}

/** The OpenIGTLink IMAGE matrix: IJK -> reference with the position moved to the centre voxel. */
export function imageMatrix(ijkToReference: readonly number[], size: readonly [number, number, number]): number[] {
  const m = [...ijkToReference];
  const c = [(size[0] - 1) / 2, (size[1] - 1) / 2, (size[2] - 1) / 2];
  for (let r = 0; r < 3; r++) m[r * 4 + 3] = ijkToReference[r * 4 + 3]! + ijkToReference[r * 4]! * c[0]! + ijkToReference[r * 4 + 1]! * c[1]! + ijkToReference[r * 4 + 2]! * c[2]!;
  return m;
}

/** IMAGE of one frame, as PlusServer packs it. */
export function imageMessage(
  pixels: Uint8Array,
  layout: SequenceLayout,
  deviceName: string,
  imageToReference: readonly number[],
  fields: ReadonlyMap<string, string>,
  timestamp: Timestamp,
): IgtlMessage {
  const ijkToReference = multiply(imageToReference, layout.ijkToImage);
  // Frame fields as metadata in key order (an igsioTrackedFrame's fields are a std::map).
  const keys = [...fields.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const metadata = metadataOf(keys.map((k) => [k, { value: fields.get(k)!, encoding: 3 }] as const));
  return createMessage('IMAGE', {
    numComponents: layout.components,
    scalarType: layout.scalarType,
    endian: layout.endian,
    coordinate: 1,
    size: layout.size,
    matrix: imageMatrix(ijkToReference, layout.size),
    subvolumeOffset: [0, 0, 0],
    subvolumeSize: layout.size,
    data: pixels,
  }, { deviceName, timestamp, metadata, headerVersion: metadata.size > 0 ? 2 : 1 });
}
