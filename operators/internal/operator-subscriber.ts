// The subscriber a hand-written operator puts between a source and its result, in the shape of
// RxJS's own OperatorSubscriber (which RxJS keeps internal). Without it, a user callback that
// throws inside a plain `source.subscribe({ next })` observer is reported by RxJS as an uncaught
// error while the source runs on; RxJS's own operators send it to the result's `error` instead
// and unsubscribe the source, and so must ours.
import { Subscription, from, type ObservableInput, type Observer, type Subscriber } from 'rxjs';

/** What an operator does with the notifications of one source. */
export interface OperatorHandlers<T> {
  /** Each value (user callbacks are called from here). A throw errors the destination. */
  readonly next: (value: T) => void;
  /** The source's error (default: passed on to the destination). A throw errors the destination instead. */
  readonly error?: (err: unknown) => void;
  /** The source's completion (default: passed on to the destination). A throw errors the destination. */
  readonly complete?: () => void;
}

/**
 * An Observer that is also a Subscription, so RxJS subscribes it to the source as it is (no
 * wrapping SafeSubscriber) and a synchronous source sees it close. It is a child of the
 * destination: when the destination errors, completes or is unsubscribed, this closes and the
 * source subscription ends with it. A handler that throws sends the error to the destination
 * and ends the source subscription at once; notifications after that are ignored.
 */
export class OperatorSubscriber<T> extends Subscription implements Observer<T> {
  private stopped = false;

  constructor(
    private readonly destination: Subscriber<unknown>,
    private readonly handlers: OperatorHandlers<T>,
  ) {
    super();
    // On a destination that is closed already, `add` unsubscribes this at once: it is born closed.
    destination.add(this);
  }

  next(value: T): void {
    if (this.stopped || this.closed) return;
    try {
      this.handlers.next(value);
    } catch (err) {
      this.fail(err);
    }
  }

  error(err: unknown): void {
    if (this.stopped || this.closed) return;
    this.stopped = true;
    try {
      if (this.handlers.error) this.handlers.error(err);
      else this.destination.error(err);
    } catch (thrown) {
      this.destination.error(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  complete(): void {
    if (this.stopped || this.closed) return;
    this.stopped = true;
    try {
      if (this.handlers.complete) this.handlers.complete();
      else this.destination.complete();
    } catch (thrown) {
      this.destination.error(thrown);
    } finally {
      this.unsubscribe();
    }
  }

  // Erroring the destination closes it, and with it this subscriber; the explicit unsubscribe
  // also covers a destination that was completed by the very handler that then threw.
  private fail(err: unknown): void {
    this.stopped = true;
    this.destination.error(err);
    this.unsubscribe();
  }
}

/** An {@link OperatorSubscriber} feeding `destination` through `handlers` (not yet subscribed to anything). */
export function createOperatorSubscriber<T>(destination: Subscriber<unknown>, handlers: OperatorHandlers<T>): OperatorSubscriber<T> {
  return new OperatorSubscriber(destination, handlers);
}

/**
 * Subscribes to `source` for `destination` through `handlers`, unless the destination is
 * closed already (an earlier source errored or completed it synchronously): then the source is
 * not subscribed at all, so it starts no work and sends nothing for a result that has ended.
 * The returned subscription is a child of the destination and ends with it; unsubscribing it
 * ends only this source.
 */
export function subscribeOperator<T>(source: ObservableInput<T>, destination: Subscriber<unknown>, handlers: OperatorHandlers<T>): Subscription {
  const subscriber = createOperatorSubscriber(destination, handlers);
  if (!subscriber.closed) from(source).subscribe(subscriber);
  return subscriber;
}
