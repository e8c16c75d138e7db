// SENSOR: an array of float64 readings with a packed SI unit (spec messages.md §13).
import type { ContentCodec } from '../codec.js';
import { stubCodec } from './_stub.js';

/** Content of a SENSOR message. */
export interface SensorContent {
  /** Reserved status byte (the C++ library always writes 0). */
  readonly status: number;
  /** The packed 64-bit unit (see `decodeSensorUnit` / `encodeSensorUnit`). */
  readonly unit: bigint;
  /** Readings (at most 255). */
  readonly data: readonly number[];
}

/** Codec of SENSOR. */
export const sensorCodec: ContentCodec<'SENSOR', SensorContent> = stubCodec('SENSOR');
