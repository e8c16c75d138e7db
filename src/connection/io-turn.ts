// Deadlines that wait for one turn of I/O before they say "no answer" or "silent".
//
// When the application blocks the event loop past a deadline (a synchronous reconstruction, a
// long JSON.parse, a debugger pause), Node runs the timers that fell due before it reads the
// sockets: the peer's answer, or its stream, may be waiting unread in the socket buffer. A
// deadline is therefore checked once more on a timer of delay 0, which runs after the next
// poll for I/O (about 1 ms later in Node; in the same frame in RxJS's virtual time), and the
// verdict stands only if nothing came meanwhile. test/faults/event-loop-block.test.ts.
import { concatMap, race, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Runs `work` on `scheduler` after one turn of I/O (a timer of delay 0). */
export function afterIoTurn(scheduler: SchedulerLike, work: () => void): Subscription {
  return scheduler.schedule(work, 0);
}

/**
 * The source, unless it has sent nothing (no value, error or completion) `ms` after
 * subscription and one turn of I/O more: then the error of `error()`. What RxJS's
 * `timeout({ first })` does, without calling a reply late that is only unread.
 */
export function deadline<T>(ms: number, scheduler: SchedulerLike, error: () => Error): MonoTypeOperatorFunction<T> {
  const expired$ = timer(ms, scheduler).pipe(
    concatMap(() => timer(0, scheduler)),
    concatMap(() => throwError(error)),
  );
  return (source) => race(source, expired$);
}
