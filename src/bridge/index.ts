// The WebSocket bridge (Node): `createBridge` and its types.
export * from './bridge.js';
export { parseClientFilter, describeClientFilter, ClientFilterError, type ClientFilter } from './client-filter.js';
