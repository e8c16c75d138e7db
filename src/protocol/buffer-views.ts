// Views over the whole of a buffer that several decodeMessage() calls in a row decode from.
//
// An application that cuts frames out of one buffer itself (a received chunk, a recording read
// whole) calls decodeMessage() once per frame, each on a subarray of the same ArrayBuffer. A
// DataView per call cost ~50 ns of the ~260 ns a TRANSFORM took (bench/js/codec.mjs
// transform-decode-each); the streaming decoder already makes one view per chunk. Here a call on a
// buffer the previous call used makes views over all of it, and later calls on that buffer read
// through them at the frame's offset.
//
// Only plain Uint8Arrays share: a view of the whole buffer is a plain Uint8Array, and the content
// views a codec hands out (IMAGE pixels, unknown types' bytes) are subarrays of the array it
// decodes from, so a Node Buffer's frames would come out as Buffers from the first call and as
// Uint8Arrays from the second (Buffer's slice() is a view where Uint8Array's is a copy).
//
// The buffer is held only to compare it with the next call's: a buffer over 64 KiB is let go at
// the end of the current turn (a microtask), so a 50 MB image decoded once is not kept alive by
// the library until some later call; a smaller one is let go by the next call on another buffer.

/** Buffers larger than this are let go at the end of the turn. */
const HOLD_LIMIT_BYTES = 64 * 1024;

const later: (task: () => void) => void =
  typeof queueMicrotask === 'function' ? queueMicrotask : (task) => void Promise.resolve().then(task);

let previous: ArrayBufferLike | undefined;
let shared: WholeBufferViews | undefined;
let forgetQueued = false;

/** A Uint8Array and a DataView over all of one buffer. */
export interface WholeBufferViews {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

function forget(): void {
  forgetQueued = false;
  previous = shared = undefined;
}

/**
 * Views over the whole of the buffer `bytes` is a part of, when the previous call was on a part
 * of it too; undefined otherwise (the caller reads `bytes` through a view of its own). Node
 * Buffers are not looked at. The caller asks only for frames that do not start their buffer
 * (decodeMessage): a buffer per message (a WebSocket message, a copy) stores nothing, where a
 * store per call cost as much as the view it saves. Frames cut from one buffer share views from
 * the third on.
 */
export function wholeBufferViews(bytes: Uint8Array): WholeBufferViews | undefined {
  if (bytes.constructor !== Uint8Array) return undefined;
  const buffer = bytes.buffer;
  if (buffer === previous) return (shared ??= { bytes: new Uint8Array(buffer), view: new DataView(buffer) });
  previous = buffer;
  shared = undefined;
  if (buffer.byteLength > HOLD_LIMIT_BYTES && !forgetQueued) {
    forgetQueued = true;
    later(forget);
  }
  return undefined;
}
