import { concatMap, type MonoTypeOperatorFunction } from 'rxjs';
import type { IgtlMessage } from '../src/index.js';
import { isElementMessage, splitMessage } from './internal/elements.js';

/**
 * Splits TDATA, QTDATA and POINT messages into one message per element, so a pipeline can
 * follow one tool inside a tracking stream; every other message passes through unchanged.
 *
 * ```
 * source:          --T----s--|     T: TDATA [Stylus, Probe, Reference], s: STATUS
 * splitElements(): --(abc)s--|     a: TDATA [Stylus], b: TDATA [Probe], c: TDATA [Reference]
 * ```
 *
 * Each piece is a message of the same type with the same header fields (device name,
 * timestamp, message ID, metadata) whose list holds one element, so every other operator (and
 * `send`) works on it as on any message. The pieces are emitted at once, in list order. A
 * message with exactly one element passes as it is; one with none emits nothing.
 *
 * The default key of {@link throttleTracking} and {@link measureRate} includes the element name
 * of a one-element message, so after `splitElements()` each tool is throttled and measured on
 * its own.
 *
 * @example
 * conn.pipe(ofType('TDATA'), splitElements(), ofElement('Stylus'), throttleTracking(30))
 *   .subscribe((m) => draw(m.content.elements[0].matrix));
 */
export function splitElements<T extends IgtlMessage>(): MonoTypeOperatorFunction<T> {
  return concatMap((msg: T): T[] => (isElementMessage(msg) ? splitMessage(msg) : [msg]));
}
