// A scripted ByteChannel for connection tests: each subscription of the factory is one attempt
// the test drives by hand (open, deliver bytes, fail, end), recording what was written.
import { Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import { ConnectionError, type ByteChannel, type ChannelEvent, type ChannelFactory } from '../../../src/index.js';

export class FakeAttempt {
  readonly written: Uint8Array[] = [];
  paused = false;
  closed = false;
  torn = false;
  /** When true, write() reports a full buffer (backpressure). */
  full = false;
  /** What the channel says it still holds (`unsent`): the test moves it to show the peer reading. */
  unsentBytes = 0;
  readonly channel: ByteChannel;

  constructor(
    private readonly sub: Subscriber<ChannelEvent>,
    kind: 'stream' | 'datagram',
  ) {
    this.channel = {
      kind,
      remote: 'fake:1',
      write: (bytes) => {
        this.written.push(bytes);
        return !this.full;
      },
      pause: () => {
        this.paused = true;
      },
      resume: () => {
        this.paused = false;
      },
      close: () => {
        this.closed = true;
      },
      unsent: () => this.unsentBytes,
    };
  }

  open(): void {
    this.sub.next({ type: 'open', channel: this.channel });
  }
  data(bytes: Uint8Array): void {
    this.sub.next({ type: 'data', chunk: bytes });
  }
  drain(): void {
    this.full = false;
    this.sub.next({ type: 'drain' });
  }
  fail(err = new Error('connection reset')): void {
    this.sub.error(err);
  }
  end(): void {
    this.sub.complete();
  }
}

export function fakeFactory(kind: 'stream' | 'datagram' = 'stream'): { factory: ChannelFactory; attempts: FakeAttempt[] } {
  const attempts: FakeAttempt[] = [];
  const factory: ChannelFactory = () =>
    new Observable<ChannelEvent>((sub) => {
      const a = new FakeAttempt(sub, kind);
      attempts.push(a);
      return () => {
        a.torn = true;
      };
    });
  return { factory, attempts };
}

/** Lets queued microtasks (the connection's batched flush) run. */
export const settle = () => new Promise<void>((r) => setTimeout(r, 0));

/** A reconnect on virtual time: attempt `i` fails, the backoff passes (`flush`), attempt `i + 1` opens. */
export async function reconnectOnce(attempts: FakeAttempt[], scheduler: SchedulerLike & { flush(): void }, i = 0): Promise<void> {
  attempts[i]!.fail();
  scheduler.flush();
  attempts[i + 1]!.open();
  await settle();
}

/**
 * A channel for an Outbox alone, recording what it takes: `full` says when write() reports a
 * full buffer, `refuse` which bytes it throws for (a ConnectionError).
 */
export function recordingChannel(opts: { full?: () => boolean; refuse?: (b: Uint8Array) => boolean; coalesce?: boolean } = {}): { ch: ByteChannel; written: Uint8Array[] } {
  const written: Uint8Array[] = [];
  const ch: ByteChannel = {
    kind: 'stream',
    remote: 'test:1',
    ...(opts.coalesce === undefined ? {} : { coalesce: opts.coalesce }),
    write(bytes) {
      if (opts.refuse?.(bytes)) throw new ConnectionError('refused by the channel');
      written.push(bytes);
      return !(opts.full?.() ?? false);
    },
    pause() {},
    resume() {},
    close() {},
  };
  return { ch, written };
}
