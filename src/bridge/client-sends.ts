// What a WebSocket client may send on to the OpenIGTLink peer. Nothing, by default: any page the
// workstation opens could otherwise move a robot's target (TRANSFORM) or start a recording
// (COMMAND). A bridge started with `clientSends: true` lets clients send, optionally only some
// types and at most so many messages per second per client.
import { monotonicNow } from '../protocol/clock.js';
import { InvalidOptionError } from '../protocol/errors.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';

/** The upstream-send rules of a bridge (from its options). */
export interface ClientSendRules {
  /** Clients may send to the peer at all. */
  readonly allowed: boolean;
  /** Only these wire types (undefined: every type). */
  readonly types: ReadonlySet<string> | undefined;
  /** At most this many messages per second per client (undefined: no limit). */
  readonly ratePerSecond: number | undefined;
}

/** Why a message was refused: a short kind, and the words sent to the client. */
export interface SendVerdict {
  readonly kind: 'read-only' | 'type' | 'rate';
  readonly reason: string;
}

/** Reads and checks the rules (InvalidOptionError for a rate that is not a positive number). */
export function clientSendRules(options: { readonly clientSends?: boolean; readonly readOnly?: boolean; readonly clientSendTypes?: readonly string[]; readonly clientSendRate?: number }): ClientSendRules {
  const rate = options.clientSendRate;
  if (rate !== undefined && !(rate > 0 && Number.isFinite(rate))) throw new InvalidOptionError('clientSendRate', `${rate} is not a positive number of messages per second`);
  return {
    // readOnly: true (the old switch) still wins; readOnly: false no longer opens anything.
    allowed: options.clientSends === true && options.readOnly !== true,
    types: options.clientSendTypes === undefined ? undefined : new Set(options.clientSendTypes),
    ratePerSecond: rate,
  };
}

/**
 * The gate of one client: returns undefined when `msg` may go to the peer, else why not. The
 * rate is a token bucket holding one second's worth, and at least one message (bursts up to the
 * rate, then the rate; under 1/s, one message per 1/rate s: a bucket of less than one message
 * would refuse every one). Timed on the monotonic clock: a step of the system clock back (NTP)
 * emptied the bucket for as long as the step, refusing every message meanwhile.
 */
export function clientSendGate(rules: ClientSendRules, now: () => number = monotonicNow): (msg: IgtlMessage) => SendVerdict | undefined {
  const capacity = Math.max(1, rules.ratePerSecond ?? 0);
  let tokens = capacity;
  let last = now();
  return (msg) => {
    if (!rules.allowed) {
      return { kind: 'read-only', reason: 'the bridge is read-only: clients may not send to the peer (start it with --allow-client-sends, or clientSends: true)' };
    }
    const type = wireType(msg);
    if (rules.types && !rules.types.has(type)) {
      return { kind: 'type', reason: `type ${type} may not be sent to the peer (allowed: ${[...rules.types].join(', ') || 'none'}; --client-send-type / clientSendTypes)` };
    }
    const rate = rules.ratePerSecond;
    if (rate !== undefined) {
      const t = now();
      tokens = Math.min(capacity, tokens + ((t - last) / 1000) * rate);
      last = t;
      if (tokens < 1) return { kind: 'rate', reason: `over this client's send rate limit (${rate} messages/s; --client-send-rate / clientSendRate)` };
      tokens -= 1;
    }
    return undefined;
  };
}
