// TEMPORARY: placeholder codec used while the real codec of a type is being written.
import type { ContentCodec } from '../codec.js';
import { MalformedMessageError } from '../errors.js';

export function stubCodec<T extends string, C>(type: T): ContentCodec<T, C> {
  const no = (): never => {
    throw new MalformedMessageError(type, 'codec not implemented yet');
  };
  return { type, decode: no, size: no, encode: no, toJSON: no, fromJSON: no };
}
