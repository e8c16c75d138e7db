/**
 * igtl-rx/operators: pipeable RxJS operators for OpenIGTLink streams (docs/operators.md).
 * Isomorphic: nothing here needs Node.
 *
 * @module igtl-rx/operators
 */
export { ofType } from './of-type.js';
export { ofDevice, type DevicePredicate } from './of-device.js';
export { splitElements } from './split-elements.js';
export { ofElement, type ElementPredicate } from './of-element.js';
export { throttleTracking, type ThrottleTrackingOptions } from './throttle-tracking.js';
export { measureRate, type MeasureRateOptions, type RateReport, type RateSample } from './measure-rate.js';
export { validPoses } from './valid-poses.js';
export { watchFreshness, type FreshnessChange, type WatchFreshnessOptions } from './watch-freshness.js';
export { pairByTimestamp, type PairByTimestampOptions, type PairResult } from './pair-by-timestamp.js';
export { query, type QueryOptions, type QueryReply, type QueryReplyOf } from './query.js';
export { command, type CommandAttributes, type CommandOptions } from './command.js';
export { stream, type MessageOfType, type StreamOptions, type StreamType } from './stream.js';
export { sendTo, type SendToOptions } from './send-to.js';
export { QueryTimeoutError, QueryFailedError, DataNotAvailableError, ReplyLostError, CommandFailedError, CommandReplyError, type CommandResult } from './errors.js';
export type { IgtlPeer } from './internal/peer.js';
export { nameMatcher, type NamePattern } from './internal/names.js';
export { trackingKey, type ElementMessage, type AnyElement } from './internal/elements.js';
