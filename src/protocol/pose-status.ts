// What a sender says about the validity of the poses it sends, in v3 metadata. PLUS (PlusServer)
// is the sender that says it, and it must be heard: with SendValidTransformsOnly="FALSE" it keeps
// sending a tool that left the camera's view, as an IDENTITY matrix in a TRANSFORM or POSITION
// (its GetIgtlMatrix returns the identity for any status but OK) or as the last matrix in TDATA,
// each marked only by its status; POSITION even with its default "TRUE" (PackPositionMessage in
// vtkPlusIgtlMessageFactory.cxx has no such check) (docs/operators.md, "validPoses"). Drawn as they are,
// those poses put a lost tool at the origin, live.
//
// The keys, as PlusServer writes them (PlusLib vtkPlusIgtlMessageCommon.cxx):
// - TRANSFORM: `TransformStatus` (OK, MISSING, OUT_OF_VIEW, OUT_OF_VOLUME, SWITCH1_IS_ON...,
//   REQ_TIMEOUT, INVALID, PATH_NOT_FOUND, UNKNOWN) and `TransformValid` (1 when the status is OK).
// - POSITION: `TransformStatus`.
// - TDATA: `<transform name>Status` and `<transform name>Index` (the element's position) per
//   element; the element name is the transform name cut to 20 bytes.
// PLUS reads a status without regard to case (igsioCommon ConvertStringToToolStatus), so do we.
// Metadata travels in v3 framing only: over legacy framing nothing says a pose is invalid.
import type { IgtlMessage, QuaternionTrackingDataMessage, TrackingDataMessage } from './types.js';

/** The status of a valid pose. */
export const POSE_OK = 'OK';

const TRANSFORM_STATUS = 'TransformStatus';
const TRANSFORM_VALID = 'TransformValid';
const STATUS_SUFFIX = 'Status';
const INDEX_SUFFIX = 'Index';
/** TDATA/QTDATA element names are this many bytes on the wire (longer transform names are cut). */
const ELEMENT_NAME_BYTES = 20;

const utf8 = new TextEncoder();

/**
 * The status the sender gave a pose, upper case (`OK`, `MISSING`, `OUT_OF_VIEW`, ...), or
 * undefined when it gave none (legacy framing, or a sender that does not say).
 *
 * - TRANSFORM, POSITION: metadata `TransformStatus`, else `TransformValid` (`1`/`true`: OK,
 *   anything else: INVALID).
 * - TDATA, QTDATA: element `element` (default 0), through metadata `<name>Status`: the element's
 *   name, or for a name cut to 20 bytes the one transform name that begins with it (when several
 *   do, `<name>Index` = the element's position decides in a whole message; in a piece of
 *   `splitElements`, whose position is lost, a status other than OK among them wins, so a lost
 *   tool is never taken for a tracked one).
 * - Other types: undefined.
 */
export function poseStatus(msg: IgtlMessage, element = 0): string | undefined {
  const metadata = msg.metadata;
  if (metadata.size === 0) return undefined;
  switch (msg.type) {
    case 'TRANSFORM':
    case 'POSITION': {
      const status = metadata.get(TRANSFORM_STATUS)?.value;
      if (status !== undefined) return status.toUpperCase();
      const valid = metadata.get(TRANSFORM_VALID)?.value;
      if (valid === undefined) return undefined;
      return valid === '1' || valid.toLowerCase() === 'true' ? POSE_OK : 'INVALID';
    }
    case 'TDATA':
    case 'QTDATA':
      return elementStatus(msg, element);
    default:
      return undefined;
  }
}

/** True unless the sender said the pose (or TDATA/QTDATA element `element`) is not OK. */
export function isPoseValid(msg: IgtlMessage, element = 0): boolean {
  const status = poseStatus(msg, element);
  return status === undefined || status === POSE_OK;
}

/**
 * What a message's sender marks not valid, in words for a display, or undefined when nothing:
 * the status of a TRANSFORM/POSITION (`OUT_OF_VIEW`), of a one-element TDATA/QTDATA (as
 * `splitElements` makes them), or per tool of a whole one (`ProbeToTracker MISSING, ...`).
 */
export function invalidPoses(msg: IgtlMessage): string | undefined {
  if (msg.metadata.size === 0) return undefined;
  if (msg.type === 'TDATA' || msg.type === 'QTDATA') {
    const elements = msg.content.elements;
    const notes: string[] = [];
    elements.forEach((e, i) => {
      const status = poseStatus(msg, i);
      if (status !== undefined && status !== POSE_OK) notes.push(elements.length === 1 ? status : `${e.name} ${status}`);
    });
    return notes.length > 0 ? notes.join(', ') : undefined;
  }
  const status = poseStatus(msg);
  return status !== undefined && status !== POSE_OK ? status : undefined;
}

function elementStatus(msg: TrackingDataMessage | QuaternionTrackingDataMessage, index: number): string | undefined {
  const elements = msg.content.elements;
  const name = elements[index]?.name;
  if (name === undefined) return undefined;
  const metadata = msg.metadata;
  const exact = metadata.get(name + STATUS_SUFFIX)?.value;
  if (exact !== undefined) return exact.toUpperCase();
  // A name cut to 20 bytes: the full names that begin with it. (Looked for first, and the name's
  // byte length measured only when there are some: most metadata has no such keys.)
  let candidates: string[] | undefined;
  for (const key of metadata.keys()) {
    if (key.length > name.length + STATUS_SUFFIX.length && key.startsWith(name) && key.endsWith(STATUS_SUFFIX)) {
      (candidates ??= []).push(key.slice(0, -STATUS_SUFFIX.length));
    }
  }
  if (candidates === undefined || utf8.encode(name).length !== ELEMENT_NAME_BYTES) return undefined;
  const statusOf = (full: string) => metadata.get(full + STATUS_SUFFIX)!.value.toUpperCase();
  if (candidates.length === 1) return statusOf(candidates[0]!);
  if (elements.length > 1) {
    const byIndex = candidates.find((full) => metadata.get(full + INDEX_SUFFIX)?.value === String(index));
    if (byIndex !== undefined) return statusOf(byIndex);
  }
  const statuses = candidates.map(statusOf);
  return statuses.find((s) => s !== POSE_OK) ?? POSE_OK;
}
