// Pull-based consumption: an AsyncIterable that pauses the channel when its consumer falls behind.
import { AsyncIterableX } from 'ix/asynciterable';
import type { Observable, Subscription } from 'rxjs';
import { InvalidOptionError } from '../protocol/errors.js';

/** Watermarks of a pull-based consumer's buffer, in messages. */
export interface PullOptions {
  /** Pause reading when this many messages wait for the consumer (default 1000; at least 1; `Infinity` = never pause: the buffer is then unbounded, your choice). */
  readonly highWaterMark?: number;
  /** Resume reading when the buffer is back down to this many (default highWaterMark / 4; at least 0, at most highWaterMark - 1). */
  readonly lowWaterMark?: number;
}

/** What a pull consumer needs from its source: the messages and a way to pause their producer. */
export interface PausableSource<T> {
  readonly source: Observable<T>;
  pause(): void;
  resume(): void;
}

/**
 * Turns a hot source into an AsyncIterable with bounded memory: while the consumer is more than
 * `highWaterMark` messages behind, the producer (the socket) is paused, so TCP flow control
 * slows the sender down and every message still arrives. Typed as the standard `AsyncIterable`
 * (ix is the implementation, not part of the API): `from()` of ix, or any other async-iterable
 * library, applies its operators.
 */
export function pullFrom<T>(src: PausableSource<T>, options: PullOptions = {}): AsyncIterable<T> {
  checkWatermarks(options);
  return new PullIterable(src, options);
}

/**
 * Throws an InvalidOptionError for watermarks no buffer can honour. Measured: a `lowWaterMark`
 * below 0 or NaN never let reading resume once paused (the consumer drained the buffer and then
 * waited for ever, and so did every other subscriber of the connection); a `highWaterMark` of
 * NaN never paused (the buffer grew without bound). `Infinity` stays allowed: never pausing is
 * then asked for by name (a caller that bounds the stream itself, e.g. a recording with its own
 * limit), not the result of a bad number.
 */
function checkWatermarks(options: PullOptions): void {
  const { highWaterMark: high, lowWaterMark: low } = options;
  if (high !== undefined && !(typeof high === 'number' && high >= 1)) {
    throw new InvalidOptionError('highWaterMark', `${String(high)} is not a number of messages to pause at (at least 1, or Infinity to never pause)`);
  }
  if (low !== undefined && !(typeof low === 'number' && low >= 0)) {
    throw new InvalidOptionError('lowWaterMark', `${String(low)} is not a number of messages to resume at (0 or more)`);
  }
}

// Our own AsyncIterableX rather than ix's `create`: its generator wrapper never forwards
// `return()`, so a `for await` loop that breaks early would leave the connection subscribed.
class PullIterable<T> extends AsyncIterableX<T> {
  constructor(
    private readonly src: PausableSource<T>,
    private readonly options: PullOptions,
  ) {
    super();
  }

  [Symbol.asyncIterator](signal?: AbortSignal): AsyncIterator<T> {
    if (!signal) return pullIterator(this.src, this.options);
    // Aborted already, its 'abort' event has gone and will not come again: the iteration
    // subscribed (opening a lazy connection) and its first next() waited for ever.
    if (signal.aborted) return endedIterator();
    // Removed when the iteration ends: a signal that outlives it (an application's shutdown
    // signal, passed to one iteration after another) kept every ended iteration, and through it
    // its connection, alive (measured: 2,000 iterations, 2,000 listeners, MaxListenersExceededWarning).
    const onAbort = (): void => void it.return!();
    const it = pullIterator(this.src, this.options, () => signal.removeEventListener('abort', onAbort));
    signal.addEventListener('abort', onAbort, { once: true });
    return it;
  }
}

/** An iteration that is over before it began (as one stopped by its signal: done, not an error). */
function endedIterator<T>(): AsyncIterator<T> {
  const done = (): Promise<IteratorResult<T>> => Promise.resolve({ value: undefined, done: true });
  return { next: done, return: done };
}

/** `ended`: called once, when the consumer has seen the end (done, an error, or return()). */
function pullIterator<T>(src: PausableSource<T>, options: PullOptions, ended?: () => void): AsyncIterator<T> {
  const high = options.highWaterMark ?? 1000;
  const low = Math.min(high - 1, options.lowWaterMark ?? Math.floor(high / 4));
  {
    const buffer: T[] = [];
    let head = 0;
    let paused = false;
    let done = false;
    let failure: { error: unknown } | undefined;
    // The next() calls waiting for a message, oldest first. Usually one (`for await` waits for
    // each), but the protocol lets a caller ask again before the last answer came
    // (Promise.all of two next()): each call gets its own message, none is left hanging.
    const waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }[] = [];
    let sub: Subscription | undefined;

    const pending = () => buffer.length - head;
    const release = () => {
      if (paused) {
        paused = false;
        src.resume();
      }
    };
    const stop = () => {
      sub?.unsubscribe();
      sub = undefined;
      release();
    };
    let over = false;
    const end = () => {
      if (over) return;
      over = true;
      ended?.();
    };

    sub = src.source.subscribe({
      next(value) {
        const w = waiting.shift();
        if (w) {
          w.resolve({ value, done: false });
          return;
        }
        buffer.push(value);
        if (!paused && pending() >= high) {
          paused = true;
          src.pause();
        }
      },
      error(error: unknown) {
        failure = { error };
        release();
        if (waiting.length > 0) end();
        for (const w of waiting.splice(0)) w.reject(error);
      },
      complete() {
        done = true;
        release();
        if (waiting.length > 0) end();
        for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      },
    });

    return {
      next(): Promise<IteratorResult<T>> {
        if (pending() > 0) {
          const value = buffer[head]!;
          buffer[head] = undefined as T;
          head++;
          if (head > 4096 && head * 2 > buffer.length) {
            buffer.splice(0, head);
            head = 0;
          }
          if (paused && pending() <= low) release();
          return Promise.resolve({ value, done: false });
        }
        if (failure) {
          end();
          return Promise.reject(failure.error);
        }
        if (done) {
          end();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          waiting.push({ resolve, reject });
        });
      },
      return(): Promise<IteratorResult<T>> {
        done = true;
        end();
        stop();
        for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
        buffer.length = 0;
        head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
