/**
 * igtl-rx: reactive OpenIGTLink for TypeScript. This entry point is isomorphic (browser and
 * Node): the protocol codec, the framer and the message types. Operators are in
 * `igtl-rx/operators`, Node transports (TCP, TLS, UDP, server) in `igtl-rx/node`.
 */
export * from './protocol/index.js';
export * from './connection/channel.js';
export * from './connection/state.js';
export * from './connection/backoff.js';
export * from './connection/send-queue.js';
export * from './connection/pull.js';
export * from './connection/connection.js';
export type { HeartbeatOptions } from './connection/liveness.js';
export * from './connection/housekeeping.js';
export * from './transport/websocket.js';
