// src/app/zone-operators.ts
import type { NgZone } from '@angular/core';
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Delivers notifications inside the Angular zone, so that change detection runs for them.
 * Put it last, after the throttle: change detection then runs at the display rate, not at the
 * message rate.
 */
export function enterZone<T>(zone: NgZone): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (value) => zone.run(() => subscriber.next(value)),
        error: (err: unknown) => zone.run(() => subscriber.error(err)),
        complete: () => zone.run(() => subscriber.complete()),
      }),
    );
}

/**
 * Subscribes to the source outside the Angular zone: whatever the subscription starts (a
 * WebSocket and its listeners, timers of reconnection and throttling) stays outside, so it
 * does not trigger change detection.
 */
export function leaveZone<T>(zone: NgZone): MonoTypeOperatorFunction<T> {
  return (source) => new Observable<T>((subscriber) => zone.runOutsideAngular(() => source.subscribe(subscriber)));
}
