// What RxJS reports as unhandled while a test runs (config.onUnhandledError): a user callback's
// throw that no result took. The operators send such throws to the result's `error`, so the tests
// of an operator's callbacks expect this list to stay empty.
import { config } from 'rxjs';
import { afterEach, beforeEach } from 'vitest';

/** Registers the capture around each test of the calling `describe`; returns the list (emptied before each test). */
export function captureUnhandledErrors(): readonly unknown[] {
  const unhandled: unknown[] = [];
  beforeEach(() => {
    unhandled.length = 0;
    config.onUnhandledError = (err) => unhandled.push(err);
  });
  afterEach(() => {
    config.onUnhandledError = null;
  });
  return unhandled;
}
