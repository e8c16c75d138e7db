// Per-frame fields the way PLUS (IGSIO) and Slicer read them: transforms, their status, the
// timestamp, the image status. Everything else is kept as metadata.
import { Timestamp } from '../../protocol/timestamp.js';

/** One transform of a frame. */
export interface FrameTransform {
  /** The frame field, e.g. `ProbeToTrackerTransform`. */
  readonly field: string;
  /** The transform's name without the `Transform` postfix, e.g. `ProbeToTracker` (PlusServer's device name). */
  readonly name: string;
  /** Row-major 4x4 as written (16 numbers). */
  readonly matrix: readonly number[];
  /** Status as written (`OK`, `INVALID`, `MISSING`, ...), upper case; `OK` when the file has none. */
  readonly status: string;
}

const POSTFIX = 'transform';

/**
 * True when a frame field holds a transform. PLUS: the name ends with `Transform` and is longer
 * (IGSIO igsioTrackedFrame.cxx IsTransform). Slicer also takes names that contain `Transform`
 * and no `Status` (Slicer vtkMRMLLinearTransformSequenceStorageNode.cxx ReadSequenceFileTransforms).
 * Either way the value must be 16 numbers (Slicer skips a field whose matrix does not parse).
 */
export function isTransformField(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.length > POSTFIX.length && lower.endsWith(POSTFIX)) return true;
  return lower.includes(POSTFIX) && !lower.includes('status');
}

/** The transform name of a field: the field minus a trailing `Transform` (igsioTrackedFrame GetFrameTransformNameList). */
export function transformNameOf(fieldName: string): string {
  return fieldName.toLowerCase().endsWith(POSTFIX) && fieldName.length > POSTFIX.length ? fieldName.slice(0, -POSTFIX.length) : fieldName;
}

/** Parses 16 numbers, or undefined. */
export function parseMatrix(text: string): number[] | undefined {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 16) return undefined;
  const m = parts.map(Number);
  return m.every(Number.isFinite) ? m : undefined;
}

/** Frame fields that hold the image status: `ImageStatus` in MetaIO files, `Status` in PLUS's NRRD files (IGSIO SEQMETA_FIELD_IMG_STATUS, SEQUENCE_FIELD_IMG_STATUS). */
export const IMAGE_STATUS_FIELDS = ['ImageStatus', 'Status'];

/**
 * The transforms of a frame, in field order. A transform field whose value is not 16 finite
 * numbers is skipped, as Slicer skips it; `unparsed` hears of each such field (a reader must not
 * lose a tool's poses without a word).
 */
export function transformsOf(fields: ReadonlyMap<string, string>, unparsed?: (field: string) => void): FrameTransform[] {
  const out: FrameTransform[] = [];
  for (const [fieldName, value] of fields) {
    if (!isTransformField(fieldName)) continue;
    const matrix = parseMatrix(value);
    if (!matrix) {
      unparsed?.(fieldName);
      continue;
    }
    const name = transformNameOf(fieldName);
    // The status field is <field>Status when the field ends in Transform, else <name>TransformStatus
    // (igsioTrackedFrame GetFrameTransformStatus).
    const status = fields.get(`${fieldName}Status`) ?? fields.get(`${name}TransformStatus`);
    out.push({ field: fieldName, name, matrix, status: (status ?? 'OK').trim().toUpperCase() });
  }
  return out;
}

const TWO_32 = 1n << 32n;

/**
 * A decimal number of seconds as an exact OpenIGTLink timestamp: the fraction is rounded to the
 * nearest 2^-32 s from the decimal digits themselves, not through a double (so a timestamp written
 * with 10 decimals by {@link formatTimestamp} comes back bit for bit). Undefined when negative or
 * not a number.
 */
export function parseTimestamp(text: string): Timestamp | undefined {
  const t = text.trim();
  const m = /^\+?(\d+)(?:\.(\d*))?$/.exec(t);
  if (!m) {
    const v = Number(t);
    return Number.isFinite(v) && v >= 0 && v < 2 ** 32 ? Timestamp.fromMillis(v * 1000) : undefined;
  }
  let seconds = BigInt(m[1]!);
  const digits = m[2] ?? '';
  let fraction = 0n;
  if (digits.length > 0) {
    const scale = 10n ** BigInt(digits.length);
    fraction = (BigInt(digits) * TWO_32 * 2n + scale) / (2n * scale);
    if (fraction === TWO_32) {
      fraction = 0n;
      seconds += 1n;
    }
  }
  if (seconds >= TWO_32) return undefined;
  return new Timestamp(Number(seconds), Number(fraction));
}

/** A timestamp as decimal seconds with 10 decimals: enough to tell every 2^-32 s step apart, so it parses back exactly. */
export function formatTimestamp(ts: Timestamp): string {
  const frac = (BigInt(ts.fraction) * 10n ** 10n * 2n + TWO_32) / (2n * TWO_32);
  // frac can reach 10^10 only for fractions within half a step of 1 s, which do not exist (max is 1 - 2^-32).
  return `${ts.seconds}.${frac.toString().padStart(10, '0')}`;
}
