// The public face of one WebSocket client of the bridge (IgtlBridge.clients, clients$), in a
// module of its own that imports no `ws` or `debug` types: a project compiling against igtl-rx
// with skipLibCheck false reads this declaration file, and must not need @types/ws or
// @types/debug for it (test/package/pack-consume.test.ts). client-session.ts makes them.
import type { IgtlConnection } from '../connection/connection.js';
import type { WebSocketLike } from '../transport/websocket.js';
import type { ClientFilter } from './client-filter.js';

/**
 * One WebSocket client of the bridge: an {@link IgtlConnection} over its socket (like a server
 * session), never reconnecting, plus who it is. Its `queue$` shows what waits for it and what
 * was replaced.
 */
export type BridgeClient = IgtlConnection & {
  /** 1, 2, ... in order of connection. */
  readonly id: number;
  /** Address and port of the client. */
  readonly remote: string;
  /** What the client asked for. */
  readonly filter: ClientFilter;
  /**
   * The client's WebSocket (server side): a `ws` WebSocket, typed as the part of the WebSocket
   * interface igtl-rx uses, so compiling against igtl-rx needs no `ws` type declarations.
   */
  readonly socket: WebSocketLike;
  /** When the client connected (ms since the epoch). */
  readonly connectedAt: number;
  /** Messages handed to this client's queue so far. */
  relayed: number;
  /** Messages of this client refused (not sent to the peer) so far. */
  refused: number;
};
