// Liveness of one open channel, on an RxJS scheduler (so every rule is marble-testable):
//
//   stale        no data for `staleAfterMs`: what was last received is no longer current (state
//                `stale`); back to `open` when data arrives. Data is a complete message other
//                than heartbeat traffic and keep-alives (`dataIn`): the answers to our pings
//                prove that the peer is there, not that anything current comes from it (with
//                bytes, a tracker that stopped streaming but answered pings was `open` again for
//                3 s after every ping), and a message still arriving is not current yet.
//   idle         nothing received for `idleTimeoutMs` (opt-in): the peer is taken as dead.
//   read         a message has been arriving for `readTimeoutMs` without completing, at under
//                1 MiB/s on average (`readLimitMs`): a slowloris, or a lying header swallowing
//                the stream after it. A large image that keeps coming faster than that is not
//                cut off (at a fixed 30 s, a 256 MiB volume over any link under 72 Mbit/s was
//                cut off and retried for ever).
//   skip         the same for an oversized message being skipped (`skipTimeoutMs`).
//   write stall  the channel has refused bytes (write returned false) and the peer has taken
//                none of them for `writeStallMs`: it stopped reading or is gone. (One that
//                takes them slowly, a large image over a slow link, is not stalled.)
//   heartbeat    a GET_STATUS probe right after open finds out whether the peer takes part in
//                heartbeats (it sends a STATUS: PLUS and every igtl-rx connection do); to such a
//                peer a ping goes out whenever it has been silent for `intervalMs`, and silence
//                for `timeoutMs` after a ping means it is dead. A peer that never sent a STATUS is
//                never pinged again on that channel: pings would keep TCP keep-alive (which only
//                probes an idle link) from ever firing.
//
// One timer, armed at the earliest deadline; a new byte only moves deadlines later, so the hot
// path (`bytesIn`) does no timer work at all.
//
// While this side holds reading paused (a `for await` consumer behind by its highWaterMark),
// the peer's bytes wait in the socket buffer: silence is ours, not the peer's. The dead-peer
// rules that read silence (idle, read, skip, the heartbeat's verdict) give none meanwhile, and
// count from the moment reading resumes (`resumed`). `stale` still applies, on the last data
// received: nothing current has arrived, which is what it says. Pings still go out (they keep a
// peer that pings us from taking us for dead: any bytes answer its ping), and the write-stall
// rule still applies.
//
// `stale` reads ages on the clock of ages (scheduler.ts, freshnessNow: it counts the time a
// suspended machine slept, which the monotonic clock and its timers do not), and the timer
// wakes at least every WAKE_CHECK_MS while data could go stale, so data received before a
// sleep longer than `staleAfterMs` is stale within a second of waking. The dead-peer rules keep
// the monotonic clock: a step of the system clock forward must never close a live connection.
//
// A verdict (stale, dead) waits for one turn of I/O after its deadline fell due (io-turn.ts:
// after a blocked event loop the peer's bytes may be waiting unread): the check that finds it
// checks once more, after that turn, and only that check gives it.
import type { SchedulerLike, Subscription } from 'rxjs';
import { DeadPeerError, type DeadPeerRule } from '../protocol/errors.js';
import { afterIoTurn } from './io-turn.js';
import { SCHEDULER_AGES, type AgeSource } from './scheduler.js';

/** Heartbeat settings (see `ConnectionOptions.heartbeat`). */
export interface HeartbeatOptions {
  /** Ping after this much silence, ms (also the spacing of pings). */
  readonly intervalMs: number;
  /** Silence after a ping that means the peer is dead, ms (default 2 x intervalMs). */
  readonly timeoutMs?: number;
  /**
   * Send the GET_STATUS probe at open (default true; false for server sessions, also with a
   * heartbeat of the server's own: a server sends a client nothing unasked, since the C++
   * example clients take any unexpected message as their answer). Sessions learn from the
   * client's own probe or STATUS that it takes part.
   */
  readonly probe?: boolean;
  /**
   * `GET_STATUS` (default): a request PLUS and igtl-rx servers answer, with the probe and the
   * dead-peer rule above. `STATUS`: the keep-alive PLUS itself sends, every `intervalMs`, with
   * no answer expected (keeps a peer with an idle timeout of its own from dropping us).
   */
  readonly message?: 'GET_STATUS' | 'STATUS';
}

