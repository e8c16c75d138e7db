import { filter, map, type MonoTypeOperatorFunction } from 'rxjs';
import { isPoseValid, type IgtlMessage } from '../src/index.js';
import { elementsOf, filterElements, isElementMessage } from './internal/elements.js';

/**
 * Drops the poses their sender marked as not valid: a TRANSFORM or POSITION whose status is not
 * OK, and the TDATA/QTDATA elements whose status is not OK (a message left with none is
 * dropped). Every other message, and every pose without a status, passes unchanged.
 *
 * ```
 * source:         --a--b--T--s--|    a: TRANSFORM OK, b: TRANSFORM OUT_OF_VIEW, s: STATUS
 * validPoses():   --a-----t--s--|    T: TDATA [Stylus OK, Probe MISSING] -> t: TDATA [Stylus]
 * ```
 *
 * PlusServer with `SendValidTransformsOnly="FALSE"` keeps sending a tool it has lost (out of the
 * camera's view): in a TRANSFORM or POSITION as the identity matrix, in TDATA as its last matrix,
 * each marked only by a status in v3 metadata (`TransformStatus`, `<name>Status`; see
 * `poseStatus` in `igtl-rx`). Drawn as they come, those poses put a lost tool at the origin,
 * or frozen, as if tracked. After `validPoses()` a lost tool sends nothing, so `watchFreshness`
 * marks it stale and `throttleTracking` keeps its last valid pose. The status is metadata, which
 * PLUS sends only in v3 framing: connect with `announceV3: true` (docs/connections.md).
 *
 * Works before or after `splitElements`. Completion and errors pass through.
 *
 * @example
 * conn.pipe(ofType('TDATA'), validPoses(), splitElements(), watchFreshness({ staleAfterMs: 500 }))
 */
export function validPoses<T extends IgtlMessage>(): MonoTypeOperatorFunction<T> {
  return (source) =>
    source.pipe(
      map((msg): T | undefined => {
        if (msg.type === 'TRANSFORM' || msg.type === 'POSITION') return isPoseValid(msg) ? msg : undefined;
        if (!isElementMessage(msg) || msg.type === 'POINT' || msg.metadata.size === 0) return msg;
        const kept = filterElements(msg, (_, i) => isPoseValid(msg, i));
        return elementsOf(kept).length === 0 ? undefined : (kept as T);
      }),
      filter((msg): msg is T => msg !== undefined),
    );
}
