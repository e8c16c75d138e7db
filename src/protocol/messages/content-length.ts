// Checks of the content length on receive: each throws a MalformedMessageError.
import { MalformedMessageError } from '../errors.js';

/** Throws a MalformedMessageError unless `length` is exactly `expected`. */
export function expectLength(type: string, length: number, expected: number): void {
  if (length !== expected) throw new MalformedMessageError(type, `content is ${length} bytes, expected ${expected}`);
}

/** Throws a MalformedMessageError unless `length` is a whole number of `element`-byte elements. */
export function expectElements(type: string, length: number, element: number): number {
  if (length % element !== 0) throw new MalformedMessageError(type, `content is ${length} bytes, not a multiple of the ${element}-byte element`);
  return length / element;
}
