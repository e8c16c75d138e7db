// Which page a reply of the peer is for. The bridge's pages share its one connection to the peer,
// which answers them all as one client, and the bridge gave every reply to every page: a page
// waiting for a query of the same type and device took another page's answer for its own, even
// when the answer carried the other page's message ID (the correlator falls back to matching by
// type and device name, as 3D Slicer does; test/e2e/bridge-replies.test.ts measured it).
//
// The bridge sees every request a page sends, so it can tell whom most replies are for:
// - an RTS_COMMAND, by its COMMAND_ID (a page's command IDs start at a random number);
// - any reply that echoes a request's v3 message ID, of the request's type and device;
// - an RTS_<T> (the answer to STT_<T>/STP_<T>), by type and device: to the page whose request of
//   that type and device is the oldest waiting (a peer answers one session's requests in order).
// Those go to the pages that asked, and only to them. A data message is never held back from a
// page (in v1 framing an answer to GET_TRANSFORM is a TRANSFORM like those of the stream), nor a
// reply the bridge cannot place (asked by nobody it knows, e.g. `bridge.upstream`'s own user).
//
// Bounded: requests are remembered for at most REQUEST_TTL_MS and at most MAX_REQUESTS of them
// (oldest forgotten first); a forgotten request's reply goes to every page, as before.
import { fullDeviceName } from '../protocol/encode.js';
import { baseType, queryPrefix } from '../protocol/query-names.js';
import { wireType, type IgtlMessage } from '../protocol/types.js';

/** How long a request waits for its reply to be routed, ms (a query's default timeout is 5 s). */
export const REQUEST_TTL_MS = 30_000;
/** Requests remembered at most (all pages together). */
export const MAX_REQUESTS = 1024;

interface Request<C> {
  readonly client: C;
  readonly base: string;
  /** A GET_ is answered by data, never placed by name (see recipients). */
  readonly isGet: boolean;
  readonly device: string;
  readonly fullDevice: string;
  /** The token it is also filed under (cmd:, msg:), if any. */
  readonly tokens: readonly string[];
  readonly at: number;
}

/** The requests of a bridge's pages waiting for replies (see the top of this file). */
export class ReplyRoutes<C> {
  /** Every request in order of sending (insertion order: the first is the oldest). */
  private readonly requests = new Set<Request<C>>();
  private readonly byToken = new Map<string, Request<C>>();

  constructor(private readonly now: () => number) {}

  /** Requests remembered now. */
  get size(): number {
    return this.requests.size;
  }

  /** `client` sent `msg` to the peer: remember it if it asks for a reply. */
  asked(client: C, msg: IgtlMessage): void {
    const type = wireType(msg);
    const prefix = queryPrefix(type);
    if (type !== 'COMMAND' && prefix !== 'GET_' && prefix !== 'STT_' && prefix !== 'STP_') return;
    const tokens: string[] = [];
    if (msg.type === 'COMMAND') tokens.push(`cmd:${msg.content.commandId}`);
    if (msg.headerVersion === 2 && msg.messageId !== 0) tokens.push(`msg:${msg.messageId}`);
    // A GET_ without an ID is answered by data, which goes to every page: nothing to remember.
    if (prefix === 'GET_' && tokens.length === 0) return;
    const request: Request<C> = { client, base: baseType(type), isGet: prefix === 'GET_', device: msg.deviceName, fullDevice: fullDeviceName(msg), tokens, at: this.now() };
    this.requests.add(request);
    // A token used again (a page that reuses an ID) names its newest request.
    for (const t of tokens) this.byToken.set(t, request);
    if (this.requests.size > MAX_REQUESTS) this.remove(this.requests.values().next().value!);
  }

  /**
   * The clients `msg` is for, or undefined when it goes to every client (data, or a reply the
   * bridge cannot place). The requests it answers are forgotten.
   */
  recipients(msg: IgtlMessage): ReadonlySet<C> | undefined {
    this.expire();
    if (this.requests.size === 0) return undefined;
    const type = wireType(msg);
    const base = baseType(type);
    const isReply = queryPrefix(type) === 'RTS_';
    if (msg.type === 'RTS_COMMAND') {
      const request = this.byToken.get(`cmd:${msg.content.commandId}`);
      if (request) return this.answered([request]);
    }
    if (msg.headerVersion === 2 && msg.messageId !== 0) {
      const request = this.byToken.get(`msg:${msg.messageId}`);
      // A peer that numbers its own messages meets a request's ID by chance: only a message of
      // the request's type and device is its echo.
      if (request && request.base === base && this.sameDevice(request, msg)) return this.answered([request]);
    }
    // RTS_COMMAND without a known ID stays a broadcast: a page's correlator drops it.
    if (!isReply || msg.type === 'RTS_COMMAND') return undefined;
    const waiting = [...this.requests].filter((r) => r.base === base && !r.isGet && r.tokens.every((t) => !t.startsWith('cmd:')) && this.sameDevice(r, msg));
    // The oldest: one session's peer answers its requests in order, and this is how a page's own
    // correlator serves two of its requests (first registered, first served).
    return waiting.length === 0 ? undefined : this.answered([waiting[0]!]);
  }

  /** Forgets the requests of a client that has left. */
  forget(client: C): void {
    for (const r of this.requests) if (r.client === client) this.remove(r);
  }

  private sameDevice(r: Request<C>, msg: IgtlMessage): boolean {
    // An unnamed request or reply (PLUS answers some queries without the name) matches any.
    return r.device === '' || msg.deviceName === '' || msg.deviceName === r.device || fullDeviceName(msg) === r.fullDevice;
  }

  private answered(requests: readonly Request<C>[]): ReadonlySet<C> {
    for (const r of requests) this.remove(r);
    return new Set(requests.map((r) => r.client));
  }

  private remove(r: Request<C>): void {
    this.requests.delete(r);
    for (const t of r.tokens) if (this.byToken.get(t) === r) this.byToken.delete(t);
  }

  private expire(): void {
    const oldest = this.now() - REQUEST_TTL_MS;
    for (const r of this.requests) {
      if (r.at >= oldest) break;
      this.remove(r);
    }
  }
}
