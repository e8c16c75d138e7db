/**
 * igtl-rx for Node: everything in the isomorphic entry, plus TCP, TLS and UDP transports and
 * the server. (Browser code imports `igtl-rx` and uses the WebSocket transport instead.)
 */
export * from './index.js';
export * from './transport/tcp.js';
export * from './transport/tls.js';
export * from './transport/udp.js';
export * from './transport/server.js';
export { socketChannel, pipeSocketEvents } from './transport/socket-channel.js';
export * from './simulator/index.js';
export * from './recording/index.js';
export * from './bridge/index.js';