/** Thresholds of the liveness rules, ms; undefined turns a rule off. */
export interface LivenessRules {
  readonly staleAfterMs: number | undefined;
  readonly idleTimeoutMs: number | undefined;
  readonly readTimeoutMs: number | undefined;
  readonly skipTimeoutMs: number | undefined;
  readonly writeStallMs: number | undefined;
  readonly heartbeat: HeartbeatOptions | undefined;
}

/** What liveness reads from the channel's other parts when its timer fires. */
export interface LivenessProbe {
  /** When the message now being assembled started to arrive, or undefined. */
  partialSince(): number | undefined;
  /** When skipping an oversized message started, or undefined. */
  skippingSince(): number | undefined;
  /** Since when the channel has refused bytes and the peer has taken none of them, or undefined. */
  blockedSince(): number | undefined;
  /** True when messages were written that the peer has not confirmed yet. */
  unconfirmed(): boolean;
  /** True while this side does not read the channel (the consumer's backpressure). */
  readingPaused(): boolean;
  /** Bytes of the message now arriving (or being skipped) received so far (MessageDecoder.pendingReceived). */
  pendingReceived(): number;
}

/**
 * The slowest average rate at which a message still counts as arriving, bytes per ms (1 MiB/s,
 * 8 Mbit/s: below any working LAN or Wi-Fi link).
 */
export const SLOWEST_READ_BYTES_PER_MS = (1024 * 1024) / 1000;

/**
 * How long a message that has `received` bytes so far may have been arriving: `limitMs`, or
 * longer while it has come at 1 MiB/s or more on average (the time those bytes take at that rate).
 */
export function readLimitMs(limitMs: number, received: number): number {
  return Math.max(limitMs, Math.floor(received / SLOWEST_READ_BYTES_PER_MS));
}

/** What liveness tells the connection. */
export interface LivenessEvents {
  stale(silentMs: number): void;
  live(): void;
  /** The channel must close: the peer is gone or misbehaving. */
  dead(err: DeadPeerError): void;
  /** Send a heartbeat message now. */
  ping(message: 'GET_STATUS' | 'STATUS'): void;
}

