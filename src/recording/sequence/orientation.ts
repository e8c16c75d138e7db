// Ultrasound image orientation: PLUS reads frames from the file's orientation into its memory
// orientation (MF for B-mode and RGB images, FM for RF data) by flipping axes, and PlusServer
// sends the memory orientation. Rules from IGSIO vtkIGSIOMetaImageSequenceIO.cxx ReadImageHeader
// ("B-mode: MF, RF-mode: FM"; an absent UltrasoundImageType is taken as BRIGHTNESS) and
// igsioVideoFrame.cxx GetFlipAxes (a differing 1st letter flips x, 2nd flips y, 3rd A/D flips z;
// MF <-> FM and other mixes are not reordered).
import type { SequenceLayout } from './layout.js';

/** Which axes to flip for the frames of a layout (none when the orientation is unknown or already PLUS's). */
export function flipsOf(layout: SequenceLayout): { x: boolean; y: boolean; z: boolean; unsupported?: string } {
  const none = { x: false, y: false, z: false };
  const from = layout.orientation;
  if (from === undefined || from === '' || from === '??') return none;
  const type = layout.imageType ?? 'BRIGHTNESS';
  const to = type === 'BRIGHTNESS' || type === 'RGB_COLOR' ? 'MF' : type.startsWith('RF_') ? 'FM' : from;
  const a = from.padEnd(3, 'A');
  const b = to.padEnd(3, 'A');
  const family = (s: string) => ('MU'.includes(s[0]!) ? 'MF' : 'FM');
  if (family(a) !== family(b)) return { ...none, unsupported: `orientation ${from} cannot be reordered to ${to} (PLUS flips axes only)` };
  return { x: a[0] !== b[0], y: a[1] !== b[1], z: a[2] !== b[2] };
}

/** The frame's bytes with the given axes reversed (a new buffer; the input is left as it is). */
export function flip(bytes: Uint8Array, layout: SequenceLayout, flips: { x: boolean; y: boolean; z: boolean }): Uint8Array {
  if (!flips.x && !flips.y && !flips.z) return bytes;
  const [ni, nj, nk] = layout.size;
  const voxel = layout.components * layout.scalarBytes;
  const out = new Uint8Array(bytes.length);
  for (let k = 0; k < nk; k++) {
    const sk = flips.z ? nk - 1 - k : k;
    for (let j = 0; j < nj; j++) {
      const sj = flips.y ? nj - 1 - j : j;
      const dstRow = (k * nj + j) * ni * voxel;
      const srcRow = (sk * nj + sj) * ni * voxel;
      if (!flips.x) {
        out.set(bytes.subarray(srcRow, srcRow + ni * voxel), dstRow);
        continue;
      }
      for (let i = 0; i < ni; i++) {
        const s = srcRow + (ni - 1 - i) * voxel;
        out.set(bytes.subarray(s, s + voxel), dstRow + i * voxel);
      }
    }
  }
  return out;
}
