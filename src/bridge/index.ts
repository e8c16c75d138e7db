// The WebSocket bridge (Node): `createBridge` and its types.
export {
  DEFAULT_BRIDGE_PORT, DEFAULT_LATEST_TYPES, IgtlBridge, createBridge, BridgeTokenRequiredError,
  type BridgeClientOptions, type BridgeOptions, type BridgeClient,
} from './bridge.js';
export type { AuthFailureLimits } from './auth-failures.js';
export { parseClientFilter, describeClientFilter, ClientFilterError, type ClientFilter } from './client-filter.js';
