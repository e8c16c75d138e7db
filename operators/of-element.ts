import { concatMap, type OperatorFunction } from 'rxjs';
import type { IgtlMessage } from '../src/index.js';
import { elementsOf, filterElements, isElementMessageOf, type AnyElement, type ElementMessage } from './internal/elements.js';
import { nameMatcher, type NamePattern } from './internal/names.js';

/** A test of an element name, given the element and its message too. */
export type ElementPredicate<M extends ElementMessage> = (name: string, element: AnyElement, msg: M) => boolean;

export function ofElement<T extends IgtlMessage>(pattern: NamePattern): OperatorFunction<T, Extract<T, ElementMessage>>;
export function ofElement<T extends IgtlMessage>(predicate: ElementPredicate<Extract<T, ElementMessage>>): OperatorFunction<T, Extract<T, ElementMessage>>;
/**
 * Keeps the elements of TDATA, QTDATA and POINT messages whose names match (exact text, glob,
 * RegExp or predicate, as in {@link ofDevice}), and drops every other message.
 *
 * ```
 * source (split):      --a--b--c--s--|    a: TDATA [Stylus], b: TDATA [Probe], c: TDATA [Reference], s: STATUS
 * ofElement('Stylus'): --a-----------|
 *
 * source (unsplit):    --T-----U-----|    T: TDATA [Stylus, Probe], U: TDATA [Probe]
 * ofElement('Stylus'): --t-----------|    t: TDATA [Stylus]; U is left empty and dropped
 * ```
 *
 * Works on split messages (after {@link splitElements}) and on whole ones: the element list is
 * filtered, header fields stay, a message left without elements is dropped, and a message whose
 * elements all match passes as it is. Messages of other types are dropped, and the type
 * narrows to the TDATA/QTDATA/POINT part of the input. To follow a tool that some peers send as
 * TRANSFORM, merge with `ofType('TRANSFORM'), ofDevice(name)`.
 *
 * @example
 * conn.pipe(ofElement('Stylus*')).subscribe((m) => {
 *   // m: TrackingDataMessage | QuaternionTrackingDataMessage | PointMessage
 * });
 *
 * @param pattern  element name, glob, RegExp, or `(name, element, msg) => boolean`
 */
export function ofElement<T extends IgtlMessage>(pattern: NamePattern | ElementPredicate<Extract<T, ElementMessage>>): OperatorFunction<T, Extract<T, ElementMessage>> {
  const test: ElementPredicate<Extract<T, ElementMessage>> = typeof pattern === 'function' ? pattern : nameMatcher(pattern);
  return concatMap((msg: T): Extract<T, ElementMessage>[] => {
    if (!isElementMessageOf(msg)) return [];
    const kept = filterElements(msg, (element) => test(element.name, element, msg));
    return elementsOf(kept).length === 0 ? [] : [kept];
  });
}