/** The liveness rules of one open channel. Create one per channel; `stop()` when it ends. */
export class Liveness {
  /** When bytes last arrived (the dead-peer rules' clock). */
  private lastIn: number;
  /** When data (a message, not a heartbeat or a keep-alive) last arrived, on the clock of ages (`ages`): the stale rule's. */
  private lastData: number;
  /** When reading last resumed after a pause of this side's own (the dead-peer rules count from the later of the two). */
  private resumedAt = -Infinity;
  private lastPing: number;
  private pingAt: number | undefined;
  private answers = false;
  private isStale = false;
  private pausedRules: LivenessRules | undefined;
  private stopped = false;
  private timer: Subscription | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly rules: LivenessRules,
    private readonly probe: LivenessProbe,
    private readonly events: LivenessEvents,
    private readonly scheduler: SchedulerLike,
    private readonly label: string,
    private readonly ages: AgeSource = SCHEDULER_AGES,
  ) {
    const now = scheduler.now();
    this.lastIn = now;
    this.lastData = ages.of(now);
    this.lastPing = now;
    const hb = rules.heartbeat;
    if (hb && (hb.message ?? 'GET_STATUS') === 'GET_STATUS' && hb.probe !== false) {
      // Does this peer take part in heartbeats? A STATUS from it says yes (see answered()).
      events.ping('GET_STATUS');
    }
    this.check();
  }

  /** Bytes arrived at `now` (the scheduler's time, read once per chunk by the caller). Cheap: the hot path of every chunk. */
  bytesIn(now: number): void {
    this.lastIn = now;
    this.pingAt = undefined;
  }

  /** Data (at least one message other than heartbeat traffic and keep-alives) arrived at `now`. */
  dataIn(now: number): void {
    this.lastData = this.ages.of(now);
    if (this.isStale) {
      this.isStale = false;
      this.events.live();
      // Nothing was armed for staleness while stale; it is news again from now.
      if (this.rules.staleAfterMs !== undefined) this.arm(this.staleCheckAt(now, this.rules.staleAfterMs), now);
    }
  }

  /** When to check the stale rule next, with `left` ms of freshness left: then, or sooner to notice a sleep. */
  private staleCheckAt(now: number, left: number): number {
    return now + Math.min(left, this.ages.recheckMs() ?? Infinity);
  }

  /**
   * The peer sent a STATUS (an answer to a ping, or a keep-alive of its own, as PLUS sends):
   * it takes part in heartbeats, so from now on it is pinged when silent. Data alone does not
   * count: a tracker that only streams and never answers would otherwise be pinged, and declared
   * dead whenever it pauses.
   */
  answered(): void {
    if (this.answers || this.stopped) return;
    this.answers = true;
    this.check(); // arm the heartbeat timers (once a channel)
  }

  /**
   * Reading resumed at `now` after a pause of this side's own: the dead-peer rules count from
   * now (the caller restarts its partial and skip clocks too), as if the peer had just been
   * heard; `stale` keeps the time of the last data.
   */
  resumed(now: number): void {
    if (this.stopped) return;
    this.resumedAt = now;
    this.pingAt = undefined;
    this.check();
  }

  /** Something started a deadline (a partial message, a full channel, a skip): re-check then. */
  poke(): void {
    const now = this.scheduler.now();
    const r = this.rules;
    const p = this.probe;
    this.arm(Math.min(
      deadline(p.partialSince(), this.withAllowance(r.readTimeoutMs)),
      deadline(p.skippingSince(), this.withAllowance(r.skipTimeoutMs)),
      deadline(p.blockedSince(), r.writeStallMs),
      r.heartbeat && this.answers && p.unconfirmed() ? this.lastPing + r.heartbeat.intervalMs : Infinity,
    ), now);
  }

  /** The channel ended: no more events. */
  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** A read or skip limit for the message now arriving, by how much of it has come. */
  private withAllowance(limitMs: number | undefined): number | undefined {
    return limitMs === undefined ? undefined : readLimitMs(limitMs, this.probe.pendingReceived());
  }

  /** The rules while reading is paused: stale, the write stall and the heartbeat's pings only. */
  private rulesWhilePaused(): LivenessRules {
    return this.pausedRules ??= { ...this.rules, idleTimeoutMs: undefined, readTimeoutMs: undefined, skipTimeoutMs: undefined };
  }

  private heartbeatTimeout(hb: HeartbeatOptions): number {
    return hb.timeoutMs ?? 2 * hb.intervalMs;
  }

  private arm(at: number, now: number): void {
    if (this.stopped || at >= this.timerAt || at === Infinity) return;
    this.timer?.unsubscribe();
    this.timerAt = at;
    this.timer = this.scheduler.schedule(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.check();
    }, Math.max(0, at - now));
  }

  /** A verdict fell due: check once more after one turn of I/O. */
  private recheck(now: number): void {
    this.timer?.unsubscribe();
    this.timerAt = now;
    this.timer = afterIoTurn(this.scheduler, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.check(true);
    });
  }

  private die(rule: DeadPeerRule, elapsedMs: number, what: string): void {
    this.stop();
    this.events.dead(new DeadPeerError(`${this.label}: ${what}`, rule, elapsedMs));
  }

  /**
   * `final`: this check runs one turn of I/O after a verdict fell due, so a verdict found now is
   * given; otherwise a verdict found is checked once more after that turn.
   */
  private check(final = false): void {
    if (this.stopped) return;
    const now = this.scheduler.now();
    const r = this.probe.readingPaused() ? this.rulesWhilePaused() : this.rules;
    const p = this.probe;
    // Silence as the dead-peer rules count it: not the time this side itself did not read.
    const heardAt = Math.max(this.lastIn, this.resumedAt);
    const unheard = now - heardAt;
    if (r.idleTimeoutMs !== undefined && unheard >= r.idleTimeoutMs) {
      return final ? this.die('idle', unheard, `nothing received for ${r.idleTimeoutMs} ms`) : this.recheck(now);
    }
    const partial = p.partialSince();
    const readLimit = this.withAllowance(r.readTimeoutMs);
    const skipLimit = this.withAllowance(r.skipTimeoutMs);
    if (readLimit !== undefined && partial !== undefined && now - partial >= readLimit) {
      return final ? this.die('read-timeout', now - partial, `a message has been arriving for over ${readLimit} ms`) : this.recheck(now);
    }
    const skipping = p.skippingSince();
    if (skipLimit !== undefined && skipping !== undefined && now - skipping >= skipLimit) {
      return final ? this.die('skip-timeout', now - skipping, `an oversized message is still being skipped after ${skipLimit} ms`) : this.recheck(now);
    }
    const blocked = p.blockedSince();
    if (r.writeStallMs !== undefined && blocked !== undefined && now - blocked >= r.writeStallMs) {
      return final ? this.die('write-stall', now - blocked, `the peer has taken no bytes for ${r.writeStallMs} ms (write stalled)`) : this.recheck(now);
    }
    let next = Math.min(
      r.idleTimeoutMs === undefined ? Infinity : heardAt + r.idleTimeoutMs,
      deadline(partial, readLimit),
      deadline(skipping, skipLimit),
      deadline(blocked, r.writeStallMs),
    );
    const hb = r.heartbeat;
    if (hb) {
      const timeout = this.heartbeatTimeout(hb);
      if ((hb.message ?? 'GET_STATUS') === 'STATUS') {
        if (now - this.lastPing >= hb.intervalMs) this.sendPing('STATUS', now);
        next = Math.min(next, this.lastPing + hb.intervalMs);
      } else {
        if (this.answers) {
          if (this.pingAt !== undefined && now - this.pingAt >= timeout && !p.readingPaused()) {
            return final ? this.die('heartbeat', now - this.pingAt, `no answer to a heartbeat for ${timeout} ms`) : this.recheck(now);
          }
          // Ping when silent (is it alive?) or when writes await confirmation (did it read them?).
          const due = unheard >= hb.intervalMs || p.unconfirmed();
          if (due && now - this.lastPing >= hb.intervalMs) {
            this.sendPing('GET_STATUS', now);
            this.pingAt ??= now;
          }
          if (this.pingAt !== undefined && !p.readingPaused()) next = Math.min(next, this.pingAt + timeout);
          next = Math.min(next, Math.max(heardAt, this.lastPing) + hb.intervalMs, p.unconfirmed() ? this.lastPing + hb.intervalMs : Infinity);
        }
      }
    }
    if (r.staleAfterMs !== undefined) {
      const noData = this.ages.of(now) - this.lastData;
      if (!this.isStale && noData >= r.staleAfterMs) {
        if (!final) return this.recheck(now);
        this.isStale = true;
        this.events.stale(noData);
      }
      if (!this.isStale) next = Math.min(next, this.staleCheckAt(now, r.staleAfterMs - noData));
    }
    if (this.stopped) return;
    // Bytes may have arrived since a deadline was computed: a timer that fires early re-checks.
    this.arm(Math.max(next, now + 1), now);
  }

  private sendPing(message: 'GET_STATUS' | 'STATUS', now: number): void {
    this.lastPing = now;
    this.events.ping(message);
  }
}

function deadline(since: number | undefined, limit: number | undefined): number {
  return since === undefined || limit === undefined ? Infinity : since + limit;
}
