import { filter, type OperatorFunction } from 'rxjs';
import type { IgtlMessage } from '../src/index.js';

/**
 * Keeps the messages of the named types and narrows the TypeScript type to their union.
 *
 * ```
 * source:                   --t--i--s--T--|    t, T: TRANSFORM, i: IMAGE, s: STATUS
 * ofType('TRANSFORM'):      --t--------T--|
 * ofType('IMAGE', 'STATUS'): -----i--s-----|
 * ```
 *
 * The names are the `type` discriminants of {@link IgtlMessage}: `'TRANSFORM'`, `'TDATA'`,
 * `'RTS_COMMAND'`, ..., or `'UNKNOWN'` for messages of types without a codec (their wire name is
 * in `typeName`). A name that is not a message type is a compile error, and so is reading a
 * field the kept types do not have. Generic over the input: after another narrowing operator
 * it narrows within what is left (`Extract<T, { type: K }>`), and it never widens.
 *
 * @example
 * conn.pipe(ofType('TRANSFORM', 'TDATA')).subscribe((m) => {
 *   // m: TransformMessage | TrackingDataMessage
 *   if (m.type === 'TDATA') console.log(m.content.elements.length);
 * });
 *
 * @param types  one or more `type` names to keep
 */
export function ofType<T extends IgtlMessage, K extends T['type']>(...types: [K, ...K[]]): OperatorFunction<T, Extract<T, { readonly type: K }>> {
  const wanted: ReadonlySet<string> = new Set<string>(types);
  return filter((msg): msg is Extract<T, { readonly type: K }> => wanted.has(msg.type));
}
